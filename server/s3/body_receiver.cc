#include "server/s3/body_receiver.h"

#include <charconv>

namespace logbucket::s3 {
namespace {

std::expected<void, S3Error> CheckChecksumValue(ChecksumAlgorithm algorithm,
                                                std::string_view value) {
  auto raw = Base64Decode(value);
  size_t want = 0;
  switch (algorithm) {
    case ChecksumAlgorithm::kCrc32:
    case ChecksumAlgorithm::kCrc32c: want = 4; break;
    case ChecksumAlgorithm::kCrc64Nvme: want = 8; break;
    case ChecksumAlgorithm::kSha1: want = 20; break;
    case ChecksumAlgorithm::kSha256: want = 32; break;
  }
  if (!raw || raw->size() != want) {
    return std::unexpected(S3Error(ErrorCode::kInvalidRequest,
                                   "Value for " + ChecksumHeaderName(algorithm) +
                                       " header is invalid."));
  }
  return {};
}

S3Error ToS3(const ChunkedError& e) {
  switch (e.kind) {
    case ChunkedError::Kind::kSignatureMismatch:
      return S3Error(ErrorCode::kSignatureDoesNotMatch, e.message.empty()
                                                            ? std::string(ErrorDefaultMessage(
                                                                  ErrorCode::kSignatureDoesNotMatch))
                                                            : e.message);
    case ChunkedError::Kind::kTooLarge:
      return S3Error(ErrorCode::kIncompleteBody, e.message);
    case ChunkedError::Kind::kMalformed:
      break;
  }
  return S3Error(ErrorCode::kIncompleteBody,
                 "The request body is not valid aws-chunked encoding: " + e.message);
}

}  // namespace

std::expected<std::unique_ptr<BodyReceiver>, S3Error> BodyReceiver::Create(
    const RequestHead& head, const AuthResult& auth, std::optional<storage::PendingWrite> file,
    uint64_t max_bytes) {
  std::unique_ptr<BodyReceiver> r(new BodyReceiver());
  r->max_bytes_ = max_bytes;
  r->body_.data = std::move(file);
  r->md5_ = Hasher::Create(HashKind::kMd5);

  if (auto md5 = head.headers.Get("content-md5")) {
    auto raw = Base64Decode(*md5);
    if (!raw || raw->size() != 16) return std::unexpected(S3Error(ErrorCode::kInvalidDigest));
    r->expected_md5_ = *raw;
  }

  // At most one x-amz-checksum-<algorithm> header, or a trailer naming one.
  for (ChecksumAlgorithm a : AllChecksumAlgorithms()) {
    if (auto v = head.headers.Get(ChecksumHeaderName(a))) {
      if (r->algorithm_) {
        return std::unexpected(S3Error(ErrorCode::kInvalidRequest,
                                       "Expecting a single x-amz-checksum- header. Multiple "
                                       "checksum Types are not allowed."));
      }
      if (auto ok = CheckChecksumValue(a, *v); !ok) return std::unexpected(ok.error());
      r->algorithm_ = a;
      r->expected_checksum_ = std::string(*v);
    }
  }
  bool streaming = auth.payload == PayloadMode::kStreamingSigned ||
                   auth.payload == PayloadMode::kStreamingSignedTrailer ||
                   auth.payload == PayloadMode::kStreamingUnsignedTrailer;
  bool trailer = auth.payload == PayloadMode::kStreamingSignedTrailer ||
                 auth.payload == PayloadMode::kStreamingUnsignedTrailer;
  if (auto t = head.headers.Get("x-amz-trailer")) {
    if (!trailer) {
      return std::unexpected(S3Error(ErrorCode::kInvalidRequest,
                                     "x-amz-trailer is only allowed with a *-TRAILER "
                                     "x-amz-content-sha256 value."));
    }
    std::string name = ToLower(*t);
    std::optional<ChecksumAlgorithm> algorithm;
    if (name.starts_with("x-amz-checksum-")) algorithm = ParseAlgorithmName(name.substr(15));
    if (!algorithm || r->algorithm_) {
      return std::unexpected(S3Error(ErrorCode::kInvalidRequest,
                                     "The value specified in the x-amz-trailer header is not "
                                     "supported"));
    }
    r->algorithm_ = algorithm;
    r->checksum_from_trailer_ = true;
  }
  if (!r->algorithm_) {
    if (auto sdk = head.headers.Get("x-amz-sdk-checksum-algorithm")) {
      r->algorithm_ = ParseAlgorithmName(*sdk);
      if (!r->algorithm_) {
        return std::unexpected(S3Error(ErrorCode::kInvalidRequest,
                                       "Checksum algorithm provided is unsupported. Please try "
                                       "again with any of the valid types: [CRC32, CRC32C, "
                                       "CRC64NVME, SHA1, SHA256]"));
      }
    }
  }
  // Like S3 since 2025: objects uploaded without a checksum get a CRC64NVME.
  if (!r->algorithm_) r->algorithm_ = ChecksumAlgorithm::kCrc64Nvme;
  r->checksum_ = Hasher::Create(HashKindOf(*r->algorithm_));

  if (auth.payload == PayloadMode::kSignedHash) {
    r->sha256_ = Hasher::Create(HashKind::kSha256);
    r->expected_sha256_ = auth.payload_sha256;
  }
  if (streaming) {
    auto decoded = head.headers.Get("x-amz-decoded-content-length");
    uint64_t n = 0;
    if (!decoded ||
        std::from_chars(decoded->data(), decoded->data() + decoded->size(), n).ec != std::errc{}) {
      return std::unexpected(S3Error(ErrorCode::kMissingContentLength,
                                     "You must provide the x-amz-decoded-content-length header "
                                     "with an aws-chunked body."));
    }
    if (n > max_bytes) return std::unexpected(S3Error(ErrorCode::kEntityTooLarge));
    r->decoded_length_ = n;
    std::optional<AwsChunkedDecoder::Signing> signing;
    if (auth.payload != PayloadMode::kStreamingUnsignedTrailer && !auth.signing_key.empty()) {
      signing = AwsChunkedDecoder::Signing{auth.signing_key, auth.amz_date, auth.credential,
                                           auth.seed_signature};
    }
    BodyReceiver* self = r.get();
    r->decoder_ = std::make_unique<AwsChunkedDecoder>(
        std::move(signing), trailer,
        [self](std::string_view bytes) -> std::expected<void, ChunkedError> {
          if (auto ok = self->OnPayload(bytes); !ok) {
            self->payload_error_ = ok.error();
            return std::unexpected(ChunkedError{ChunkedError::Kind::kTooLarge, ok.error().message});
          }
          return {};
        });
  }
  return r;
}

std::expected<void, S3Error> BodyReceiver::OnPayload(std::string_view bytes) {
  if (body_.size + bytes.size() > max_bytes_) {
    return std::unexpected(body_.data ? S3Error(ErrorCode::kEntityTooLarge)
                                      : S3Error(ErrorCode::kMaxMessageLengthExceeded));
  }
  if (decoded_length_ && body_.size + bytes.size() > *decoded_length_) {
    return std::unexpected(S3Error(ErrorCode::kIncompleteBody,
                                   "The aws-chunked body is longer than "
                                   "x-amz-decoded-content-length."));
  }
  body_.size += bytes.size();
  md5_->Update(bytes);
  checksum_->Update(bytes);
  if (sha256_) sha256_->Update(bytes);
  if (body_.data) {
    if (auto ok = body_.data->Append(bytes); !ok) return std::unexpected(FromStorage(ok.error()));
  } else {
    body_.buffer.append(bytes);
  }
  return {};
}

std::expected<void, S3Error> BodyReceiver::Write(std::string_view raw) {
  if (!decoder_) return OnPayload(raw);
  if (auto ok = decoder_->Feed(raw); !ok) {
    if (payload_error_) return std::unexpected(*payload_error_);
    return std::unexpected(ToS3(ok.error()));
  }
  return {};
}

std::expected<UploadedBody, S3Error> BodyReceiver::Finish() {
  if (decoder_) {
    if (auto ok = decoder_->Finish(); !ok) {
      if (payload_error_) return std::unexpected(*payload_error_);
      return std::unexpected(ToS3(ok.error()));
    }
    if (decoded_length_ && body_.size != *decoded_length_) {
      return std::unexpected(S3Error(ErrorCode::kIncompleteBody,
                                     "The decoded body length does not match "
                                     "x-amz-decoded-content-length."));
    }
    if (checksum_from_trailer_) {
      std::string want = ChecksumHeaderName(*algorithm_);
      for (const auto& [name, value] : decoder_->trailers()) {
        if (name == want) {
          if (auto ok = CheckChecksumValue(*algorithm_, value); !ok) {
            return std::unexpected(ok.error());
          }
          expected_checksum_ = value;
        }
      }
      if (!expected_checksum_) {
        return std::unexpected(S3Error(ErrorCode::kInvalidRequest,
                                       "The trailer " + want +
                                           " declared in x-amz-trailer was not sent."));
      }
    }
  }
  std::string md5 = md5_->Digest();
  body_.md5_hex = HexEncode(md5);
  if (sha256_) {
    std::string got = HexEncode(sha256_->Digest());
    if (got != expected_sha256_) {
      return std::unexpected(S3Error(ErrorCode::kXAmzContentSHA256Mismatch)
                                 .With("ClientComputedContentSHA256", expected_sha256_)
                                 .With("S3ComputedContentSHA256", got));
    }
  }
  if (expected_md5_ && *expected_md5_ != md5) {
    return std::unexpected(S3Error(ErrorCode::kBadDigest)
                               .With("ExpectedDigest", HexEncode(*expected_md5_))
                               .With("CalculatedDigest", body_.md5_hex));
  }
  std::string computed = Base64Encode(checksum_->Digest());
  if (expected_checksum_ && *expected_checksum_ != computed) {
    return std::unexpected(S3Error(ErrorCode::kBadDigest,
                                   "The " + std::string(AlgorithmName(*algorithm_)) +
                                       " you specified did not match the calculated checksum."));
  }
  body_.checksums[std::string(AlgorithmName(*algorithm_))] = computed;
  return std::move(body_);
}

}  // namespace logbucket::s3
