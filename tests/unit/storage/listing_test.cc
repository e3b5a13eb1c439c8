// ListObjects: byte order, prefixes (including 0xFF bytes), start_after and pagination.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>

#include "storage/store_internal.h"
#include "tests/unit/storage/store_fixture.h"

namespace logbucket::storage::testing {
namespace {

std::vector<std::string> Keys(const ObjectPage& page) {
  std::vector<std::string> keys;
  for (const ObjectRecord& object : page.objects) {
    keys.push_back(object.key);
  }
  return keys;
}

class ListingTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    MakeBucket("b");
  }

  void PutAll(const std::vector<std::string>& keys) {
    for (const std::string& key : keys) {
      auto put = Put("b", key, key);
      ASSERT_TRUE(put.has_value()) << put.error().message;
    }
  }

  std::vector<std::string> List(std::string_view prefix, std::string_view start_after = "",
                                size_t max_keys = 100000) {
    auto page = store_->ListObjects("b", prefix, start_after, max_keys);
    EXPECT_TRUE(page.has_value()) << page.error().message;
    return page ? Keys(*page) : std::vector<std::string>{};
  }
};

const std::vector<std::string> kOddKeys = {"a",
                                           "a/b",
                                           "a b",
                                           "a%2Fb",
                                           "a+b",
                                           "../x",
                                           "../../etc/passwd",
                                           "./a",
                                           "\xc3\xa9t\xc3\xa9",
                                           "\xe6\x97\xa5\xe6\x9c\xac",
                                           "\x7f",
                                           "z",
                                           "a\xff",
                                           "a\xff\xff",
                                           "a\xff\x01",
                                           "b",
                                           "a\xfe\xff",
                                           "A",
                                           "a\x01",
                                           "with\nnewline",
                                           "\xf0\x9f\x98\x80"};

TEST_F(ListingTest, ListsInByteOrder) {
  PutAll(kOddKeys);
  std::vector<std::string> expected = kOddKeys;
  std::sort(expected.begin(), expected.end(), [](const std::string& l, const std::string& r) {
    return std::lexicographical_compare(l.begin(), l.end(), r.begin(), r.end(), [](char x, char y) {
      return static_cast<unsigned char>(x) < static_cast<unsigned char>(y);
    });
  });
  EXPECT_EQ(List(""), expected);
  for (const std::string& key : kOddKeys) {
    EXPECT_EQ(Content("b", key), key) << key;
  }
}

TEST_F(ListingTest, KeysNeverBecomePaths) {
  PutAll(kOddKeys);
  for (const auto& entry : fs::recursive_directory_iterator(dir_)) {
    if (!entry.is_regular_file()) {
      continue;
    }
    const fs::path relative = fs::relative(entry.path(), dir_);
    if (relative.begin()->string() != "objects") {
      continue;
    }
    const std::string name = entry.path().filename().string();
    EXPECT_EQ(name.size(), 32u) << relative;
    EXPECT_TRUE(std::all_of(name.begin(), name.end(), [](char c) { return std::isxdigit(c); }))
        << relative;
  }
  EXPECT_FALSE(fs::exists(dir_.parent_path() / "etc" / "passwd"));
  EXPECT_FALSE(fs::exists(dir_.parent_path() / "x"));
}

struct PrefixCase {
  std::string prefix;
  std::string start_after;
  std::vector<std::string> expected;
};

TEST_F(ListingTest, PrefixAndStartAfterTable) {
  PutAll({"a", "a/", "a/b", "a/b/c", "a/c", "a0", "ab", "a\xfe", "a\xfe\xff", "a\xff",
          std::string("a\xff\x00x", 4), "a\xff\xff", "a\xff\xff\xff", "b", "\xff", "\xff\xff",
          "\xff\xffz"});
  const std::vector<PrefixCase> cases = {
      {"a/", "", {"a/", "a/b", "a/b/c", "a/c"}},
      {"a/b", "", {"a/b", "a/b/c"}},
      {"a/", "a/b", {"a/b/c", "a/c"}},
      {"a/", "a/b/c", {"a/c"}},
      {"a/", "a/c", {}},
      {"a/", "0", {"a/", "a/b", "a/b/c", "a/c"}},  // start_after before the prefix
      {"a/", "zzz", {}},                           // start_after beyond the prefix
      {"a/", "a/b\xff", {"a/c"}},                  // delimiter skip past "a/b..."
      {"a\xfe", "", {"a\xfe", "a\xfe\xff"}},
      {"a\xff", "", {"a\xff", std::string("a\xff\x00x", 4), "a\xff\xff", "a\xff\xff\xff"}},
      {"a\xff\xff", "", {"a\xff\xff", "a\xff\xff\xff"}},
      {"\xff", "", {"\xff", "\xff\xff", "\xff\xffz"}},  // no successor: unbounded above
      {"\xff\xff", "\xff\xff", {"\xff\xffz"}},
      {"nothing", "", {}},
      {"", "b", {"\xff", "\xff\xff", "\xff\xffz"}},
  };
  for (const PrefixCase& c : cases) {
    EXPECT_EQ(List(c.prefix, c.start_after), c.expected)
        << "prefix=" << ::testing::PrintToString(c.prefix)
        << " start_after=" << ::testing::PrintToString(c.start_after);
  }
}

