#include "storage/data_files.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace logbucket::storage {
namespace {

TEST(ErrnoErrorTest, MapsDiskFullToNoSpaceAndNamesThePath) {
  struct Case {
    int err;
    ErrorCode code;
  };
  for (const Case& c : {Case{ENOSPC, ErrorCode::kNoSpace}, Case{EDQUOT, ErrorCode::kNoSpace},
                        Case{EACCES, ErrorCode::kIo}, Case{EIO, ErrorCode::kIo}}) {
    const Error error = ErrnoError("write", "/data/tmp/abc", c.err);
    EXPECT_EQ(error.code, c.code) << c.err;
    EXPECT_NE(error.message.find("/data/tmp/abc"), std::string::npos) << error.message;
    EXPECT_NE(error.message.find("write"), std::string::npos) << error.message;
  }
}

TEST(RandomHexTest, LengthAlphabetAndUniqueness) {
  auto first = RandomHex(16);
  auto second = RandomHex(16);
  ASSERT_TRUE(first.has_value() && second.has_value());
  EXPECT_EQ(first->size(), 32u);
  EXPECT_EQ(first->find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(*first, *second);
}

TEST(ReferencedIdsTest, ContainsOnlyWhatWasAdded) {
  ReferencedIds ids;
  ids.Add("0123456789abcdef0123456789abcdef");
  ids.Add("ffffffffffffffffffffffffffffffff");
  ids.Add("00000000000000000000000000000000");
  ids.Add("not-an-id");
  ids.Add("0123456789ABCDEF0123456789ABCDEF");  // upper case is never a name we make
  ids.Seal();
  EXPECT_EQ(ids.size(), 3u);
  EXPECT_TRUE(ids.Contains("0123456789abcdef0123456789abcdef"));
  EXPECT_TRUE(ids.Contains("ffffffffffffffffffffffffffffffff"));
  EXPECT_TRUE(ids.Contains("00000000000000000000000000000000"));
  EXPECT_FALSE(ids.Contains("0123456789abcdef0123456789abcdee"));
  EXPECT_FALSE(ids.Contains("1123456789abcdef0123456789abcdef"));
  EXPECT_FALSE(ids.Contains("0123456789abcdef0123456789abcdef0"));
  EXPECT_FALSE(ids.Contains("not-an-id"));
}

TEST(DataLayoutTest, DataPathsFanOutByTheFirstTwoDigits) {
  const DataLayout layout("/srv/data");
  EXPECT_EQ(layout.DataPath("ab0123456789abcdef0123456789abcd"),
            std::filesystem::path("/srv/data/objects/ab/ab0123456789abcdef0123456789abcd"));
  EXPECT_EQ(layout.tmp_dir(), std::filesystem::path("/srv/data/tmp"));
}

}  // namespace
}  // namespace logbucket::storage
