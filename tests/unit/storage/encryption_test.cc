// storage/encryption: the AES-256-CTR transform at any offset, data key wrapping under the master
// key, and the master key file (created private, reused, refused when damaged or exposed).
#include "storage/encryption.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

namespace logbucket::storage {
namespace {

namespace fs = std::filesystem;

std::string FromHex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

template <size_t N>
std::array<unsigned char, N> ArrayFromHex(std::string_view hex) {
  std::array<unsigned char, N> out{};
  const std::string bytes = FromHex(hex);
  EXPECT_EQ(bytes.size(), N);
  std::memcpy(out.data(), bytes.data(), std::min(N, bytes.size()));
  return out;
}

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 random(seed);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(random());
  return out;
}

CtrCipher Cipher(const DataKey& key) {
  auto cipher = CtrCipher::Create(key);
  EXPECT_TRUE(cipher.has_value());
  return std::move(*cipher);
}

std::string OneShot(const DataKey& key, const std::string& plain) {
  std::string out(plain.size(), '\0');
  EXPECT_TRUE(Cipher(key).Transform(0, plain.data(), out.data(), plain.size()).has_value());
  return out;
}

// NIST SP 800-38A, F.5.5 CTR-AES256.Encrypt: the transform is AES-256 in CTR mode, counter
// incremented per 16-byte block from the IV.
TEST(CtrCipherTest, NistVector) {
  DataKey key;
  key.key = ArrayFromHex<32>("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");
  key.iv = ArrayFromHex<16>("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
  const std::string plain = FromHex(
      "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
      "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710");
  const std::string cipher = FromHex(
      "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c5"
      "2b0930daa23de94ce87017ba2d84988ddfc9c58db67aada613c2dd08457941a6");
  EXPECT_EQ(OneShot(key, plain), cipher);
  // Third block alone, at its offset.
  std::string block = plain.substr(32, 16);
  ASSERT_TRUE(Cipher(key).Transform(32, block.data(), block.size()).has_value());
  EXPECT_EQ(block, cipher.substr(32, 16));
}

TEST(CtrCipherTest, AnyOffsetAndLengthMatchesTheOneShotTransform) {
  auto key = NewDataKey();
  ASSERT_TRUE(key.has_value());
  const std::string plain = RandomBytes(100'000, 1);
  const std::string whole = OneShot(*key, plain);
  ASSERT_NE(whole, plain);
  CtrCipher cipher = Cipher(*key);  // one cipher for every piece: exercises re-seeking
  std::mt19937 random(7);
  for (int i = 0; i < 500; ++i) {
    const size_t offset = random() % plain.size();
    const size_t length = random() % std::min<size_t>(plain.size() - offset, 5000);
    std::string piece = whole.substr(offset, length);
    ASSERT_TRUE(cipher.Transform(offset, piece.data(), piece.size()).has_value());
    ASSERT_EQ(piece, plain.substr(offset, length)) << "offset " << offset << " length " << length;
  }
  // Sequential pieces of odd sizes continue the keystream.
  std::string pieces;
  CtrCipher sequential = Cipher(*key);
  for (size_t at = 0; at < plain.size();) {
    const size_t n = std::min<size_t>(plain.size() - at, 1 + random() % 97);
    std::string out(n, '\0');
    ASSERT_TRUE(sequential.Transform(at, plain.data() + at, out.data(), n).has_value());
    pieces += out;
    at += n;
  }
  EXPECT_EQ(pieces, whole);
}

TEST(CtrCipherTest, CounterCarriesAcrossAllBytesAndWraps) {
  DataKey key = *NewDataKey();
  key.iv.fill(0xff);
  key.iv[15] = 0xfe;  // block 1 is ff..ff, block 2 wraps to 00..00
  const std::string plain = RandomBytes(64, 3);
  const std::string whole = OneShot(key, plain);
  for (size_t offset : {1, 15, 16, 17, 31, 32, 33, 48}) {
    std::string piece = whole.substr(offset);
    ASSERT_TRUE(Cipher(key).Transform(offset, piece.data(), piece.size()).has_value());
    EXPECT_EQ(piece, plain.substr(offset)) << offset;
  }
}

class KeyRingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device random;
    dir_ = fs::temp_directory_path() /
           ("logbucket-keys-" + std::to_string(::getpid()) + "-" + std::to_string(random()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  fs::path KeyPath() const { return dir_ / "keys" / "master.key"; }
  static mode_t Mode(const fs::path& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st.st_mode & 07777;
  }

  fs::path dir_;
};

TEST_F(KeyRingTest, CreatesAPrivateKeyFileAndReusesIt) {
  auto ring = KeyRing::Open(dir_);
  ASSERT_TRUE(ring.has_value()) << ring.error().message;
  EXPECT_EQ(Mode(KeyPath()), 0600u);
  EXPECT_EQ(Mode(dir_ / "keys"), 0700u);
  EXPECT_EQ(fs::file_size(KeyPath()), KeyRing::kMasterKeyBytes);
  size_t entries = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir_ / "keys")) ++entries;
  EXPECT_EQ(entries, 1u) << "no temporary file is left behind";

  const DataKey key = *NewDataKey();
  auto wrapped = ring->Wrap(key);
  ASSERT_TRUE(wrapped.has_value());
  const std::string before = [&] {
    std::ifstream in(KeyPath(), std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }();
  auto reopened = KeyRing::Open(dir_);
  ASSERT_TRUE(reopened.has_value()) << reopened.error().message;
  const std::string after = [&] {
    std::ifstream in(KeyPath(), std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }();
  EXPECT_EQ(before, after) << "the existing key is read, never replaced";
  auto unwrapped = reopened->Unwrap(*wrapped);
  ASSERT_TRUE(unwrapped.has_value()) << unwrapped.error().message;
  EXPECT_EQ(unwrapped->key, key.key);
  EXPECT_EQ(unwrapped->iv, key.iv);
}

TEST_F(KeyRingTest, WrapIsRandomizedAndTamperingIsRefused) {
  auto ring = KeyRing::Open(dir_);
  ASSERT_TRUE(ring.has_value());
  const DataKey key = *NewDataKey();
  const std::string a = *ring->Wrap(key);
  const std::string b = *ring->Wrap(key);
  EXPECT_EQ(a.size(), 77u);
  EXPECT_NE(a, b) << "a fresh nonce per wrap";
  EXPECT_EQ(ring->Unwrap(b)->key, key.key);
  for (size_t i = 0; i < a.size(); ++i) {
    std::string tampered = a;
    tampered[i] = static_cast<char>(tampered[i] ^ 0x01);
    auto got = ring->Unwrap(tampered);
    ASSERT_FALSE(got.has_value()) << "byte " << i;
    EXPECT_EQ(got.error().code, ErrorCode::kCorrupt);
  }
  for (const std::string& bad : {std::string(), a.substr(0, 76), a + "x"}) {
    auto got = ring->Unwrap(bad);
    ASSERT_FALSE(got.has_value());
    EXPECT_EQ(got.error().code, ErrorCode::kCorrupt);
  }
  // Another data directory has another master key.
  fs::create_directories(dir_ / "other");
  auto other = KeyRing::Open(dir_ / "other");
  ASSERT_TRUE(other.has_value());
  auto foreign = other->Unwrap(a);
  ASSERT_FALSE(foreign.has_value());
  EXPECT_EQ(foreign.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(foreign.error().message.find("authentication"), std::string::npos);
}

TEST_F(KeyRingTest, RefusesAKeyFileOfTheWrongSizeOrMode) {
  ASSERT_TRUE(KeyRing::Open(dir_).has_value());
  fs::permissions(KeyPath(), fs::perms::owner_read | fs::perms::owner_write |
                                 fs::perms::group_read | fs::perms::others_read);
  auto exposed = KeyRing::Open(dir_);
  ASSERT_FALSE(exposed.has_value());
  EXPECT_NE(exposed.error().message.find(KeyPath().string()), std::string::npos)
      << exposed.error().message;
  EXPECT_NE(exposed.error().message.find("0644"), std::string::npos) << exposed.error().message;

  fs::permissions(KeyPath(), fs::perms::owner_read | fs::perms::owner_write);
  fs::resize_file(KeyPath(), 31);
  auto short_key = KeyRing::Open(dir_);
  ASSERT_FALSE(short_key.has_value());
  EXPECT_NE(short_key.error().message.find(KeyPath().string()), std::string::npos);
  EXPECT_NE(short_key.error().message.find("31 bytes"), std::string::npos)
      << short_key.error().message;
}

TEST_F(KeyRingTest, LoaderOpensOnFirstUseAndRetriesAfterAFailure) {
  fs::create_directories(dir_ / "keys");
  { std::ofstream(KeyPath()) << "short"; }
  fs::permissions(KeyPath(), fs::perms::owner_read | fs::perms::owner_write);
  KeyRingLoader loader(dir_);
  ASSERT_FALSE(loader.Get().has_value());
  fs::remove(KeyPath());
  auto ring = loader.Get();
  ASSERT_TRUE(ring.has_value()) << ring.error().message;
  auto again = loader.Get();
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(*ring, *again) << "loaded once, then shared";
}

}  // namespace
}  // namespace logbucket::storage
