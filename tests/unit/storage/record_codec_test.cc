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
  in.sse_algorithm = "AES256";
  in.sse_key = std::string("\x01\0wrapped\xff", 11);
  ObjectRecord out;
  out.headers = {{"stale", "value"}};  // decoding replaces, never merges
  ASSERT_TRUE(DecodeObjectExtras(EncodeObjectExtras(in), out).has_value());
  EXPECT_EQ(out.headers, in.headers);
  EXPECT_EQ(out.user_metadata, in.user_metadata);
  EXPECT_EQ(out.checksums, in.checksums);
  EXPECT_EQ(out.part_sizes, in.part_sizes);
  EXPECT_EQ(out.acl, in.acl);
  EXPECT_EQ(out.sse_algorithm, in.sse_algorithm);
  EXPECT_EQ(out.sse_key, in.sse_key);
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

  in.sse_algorithm = "AES256";
  ASSERT_TRUE(DecodeUploadExtras(EncodeUploadExtras(in), out).has_value());
  EXPECT_EQ(out.sse_algorithm, "AES256");
}

TEST(RecordCodecTest, PartExtrasRoundTrip) {
  PartRecord in;
  in.checksums = {{"CRC32", "AAAAAA=="}};
  in.sse_algorithm = "AES256";
  in.sse_key = std::string(77, '\x01');
  PartRecord out;
  out.checksums = {{"stale", "x"}};
  ASSERT_TRUE(DecodePartExtras(EncodePartExtras(in), out).has_value());
  EXPECT_EQ(out.checksums, in.checksums);
  EXPECT_EQ(out.sse_algorithm, in.sse_algorithm);
  EXPECT_EQ(out.sse_key, in.sse_key);
}

// Records written before encryption (version 2; parts: version 1, a bare checksums map) decode
// as stored in clear.
TEST(RecordCodecTest, RecordsWithoutEncryptionDecodeAsClear) {
  // headers {}, user_metadata {}, checksums {}, part_sizes [], acl "A".
  const std::string object_v2("\x02\x00\x00\x00\x00\x01" "A", 7);
  ObjectRecord object;
  object.sse_algorithm = "stale";
  object.sse_key = "stale";
  ASSERT_TRUE(DecodeObjectExtras(object_v2, object).has_value());
  EXPECT_EQ(object.acl, "A");
  EXPECT_EQ(object.sse_algorithm, "");
  EXPECT_EQ(object.sse_key, "");

  // headers {}, user_metadata {}, owner "1", acl "".
  const std::string upload_v2("\x02\x00\x00\x01" "1" "\x00", 6);
  UploadRecord upload;
  upload.sse_algorithm = "stale";
  ASSERT_TRUE(DecodeUploadExtras(upload_v2, upload).has_value());
  EXPECT_EQ(upload.object_owner_account_id, "1");
  EXPECT_EQ(upload.sse_algorithm, "");

  // checksums {"CRC32": "x"}.
  const std::string part_v1("\x01\x01\x05" "CRC32" "\x01" "x", 10);
  PartRecord part;
  part.sse_key = "stale";
  ASSERT_TRUE(DecodePartExtras(part_v1, part).has_value());
  EXPECT_EQ(part.checksums, (std::map<std::string, std::string>{{"CRC32", "x"}}));
  EXPECT_EQ(part.sse_key, "");
  // A part never had version 2.
  const std::string part_v2("\x02\x00", 2);
  EXPECT_FALSE(DecodePartExtras(part_v2, part).has_value());
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
