// BodyReceiver: takes a request body as it arrives (raw, possibly aws-chunked), removes the
// aws-chunked framing (verifying chunk and trailer signatures), computes MD5 and the requested
// checksum while the bytes pass, and writes them to a temporary data file (streamed operations)
// or a bounded buffer (XML documents). Finish() verifies every integrity claim the request made
// (x-amz-content-sha256, Content-MD5, x-amz-checksum-* header or trailer, decoded length) before
// anything is committed; on any failure the temporary file is discarded.
// Thread-safety: single-owner.
#pragma once

#include <expected>
#include <memory>
#include <optional>
#include <string>

#include "server/s3/aws_chunked.h"
#include "server/s3/checksum.h"
#include "server/s3/operation.h"

namespace logbucket::s3 {

class BodyReceiver {
 public:
  // Validates the integrity headers before any body byte is read. `file` present: bytes go to
  // it; absent: bytes are buffered (at most max_bytes).
  static std::expected<std::unique_ptr<BodyReceiver>, S3Error> Create(
      const RequestHead& head, const AuthResult& auth, std::optional<storage::PendingWrite> file,
      uint64_t max_bytes);

  std::expected<void, S3Error> Write(std::string_view raw);
  std::expected<UploadedBody, S3Error> Finish();

 private:
  BodyReceiver() = default;
  std::expected<void, S3Error> OnPayload(std::string_view bytes);

  UploadedBody body_;
  uint64_t max_bytes_ = 0;
  std::unique_ptr<AwsChunkedDecoder> decoder_;
  std::optional<S3Error> payload_error_;  // an error raised inside the decoder's sink
  std::unique_ptr<Hasher> md5_;
  std::unique_ptr<Hasher> sha256_;  // for a signed payload hash
  std::string expected_sha256_;
  std::optional<ChecksumAlgorithm> algorithm_;  // checksum computed and stored
  std::unique_ptr<Hasher> checksum_;
  std::optional<std::string> expected_checksum_;  // from the header (base64)
  bool checksum_from_trailer_ = false;
  std::optional<std::string> expected_md5_;  // raw 16 bytes
  std::optional<uint64_t> decoded_length_;   // x-amz-decoded-content-length
};

}  // namespace logbucket::s3
