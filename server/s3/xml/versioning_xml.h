// Versioning documents: VersioningConfiguration (PutBucketVersioning body, GetBucketVersioning
// answer) and ListVersionsResult (the answer of ListObjectVersions).
// Parse answers S3Error(kMalformedXML) for anything malformed (see xml_document.h for what the
// parser refuses); Render functions return a complete document starting with
// <?xml version="1.0" encoding="UTF-8"?> and with xmlns="http://s3.amazonaws.com/doc/2006-03-01/"
// on the root.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/s3/s3_error.h"
#include "server/s3/xml/bucket_xml.h"

namespace logbucket::s3::xml {

enum class VersioningStatus { kEnabled, kSuspended };
enum class MfaDeleteStatus { kEnabled, kDisabled };

// "Enabled" / "Suspended"; "Enabled" / "Disabled".
std::string_view VersioningStatusName(VersioningStatus status);
std::string_view MfaDeleteStatusName(MfaDeleteStatus status);

// A PutBucketVersioning request, or a bucket's versioning state for GetBucketVersioning.
struct VersioningConfiguration {
  // Request: nullopt when Status is absent or empty, which S3 takes as "keep the current state".
  // State: nullopt for a bucket that was never versioned.
  std::optional<VersioningStatus> status;
  // Request: nullopt when MfaDelete is absent or empty. State: nullopt when MFA delete was never
  // configured (S3 then omits the element).
  //
  // MFA delete is the operation's decision, not the parser's. What Amazon answers:
  //  - MfaDelete (Enabled, or any change on a bucket whose MFA delete is enabled) without the
  //    x-amz-mfa header: 403 AccessDenied "Mfa Authentication must be used for this request"
  //    (observed: github.com/cloudposse/terraform-aws-codebuild/issues/76);
  //  - enabling it on a bucket that has a lifecycle configuration: 400 InvalidBucketState "Mfa
  //    Authentication is not supported on a bucket with lifecycle configuration. Delete
  //    lifecycle configuration before enabling Mfa Authentication." (same report).
  // Logbucket cannot verify an MFA code; the operation decides whether a present x-amz-mfa
  // header is accepted as is.
  std::optional<MfaDeleteStatus> mfa_delete;

  bool operator==(const VersioningConfiguration&) const = default;
};

// VersioningConfiguration with optional Status (Enabled|Suspended) and MfaDelete
// (Enabled|Disabled), each at most once; values may be surrounded by whitespace; an empty
// element counts as absent. Any other value, any other element, text in the root or a
// malformed document is MalformedXML (what S3 answers for an invalid Status).
std::expected<VersioningConfiguration, S3Error> ParseVersioningConfiguration(std::string_view body);

// GetBucketVersioning: Status when set, then MfaDelete when it was ever configured. The default
// (never versioned) is the empty <VersioningConfiguration xmlns="…"/> S3 returns.
std::string RenderVersioningConfiguration(const VersioningConfiguration& state = {});

// One <Version> or <DeleteMarker> of a listing.
struct VersionEntry {
  bool delete_marker = false;
  std::string key;
  std::string version_id;  // "null" for the null version
  bool is_latest = false;
  int64_t last_modified_ms = 0;
  std::optional<Owner> owner;  // nullopt -> no <Owner>
  // Version only (ignored for a delete marker):
  std::string etag;  // with or without surrounding quotes; rendered quoted
  uint64_t size = 0;
  std::string storage_class;                     // "" -> omitted
  std::vector<std::string> checksum_algorithms;  // one ChecksumAlgorithm each
  std::string checksum_type;                     // "" -> omitted
};

struct ListVersionsResult {
  std::string bucket, prefix, key_marker, version_id_marker, delimiter, encoding_type;
  std::string next_key_marker, next_version_id_marker;  // rendered only when truncated
  int max_keys = 1000;
  bool is_truncated = false;
  std::vector<VersionEntry> entries;  // versions and delete markers, in list order
  std::vector<std::string> common_prefixes;
};

// ListVersionsResult: Name, Prefix, KeyMarker, VersionIdMarker, [NextKeyMarker],
// [NextVersionIdMarker], MaxKeys, [Delimiter], [EncodingType], IsTruncated, then the entries in
// the given order, then CommonPrefixes*.
//   Version: Key, VersionId, IsLatest, LastModified, ETag, ChecksumAlgorithm*, [ChecksumType],
//            Size, [StorageClass], [Owner].
//   DeleteMarker: Key, VersionId, IsLatest, LastModified, [Owner].
// NextKeyMarker is rendered when truncated; NextVersionIdMarker when truncated and non-empty
// (it is empty when the listing stopped at a common prefix). Delimiter and EncodingType when
// non-empty. With encoding_type "url", keys, Prefix, Delimiter, KeyMarker, NextKeyMarker and
// common prefixes go through UrlEncodeListingValue (as ListObjects does); version ids never do.
std::string RenderListVersionsResult(const ListVersionsResult& result);

}  // namespace logbucket::s3::xml
