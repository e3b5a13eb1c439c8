#include "config/values.h"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"

namespace logbucket::config {
namespace {

using std::chrono::milliseconds;

struct DurationCase {
  std::string text;
  std::optional<int64_t> millis;
};

TEST(ParseDurationTest, Table) {
  const std::vector<DurationCase> cases = {
      {"250ms", 250},
      {"5s", 5'000},
      {"10m", 600'000},
      {"1h", 3'600'000},
      {"2d", 172'800'000},
      {"30", 30'000},  // a bare number is seconds
      {"0", 0},
      {"0s", 0},
      {"", std::nullopt},
      {"s", std::nullopt},
      {"-5s", std::nullopt},
      {"+5s", std::nullopt},
      {"5 s", std::nullopt},
      {" 5s", std::nullopt},
      {"5sec", std::nullopt},
      {"5S", std::nullopt},
      {"1.5h", std::nullopt},
      {"5 parsecs", std::nullopt},
      {"1w", std::nullopt},
      {"9223372036854775807ms", 9'223'372'036'854'775'807},
      {"9223372036854775808ms", std::nullopt},     // past int64 milliseconds
      {"9223372036854775807s", std::nullopt},      // overflows when scaled
      {"99999999999999999999999d", std::nullopt},  // overflows while reading digits
  };
  for (const DurationCase& c : cases) {
    const auto parsed = ParseDuration(c.text);
    if (c.millis) {
      ASSERT_TRUE(parsed.has_value()) << c.text;
      EXPECT_EQ(parsed->count(), *c.millis) << c.text;
    } else {
      EXPECT_FALSE(parsed.has_value()) << c.text << " parsed as " << parsed->count();
    }
  }
}

struct SizeCase {
  std::string text;
  std::optional<uint64_t> bytes;
};

TEST(ParseSizeTest, Table) {
  const std::vector<SizeCase> cases = {
      {"1048576", 1'048'576},
      {"0", 0},
      {"10B", 10},
      {"64KB", 64'000},
      {"3MB", 3'000'000},
      {"2GB", 2'000'000'000},
      {"64KiB", 64 * 1024},
      {"64MiB", 64ull << 20},
      {"1GiB", 1ull << 30},
      {"5TiB", 5ull << 40},
      {"16K", 16 * 1024},
      {"16M", 16ull << 20},
      {"2G", 2ull << 30},
      {"18446744073709551615", 18'446'744'073'709'551'615ull},
      {"18446744073709551616", std::nullopt},
      {"17179869184GiB", std::nullopt},  // 2^34 GiB = 2^64 bytes overflows
      {"", std::nullopt},
      {"KiB", std::nullopt},
      {"-1", std::nullopt},
      {"1.5GiB", std::nullopt},
      {"64kib", std::nullopt},
      {"64 KiB", std::nullopt},
      {"lots", std::nullopt},
  };
  for (const SizeCase& c : cases) {
    const auto parsed = ParseSize(c.text);
    if (c.bytes) {
      ASSERT_TRUE(parsed.has_value()) << c.text;
      EXPECT_EQ(*parsed, *c.bytes) << c.text;
    } else {
      EXPECT_FALSE(parsed.has_value()) << c.text << " parsed as " << *parsed;
    }
  }
}

TEST(FormatDurationTest, ReadsBackExactly) {
  const std::vector<std::pair<int64_t, std::string>> cases = {
      {0, "0s"},        {1, "1ms"},        {1'500, "1500ms"},   {90'000, "90s"},
      {600'000, "10m"}, {3'600'000, "1h"}, {86'400'000, "24h"},
  };
  for (const auto& [millis, text] : cases) {
    EXPECT_EQ(FormatDuration(milliseconds(millis)), text);
    EXPECT_EQ(ParseDuration(text), milliseconds(millis)) << text;
  }
}

TEST(FormatSizeTest, ReadsBackExactly) {
  const std::vector<std::pair<uint64_t, std::string>> cases = {
      {0, "0"},
      {1000, "1000"},
      {16 * 1024, "16KiB"},
      {5ull << 30, "5GiB"},
      {1ull << 40, "1TiB"},
      {1025, "1025"},
  };
  for (const auto& [bytes, text] : cases) {
    EXPECT_EQ(FormatSize(bytes), text);
    EXPECT_EQ(ParseSize(text), bytes) << text;
  }
}

TEST(ParseBoolTest, Table) {
  for (const char* word : {"true", "TRUE", "1", "yes", "Yes", "on"}) {
    EXPECT_EQ(ParseBool(word), true) << word;
  }
  for (const char* word : {"false", "False", "0", "no", "off", "OFF"}) {
    EXPECT_EQ(ParseBool(word), false) << word;
  }
  for (const char* word : {"", "y", "n", "2", "enabled", "true "}) {
    EXPECT_EQ(ParseBool(word), std::nullopt) << word;
  }
}

TEST(ParseIntegerTest, Table) {
  EXPECT_EQ(ParseInteger("42"), 42);
  EXPECT_EQ(ParseInteger("-3"), -3);
  EXPECT_EQ(ParseInteger("+3"), std::nullopt);
  EXPECT_EQ(ParseInteger("4 "), std::nullopt);
  EXPECT_EQ(ParseInteger("four"), std::nullopt);
  EXPECT_EQ(ParseInteger(""), std::nullopt);
  EXPECT_EQ(ParseInteger("99999999999999999999"), std::nullopt);
}

struct HostPortCase {
  std::string text;
  bool ok;
  std::string host;
  uint16_t port;
};

TEST(ParseHostPortTest, Table) {
  const std::vector<HostPortCase> cases = {
      {"127.0.0.1:9000", true, "127.0.0.1", 9000},
      {"0.0.0.0:0", true, "0.0.0.0", 0},
      {"localhost:65535", true, "localhost", 65535},
      {"s3.example.test:80", true, "s3.example.test", 80},
      {"[::1]:9000", true, "::1", 9000},
      {"[::]:9000", true, "::", 9000},
      {"[fe80::1:2]:443", true, "fe80::1:2", 443},
      {"localhost", false, "", 0},
      {":9000", false, "", 0},
      {"localhost:", false, "", 0},
      {"localhost:65536", false, "", 0},
      {"localhost:-1", false, "", 0},
      {"localhost:+80", false, "", 0},
      {"local host:80", false, "", 0},
      {"::1:9000", false, "", 0},  // IPv6 needs brackets
      {"[::1]9000", false, "", 0},
      {"[::1]:", false, "", 0},
      {"[]:9000", false, "", 0},
      {"[nothex]:9000", false, "", 0},
      {"-bad.example:80", false, "", 0},
  };
  for (const HostPortCase& c : cases) {
    const auto parsed = ParseHostPort(c.text);
    ASSERT_EQ(parsed.has_value(), c.ok) << c.text;
    if (!c.ok) {
      continue;
    }
    EXPECT_EQ(parsed->host, c.host) << c.text;
    EXPECT_EQ(parsed->port, c.port) << c.text;
    EXPECT_EQ(FormatHostPort(parsed->host, parsed->port), c.text);
  }
}

TEST(IsValidRegionTest, Table) {
  for (const char* region : {"us-east-1", "eu-west-3", "ap-southeast-2", "local"}) {
    EXPECT_TRUE(IsValidRegion(region)) << region;
  }
  for (const char* region : {"", "US-EAST-1", "us_east_1", "-us", "us-", "us--east", "us east"}) {
    EXPECT_FALSE(IsValidRegion(region)) << region;
  }
}

TEST(IsValidHostNameTest, Table) {
  for (const char* host : {"localhost", "s3.example.test", "127.0.0.1", "a-b.c"}) {
    EXPECT_TRUE(IsValidHostName(host)) << host;
  }
  for (const char* host : {"", ".", "a..b", "a.", "-a", "a-", "a_b", "a b", "a:b"}) {
    EXPECT_FALSE(IsValidHostName(host)) << host;
  }
}

}  // namespace
}  // namespace logbucket::config
