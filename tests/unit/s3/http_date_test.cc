// HttpDate (Last-Modified and other date headers) against the IMF-fixdate that gmtime_r and
// snprintf give for the same instant, and back through ParseHttpDate.
#include <gtest/gtest.h>

#include <cstdio>
#include <ctime>
#include <random>
#include <string>

#include "server/s3/operation.h"

namespace logbucket::s3 {
namespace {

std::string Reference(int64_t ms) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  time_t t = static_cast<time_t>(ms / 1000);
  struct tm tm {};
  gmtime_r(&t, &tm);
  char buf[64];
  snprintf(buf, sizeof(buf), "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday], tm.tm_mday,
           kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

TEST(HttpDateTest, KnownInstants) {
  EXPECT_EQ(HttpDate(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(HttpDate(784111777000), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(HttpDate(784111777999), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(HttpDate(951782400000), "Tue, 29 Feb 2000 00:00:00 GMT");
  EXPECT_EQ(HttpDate(253402300799000), "Fri, 31 Dec 9999 23:59:59 GMT");
}

TEST(HttpDateTest, MatchesGmtimeAndParsesBack) {
  std::mt19937_64 rng(20261121);
  std::uniform_int_distribution<int64_t> any(0, 253402300799999);
  for (int i = 0; i < 20000; ++i) {
    const int64_t ms = any(rng);
    const std::string text = HttpDate(ms);
    ASSERT_EQ(text, Reference(ms)) << ms;
    // Parsing stops where system_clock does (2262-04-11): later dates are not dates.
    constexpr int64_t kClockEndMs = 9'223'372'036'854;
    if (ms / 1000 * 1000 <= kClockEndMs) {
      ASSERT_EQ(ParseHttpDate(text), ms / 1000 * 1000) << text;
    } else {
      ASSERT_EQ(ParseHttpDate(text), std::nullopt) << text;
    }
  }
}

}  // namespace
}  // namespace logbucket::s3
