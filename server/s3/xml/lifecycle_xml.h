// LifecycleConfiguration (PutBucketLifecycleConfiguration body, GetBucketLifecycleConfiguration
// answer). The value type and the rule engine are in server/s3/lifecycle_rules.h.
// Parse validates as Amazon does and answers with Amazon's codes and messages (listed in
// lifecycle_xml.cc, each with its source); Render echoes what Parse accepted, the filter in the
// form it was given, so ParseLifecycleConfiguration(RenderLifecycleConfiguration(c)) == c for
// every c that Parse can produce (with or without AssignMissingRuleIds applied). The stored
// form of a bucket's lifecycle is therefore the rendered document.
// Thread-safety: pure functions.
#pragma once

#include <expected>
#include <string>
#include <string_view>

#include "server/s3/lifecycle_rules.h"
#include "server/s3/s3_error.h"

namespace logbucket::s3::xml {

// LifecycleConfiguration with 1 to 1000 Rule elements. Each Rule: ID (optional, at most 255
// characters, unique), Status (Enabled|Disabled), exactly one of Filter or the legacy Prefix,
// then Expiration (exactly one of Days, Date, ExpiredObjectDeleteMarker),
// NoncurrentVersionExpiration (NoncurrentDays, [NewerNoncurrentVersions]),
// AbortIncompleteMultipartUpload (DaysAfterInitiation), Transition* ((Days|Date), StorageClass)
// and NoncurrentVersionTransition* (NoncurrentDays, StorageClass, [NewerNoncurrentVersions]),
// at least one action. Schema faults (unknown or repeated element, bad enumeration, number or
// date) are MalformedXML; the rest InvalidArgument or InvalidRequest with Amazon's message.
std::expected<LifecycleConfiguration, S3Error> ParseLifecycleConfiguration(std::string_view body);

// GetBucketLifecycleConfiguration: each rule as ID (when non-empty), Filter or Prefix, Status,
// Transition*, Expiration, NoncurrentVersionTransition*, NoncurrentVersionExpiration,
// AbortIncompleteMultipartUpload (the order of Amazon's sample answers). Dates are rendered
// "2025-01-01T00:00:00.000Z".
std::string RenderLifecycleConfiguration(const LifecycleConfiguration& config);

}  // namespace logbucket::s3::xml
