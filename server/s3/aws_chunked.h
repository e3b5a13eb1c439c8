// AwsChunkedDecoder: incremental decoder of the aws-chunked content encoding used by S3
// streaming uploads:
//   STREAMING-AWS4-HMAC-SHA256-PAYLOAD          chunks with chained chunk signatures
//   STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER  the same plus a signed trailer
//   STREAMING-UNSIGNED-PAYLOAD-TRAILER          unsigned chunks plus a trailer
// Input may arrive split at any byte boundary. Payload bytes are handed to the sink as they are
// decoded; trailers (e.g. x-amz-checksum-crc32) are collected for the caller to verify.
// A chunk's bytes reach the sink before its signature can be checked (the signature covers the
// whole chunk, which is not buffered), so the caller must discard what the sink received when
// Feed or Finish fails. After a failure every later call fails too.
// Wire format: "<hex size>[;chunk-signature=<64 hex>]\r\n<data>\r\n" ..., the final chunk
// "0[;chunk-signature=...]\r\n", then "\r\n" without a trailer, or trailer lines "name:value\r\n"
// (signed: then "x-amz-trailer-signature:<64 hex>\r\n") and a final "\r\n". Trailer lines may
// end in a bare LF, and CR/LF after the end of a trailer are tolerated (clients differ there).
// Thread-safety: single-owner.
#pragma once

#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/s3/checksum.h"
#include "server/s3/sigv4.h"

namespace logbucket::s3 {

struct ChunkedError {
  enum class Kind {
    kMalformed,          // bad framing: sizes, CRLF, lengths, trailer syntax ->
                         // IncompleteBody/InvalidRequest
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

  // The x-amz-decoded-content-length the request declared: Feed fails with kTooLarge past it,
  // Finish fails (kMalformed) short of it. Call before the first Feed.
  void ExpectDecodedLength(uint64_t length) { expected_length_ = length; }

  // Feeds the next encoded bytes.
  std::expected<void, ChunkedError> Feed(std::string_view bytes);
  // The encoded stream ended: fails unless the final 0-size chunk (and trailer) was complete.
  std::expected<void, ChunkedError> Finish();

  // Trailer fields received (lower-case names), excluding x-amz-trailer-signature.
  const std::vector<std::pair<std::string, std::string>>& trailers() const { return trailers_; }
  uint64_t decoded_bytes() const { return decoded_bytes_; }

 private:
  enum class State {
    kChunkHeader,  // reading "<hex size>[;ext...]\r\n"
    kData,         // chunk_remaining_ data bytes to go
    kDataCr,       // the "\r\n" after a chunk's data
    kDataLf,
    kFinalCr,  // the "\r\n" ending a stream without trailer
    kFinalLf,
    kTrailer,  // trailer lines up to the empty line
    kDone,
    kFailed,
  };
  // Longest chunk-header or trailer line accepted, so that a hostile stream cannot make the
  // decoder buffer without bound.
  static constexpr size_t kMaxLineLength = 4096;
  static constexpr size_t kMaxTrailerFields = 32;

  std::expected<void, ChunkedError> FeedBytes(std::string_view bytes);
  std::expected<void, ChunkedError> OnChunkHeader(std::string_view line);
  std::expected<void, ChunkedError> OnChunkData(std::string_view data);
  std::expected<void, ChunkedError> OnChunkEnd();
  std::expected<void, ChunkedError> OnTrailerLine(std::string_view line);
  std::expected<void, ChunkedError> Fail(ChunkedError::Kind kind, std::string message);

  std::optional<Signing> signing_;
  bool expect_trailer_;
  PayloadSink sink_;
  std::vector<std::pair<std::string, std::string>> trailers_;
  uint64_t decoded_bytes_ = 0;
  std::optional<uint64_t> expected_length_;

  State state_ = State::kChunkHeader;
  std::string line_;  // the chunk-header or trailer line being accumulated
  uint64_t chunk_remaining_ = 0;
  std::string chunk_signature_;           // as announced by the current chunk's header
  std::string previous_signature_;        // seed, then each verified chunk signature
  std::unique_ptr<Hasher> chunk_hasher_;  // SHA-256 of the current chunk, signed streams only
  std::string trailer_block_;             // canonical "name:value\n" lines, what the trailer signs
  bool trailer_signature_seen_ = false;
  bool after_end_crlf_tolerated_ = false;
  ChunkedError failure_{ChunkedError::Kind::kMalformed, ""};
};

}  // namespace logbucket::s3
