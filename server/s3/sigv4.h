// AWS Signature Version 4 for S3: parsing the Authorization header and presigned query,
// canonical request, string to sign, signing key, chunk and trailer signatures.
// Pure functions: no clock, no credentials store (the caller passes the secret and the time).
// Thread-safety: pure functions.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/s3/headers.h"

namespace logbucket::s3::sigv4 {

// Credential scope and signature of one signed request, from either form.
struct Credential {
  std::string access_key;
  std::string date;  // yyyymmdd
  std::string region;
  std::string service;        // "s3"
  std::string terminator;     // "aws4_request"
  std::string scope() const;  // date/region/service/aws4_request
};

struct ParsedAuthorization {
  Credential credential;
  std::vector<std::string> signed_headers;  // lower case, as listed
  std::string signature;                    // 64 lower-case hex
};

struct ParsedPresign {
  Credential credential;
  std::vector<std::string> signed_headers;
  std::string signature;
  std::string amz_date;     // X-Amz-Date, yyyymmddThhmmssZ
  int64_t expires_seconds;  // X-Amz-Expires, 1..604800
};

// What went wrong while parsing; callers map to AuthorizationHeaderMalformed /
// AuthorizationQueryParametersError with `message`.
struct ParseError {
  std::string message;
};

// "AK/20130524/us-east-1/s3/aws4_request": five '/'-separated parts, a yyyymmdd date, service
// "s3" and terminator "aws4_request".
std::expected<Credential, ParseError> ParseCredential(std::string_view value);

// "AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request,
//  SignedHeaders=host;range;x-amz-date, Signature=fe5f..."
// Components in any order, with or without spaces after the commas; each exactly once.
std::expected<ParsedAuthorization, ParseError> ParseAuthorizationHeader(std::string_view value);

// Query parameters already percent-decoded, as (name, value) pairs in request order.
using QueryParams = std::vector<std::pair<std::string, std::string>>;
std::expected<ParsedPresign, ParseError> ParsePresignedQuery(const QueryParams& query);

// Percent-decodes a URI component ('+' is NOT a space). nullopt on invalid escapes.
std::optional<std::string> UriDecode(std::string_view s);
// SigV4 URI encoding: every byte except A-Z a-z 0-9 - . _ ~ as %XX (upper-case hex); '/' kept
// when keep_slash.
std::string UriEncode(std::string_view s, bool keep_slash);
// Splits a raw query string "a=1&b&c=%20" into decoded pairs. nullopt on invalid escapes.
std::optional<QueryParams> ParseQueryString(std::string_view raw_query);

struct CanonicalRequestInput {
  std::string_view method;
  std::string_view raw_path;   // as received, still percent-encoded: "/b/k%20x"
  std::string_view raw_query;  // as received, without '?'
  const Headers* headers;
  const std::vector<std::string>* signed_headers;
  std::string_view payload_hash;  // x-amz-content-sha256 value, or "UNSIGNED-PAYLOAD"
  bool presigned = false;         // exclude X-Amz-Signature from the canonical query
};
// The canonical request, S3 flavour: the path is decoded then re-encoded once (no
// normalisation of "." or "//"), the query sorted by encoded name then value, header values
// trimmed with inner runs of spaces folded. nullopt when the path has invalid escapes.
std::optional<std::string> CanonicalRequest(const CanonicalRequestInput& input);

std::string StringToSign(std::string_view amz_date, const Credential& credential,
                         std::string_view canonical_request);
// HMAC chain: kDate, kRegion, kService, kSigning.
std::string SigningKey(std::string_view secret_key, const Credential& credential);
// Hex HMAC-SHA256 of string_to_sign with the signing key.
std::string Signature(std::string_view signing_key, std::string_view string_to_sign);

// Signature of one aws-chunked chunk ("AWS4-HMAC-SHA256-PAYLOAD"), chained from the previous
// signature (the seed signature for the first chunk).
std::string ChunkSignature(std::string_view signing_key, std::string_view amz_date,
                           const Credential& credential, std::string_view previous_signature,
                           std::string_view chunk_data);
// The same, from the hex SHA-256 of the chunk data, for callers that hash the chunk as it streams.
std::string ChunkSignatureFromHash(std::string_view signing_key, std::string_view amz_date,
                                   const Credential& credential,
                                   std::string_view previous_signature,
                                   std::string_view chunk_sha256_hex);
// Signature of the trailer block ("AWS4-HMAC-SHA256-TRAILER"); `trailer_block` is the trailing
// header lines exactly as canonicalised: "x-amz-checksum-crc32:AAAAAA==\n".
std::string TrailerSignature(std::string_view signing_key, std::string_view amz_date,
                             const Credential& credential, std::string_view previous_signature,
                             std::string_view trailer_block);

// Constant-time comparison of two signatures.
bool SignaturesEqual(std::string_view a, std::string_view b);

// "20130524T000000Z" <-> time point. nullopt when malformed.
std::optional<std::chrono::system_clock::time_point> ParseAmzDate(std::string_view s);
std::string FormatAmzDate(std::chrono::system_clock::time_point t);

}  // namespace logbucket::s3::sigv4
