#include "server/s3/checksum.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace logbucket::s3 {
namespace {

// Bit-at-a-time reference CRC, written from the definition (normal-form polynomial, reflected
// input/output, init and xorout all ones) and sharing nothing with the table-driven engine.
uint64_t ReferenceCrc(std::string_view data, uint64_t normal_poly, int width) {
  uint64_t reflected = 0;
  for (int i = 0; i < width; ++i) reflected |= ((normal_poly >> i) & 1) << (width - 1 - i);
  uint64_t mask = width == 64 ? ~uint64_t{0} : ((uint64_t{1} << width) - 1);
  uint64_t crc = mask;
  for (char c : data) {
    crc ^= static_cast<unsigned char>(c);
    for (int bit = 0; bit < 8; ++bit) crc = (crc & 1) ? (crc >> 1) ^ reflected : crc >> 1;
  }
  return crc ^ mask;
}

struct CrcCase {
  crc::Kind kind;
  uint64_t normal_poly;
  int width;
};
const CrcCase kCrcCases[] = {
    {crc::Kind::kCrc32, 0x04C11DB7, 32},
    {crc::Kind::kCrc32c, 0x1EDC6F41, 32},
    {crc::Kind::kCrc64Nvme, 0xad93d23594c93659ull, 64},
};

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng() & 0xff);
  return out;
}

TEST(ChecksumTest, CrcCheckValuesOf123456789) {
  EXPECT_EQ(crc::Compute(crc::Kind::kCrc32, "123456789"), 0xCBF43926u);
  EXPECT_EQ(crc::Compute(crc::Kind::kCrc32c, "123456789"), 0xE3069283u);
  EXPECT_EQ(crc::Compute(crc::Kind::kCrc64Nvme, "123456789"), 0xae8b14860a799888ull);
}

struct DigestCase {
  HashKind kind;
  std::string input;
  std::string base64;
};

