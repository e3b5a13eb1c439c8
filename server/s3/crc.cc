// The three reflected CRCs S3 uses (CRC32, CRC32C, CRC64NVME): slicing-by-8 tables built at
// compile time, and zlib-style combination of two CRCs given the second message's length.
#include <array>

#include "server/s3/checksum.h"

namespace logbucket::s3::crc {
namespace {

// Bit-reverses the low `width` bits of a normal-form polynomial: the table-driven algorithm for a
// reflected CRC shifts right, so it works with the reversed polynomial.
constexpr uint64_t Reverse(uint64_t value, int width) {
  uint64_t out = 0;
  for (int i = 0; i < width; ++i) {
    out = (out << 1) | ((value >> i) & 1);
  }
  return out;
}

template <typename T>
using Tables = std::array<std::array<T, 256>, 8>;

// tables[0] is the classic byte table; tables[k][b] is the CRC of byte b followed by k zero bytes,
// which lets the inner loop fold eight input bytes with eight independent lookups.
template <typename T>
constexpr Tables<T> MakeTables(T reflected_poly) {
  Tables<T> t{};
  for (unsigned b = 0; b < 256; ++b) {
    T crc = static_cast<T>(b);
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 1) ? static_cast<T>((crc >> 1) ^ reflected_poly) : static_cast<T>(crc >> 1);
    }
    t[0][b] = crc;
  }
  for (int k = 1; k < 8; ++k) {
    for (unsigned b = 0; b < 256; ++b) {
      T prev = t[k - 1][b];
      t[k][b] = static_cast<T>((prev >> 8) ^ t[0][prev & 0xff]);
    }
  }
  return t;
}

constexpr uint32_t kCrc32Poly = 0xEDB88320u;   // reflected 0x04C11DB7 (zlib, IEEE 802.3)
constexpr uint32_t kCrc32cPoly = 0x82F63B78u;  // reflected 0x1EDC6F41 (Castagnoli)
constexpr uint64_t kCrc64NvmePoly = Reverse(0xad93d23594c93659ull, 64);

static_assert(Reverse(0x04C11DB7u, 32) == kCrc32Poly);
static_assert(Reverse(0x1EDC6F41u, 32) == kCrc32cPoly);

constexpr Tables<uint32_t> kCrc32Tables = MakeTables<uint32_t>(kCrc32Poly);
constexpr Tables<uint32_t> kCrc32cTables = MakeTables<uint32_t>(kCrc32cPoly);
constexpr Tables<uint64_t> kCrc64NvmeTables = MakeTables<uint64_t>(kCrc64NvmePoly);

inline uint64_t LoadLittleEndian64(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];  // compilers turn this into one load
  return v;
}

// Updates a raw (pre-inverted) register; works for any width up to 64 bits because the register
// occupies the low bytes of the 8-byte word it is XORed into.
template <typename T>
T Update(const Tables<T>& t, T crc, std::string_view bytes) {
  auto p = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t n = bytes.size();
  while (n >= 8) {
    uint64_t v = LoadLittleEndian64(p) ^ static_cast<uint64_t>(crc);
    crc = static_cast<T>(t[7][v & 0xff] ^ t[6][(v >> 8) & 0xff] ^ t[5][(v >> 16) & 0xff] ^
                         t[4][(v >> 24) & 0xff] ^ t[3][(v >> 32) & 0xff] ^ t[2][(v >> 40) & 0xff] ^
                         t[1][(v >> 48) & 0xff] ^ t[0][v >> 56]);
    p += 8;
    n -= 8;
  }
  while (n-- > 0) {
    crc = static_cast<T>(t[0][(crc ^ *p++) & 0xff] ^ (crc >> 8));
  }
  return crc;
}

// a(x) * b(x) mod P(x) in the reflected representation (bit width-1 is x^0), as zlib's
// multmodp.
template <typename T>
T MultModP(T a, T b, T reflected_poly) {
  constexpr int kWidth = sizeof(T) * 8;
  T m = static_cast<T>(T{1} << (kWidth - 1));
  T p = 0;
  while (m != 0) {
    if (a & m) p ^= b;
    m >>= 1;
    b = (b & 1) ? static_cast<T>((b >> 1) ^ reflected_poly) : static_cast<T>(b >> 1);
  }
  return p;
}

// x^(8 * length) mod P(x), by square-and-multiply over the bits of length.
template <typename T>
T XPow8N(uint64_t length, T reflected_poly) {
  constexpr int kWidth = sizeof(T) * 8;
  T result = static_cast<T>(T{1} << (kWidth - 1));     // x^0
  T power = static_cast<T>(T{1} << (kWidth - 1 - 8));  // x^8: one byte
  while (length != 0) {
    if (length & 1) result = MultModP(power, result, reflected_poly);
    length >>= 1;
    power = MultModP(power, power, reflected_poly);
  }
  return result;
}

}  // namespace

uint64_t Initial(Kind kind) {
  return kind == Kind::kCrc64Nvme ? ~uint64_t{0} : uint64_t{0xFFFFFFFFu};
}

uint64_t Update(Kind kind, uint64_t state, std::string_view bytes) {
  switch (kind) {
    case Kind::kCrc32:
      return Update<uint32_t>(kCrc32Tables, static_cast<uint32_t>(state), bytes);
    case Kind::kCrc32c:
      return Update<uint32_t>(kCrc32cTables, static_cast<uint32_t>(state), bytes);
    case Kind::kCrc64Nvme:
      return Update<uint64_t>(kCrc64NvmeTables, state, bytes);
  }
  return state;
}

uint64_t Final(Kind kind, uint64_t state) { return state ^ Initial(kind); }

uint64_t Compute(Kind kind, std::string_view bytes) {
  return Final(kind, Update(kind, Initial(kind), bytes));
}

// With init == xorout (true of all three), CRC(A || B) = CRC(A) * x^(8|B|) ^ CRC(B): the
// initial-value terms cancel.
uint64_t Combine(Kind kind, uint64_t crc_a, uint64_t crc_b, uint64_t length_b) {
  switch (kind) {
    case Kind::kCrc32:
    case Kind::kCrc32c: {
      uint32_t poly = kind == Kind::kCrc32 ? kCrc32Poly : kCrc32cPoly;
      uint32_t shifted =
          MultModP<uint32_t>(XPow8N<uint32_t>(length_b, poly), static_cast<uint32_t>(crc_a), poly);
      return shifted ^ static_cast<uint32_t>(crc_b);
    }
    case Kind::kCrc64Nvme:
      return MultModP<uint64_t>(XPow8N<uint64_t>(length_b, kCrc64NvmePoly), crc_a, kCrc64NvmePoly) ^
             crc_b;
  }
  return crc_b;
}

int Width(Kind kind) { return kind == Kind::kCrc64Nvme ? 8 : 4; }

std::string ToBigEndian(Kind kind, uint64_t value) {
  int width = Width(kind);
  std::string out(static_cast<size_t>(width), '\0');
  for (int i = width - 1; i >= 0; --i) {
    out[static_cast<size_t>(i)] = static_cast<char>(value & 0xff);
    value >>= 8;
  }
  return out;
}

std::optional<uint64_t> FromBigEndian(Kind kind, std::string_view raw) {
  if (raw.size() != static_cast<size_t>(Width(kind))) return std::nullopt;
  uint64_t value = 0;
  for (char c : raw) value = (value << 8) | static_cast<unsigned char>(c);
  return value;
}

}  // namespace logbucket::s3::crc
