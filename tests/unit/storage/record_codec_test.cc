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
  in.acl = "<AccessControlPolicy>\xff\0</AccessControlPolicy>";
  ObjectRecord out;
  out.headers = {{"stale", "value"}};  // decoding replaces, never merges
  ASSERT_TRUE(DecodeObjectExtras(EncodeObjectExtras(in), out).has_value());
  EXPECT_EQ(out.headers, in.headers);
  EXPECT_EQ(out.user_metadata, in.user_metadata);
  EXPECT_EQ(out.checksums, in.checksums);
  EXPECT_EQ(out.part_sizes, in.part_sizes);
  EXPECT_EQ(out.acl, in.acl);
}

// Records written before ACLs were kept (version 1) still decode, with an empty ACL.
TEST(RecordCodecTest, VersionOneRecordsDecodeWithoutAcl) {
  // headers {"a": "1"}, user_metadata {}, checksums {}, part_sizes [7].
  const std::string object_v1("\x01\x01\x01" "a" "\x01" "1" "\x00\x00\x01\x07", 10);
  ObjectRecord object;
  object.acl = "stale";
  ASSERT_TRUE(DecodeObjectExtras(object_v1, object).has_value());
  EXPECT_EQ(object.headers, (std::map<std::string, std::string>{{"a", "1"}}));
  EXPECT_EQ(object.part_sizes, std::vector<uint64_t>{7});
  EXPECT_EQ(object.acl, "");

  const std::string upload_v1("\x01\x00\x01\x01" "m" "\x01" "v", 7);
  UploadRecord upload;
  upload.acl = "stale";
  ASSERT_TRUE(DecodeUploadExtras(upload_v1, upload).has_value());
  EXPECT_EQ(upload.user_metadata, (std::map<std::string, std::string>{{"m", "v"}}));
  EXPECT_EQ(upload.acl, "");
  EXPECT_EQ(upload.object_owner_account_id, "");
}

TEST(RecordCodecTest, UploadExtrasAndMapsRoundTrip) {
  UploadRecord in;
  in.headers = {{"a", "1"}};
  in.user_metadata = {{"b", "2"}, {"c", ""}};
  in.object_owner_account_id = "111111111111";
  in.acl = "<AccessControlPolicy/>";
  UploadRecord out;
  ASSERT_TRUE(DecodeUploadExtras(EncodeUploadExtras(in), out).has_value());
  EXPECT_EQ(out.headers, in.headers);
  EXPECT_EQ(out.user_metadata, in.user_metadata);
  EXPECT_EQ(out.object_owner_account_id, in.object_owner_account_id);
  EXPECT_EQ(out.acl, in.acl);

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
