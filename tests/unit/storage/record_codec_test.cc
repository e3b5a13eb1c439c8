#include "storage/record_codec.h"

#include <gtest/gtest.h>

namespace logbucket::storage {
namespace {

TEST(RecordCodecTest, ObjectExtrasRoundTripOpaqueBytes) {
  ObjectRecord in;
  in.headers = {{"content-type", "text/plain; charset=\xe9"}, {std::string("n\0ul", 4), ""}};
  in.user_metadata = {{"k", std::string(300, '\xff')}};
  in.checksums = {{"CRC64NVME", "AAAAAAAAAAA="}};
  in.part_sizes = {5u << 20, 1, 0, 1ULL << 40};
  ObjectRecord out;
  out.headers = {{"stale", "value"}};  // decoding replaces, never merges
  ASSERT_TRUE(DecodeObjectExtras(EncodeObjectExtras(in), out).has_value());
  EXPECT_EQ(out.headers, in.headers);
  EXPECT_EQ(out.user_metadata, in.user_metadata);
  EXPECT_EQ(out.checksums, in.checksums);
  EXPECT_EQ(out.part_sizes, in.part_sizes);
}

TEST(RecordCodecTest, UploadExtrasAndMapsRoundTrip) {
  UploadRecord in;
  in.headers = {{"a", "1"}};
  in.user_metadata = {{"b", "2"}, {"c", ""}};
  UploadRecord out;
  ASSERT_TRUE(DecodeUploadExtras(EncodeUploadExtras(in), out).has_value());
  EXPECT_EQ(out.headers, in.headers);
  EXPECT_EQ(out.user_metadata, in.user_metadata);

  std::map<std::string, std::string> map;
  ASSERT_TRUE(DecodeMap(EncodeMap({}), map).has_value());
  EXPECT_TRUE(map.empty());
}

TEST(RecordCodecTest, MalformedInputIsCorrupt) {
  ObjectRecord in;
  in.headers = {{"content-type", "text/plain"}};
  const std::string good = EncodeObjectExtras(in);
  ObjectRecord out;
  const std::vector<std::string> bad = {
      "",                                                               // no version
      std::string(1, '\x07') + good.substr(1),                          // unknown version
      good.substr(0, good.size() - 3),                                  // truncated
      good + "x",                                                       // trailing bytes
      std::string("\x01\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 11),  // varint overflow
  };
  for (const std::string& input : bad) {
    auto decoded = DecodeObjectExtras(input, out);
    ASSERT_FALSE(decoded.has_value()) << ::testing::PrintToString(input);
    EXPECT_EQ(decoded.error().code, ErrorCode::kCorrupt);
  }
}

}  // namespace
}  // namespace logbucket::storage
