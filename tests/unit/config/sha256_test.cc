#include "config/sha256.h"

#include <gtest/gtest.h>

#include <string>

#include "config/config.h"

namespace logbucket::config {
namespace {

struct Vector {
  std::string input;
  std::string digest;
};

// FIPS 180-2 appendix B vectors plus the empty message.
TEST(Sha256Test, MatchesStandardVectors) {
  const std::vector<Vector> vectors = {
      {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
      {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
      {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
      {std::string(1'000'000, 'a'),
       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
  };
  for (const Vector& vector : vectors) {
    EXPECT_EQ(Sha256Hex(vector.input), vector.digest) << "input size " << vector.input.size();
  }
}

// Messages of 55, 56 and 64 bytes put the length in the same block, need a second block, or
// fill a block exactly: the padding edge cases.
TEST(Sha256Test, PaddingBoundaries) {
  EXPECT_EQ(Sha256Hex(std::string(55, 'a')),
            "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
  EXPECT_EQ(Sha256Hex(std::string(56, 'a')),
            "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
  EXPECT_EQ(Sha256Hex(std::string(64, 'a')),
            "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

TEST(DeriveCanonicalIdTest, IsSaltedSha256OfTheAccountId) {
  const std::string id = DeriveCanonicalId("000000000000");
  EXPECT_EQ(id, Sha256Hex("logbucket-canonical-user:000000000000"));
  EXPECT_EQ(id.size(), 64u);
  EXPECT_EQ(id, DeriveCanonicalId("000000000000"));
  EXPECT_NE(id, DeriveCanonicalId("111111111111"));
}

}  // namespace
}  // namespace logbucket::config
