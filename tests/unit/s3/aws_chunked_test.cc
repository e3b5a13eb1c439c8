#include "server/s3/aws_chunked.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "server/s3/checksum.h"
#include "server/s3/sigv4.h"

namespace logbucket::s3 {
namespace {

using Trailers = std::vector<std::pair<std::string, std::string>>;

constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr std::string_view kAmzDate = "20130524T000000Z";

sigv4::Credential ExampleCredential() {
  return {"AKIAIOSFODNN7EXAMPLE", "20130524", "us-east-1", "s3", "aws4_request"};
}

AwsChunkedDecoder::Signing ExampleSigning(std::string seed) {
  return {sigv4::SigningKey(kSecret, ExampleCredential()), std::string(kAmzDate),
          ExampleCredential(), std::move(seed)};
}

// What a decode produced: the payload as the sink saw it, trailers, and the first error.
struct Outcome {
  std::string payload;
  Trailers trailers;
  std::optional<ChunkedError> error;
  bool failed_in_finish = false;
};

// Feeds `pieces` in order, then Finish (unless a Feed failed).
Outcome Decode(std::optional<AwsChunkedDecoder::Signing> signing, bool expect_trailer,
               const std::vector<std::string_view>& pieces,
               std::optional<uint64_t> declared_length = std::nullopt) {
  Outcome out;
  AwsChunkedDecoder decoder(std::move(signing), expect_trailer,
                            [&](std::string_view bytes) -> std::expected<void, ChunkedError> {
                              out.payload.append(bytes);
                              return {};
                            });
  if (declared_length) decoder.ExpectDecodedLength(*declared_length);
  for (std::string_view piece : pieces) {
    if (auto r = decoder.Feed(piece); !r) {
      out.error = r.error();
      return out;
    }
  }
  if (auto r = decoder.Finish(); !r) {
    out.error = r.error();
    out.failed_in_finish = true;
  }
  out.trailers = decoder.trailers();
  EXPECT_EQ(decoder.decoded_bytes(), out.payload.size());
  return out;
}

Outcome DecodeWhole(std::optional<AwsChunkedDecoder::Signing> signing, bool expect_trailer,
                    std::string_view body) {
  return Decode(std::move(signing), expect_trailer, {body});
}

// Test-side encoder. Signatures come from sigv4::ChunkSignature / TrailerSignature, which
// sigv4_test pins to AWS's published values.
std::string Encode(const std::vector<std::string>& chunks,
                   const std::optional<AwsChunkedDecoder::Signing>& signing,
                   const std::optional<Trailers>& trailers) {
  std::string out;
  std::string previous = signing ? signing->seed_signature : "";
  std::vector<std::string> all = chunks;
  all.push_back("");
  for (const std::string& data : all) {
    char size[32];
    std::snprintf(size, sizeof size, "%zx", data.size());
    out += size;
    if (signing) {
      previous = sigv4::ChunkSignature(signing->signing_key, signing->amz_date, signing->credential,
                                       previous, data);
      out += ";chunk-signature=" + previous;
    }
    out += "\r\n" + data;
    if (!data.empty()) out += "\r\n";
  }
  if (!trailers) return out + "\r\n";
  std::string block;
  for (const auto& [name, value] : *trailers) {
    out += name + ":" + value + "\r\n";
    block += name + ":" + value + "\n";
  }
  if (signing) {
    out += "x-amz-trailer-signature:" +
           sigv4::TrailerSignature(signing->signing_key, signing->amz_date, signing->credential,
                                   previous, block) +
           "\r\n";
  }
  return out + "\r\n";
}

std::string AwsExampleBody() {
  return "10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"
         "\r\n" +
         std::string(65536, 'a') +
         "\r\n400;chunk-signature="
         "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n" +
         std::string(1024, 'a') +
         "\r\n0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"
         "\r\n\r\n";
}

TEST(AwsChunkedTest, AwsMultiChunkExampleVerifies) {
  std::string body = AwsExampleBody();
  ASSERT_EQ(body.size(), 66824u);  // the example's Content-Length
  auto signing = ExampleSigning("4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9");
  Outcome whole = Decode(signing, false, {body}, 66560);
  EXPECT_FALSE(whole.error) << whole.error->message;
  EXPECT_EQ(whole.payload, std::string(66560, 'a'));

  std::vector<std::string_view> pieces;  // 1000-byte reads, as a socket would deliver them
  for (size_t at = 0; at < body.size(); at += 1000) {
    pieces.push_back(std::string_view(body).substr(at, 1000));
  }
  Outcome split = Decode(signing, false, pieces, 66560);
  EXPECT_FALSE(split.error);
  EXPECT_EQ(split.payload, whole.payload);

  // Another seed breaks the chain at the first chunk.
  Outcome wrong_seed = DecodeWhole(ExampleSigning(std::string(64, '0')), false, body);
  ASSERT_TRUE(wrong_seed.error);
  EXPECT_EQ(wrong_seed.error->kind, ChunkedError::Kind::kSignatureMismatch);
}

TEST(AwsChunkedTest, AwsSignedTrailerExampleVerifies) {
  std::string body = AwsExampleBody();
  body.replace(body.find("ad80c730"), 64,
               "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2");
  body.replace(body.find("0055627c"), 64,
               "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7");
  body.replace(body.find("b6c6ea8a"), 64,
               "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992");
  body.resize(body.size() - 2);  // the trailer follows the final chunk's line directly
  body +=
      "x-amz-checksum-crc32c:sOO8/Q==\r\n"
      "x-amz-trailer-signature:"
      "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n\r\n";
  ASSERT_EQ(body.size(), 66946u);  // the example's Content-Length
  auto signing = ExampleSigning("106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e");
  Outcome out = DecodeWhole(signing, true, body);
  ASSERT_FALSE(out.error) << out.error->message;
  EXPECT_EQ(out.payload, std::string(66560, 'a'));
  EXPECT_EQ(out.trailers, (Trailers{{"x-amz-checksum-crc32c", "sOO8/Q=="}}));
  EXPECT_EQ(Base64Encode(Digest(HashKind::kCrc32c, out.payload)), out.trailers[0].second);

  std::string tampered = body;
  tampered.replace(tampered.find("sOO8/Q=="), 8, "AAAAAA==");
  Outcome bad = DecodeWhole(signing, true, tampered);
  ASSERT_TRUE(bad.error);
  EXPECT_EQ(bad.error->kind, ChunkedError::Kind::kSignatureMismatch);
  EXPECT_NE(bad.error->message.find("trailer"), std::string::npos);
}

struct Variant {
  std::string name;
  std::optional<AwsChunkedDecoder::Signing> signing;
  bool trailer;
  std::string body;
};

std::vector<Variant> SmallVariants() {
  auto signing = ExampleSigning(std::string(64, 'c'));
  const std::vector<std::string> chunks = {"hello", ", aws-chunked", " world"};
  const Trailers trailer = {{"x-amz-checksum-crc32", "qiWgeg=="}};
  return {
      {"signed", signing, false, Encode(chunks, signing, std::nullopt)},
      {"signed trailer", signing, true, Encode(chunks, signing, trailer)},
      {"unsigned trailer", std::nullopt, true, Encode(chunks, std::nullopt, trailer)},
  };
}

TEST(AwsChunkedTest, EverySplitDecodesTheSame) {
  for (const Variant& v : SmallVariants()) {
    SCOPED_TRACE(v.name);
    const std::string expected = "hello, aws-chunked world";
    std::string_view body = v.body;
    std::vector<std::string_view> bytes;
    for (size_t i = 0; i < body.size(); ++i) bytes.push_back(body.substr(i, 1));
    Outcome one_by_one = Decode(v.signing, v.trailer, bytes, expected.size());
    ASSERT_FALSE(one_by_one.error) << one_by_one.error->message;
    EXPECT_EQ(one_by_one.payload, expected);
    for (size_t cut = 0; cut <= body.size(); ++cut) {
      Outcome two = Decode(v.signing, v.trailer, {body.substr(0, cut), body.substr(cut)});
      ASSERT_FALSE(two.error) << "cut at " << cut << ": " << two.error->message;
      ASSERT_EQ(two.payload, expected) << "cut at " << cut;
      if (v.trailer) {
        ASSERT_EQ(two.trailers, (Trailers{{"x-amz-checksum-crc32", "qiWgeg=="}}));
      }
    }
  }
}

TEST(AwsChunkedTest, EveryTruncationFailsInFinish) {
  for (const Variant& v : SmallVariants()) {
    SCOPED_TRACE(v.name);
    for (size_t length = 0; length < v.body.size(); ++length) {
      Outcome out = DecodeWhole(v.signing, v.trailer, std::string_view(v.body).substr(0, length));
      ASSERT_TRUE(out.error) << "prefix of " << length << " bytes accepted";
      EXPECT_TRUE(out.failed_in_finish) << length;
      EXPECT_EQ(out.error->kind, ChunkedError::Kind::kMalformed);
    }
  }
}

TEST(AwsChunkedTest, UnsignedTrailerAsBotocoreSendsIt) {
  Outcome out =
      DecodeWhole(std::nullopt, true, "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n");
  ASSERT_FALSE(out.error) << out.error->message;
  EXPECT_EQ(out.payload, "hello");
  EXPECT_EQ(out.trailers, (Trailers{{"x-amz-checksum-crc32", "NhCmhg=="}}));
  EXPECT_EQ(Base64Encode(Digest(HashKind::kCrc32, out.payload)), out.trailers[0].second);
}

TEST(AwsChunkedTest, TrailerLineEndingsClientsUse) {
  const std::string prefix = "5\r\nhello\r\n0\r\n";
  const char* endings[] = {
      "X-Amz-Checksum-CRC32: NhCmhg==\r\n\r\n",   // case and spaces are canonicalised
      "x-amz-checksum-crc32:NhCmhg==\n\r\n\r\n",  // a bare LF after the value, shown by AWS
      "x-amz-checksum-crc32:NhCmhg==\n\n",        // LF-only line ends
      "x-amz-checksum-crc32:NhCmhg==\r\n\r\n\r\n",
  };
  for (const char* ending : endings) {
    Outcome out = DecodeWhole(std::nullopt, true, prefix + ending);
    ASSERT_FALSE(out.error) << ending << ": " << out.error->message;
    EXPECT_EQ(out.trailers, (Trailers{{"x-amz-checksum-crc32", "NhCmhg=="}})) << ending;
  }
  // No trailer at all is a complete stream; which trailers were required is the caller's call.
  Outcome none = DecodeWhole(std::nullopt, true, "5\r\nhello\r\n0\r\n\r\n");
  EXPECT_FALSE(none.error);
  EXPECT_TRUE(none.trailers.empty());
}

TEST(AwsChunkedTest, SignedTrailerAfterBlankLineIsAccepted) {
  auto signing = ExampleSigning(std::string(64, 'd'));
  std::string body = Encode({"hello"}, signing, Trailers{{"x-amz-checksum-crc32", "NhCmhg=="}});
  size_t trailer_at = body.find("x-amz-checksum");
  body.insert(trailer_at, "\r\n");
  Outcome out = DecodeWhole(signing, true, body);
  ASSERT_FALSE(out.error) << out.error->message;
  EXPECT_EQ(out.trailers.size(), 1u);
}

struct BadBody {
  std::string name;
  std::string body;
  ChunkedError::Kind kind;
};

TEST(AwsChunkedTest, MalformedUnsignedBodiesAreRejected) {
  const BadBody cases[] = {
      {"non-hex size", "g\r\nhello\r\n0\r\n\r\n", ChunkedError::Kind::kMalformed},
      {"empty size", "\r\nhello\r\n0\r\n\r\n", ChunkedError::Kind::kMalformed},
      {"negative size", "-5\r\nhello\r\n0\r\n\r\n", ChunkedError::Kind::kMalformed},
      {"space before size", " 5\r\nhello\r\n0\r\n\r\n", ChunkedError::Kind::kMalformed},
      {"size overflows 64 bits", "10000000000000000\r\n", ChunkedError::Kind::kMalformed},
      {"header without CR", "5\nhello\r\n0\r\n\r\n", ChunkedError::Kind::kMalformed},
      {"header too long", std::string(5000, '0') + "5\r\nhello\r\n0\r\n\r\n",
       ChunkedError::Kind::kMalformed},
      {"data longer than size", "5\r\nhelloX\r\n0\r\n\r\n", ChunkedError::Kind::kMalformed},
      {"data without LF", "5\r\nhello\rX0\r\n\r\n", ChunkedError::Kind::kMalformed},
      {"final chunk without CRLF", "5\r\nhello\r\n0\r\nX", ChunkedError::Kind::kMalformed},
      {"data after the end", "5\r\nhello\r\n0\r\n\r\nmore", ChunkedError::Kind::kMalformed},
      {"CRLF after the end", "5\r\nhello\r\n0\r\n\r\n\r\n", ChunkedError::Kind::kMalformed},
  };
  for (const auto& c : cases) {
    Outcome out = DecodeWhole(std::nullopt, false, c.body);
    ASSERT_TRUE(out.error) << c.name;
    EXPECT_EQ(out.error->kind, c.kind) << c.name;
    EXPECT_FALSE(out.failed_in_finish) << c.name << ": should fail while feeding";
  }
}

TEST(AwsChunkedTest, MalformedTrailersAreRejected) {
  const std::string prefix = "5\r\nhello\r\n0\r\n";
  const std::string cases[] = {
      "no-colon-here\r\n\r\n",
      ":value\r\n\r\n",
      "bad name:value\r\n\r\n",
      std::string(5000, 'x') + ":v\r\n\r\n",
      "x-amz-checksum-crc32:NhCmhg==\r\n\r\nafter",
  };
  for (const auto& trailer : cases) {
    Outcome out = DecodeWhole(std::nullopt, true, prefix + trailer);
    ASSERT_TRUE(out.error) << trailer.substr(0, 40);
    EXPECT_EQ(out.error->kind, ChunkedError::Kind::kMalformed);
  }
  std::string many;
  for (int i = 0; i < 40; ++i) many += "x-amz-meta-" + std::to_string(i) + ":v\r\n";
  EXPECT_TRUE(DecodeWhole(std::nullopt, true, prefix + many + "\r\n").error);
}

TEST(AwsChunkedTest, SignatureFailures) {
  auto signing = ExampleSigning(std::string(64, 'e'));
  const Trailers trailer = {{"x-amz-checksum-crc32", "NhCmhg=="}};
  const std::string good = Encode({"hello", "world"}, signing, trailer);
  ASSERT_FALSE(DecodeWhole(signing, true, good).error);

  auto expect_kind = [&](std::string body, ChunkedError::Kind kind, const char* what) {
    Outcome out = DecodeWhole(signing, true, body);
    ASSERT_TRUE(out.error) << what;
    EXPECT_EQ(out.error->kind, kind) << what << ": " << out.error->message;
  };
  // A flipped data byte, and a flipped signature digit, in each position of the chain.
  std::string body = good;
  body[body.find("hello")] = 'j';
  expect_kind(body, ChunkedError::Kind::kSignatureMismatch, "data of chunk 1");
  body = good;
  body[body.find("world") + 4] = 'D';
  expect_kind(body, ChunkedError::Kind::kSignatureMismatch, "data of chunk 2");
  size_t at = 0;
  for (int i = 0; i < 3; ++i) {
    at = good.find("chunk-signature=", at) + 16;
    body = good;
    body[at] = body[at] == '0' ? '1' : '0';
    expect_kind(body, ChunkedError::Kind::kSignatureMismatch, "chunk signature");
  }
  body = good;
  at = body.find("x-amz-trailer-signature:") + 24;
  body[at] = body[at] == '0' ? '1' : '0';
  expect_kind(body, ChunkedError::Kind::kSignatureMismatch, "trailer signature");
  // Two chunks in swapped order: each is validly signed, but not at that place in the chain.
  std::string swapped = Encode({"world", "hello"}, signing, trailer);
  Outcome reordered = DecodeWhole(signing, true, swapped);
  EXPECT_FALSE(reordered.error);  // sanity: itself valid
  std::string first = good.substr(0, good.find("\r\n5;") + 2);
  std::string spliced = swapped.substr(0, swapped.find("\r\n5;") + 2) + good.substr(first.size());
  expect_kind(spliced, ChunkedError::Kind::kSignatureMismatch, "chunk from another chain");

  // Without a trailer, the final chunk's signature is the last thing that binds the stream.
  std::string no_trailer = Encode({"hello"}, signing, std::nullopt);
  ASSERT_FALSE(DecodeWhole(signing, false, no_trailer).error);
  at = no_trailer.rfind("chunk-signature=") + 16;
  no_trailer[at] = no_trailer[at] == '0' ? '1' : '0';
  Outcome final_flipped = DecodeWhole(signing, false, no_trailer);
  ASSERT_TRUE(final_flipped.error);
  EXPECT_EQ(final_flipped.error->kind, ChunkedError::Kind::kSignatureMismatch);
  EXPECT_NE(final_flipped.error->message.find("final chunk"), std::string::npos);

  body = good;
  body.replace(body.find(";chunk-signature="), 81, "");
  expect_kind(body, ChunkedError::Kind::kMalformed, "missing chunk signature");
  body = good;
  body.replace(body.find("x-amz-trailer-signature:"), 24 + 64 + 2, "");
  expect_kind(body, ChunkedError::Kind::kMalformed, "missing trailer signature");
  body = good;
  at = body.find("x-amz-trailer-signature:");
  body.insert(body.find("\r\n", at) + 2, "x-amz-meta-late:v\r\n");
  expect_kind(body, ChunkedError::Kind::kMalformed, "field after trailer signature");
}

TEST(AwsChunkedTest, UnsignedStreamIgnoresChunkSignatures) {
  std::string body =
      "5;chunk-signature=" + std::string(64, '0') + "\r\nhello\r\n0;ext=1\r\n" +
      "x-amz-checksum-crc32:NhCmhg==\r\nx-amz-trailer-signature:" + std::string(64, '0') +
      "\r\n\r\n";
  Outcome out = DecodeWhole(std::nullopt, true, body);
  ASSERT_FALSE(out.error) << out.error->message;
  EXPECT_EQ(out.payload, "hello");
  EXPECT_EQ(out.trailers, (Trailers{{"x-amz-checksum-crc32", "NhCmhg=="}}));
}

TEST(AwsChunkedTest, DeclaredDecodedLengthIsEnforced) {
  const std::string body = "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
  EXPECT_FALSE(Decode(std::nullopt, false, {body}, 11).error);
  Outcome too_large = Decode(std::nullopt, false, {body}, 10);
  ASSERT_TRUE(too_large.error);
  EXPECT_EQ(too_large.error->kind, ChunkedError::Kind::kTooLarge);
  EXPECT_EQ(too_large.payload, "hello");  // refused at the chunk header, before its bytes
  Outcome too_short = Decode(std::nullopt, false, {body}, 12);
  ASSERT_TRUE(too_short.error);
  EXPECT_EQ(too_short.error->kind, ChunkedError::Kind::kMalformed);
}

TEST(AwsChunkedTest, PayloadStreamsBeforeTheChunkEnds) {
  auto signing = ExampleSigning(std::string(64, 'f'));
  std::string data(100000, 'z');
  std::string body = Encode({data}, signing, std::nullopt);
  size_t received = 0;
  AwsChunkedDecoder decoder(signing, false, [&](std::string_view bytes) {
    received += bytes.size();
    return std::expected<void, ChunkedError>{};
  });
  size_t header = body.find("\r\n") + 2;
  ASSERT_TRUE(decoder.Feed(std::string_view(body).substr(0, header + 40000)));
  EXPECT_EQ(received, 40000u);
  ASSERT_TRUE(decoder.Feed(std::string_view(body).substr(header + 40000)));
  EXPECT_TRUE(decoder.Finish());
  EXPECT_EQ(received, data.size());
}

TEST(AwsChunkedTest, SinkErrorStopsDecodingAndSticks) {
  AwsChunkedDecoder decoder(std::nullopt, false, [](std::string_view) {
    return std::expected<void, ChunkedError>(
        std::unexpected(ChunkedError{ChunkedError::Kind::kTooLarge, "disk full"}));
  });
  auto r = decoder.Feed("5\r\nhello\r\n0\r\n\r\n");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "disk full");
  auto again = decoder.Feed("5\r\nhello\r\n");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().message, "disk full");
  EXPECT_FALSE(decoder.Finish());
}

TEST(AwsChunkedTest, EmptyBodyIsNotAStream) {
  Outcome out = DecodeWhole(std::nullopt, false, "");
  ASSERT_TRUE(out.error);
  EXPECT_TRUE(out.failed_in_finish);
  Outcome empty_payload = DecodeWhole(std::nullopt, false, "0\r\n\r\n");
  EXPECT_FALSE(empty_payload.error);
  EXPECT_EQ(empty_payload.payload, "");
}

}  // namespace
}  // namespace logbucket::s3
