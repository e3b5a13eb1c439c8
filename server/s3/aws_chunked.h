// AwsChunkedDecoder: incremental decoder of the aws-chunked content encoding used by S3
// streaming uploads:
//   STREAMING-AWS4-HMAC-SHA256-PAYLOAD          chunks with chained chunk signatures
//   STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER  the same plus a signed trailer
//   STREAMING-UNSIGNED-PAYLOAD-TRAILER          unsigned chunks plus a trailer
// Input may arrive split at any byte boundary. Payload bytes are handed to the sink as they are
// decoded; trailers (e.g. x-amz-checksum-crc32) are collected for the caller to verify.
// Thread-safety: single-owner.
#pragma once

#include <cstdint>
#include <expected>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/s3/sigv4.h"

namespace logbucket::s3 {

struct ChunkedError {
  enum class Kind {
    kMalformed,          // bad framing: sizes, CRLF, lengths, trailer syntax -> IncompleteBody/InvalidRequest
    kSignatureMismatch,  // a chunk or trailer signature is wrong -> SignatureDoesNotMatch
    kTooLarge,           // decoded payload beyond the declared x-amz-decoded-content-length
  };
  Kind kind;
  std::string message;
};

class AwsChunkedDecoder {
 public:
  struct Signing {
    std::string signing_key;  // sigv4::SigningKey
    std::string amz_date;
    sigv4::Credential credential;
    std::string seed_signature;  // the request's Authorization signature
  };
  using PayloadSink = std::function<std::expected<void, ChunkedError>(std::string_view)>;

  // `signing` present: every chunk (and the trailer, if `expect_trailer`) must carry a valid
  // signature. Absent: unsigned chunks (chunk-signature extensions, if any, are not checked).
  AwsChunkedDecoder(std::optional<Signing> signing, bool expect_trailer, PayloadSink sink);

  // Feeds the next encoded bytes.
  std::expected<void, ChunkedError> Feed(std::string_view bytes);
  // The encoded stream ended: fails unless the final 0-size chunk (and trailer) was complete.
  std::expected<void, ChunkedError> Finish();

  // Trailer fields received (lower-case names), excluding x-amz-trailer-signature.
  const std::vector<std::pair<std::string, std::string>>& trailers() const { return trailers_; }
  uint64_t decoded_bytes() const { return decoded_bytes_; }

 private:
  enum class State;
  std::optional<Signing> signing_;
  bool expect_trailer_;
  PayloadSink sink_;
  std::vector<std::pair<std::string, std::string>> trailers_;
  uint64_t decoded_bytes_ = 0;
  // Decoder state (implementation-defined).
  int state_ = 0;
  std::string line_;
  uint64_t chunk_remaining_ = 0;
  std::string chunk_signature_;
  std::string previous_signature_;
  std::string chunk_data_;  // buffered chunk bytes while a signed chunk is being verified
  std::string trailer_block_;
  bool done_ = false;
};

}  // namespace logbucket::s3
