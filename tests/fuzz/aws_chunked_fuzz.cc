// Fuzzes the aws-chunked decoder in its three variants (signed, signed with trailer, unsigned
// with trailer) and without signing or trailer. Two halves, chosen by the first byte:
//  - raw: arbitrary bytes, split at arbitrary boundaries. Invariant: feeding them in one piece
//    or in many gives the same verdict, the same payload and the same trailers.
//  - encoded: a payload, chunk sizes and trailers from the input, encoded (and signed) exactly
//    as a client does, then optionally corrupted at one byte. Invariant: the uncorrupted stream
//    decodes to the payload and trailers whatever the split points; a corrupted signed stream
//    never decodes successfully into other payload bytes.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "server/s3/aws_chunked.h"
#include "server/s3/checksum.h"
#include "server/s3/sigv4.h"

namespace {

using logbucket::s3::AwsChunkedDecoder;
using logbucket::s3::ChunkedError;
namespace sigv4 = logbucket::s3::sigv4;

enum class Variant { kSigned, kSignedTrailer, kUnsignedTrailer, kPlain };

struct Result {
  bool ok = false;
  std::string payload;
  std::vector<std::pair<std::string, std::string>> trailers;
};

AwsChunkedDecoder::Signing TestSigning() {
  AwsChunkedDecoder::Signing s;
  s.credential = {"test", "20240101", "us-east-1", "s3", "aws4_request"};
  s.amz_date = "20240101T000000Z";
  s.signing_key = sigv4::SigningKey("test", s.credential);
  s.seed_signature = std::string(64, 'a');
  return s;
}

Result Decode(Variant variant, std::string_view stream, const std::vector<size_t>& pieces,
              std::optional<uint64_t> declared) {
  Result r;
  std::optional<AwsChunkedDecoder::Signing> signing;
  if (variant == Variant::kSigned || variant == Variant::kSignedTrailer) signing = TestSigning();
  bool trailer = variant == Variant::kSignedTrailer || variant == Variant::kUnsignedTrailer;
  AwsChunkedDecoder decoder(std::move(signing), trailer,
                            [&r](std::string_view bytes) -> std::expected<void, ChunkedError> {
                              r.payload.append(bytes);
                              return {};
                            });
  if (declared) decoder.ExpectDecodedLength(*declared);
  size_t offset = 0;
  for (size_t i = 0; offset < stream.size(); ++i) {
    size_t n = i < pieces.size() ? pieces[i] : stream.size() - offset;
    n = std::min(std::max<size_t>(n, 1), stream.size() - offset);
    if (!decoder.Feed(stream.substr(offset, n))) return r;
    offset += n;
  }
  if (!decoder.Finish()) return r;
  if (decoder.decoded_bytes() != r.payload.size()) std::abort();
  r.ok = true;
  r.trailers = decoder.trailers();
  return r;
}

std::string Hex(uint64_t n) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  do {
    out.insert(out.begin(), kDigits[n % 16]);
    n /= 16;
  } while (n);
  return out;
}

// Encodes `payload` as a client would, in chunks of the given sizes (then one last chunk with
// the rest), followed by the final chunk and the trailers.
std::string Encode(Variant variant, std::string_view payload, const std::vector<size_t>& sizes,
                   const std::vector<std::pair<std::string, std::string>>& trailers) {
  bool is_signed = variant == Variant::kSigned || variant == Variant::kSignedTrailer;
  bool trailer = variant == Variant::kSignedTrailer || variant == Variant::kUnsignedTrailer;
  AwsChunkedDecoder::Signing s = TestSigning();
  std::string previous = s.seed_signature;
  std::string out;
  auto chunk = [&](std::string_view data) {
    out += Hex(data.size());
    if (is_signed) {
      previous = sigv4::ChunkSignature(s.signing_key, s.amz_date, s.credential, previous, data);
      out += ";chunk-signature=" + previous;
    }
    out += "\r\n";
    out.append(data);
    if (!data.empty()) out += "\r\n";
  };
  size_t offset = 0;
  for (size_t size : sizes) {
    if (offset >= payload.size()) break;
    size = std::min(std::max<size_t>(size, 1), payload.size() - offset);
    chunk(payload.substr(offset, size));
    offset += size;
  }
  if (offset < payload.size()) chunk(payload.substr(offset));
  chunk("");
  if (!trailer) return out + "\r\n";
  std::string block;
  for (const auto& [name, value] : trailers) {
    out += name + ":" + value + "\r\n";
    block += name + ":" + value + "\n";
  }
  if (is_signed) {
    out += "x-amz-trailer-signature:" +
           sigv4::TrailerSignature(s.signing_key, s.amz_date, s.credential, previous, block) +
           "\r\n";
  }
  return out + "\r\n";
}

std::vector<size_t> Pieces(FuzzedDataProvider& p, size_t max_size) {
  std::vector<size_t> out(p.ConsumeIntegralInRange<size_t>(0, 12));
  for (auto& n : out) n = p.ConsumeIntegralInRange<size_t>(1, max_size);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider p(data, size);
  auto variant = static_cast<Variant>(p.ConsumeIntegralInRange<int>(0, 3));
  bool encoded = p.ConsumeBool();
  std::vector<size_t> pieces = Pieces(p, 80);
  if (!encoded) {
    std::optional<uint64_t> declared;
    if (p.ConsumeBool()) declared = p.ConsumeIntegralInRange<uint64_t>(0, 4096);
    std::string stream = p.ConsumeRemainingBytesAsString();
    Result whole = Decode(variant, stream, {}, declared);
    Result split = Decode(variant, stream, pieces, declared);
    if (whole.ok != split.ok) std::abort();
    if (whole.ok && (whole.payload != split.payload || whole.trailers != split.trailers)) {
      std::abort();
    }
    return 0;
  }

  std::vector<size_t> chunk_sizes = Pieces(p, 300);
  std::vector<std::pair<std::string, std::string>> trailers;
  bool has_trailer = variant == Variant::kSignedTrailer || variant == Variant::kUnsignedTrailer;
  if (has_trailer) {
    std::string value = logbucket::s3::Base64Encode(p.ConsumeBytesAsString(4));
    trailers.emplace_back("x-amz-checksum-crc32", value);
  }
  bool corrupt = p.ConsumeBool();
  size_t corrupt_at = p.ConsumeIntegral<size_t>();
  char corrupt_byte = p.ConsumeIntegral<char>();
  std::string payload = p.ConsumeRemainingBytesAsString();
  std::string stream = Encode(variant, payload, chunk_sizes, trailers);
  if (corrupt && !stream.empty()) {
    corrupt_at %= stream.size();
    if (stream[corrupt_at] == corrupt_byte) corrupt = false;
    stream[corrupt_at] = corrupt_byte;
  }
  Result r = Decode(variant, stream, pieces, payload.size());
  if (!corrupt) {
    if (!r.ok || r.payload != payload || r.trailers != trailers) std::abort();
  } else if (r.ok && (variant == Variant::kSigned || variant == Variant::kSignedTrailer)) {
    // A signed stream with one byte changed may still decode (a changed hex digit of a size's
    // leading zero, a tolerated CR/LF...), but never into other payload bytes.
    if (r.payload != payload) std::abort();
  }
  return 0;
}
