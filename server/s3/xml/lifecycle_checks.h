// Internal to server/s3/xml: the checks PutBucketLifecycleConfiguration makes after a document
// passed the schema (lifecycle_xml.cc reads it), with Amazon's codes and messages: rule count,
// IDs, Lifecycle V1/V2 consistency, filter limits, action values, which actions a filter allows,
// transitions, and overlapping prefixes in V1.
// Thread-safety: pure functions.
#pragma once

#include <expected>
#include <string_view>

#include "server/s3/lifecycle_rules.h"
#include "server/s3/s3_error.h"

namespace logbucket::s3::xml {

// InvalidRequest for more than kMaxLifecycleRules rules (Amazon's wording).
inline constexpr std::string_view kLifecycleTooManyRules =
    "The number of lifecycle rules must not exceed the allowed limit of 1000 rules.";
// InvalidArgument for an Expiration or Transition Date that is not a midnight UTC (Amazon's).
inline constexpr std::string_view kLifecycleDateNotMidnight = "'Date' must be at midnight GMT";

// The first fault of `config`, in document order after the rule count and the IDs; every value
// of a well-formed configuration passes. Schema faults (MalformedXML) are the reader's.
std::expected<void, S3Error> CheckLifecycleConfiguration(const LifecycleConfiguration& config);

}  // namespace logbucket::s3::xml
