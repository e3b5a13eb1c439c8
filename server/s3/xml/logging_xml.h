// BucketLoggingStatus (PutBucketLogging body, GetBucketLogging answer) and Ceph's
// PostBucketLoggingOutput. The stored form of a bucket's logging configuration is the
// LoggingConfiguration value; Render echoes exactly what Parse accepted, so
// ParseBucketLoggingStatus(RenderBucketLoggingStatus(c)) == c for every c that Parse can produce.
// Thread-safety: pure functions.
#pragma once

#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include "logging/logging_configuration.h"
#include "server/s3/s3_error.h"

namespace logbucket::s3::xml {

// BucketLoggingStatus with no LoggingEnabled -> nullopt (logging disabled). Inside
// LoggingEnabled, each element at most once and nothing unknown (MalformedXML otherwise):
//   TargetBucket (required), TargetPrefix (default ""), TargetGrants/Grant*/{Grantee, Permission}
//   (xsi:type CanonicalUser|AmazonCustomerByEmail|Group; Permission FULL_CONTROL|READ|WRITE or
//   READ_ACP, which AWS accepts and echoes), TargetObjectKeyFormat with exactly one of
//   SimplePrefix (empty) or PartitionedPrefix[/PartitionDateSource EventTime|DeliveryTime];
//   Ceph's LoggingType (Standard|Journal), ObjectRollTime and RecordsBatchSize (non-negative
//   integers), Filter[/S3Key/FilterRule*/{Name prefix|suffix|regex, Value}].
// Text values are kept verbatim; enumerations and integers may be surrounded by whitespace.
// The *_given flags of the result record which optional elements were present.
std::expected<std::optional<logging::LoggingConfiguration>, S3Error> ParseBucketLoggingStatus(
    std::string_view body);

// The stored configuration as GetBucketLogging answers: TargetBucket, TargetGrants (only if
// any), TargetPrefix, TargetObjectKeyFormat (only if given; <SimplePrefix/>, or
// PartitionedPrefix with PartitionDateSource only if given), then Ceph's elements only if given.
// nullopt renders an empty <BucketLoggingStatus xmlns="…"/>.
std::string RenderBucketLoggingStatus(const std::optional<logging::LoggingConfiguration>& config);

// Ceph's answer to POST /{bucket}?logging: PostBucketLoggingOutput/FlushedLoggingObject.
std::string RenderPostBucketLoggingOutput(std::string_view flushed_object_key);

}  // namespace logbucket::s3::xml
