// The three reflected CRCs S3 uses (CRC32, CRC32C, CRC64NVME): slicing-by-8 tables built at
// compile time, and zlib-style combination of two CRCs given the second message's length. On
// x86-64 CPUs with PCLMULQDQ, inputs of 64 bytes or more are first folded 64 bytes at a time
// with carry-less multiplications (constants x^N mod P computed at compile time), then the
// table finishes on the last 16-byte remainder and the tail.
#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#define LOGBUCKET_CRC_PCLMUL 1
#endif

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
constexpr T MultModP(T a, T b, T reflected_poly) {
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

// x^n mod P(x), reflected as MultModP's operands (bit width-1 is x^0).
template <typename T>
constexpr T XPowN(uint64_t n, T reflected_poly) {
  constexpr int kWidth = sizeof(T) * 8;
  T result = static_cast<T>(T{1} << (kWidth - 1));  // x^0
  T power = static_cast<T>(T{1} << (kWidth - 2));   // x^1
  while (n != 0) {
    if (n & 1) result = MultModP(power, result, reflected_poly);
    n >>= 1;
    power = MultModP(power, power, reflected_poly);
  }
  return result;
}

#ifdef LOGBUCKET_CRC_PCLMUL

// A 64-bit operand for PCLMULQDQ whose bit i is the coefficient of x^(63-i) (the bit order of
// little-endian loaded reflected data): x^n mod P moved to the top of the word.
template <typename T>
constexpr uint64_t FoldConstant(uint64_t n, T reflected_poly) {
  return static_cast<uint64_t>(XPowN<T>(n, reflected_poly)) << (64 - sizeof(T) * 8);
}

// Multiplying a 128-bit chunk X = Xh*x^64 + Xl (low quadword Xh in that bit order) by x^(8k)
// modulo P: Xh*(x^(8k+64) mod P) + Xl*(x^(8k) mod P), of degree < 127 so it fits in 128 bits.
// The product of two bit-reversed 64-bit words is the reversed 127-bit product one place
// short, hence the exponents 8k+63 and 8k-1.
struct FoldPair {
  uint64_t lo;  // multiplies the low quadword
  uint64_t hi;  // multiplies the high quadword
};
template <typename T>
constexpr FoldPair MakeFold(uint64_t bytes, T reflected_poly) {
  return {FoldConstant<T>(8 * bytes + 63, reflected_poly),
          FoldConstant<T>(8 * bytes - 1, reflected_poly)};
}

// The constants of one polynomial: ahead by 64 bytes (the 4-lane loop), and by 48, 32 and 16
// bytes (merging the lanes, then single 16-byte folds).
struct FoldConstants {
  FoldPair by64, by48, by32, by16;
};
template <typename T>
constexpr FoldConstants MakeFoldConstants(T reflected_poly) {
  return {MakeFold<T>(64, reflected_poly), MakeFold<T>(48, reflected_poly),
          MakeFold<T>(32, reflected_poly), MakeFold<T>(16, reflected_poly)};
}

constexpr FoldConstants kCrc32Fold = MakeFoldConstants<uint32_t>(kCrc32Poly);
constexpr FoldConstants kCrc32cFold = MakeFoldConstants<uint32_t>(kCrc32cPoly);
constexpr FoldConstants kCrc64NvmeFold = MakeFoldConstants<uint64_t>(kCrc64NvmePoly);

__attribute__((target("pclmul,sse2"))) inline __m128i Fold(__m128i x, FoldPair k) {
  const __m128i constants =
      _mm_set_epi64x(static_cast<long long>(k.hi), static_cast<long long>(k.lo));
  return _mm_xor_si128(_mm_clmulepi64_si128(x, constants, 0x00),
                       _mm_clmulepi64_si128(x, constants, 0x11));
}

__attribute__((target("pclmul,sse2"))) inline __m128i Load(const unsigned char* p) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}

// Requires bytes.size() >= 64. Folds the input (with `crc` XORed into its first bytes, as the
// table loop does) into one 16-byte block congruent to it modulo P, then lets the table finish
// on that block and on the tail: with the register folded in, the CRC of the shorter message
// from a zero register equals the CRC of the original one.
template <typename T>
__attribute__((target("pclmul,sse2"))) T UpdateFolded(const Tables<T>& t, const FoldConstants& k,
                                                      T crc, std::string_view bytes) {
  auto p = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t n = bytes.size();
  __m128i x0 = _mm_xor_si128(Load(p), _mm_set_epi64x(0, static_cast<long long>(crc)));
  __m128i x1 = Load(p + 16);
  __m128i x2 = Load(p + 32);
  __m128i x3 = Load(p + 48);
  p += 64;
  n -= 64;
  while (n >= 64) {
    x0 = _mm_xor_si128(Fold(x0, k.by64), Load(p));
    x1 = _mm_xor_si128(Fold(x1, k.by64), Load(p + 16));
    x2 = _mm_xor_si128(Fold(x2, k.by64), Load(p + 32));
    x3 = _mm_xor_si128(Fold(x3, k.by64), Load(p + 48));
    p += 64;
    n -= 64;
  }
  __m128i x = _mm_xor_si128(_mm_xor_si128(Fold(x0, k.by48), Fold(x1, k.by32)),
                            _mm_xor_si128(Fold(x2, k.by16), x3));
  while (n >= 16) {
    x = _mm_xor_si128(Fold(x, k.by16), Load(p));
    p += 16;
    n -= 16;
  }
  alignas(16) unsigned char block[16];
  _mm_store_si128(reinterpret_cast<__m128i*>(block), x);
  T folded = Update<T>(t, T{0}, std::string_view(reinterpret_cast<const char*>(block), 16));
  return Update<T>(t, folded, std::string_view(reinterpret_cast<const char*>(p), n));
}

bool HasPclmul() {
  static const bool has = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse2");
  return has;
}

template <typename T>
T UpdateAny(const Tables<T>& t, const FoldConstants& k, T crc, std::string_view bytes) {
  if (bytes.size() >= 64 && HasPclmul()) return UpdateFolded<T>(t, k, crc, bytes);
  return Update<T>(t, crc, bytes);
}

#else

struct FoldConstants {};
constexpr FoldConstants kCrc32Fold, kCrc32cFold, kCrc64NvmeFold;

template <typename T>
T UpdateAny(const Tables<T>& t, const FoldConstants&, T crc, std::string_view bytes) {
  return Update<T>(t, crc, bytes);
}

#endif

}  // namespace

uint64_t Initial(Kind kind) {
  return kind == Kind::kCrc64Nvme ? ~uint64_t{0} : uint64_t{0xFFFFFFFFu};
}

uint64_t Update(Kind kind, uint64_t state, std::string_view bytes) {
  switch (kind) {
    case Kind::kCrc32:
      return UpdateAny<uint32_t>(kCrc32Tables, kCrc32Fold, static_cast<uint32_t>(state), bytes);
    case Kind::kCrc32c:
      return UpdateAny<uint32_t>(kCrc32cTables, kCrc32cFold, static_cast<uint32_t>(state), bytes);
    case Kind::kCrc64Nvme:
      return UpdateAny<uint64_t>(kCrc64NvmeTables, kCrc64NvmeFold, state, bytes);
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
