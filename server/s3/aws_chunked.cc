#include "server/s3/aws_chunked.h"

#include <algorithm>

#include "server/s3/headers.h"

namespace logbucket::s3 {
namespace {

constexpr std::string_view kChunkSignatureExtension = "chunk-signature";
constexpr std::string_view kTrailerSignatureName = "x-amz-trailer-signature";
constexpr std::string_view kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsLowerHex64(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Shown in error messages: the start of an offending line, printable.
std::string Quote(std::string_view line) {
  std::string out;
  for (char c : line.substr(0, 80)) {
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  return "'" + out + (line.size() > 80 ? "...'" : "'");
}

}  // namespace

AwsChunkedDecoder::AwsChunkedDecoder(std::optional<Signing> signing, bool expect_trailer,
                                     PayloadSink sink)
    : signing_(std::move(signing)), expect_trailer_(expect_trailer), sink_(std::move(sink)) {
  if (signing_) previous_signature_ = signing_->seed_signature;
}

std::expected<void, ChunkedError> AwsChunkedDecoder::Fail(ChunkedError::Kind kind,
                                                          std::string message) {
  state_ = State::kFailed;
  failure_ = ChunkedError{kind, std::move(message)};
  return std::unexpected(failure_);
}

std::expected<void, ChunkedError> AwsChunkedDecoder::Feed(std::string_view bytes) {
  if (state_ == State::kFailed) return std::unexpected(failure_);
  auto result = FeedBytes(bytes);
  if (!result && state_ != State::kFailed) {
    // An error from the sink: remember it like our own.
    state_ = State::kFailed;
    failure_ = result.error();
  }
  return result;
}

std::expected<void, ChunkedError> AwsChunkedDecoder::FeedBytes(std::string_view bytes) {
  while (!bytes.empty()) {
    switch (state_) {
      case State::kChunkHeader:
      case State::kTrailer: {
        size_t lf = bytes.find('\n');
        size_t take = lf == std::string_view::npos ? bytes.size() : lf;
        if (line_.size() + take > kMaxLineLength) {
          return Fail(ChunkedError::Kind::kMalformed, state_ == State::kTrailer
                                                          ? "trailer line longer than 4096 bytes"
                                                          : "chunk header longer than 4096 bytes");
        }
        line_.append(bytes.substr(0, take));
        if (lf == std::string_view::npos) return {};
        bytes.remove_prefix(lf + 1);
        std::string line = std::move(line_);
        line_.clear();
        bool had_cr = !line.empty() && line.back() == '\r';
        if (had_cr) line.pop_back();
        if (state_ == State::kChunkHeader) {
          if (!had_cr) {
            return Fail(ChunkedError::Kind::kMalformed,
                        "chunk header " + Quote(line) + " not terminated by CRLF");
          }
          if (auto r = OnChunkHeader(line); !r) return r;
        } else {
          if (auto r = OnTrailerLine(line); !r) return r;
        }
        break;
      }
      case State::kData: {
        size_t take = static_cast<size_t>(
            std::min<uint64_t>(chunk_remaining_, static_cast<uint64_t>(bytes.size())));
        if (auto r = OnChunkData(bytes.substr(0, take)); !r) return r;
        bytes.remove_prefix(take);
        break;
      }
      case State::kDataCr:
      case State::kFinalCr:
        if (bytes.front() != '\r') {
          return Fail(ChunkedError::Kind::kMalformed, state_ == State::kDataCr
                                                          ? "chunk data not followed by CRLF"
                                                          : "final chunk not followed by CRLF");
        }
        state_ = state_ == State::kDataCr ? State::kDataLf : State::kFinalLf;
        bytes.remove_prefix(1);
        break;
      case State::kDataLf:
      case State::kFinalLf:
        if (bytes.front() != '\n') {
          return Fail(ChunkedError::Kind::kMalformed, state_ == State::kDataLf
                                                          ? "chunk data not followed by CRLF"
                                                          : "final chunk not followed by CRLF");
        }
        state_ = state_ == State::kDataLf ? State::kChunkHeader : State::kDone;
        bytes.remove_prefix(1);
        break;
      case State::kDone: {
        bool only_line_ends = bytes.find_first_not_of("\r\n") == std::string_view::npos;
        if (after_end_crlf_tolerated_ && only_line_ends) return {};
        return Fail(ChunkedError::Kind::kMalformed, "data after the end of the aws-chunked body");
      }
      case State::kFailed:
        return std::unexpected(failure_);
    }
  }
  return {};
}

std::expected<void, ChunkedError> AwsChunkedDecoder::OnChunkHeader(std::string_view line) {
  size_t semicolon = line.find(';');
  std::string_view size_text = line.substr(0, semicolon);
  if (size_text.empty()) {
    return Fail(ChunkedError::Kind::kMalformed, "chunk header " + Quote(line) + " has no size");
  }
  uint64_t size = 0;
  for (char c : size_text) {
    int digit = HexValue(c);
    if (digit < 0) {
      return Fail(ChunkedError::Kind::kMalformed,
                  "chunk size " + Quote(size_text) + " is not hexadecimal");
    }
    if (size > (UINT64_MAX >> 4)) {
      return Fail(ChunkedError::Kind::kMalformed,
                  "chunk size " + Quote(size_text) + " overflows 64 bits");
    }
    size = (size << 4) | static_cast<uint64_t>(digit);
  }

  std::optional<std::string_view> signature;
  std::string_view extensions =
      semicolon == std::string_view::npos ? std::string_view() : line.substr(semicolon + 1);
  while (semicolon != std::string_view::npos) {
    semicolon = extensions.find(';');
    std::string_view extension = extensions.substr(0, semicolon);
    extensions =
        semicolon == std::string_view::npos ? std::string_view() : extensions.substr(semicolon + 1);
    size_t eq = extension.find('=');
    if (extension.substr(0, eq) != kChunkSignatureExtension) continue;
    if (signature) {
      return Fail(ChunkedError::Kind::kMalformed, "chunk header has two chunk-signature values");
    }
    signature = eq == std::string_view::npos ? std::string_view() : extension.substr(eq + 1);
  }
  if (signing_) {
    if (!signature) {
      return Fail(ChunkedError::Kind::kMalformed,
                  "chunk header " + Quote(line) + " lacks the chunk-signature of a signed stream");
    }
    if (!IsLowerHex64(*signature)) {
      return Fail(ChunkedError::Kind::kMalformed,
                  "chunk-signature must be 64 lower-case hexadecimal characters");
    }
    chunk_signature_ = std::string(*signature);
  }

  if (size > UINT64_MAX - decoded_bytes_) {
    return Fail(ChunkedError::Kind::kMalformed, "decoded length overflows 64 bits");
  }
  if (expected_length_ && decoded_bytes_ + size > *expected_length_) {
    return Fail(ChunkedError::Kind::kTooLarge,
                "decoded payload exceeds the declared x-amz-decoded-content-length of " +
                    std::to_string(*expected_length_));
  }
  if (size > 0) {
    chunk_remaining_ = size;
    if (signing_) chunk_hasher_ = Hasher::Create(HashKind::kSha256);
    state_ = State::kData;
    return {};
  }

  // The final, empty chunk: signed like the others, over zero bytes.
  if (signing_) {
    std::string expected =
        sigv4::ChunkSignatureFromHash(signing_->signing_key, signing_->amz_date,
                                      signing_->credential, previous_signature_, kEmptySha256);
    if (!sigv4::SignaturesEqual(expected, chunk_signature_)) {
      return Fail(ChunkedError::Kind::kSignatureMismatch,
                  "the signature of the final chunk does not match");
    }
    previous_signature_ = chunk_signature_;
  }
  if (expected_length_ && decoded_bytes_ != *expected_length_) {
    return Fail(ChunkedError::Kind::kMalformed,
                "decoded payload of " + std::to_string(decoded_bytes_) +
                    " bytes is shorter than the declared x-amz-decoded-content-length of " +
                    std::to_string(*expected_length_));
  }
  state_ = expect_trailer_ ? State::kTrailer : State::kFinalCr;
  return {};
}

std::expected<void, ChunkedError> AwsChunkedDecoder::OnChunkData(std::string_view data) {
  if (chunk_hasher_) chunk_hasher_->Update(data);
  chunk_remaining_ -= data.size();
  decoded_bytes_ += data.size();
  if (auto r = sink_(data); !r) return r;
  if (chunk_remaining_ == 0) return OnChunkEnd();
  return {};
}

std::expected<void, ChunkedError> AwsChunkedDecoder::OnChunkEnd() {
  if (signing_) {
    std::string expected = sigv4::ChunkSignatureFromHash(signing_->signing_key, signing_->amz_date,
                                                         signing_->credential, previous_signature_,
                                                         HexEncode(chunk_hasher_->Digest()));
    chunk_hasher_.reset();
    if (!sigv4::SignaturesEqual(expected, chunk_signature_)) {
      return Fail(ChunkedError::Kind::kSignatureMismatch,
                  "the signature of the chunk ending at decoded byte " +
                      std::to_string(decoded_bytes_) + " does not match");
    }
    previous_signature_ = chunk_signature_;
  }
  state_ = State::kDataCr;
  return {};
}

std::expected<void, ChunkedError> AwsChunkedDecoder::OnTrailerLine(std::string_view line) {
  if (line.empty()) {
    if (signing_ && !trailer_signature_seen_) {
      // "0;chunk-signature=...\r\n\r\n" before the trailer lines: some clients send the blank
      // line of the trailer-less layout first. A signed trailer cannot end before its signature.
      if (trailers_.empty()) return {};
      return Fail(ChunkedError::Kind::kMalformed, "the trailer lacks x-amz-trailer-signature");
    }
    state_ = State::kDone;
    after_end_crlf_tolerated_ = true;
    return {};
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return Fail(ChunkedError::Kind::kMalformed,
                "trailer line " + Quote(line) + " is not of the form name:value");
  }
  std::string name = ToLower(line.substr(0, colon));
  if (name.find_first_of(" \t") != std::string::npos) {
    return Fail(ChunkedError::Kind::kMalformed,
                "trailer name " + Quote(name) + " contains whitespace");
  }
  std::string_view value = TrimSpaces(line.substr(colon + 1));

  if (name == kTrailerSignatureName) {
    if (!signing_) return {};  // unsigned stream: signatures are not checked
    if (trailer_signature_seen_) {
      return Fail(ChunkedError::Kind::kMalformed, "x-amz-trailer-signature appears twice");
    }
    if (!IsLowerHex64(value)) {
      return Fail(ChunkedError::Kind::kMalformed,
                  "x-amz-trailer-signature must be 64 lower-case hexadecimal characters");
    }
    std::string expected =
        sigv4::TrailerSignature(signing_->signing_key, signing_->amz_date, signing_->credential,
                                previous_signature_, trailer_block_);
    if (!sigv4::SignaturesEqual(expected, value)) {
      return Fail(ChunkedError::Kind::kSignatureMismatch, "the trailer signature does not match");
    }
    trailer_signature_seen_ = true;
    return {};
  }
  if (trailer_signature_seen_) {
    return Fail(ChunkedError::Kind::kMalformed,
                "trailer field " + Quote(name) + " after x-amz-trailer-signature");
  }
  if (trailers_.size() >= kMaxTrailerFields) {
    return Fail(ChunkedError::Kind::kMalformed, "too many trailer fields");
  }
  trailer_block_.append(name).append(":").append(value).append("\n");
  trailers_.emplace_back(std::move(name), std::string(value));
  return {};
}

std::expected<void, ChunkedError> AwsChunkedDecoder::Finish() {
  switch (state_) {
    case State::kDone:
      return {};
    case State::kFailed:
      return std::unexpected(failure_);
    case State::kChunkHeader:
      return Fail(ChunkedError::Kind::kMalformed,
                  decoded_bytes_ == 0 && line_.empty()
                      ? "the aws-chunked body is empty"
                      : "the aws-chunked body ended before its final zero-size chunk");
    case State::kData:
      return Fail(ChunkedError::Kind::kMalformed, "the aws-chunked body ended " +
                                                      std::to_string(chunk_remaining_) +
                                                      " bytes before the end of a chunk");
    case State::kDataCr:
    case State::kDataLf:
      return Fail(ChunkedError::Kind::kMalformed,
                  "the aws-chunked body ended before the CRLF after a chunk");
    case State::kFinalCr:
    case State::kFinalLf:
      return Fail(ChunkedError::Kind::kMalformed,
                  "the aws-chunked body ended before the CRLF after the final chunk");
    case State::kTrailer:
      return Fail(ChunkedError::Kind::kMalformed, "the aws-chunked body ended inside its trailer");
  }
  return {};
}

}  // namespace logbucket::s3