TEST(ChecksumTest, DigestsAsS3EncodesThem) {
  const DigestCase cases[] = {
      {HashKind::kCrc32, "", "AAAAAA=="},
      {HashKind::kCrc32, "hello world", "DUoRhQ=="},
      {HashKind::kCrc32, "123456789", "y/Q5Jg=="},
      {HashKind::kCrc32c, "", "AAAAAA=="},
      {HashKind::kCrc32c, "hello world", "yZRlqg=="},
      {HashKind::kCrc32c, std::string(66560, 'a'), "sOO8/Q=="},  // AWS's trailer example
      {HashKind::kCrc64Nvme, "", "AAAAAAAAAAA="},
      {HashKind::kCrc64Nvme, "hello world", "jSnVw/bqjr4="},
      {HashKind::kCrc64Nvme, "123456789", "rosUhgp5mIg="},
      {HashKind::kSha1, "abc", "qZk+NkcGgWq6PiVxeFDCbJzQ2J0="},
      {HashKind::kSha256, "", "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(Base64Encode(Digest(c.kind, c.input)), c.base64) << c.input.substr(0, 20);
  }
}

TEST(ChecksumTest, HexDigestsMatchKnownVectors) {
  EXPECT_EQ(Md5Hex(""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(Md5Hex("The quick brown fox jumps over the lazy dog"),
            "9e107d9d372bb6826bd81d3542a419d6");
  EXPECT_EQ(HexEncode(Digest(HashKind::kSha1, "abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(ChecksumTest, HmacSha256MatchesRfc4231) {
  // RFC 4231 test cases 1 and 2.
  EXPECT_EQ(HexEncode(HmacSha256(std::string(20, '\x0b'), "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(HexEncode(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Test cases 6 and 7: keys longer than the block size are hashed first.
  EXPECT_EQ(HexEncode(HmacSha256(std::string(131, '\xaa'),
                                 "Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  EXPECT_EQ(HexEncode(HmacSha256(
                std::string(131, '\xaa'),
                "This is a test using a larger than block-size key and a larger than block-size "
                "data. The key needs to be hashed before being used by the HMAC algorithm.")),
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
  // A key of exactly the block size is used as it is (value from Python's hmac module).
  EXPECT_EQ(HexEncode(HmacSha256(std::string(64, 'k'), "block-size key")),
            "3639ed45f96410ae1abf821aaf15a4e616209464f7e06fb79435d35e485bd3c2");
}

TEST(ChecksumTest, TableDrivenCrcEqualsBitwiseReferenceForEveryLengthAndAlignment) {
  std::string data = RandomBytes(300, 7);
  for (const auto& c : kCrcCases) {
    for (size_t offset = 0; offset < 9; ++offset) {
      for (size_t length = 0; offset + length <= data.size(); length += 1 + length / 8) {
        std::string_view piece = std::string_view(data).substr(offset, length);
        ASSERT_EQ(crc::Compute(c.kind, piece), ReferenceCrc(piece, c.normal_poly, c.width))
            << "width " << c.width << " offset " << offset << " length " << length;
      }
    }
  }
}

// Long inputs take the carry-less multiplication path on CPUs that have it (64 bytes and
// more): every length around its block boundaries, any alignment, any starting register.
TEST(ChecksumTest, LongCrcInputsEqualBitwiseReference) {
  const std::string data = RandomBytes(5000, 11);
  std::mt19937_64 rng(5);
  for (const auto& c : kCrcCases) {
    std::vector<size_t> lengths;
    for (size_t length = 60; length <= 200; ++length) lengths.push_back(length);
    for (size_t length : {255u, 256u, 257u, 1023u, 1024u, 1040u, 4095u, 4096u, 4097u, 4990u}) {
      lengths.push_back(length);
    }
    for (size_t length : lengths) {
      const size_t offset = rng() % 8;
      std::string_view piece = std::string_view(data).substr(offset, length);
      EXPECT_EQ(crc::Compute(c.kind, piece), ReferenceCrc(piece, c.normal_poly, c.width))
          << c.width << "-bit poly " << c.normal_poly << " length " << length << " offset "
          << offset;
      // From a register that is not the initial one: the register is folded into the data.
      const size_t split = rng() % length;
      uint64_t state = crc::Update(c.kind, crc::Initial(c.kind), piece.substr(0, split));
      state = crc::Update(c.kind, state, piece.substr(split));
      EXPECT_EQ(crc::Final(c.kind, state), ReferenceCrc(piece, c.normal_poly, c.width))
          << c.width << "-bit poly " << c.normal_poly << " length " << length << " split " << split;
    }
  }
}

TEST(ChecksumTest, IncrementalHasherEqualsOneShotForAnySplit) {
  std::string data = RandomBytes(1000, 11);
  const HashKind kinds[] = {HashKind::kMd5,       HashKind::kCrc32, HashKind::kCrc32c,
                            HashKind::kCrc64Nvme, HashKind::kSha1,  HashKind::kSha256};
  std::mt19937 rng(3);
  for (HashKind kind : kinds) {
    std::string expected = Digest(kind, data);
    for (int trial = 0; trial < 20; ++trial) {
      auto hasher = Hasher::Create(kind);
      size_t at = 0;
      while (at < data.size()) {
        size_t n = std::min<size_t>(rng() % 37, data.size() - at);
        hasher->Update(std::string_view(data).substr(at, n));
        at += n;
      }
      ASSERT_EQ(hasher->Digest(), expected) << static_cast<int>(kind);
    }
  }
}

TEST(ChecksumTest, CrcCombineEqualsCrcOfConcatenation) {
  std::string a = RandomBytes(1234, 1), b = RandomBytes(999, 2);
  for (const auto& c : kCrcCases) {
    uint64_t whole = crc::Compute(c.kind, a + b);
    EXPECT_EQ(crc::Combine(c.kind, crc::Compute(c.kind, a), crc::Compute(c.kind, b), b.size()),
              whole);
    // Combining with an empty second part changes nothing.
    EXPECT_EQ(crc::Combine(c.kind, crc::Compute(c.kind, a), crc::Compute(c.kind, ""), 0),
              crc::Compute(c.kind, a));
  }
}

TEST(ChecksumTest, FullObjectCrcOfMultipartEqualsCrcOfWholeObject) {
  // Parts of unequal sizes, the last one small, as a multipart upload has them.
  const std::vector<size_t> sizes = {256 * 1024 + 17, 256 * 1024, 3, 1};
  std::string whole;
  std::vector<std::string> parts;
  for (size_t i = 0; i < sizes.size(); ++i) {
    parts.push_back(RandomBytes(sizes[i], static_cast<uint32_t>(100 + i)));
    whole += parts.back();
  }
  for (ChecksumAlgorithm algorithm :
       {ChecksumAlgorithm::kCrc32, ChecksumAlgorithm::kCrc32c, ChecksumAlgorithm::kCrc64Nvme}) {
    std::vector<std::string> part_checksums;
    std::vector<uint64_t> part_sizes;
    for (const auto& part : parts) {
      part_checksums.push_back(Base64Encode(Digest(HashKindOf(algorithm), part)));
      part_sizes.push_back(part.size());
    }
    auto combined = CombineCrc(algorithm, part_checksums, part_sizes);
    ASSERT_TRUE(combined.has_value()) << AlgorithmName(algorithm);
    EXPECT_EQ(*combined, Base64Encode(Digest(HashKindOf(algorithm), whole)))
        << AlgorithmName(algorithm);
  }
}

TEST(ChecksumTest, CombineCrcRejectsWhatCannotBeCombined) {
  EXPECT_FALSE(CombineCrc(ChecksumAlgorithm::kSha256, {"AAAAAA=="}, {1}).has_value());
  EXPECT_FALSE(CombineCrc(ChecksumAlgorithm::kSha1, {"AAAAAA=="}, {1}).has_value());
  EXPECT_FALSE(CombineCrc(ChecksumAlgorithm::kCrc32, {"AAAAAA=="}, {1, 2}).has_value());
  EXPECT_FALSE(CombineCrc(ChecksumAlgorithm::kCrc32, {"not base64"}, {1}).has_value());
  // A CRC64 value where a CRC32 is expected.
  EXPECT_FALSE(CombineCrc(ChecksumAlgorithm::kCrc32, {"AAAAAAAAAAA="}, {1}).has_value());
  EXPECT_EQ(CombineCrc(ChecksumAlgorithm::kCrc32, {}, {}), "AAAAAA==");
}

TEST(ChecksumTest, CompositeChecksumHashesConcatenatedRawPartChecksums) {
  // Expected values computed independently with Python's hashlib and zlib.
  EXPECT_EQ(CompositeChecksum(ChecksumAlgorithm::kSha256,
                              {"P4noqvtsy8J8LImf6O58N0M5PMzwRmkvjzSFImUOU7s=",
                               "6laDy6WANfTzuTcCPLpwTwvkdmuspd1N7uRgvdEJF0E=",
                               "TgdAhWK+24tgzgXB3s/jrRa3IjCWfeAfZAt+Rym0n84="}),
            "V3PHnxNQW8WD1GQ71vweFB3p2pHjrVBEEoJNZTelWC8=-3");
  EXPECT_EQ(CompositeChecksum(ChecksumAlgorithm::kSha1,
                              {"a8kVlC0RkaJyWzf5/K3LRN3UVTM=", "FIIcBZ4/CQUr+rSbkk5lyfgL1i4=",
                               "d95o2uzYI7q7tY7bHI4U1xBug7s="}),
            "wWSxhXElVaexfDpzBLhsC44SsRU=-3");
  EXPECT_EQ(CompositeChecksum(ChecksumAlgorithm::kCrc32, {"HJpNTA==", "4LIfJw==", "bdKOmw=="}),
            "Klq6+g==-3");
  EXPECT_EQ(CompositeChecksum(ChecksumAlgorithm::kCrc32, {"HJpNTA==", "bad!"}), "");
}

TEST(ChecksumTest, Base64RoundTripsRfc4648Vectors) {
  const std::pair<std::string, std::string> cases[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
      {"\xff\xfe", "//4="},
  };
  for (const auto& [raw, text] : cases) {
    EXPECT_EQ(Base64Encode(raw), text);
    EXPECT_EQ(Base64Decode(text), raw) << text;
  }
  std::string all = RandomBytes(256, 5);
  EXPECT_EQ(Base64Decode(Base64Encode(all)), all);
}

TEST(ChecksumTest, Base64DecodeIsStrict) {
  const char* invalid[] = {
      "Zg",                 // missing padding
      "Zg=",                // short padding
      "Z===",               // too much padding
      "====",               // only padding
      "Zg==Zg==",           // padding in the middle
      "Zm9v!",              // bad character, bad length
      "Zm9v Zm9v", "Zm9-",  // URL-safe alphabet is not S3's
      "Zh==",               // non-zero bits after the last byte
      "Zm9=",               // same, two-byte form
      "=Zm9",
  };
  for (const char* text : invalid) EXPECT_FALSE(Base64Decode(text).has_value()) << text;
}

TEST(ChecksumTest, AlgorithmNamesAndHeaders) {
  EXPECT_EQ(AllChecksumAlgorithms().size(), 5u);
  for (ChecksumAlgorithm algorithm : AllChecksumAlgorithms()) {
    EXPECT_EQ(ParseAlgorithmName(AlgorithmName(algorithm)), algorithm);
  }
  EXPECT_EQ(ParseAlgorithmName("crc64nvme"), ChecksumAlgorithm::kCrc64Nvme);
  EXPECT_EQ(ParseAlgorithmName("Sha256"), ChecksumAlgorithm::kSha256);
  EXPECT_FALSE(ParseAlgorithmName("MD5").has_value());
  EXPECT_FALSE(ParseAlgorithmName("CRC32X").has_value());
  EXPECT_EQ(ChecksumHeaderName(ChecksumAlgorithm::kCrc32c), "x-amz-checksum-crc32c");
  EXPECT_EQ(ChecksumHeaderName(ChecksumAlgorithm::kCrc64Nvme), "x-amz-checksum-crc64nvme");
  EXPECT_EQ(HashKindOf(ChecksumAlgorithm::kSha1), HashKind::kSha1);
}

TEST(ChecksumTest, BigEndianCodecRejectsWrongWidths) {
  EXPECT_EQ(crc::ToBigEndian(crc::Kind::kCrc32, 0x0d4a1185), std::string("\x0d\x4a\x11\x85", 4));
  EXPECT_EQ(crc::FromBigEndian(crc::Kind::kCrc64Nvme, crc::ToBigEndian(crc::Kind::kCrc64Nvme, 42)),
            42u);
  EXPECT_FALSE(crc::FromBigEndian(crc::Kind::kCrc32, "abc").has_value());
  EXPECT_FALSE(crc::FromBigEndian(crc::Kind::kCrc64Nvme, "abcd").has_value());
}

}  // namespace
}  // namespace logbucket::s3
