// Bucket policies: validation of a PutBucketPolicy document (MalformedPolicy with S3's
// messages) and evaluation of a request against it (explicit Deny wins over Allow).
// Evaluation covers what Logbucket needs today: principals ("*", AWS account/user ARNs,
// Service, CanonicalUser), actions and resources with * and ? wildcards, and the condition
// operators StringEquals/StringEqualsIgnoreCase/StringLike/ArnEquals/ArnLike/Bool (their Not
// forms, their ...IfExists forms) and Null over request keys. An operator it does not know
// makes its statement not apply (neither Allow nor Deny).
// Thread-safety: pure functions.
#pragma once

#include <expected>
#include <map>
#include <string>
#include <string_view>

#include "server/s3/s3_error.h"

namespace logbucket::s3 {

std::expected<void, S3Error> ValidateBucketPolicy(std::string_view json, std::string_view bucket);

enum class PolicyDecision { kNoMatch, kAllow, kDeny };

struct PolicyRequest {
  // One of these identifies the caller: a service principal ("logging.s3.amazonaws.com"), or
  // an account id and user ARN; both empty means anonymous.
  std::string service;
  std::string account_id;
  std::string user_arn;
  std::string canonical_id;  // the account's canonical id, for "CanonicalUser" principals
  std::string action;    // "s3:PutObject"
  std::string resource;  // "arn:aws:s3:::bucket/key"
  std::map<std::string, std::string> context;  // "aws:SourceArn" -> "arn:aws:s3:::src"
};

PolicyDecision EvaluatePolicy(std::string_view json, const PolicyRequest& request);

// Glob match with '*' (any run) and '?' (one byte), as IAM matches actions and resources.
bool WildcardMatch(std::string_view pattern, std::string_view text, bool ignore_case);

}  // namespace logbucket::s3