TEST_F(ListingTest, PaginatesWithStartAfter) {
  std::vector<std::string> expected;
  for (int i = 0; i < 2500; ++i) {
    char key[16];
    std::snprintf(key, sizeof key, "k/%05d", i);
    expected.push_back(key);
  }
  // Bulk insert through the public API, plus neighbours outside the prefix on both sides.
  PutAll(expected);
  PutAll({"k", "k.", "k0", "j/zzz", "l"});

  std::vector<std::string> seen;
  std::vector<size_t> page_sizes;
  std::vector<bool> truncated;
  std::string after;
  while (true) {
    auto page = store_->ListObjects("b", "k/", after, 1000);
    ASSERT_TRUE(page.has_value());
    page_sizes.push_back(page->objects.size());
    truncated.push_back(page->truncated);
    for (const auto& object : page->objects) {
      seen.push_back(object.key);
    }
    if (!page->truncated) {
      break;
    }
    after = page->objects.back().key;
  }
  EXPECT_EQ(seen, expected);
  EXPECT_EQ(page_sizes, (std::vector<size_t>{1000, 1000, 500}));
  EXPECT_EQ(truncated, (std::vector<bool>{true, true, false}));

  auto exact = store_->ListObjects("b", "k/", "k/01999", 500);
  ASSERT_TRUE(exact.has_value());
  EXPECT_EQ(exact->objects.size(), 500u);
  EXPECT_FALSE(exact->truncated) << "exactly the remaining keys: not truncated";
  EXPECT_EQ(exact->objects.front().key, "k/02000");

  auto none = store_->ListObjects("b", "k/", "", 0);
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->objects.empty());
  EXPECT_TRUE(none->truncated) << "keys with the prefix exist after the (empty) page";
}

TEST_F(ListingTest, ListedRecordsCarryTheirMetadata) {
  ObjectRecord record = ObjectAt("b", "m", "\"x\"");
  record.user_metadata = {{"a", "1"}};
  ASSERT_TRUE(store_->CommitObject(Pending("12345"), record).has_value());
  auto page = store_->ListObjects("b", "", "", 10);
  ASSERT_TRUE(page.has_value());
  ASSERT_EQ(page->objects.size(), 1u);
  EXPECT_EQ(page->objects[0].bucket, "b");
  EXPECT_EQ(page->objects[0].size, 5u);
  EXPECT_EQ(page->objects[0].etag, "\"x\"");
  EXPECT_EQ(page->objects[0].user_metadata, record.user_metadata);
}

TEST_F(ListingTest, LongUtf8KeysRoundTrip) {
  std::string key;
  while (key.size() + 3 <= 1024) {
    key += "\xe2\x82\xac";  // euro sign, 3 bytes
  }
  key += "x";
  ASSERT_EQ(key.size(), 1024u);
  PutAll({key});
  EXPECT_EQ(List("\xe2\x82\xac"), std::vector<std::string>{key});
  EXPECT_EQ(store_->HeadObject("b", key)->key, key);
}

TEST_F(ListingTest, BucketsDoNotLeakIntoEachOther) {
  MakeBucket("b2");
  PutAll({"shared"});
  ASSERT_TRUE(Put("b2", "other", "x").has_value());
  EXPECT_EQ(List(""), std::vector<std::string>{"shared"});
}

TEST(PrefixSuccessorTest, Table) {
  const std::vector<std::pair<std::string, std::optional<std::string>>> cases = {
      {"", std::nullopt},
      {"a", "b"},
      {"a/", "a0"},
      {"a\xff", "b"},
      {"a\xff\xff", "b"},
      {"\xff", std::nullopt},
      {"\xff\xff", std::nullopt},
      {"a\xfe", "a\xff"},
      {std::string("a\x00", 2), std::string("a\x01", 2)},
  };
  for (const auto& [prefix, successor] : cases) {
    EXPECT_EQ(PrefixSuccessor(prefix), successor) << ::testing::PrintToString(prefix);
  }
}

}  // namespace
}  // namespace logbucket::storage::testing
