#include "logging/access_log_line.h"

#include <gtest/gtest.h>

#include <random>
#include <regex>

namespace logbucket::logging {
namespace {

using namespace std::chrono;

// The effective Athena regex of Amazon's documentation (reference section 8).
const std::regex& AthenaRegex() {
  static const std::regex re(
      R"(([^ ]*) ([^ ]*) \[(.*?)\] ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ("[^"]*"|-) (-|[0-9]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ("[^"]*"|-) ([^ ]*)(?: ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*))?.*$)",
      std::regex::ECMAScript);
  return re;
}

// Matches `line` against the Athena regex and checks that each of the 26 groups holds exactly
// the field the parser found (quotes included for the quoted fields, as Athena sees them).
void ExpectAthenaFieldsMatch(const std::string& line) {
  std::smatch m;
  ASSERT_TRUE(std::regex_match(line, m, AthenaRegex())) << line;
  auto parsed = ParseAccessLogLine(line);
  ASSERT_TRUE(parsed.has_value()) << parsed.error();
  for (std::size_t i = 0; i < kAccessLogFieldCount; ++i) {
    const auto field = static_cast<AccessLogField>(i);
    const std::string expected =
        parsed->IsQuoted(field) ? "\"" + (*parsed)[i] + "\"" : (*parsed)[i];
    EXPECT_EQ(m[i + 1].str(), expected) << "field " << i + 1 << " of " << line;
  }
}

system_clock::time_point Feb6(int h, int m, int s) {
  return sys_days{year{2019} / 2 / 6} + hours{h} + minutes{m} + seconds{s};
}

AccessLogRecord DocRecord() {
  AccessLogRecord r;
  r.bucket_owner = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be";
  r.bucket = "amzn-s3-demo-bucket1";
  r.time = Feb6(0, 0, 38) + milliseconds(917);
  r.remote_ip = "192.0.2.3";
  r.requester = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be";
  r.request_id = "3E57427F3EXAMPLE";
  r.operation = "REST.GET.VERSIONING";
  r.request_uri = "GET /amzn-s3-demo-bucket1?versioning HTTP/1.1";
  r.http_status = 200;
  r.bytes_sent = 113;
  r.total_time_ms = 7;
  r.referer = "";
  r.user_agent = "S3Console/0.4";
  r.host_id = "s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234=";
  r.signature_version = "SigV4";
  r.cipher_suite = "ECDHE-RSA-AES128-GCM-SHA256";
  r.auth_type = "AuthHeader";
  r.host_header = "amzn-s3-demo-bucket1.s3.us-west-1.amazonaws.com";
  r.tls_version = "TLSv1.2";
  r.access_point_arn = "arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP";
  r.acl_required = true;
  r.source_region = "us-east-1";
  return r;
}

TEST(AccessLogLineTest, GoldenAwsDocVersioningWithSourceRegion) {
  const std::string expected =
      "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be amzn-s3-demo-bucket1 "
      "[06/Feb/2019:00:00:38 +0000] 192.0.2.3 "
      "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be 3E57427F3EXAMPLE "
      "REST.GET.VERSIONING - \"GET /amzn-s3-demo-bucket1?versioning HTTP/1.1\" 200 - 113 - 7 - "
      "\"-\" \"S3Console/0.4\" - "
      "s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV4 "
      "ECDHE-RSA-AES128-GCM-SHA256 AuthHeader amzn-s3-demo-bucket1.s3.us-west-1.amazonaws.com "
      "TLSv1.2 arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP Yes us-east-1";
  const std::string line = FormatAccessLogLine(DocRecord(), true);
  EXPECT_EQ(line, expected);
  ExpectAthenaFieldsMatch(line);
  auto parsed = ParseAccessLogLine(line);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->size(), 27u);
  EXPECT_EQ(parsed->Get(AccessLogField::kSourceRegion), "us-east-1");
}

TEST(AccessLogLineTest, FormatIntoReplacesTheBufferAndTakesTheRegionGiven) {
  AccessLogRecord record = DocRecord();
  std::string out = std::string(2000, 'x');  // a longer previous line: nothing of it may remain
  FormatAccessLogLineInto(out, record, std::string_view("eu-west-3"));
  record.source_region = "eu-west-3";
  EXPECT_EQ(out, FormatAccessLogLine(record, true));
  FormatAccessLogLineInto(out, record, std::nullopt);
  EXPECT_EQ(out, FormatAccessLogLine(record, false));
  EXPECT_EQ(ParseAccessLogLine(out)->size(), kAccessLogFieldCount);
}

TEST(AccessLogLineTest, GoldenAwsDocWithoutSourceRegionEndsAtAclRequired) {
  AccessLogRecord r = DocRecord();
  r.request_id = "891CE47D2EXAMPLE";
  r.operation = "REST.GET.LOGGING_STATUS";
  r.request_uri = "GET /amzn-s3-demo-bucket1?logging HTTP/1.1";
  r.bytes_sent = 242;
  r.total_time_ms = 11;
  r.host_id = "9vKBE6vMhrNiWHZmb2L0mXOcqPGzQOI5XLnCtZNPxev+Hf+7tpT6sxDwDty4LHBUOZJG96N1234=";
  r.access_point_arn = "";
  r.acl_required = false;
  const std::string expected =
      "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be amzn-s3-demo-bucket1 "
      "[06/Feb/2019:00:00:38 +0000] 192.0.2.3 "
      "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be 891CE47D2EXAMPLE "
      "REST.GET.LOGGING_STATUS - \"GET /amzn-s3-demo-bucket1?logging HTTP/1.1\" 200 - 242 - 11 - "
      "\"-\" \"S3Console/0.4\" - "
      "9vKBE6vMhrNiWHZmb2L0mXOcqPGzQOI5XLnCtZNPxev+Hf+7tpT6sxDwDty4LHBUOZJG96N1234= SigV4 "
      "ECDHE-RSA-AES128-GCM-SHA256 AuthHeader amzn-s3-demo-bucket1.s3.us-west-1.amazonaws.com "
      "TLSv1.2 - -";
  const std::string line = FormatAccessLogLine(r, false);
  EXPECT_EQ(line, expected);
  ExpectAthenaFieldsMatch(line);
  EXPECT_EQ(ParseAccessLogLine(line)->size(), 26u);
  // With the 27th field requested, it is appended ("-" when unknown).
  r.source_region = "";
  EXPECT_EQ(FormatAccessLogLine(r, true), expected + " -");
}

TEST(AccessLogLineTest, GoldenAwsDocPutObjectAndErrorRecords) {
  AccessLogRecord put = DocRecord();
  put.bucket = "DOC-EXAMPLE-BUCKET1";
  put.time = Feb6(0, 1, 57);
  put.request_id = "DD6CC733AEXAMPLE";
  put.operation = "REST.PUT.OBJECT";
  put.key = "s3-dg.pdf";
  put.request_uri = "PUT /DOC-EXAMPLE-BUCKET1/s3-dg.pdf HTTP/1.1";
  put.bytes_sent = 0;
  put.object_size = 4406583;
  put.total_time_ms = 41754;
  put.turn_around_time_ms = 28;
  put.host_id = "10S62Zv81kBW7BB6SX4XJ48o6kpcl6LPwEoizZQQxJd5qDSCTLX0TgS37kYUBKQW3+bPdrg1234=";
  put.cipher_suite = "ECDHE-RSA-AES128-SHA";
  put.host_header = "DOC-EXAMPLE-BUCKET1.s3.us-west-1.amazonaws.com";
  put.access_point_arn = "";
  EXPECT_EQ(FormatAccessLogLine(put, false),
            "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be DOC-EXAMPLE-BUCKET1 "
            "[06/Feb/2019:00:01:57 +0000] 192.0.2.3 "
            "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be DD6CC733AEXAMPLE "
            "REST.PUT.OBJECT s3-dg.pdf \"PUT /DOC-EXAMPLE-BUCKET1/s3-dg.pdf HTTP/1.1\" 200 - - "
            "4406583 41754 28 \"-\" \"S3Console/0.4\" - "
            "10S62Zv81kBW7BB6SX4XJ48o6kpcl6LPwEoizZQQxJd5qDSCTLX0TgS37kYUBKQW3+bPdrg1234= SigV4 "
            "ECDHE-RSA-AES128-SHA AuthHeader DOC-EXAMPLE-BUCKET1.s3.us-west-1.amazonaws.com "
            "TLSv1.2 - Yes");

  AccessLogRecord error = put;
  error.time = Feb6(0, 0, 38);
  error.request_id = "A1206F460EXAMPLE";
  error.operation = "REST.GET.BUCKETPOLICY";
  error.key = "";
  error.request_uri = "GET /DOC-EXAMPLE-BUCKET1?policy HTTP/1.1";
  error.http_status = 404;
  error.error_code = "NoSuchBucketPolicy";
  error.bytes_sent = 297;
  error.object_size.reset();
  error.total_time_ms = 38;
  error.turn_around_time_ms.reset();
  error.host_id = "BNaBsXZQQDbssi6xMBdBU2sLt+Yf5kZDmeBUP35sFoKa3sLLeMC78iwEIWxs99CRUrbS4n11234=";
  error.cipher_suite = "ECDHE-RSA-AES128-GCM-SHA256";
  const std::string line = FormatAccessLogLine(error, false);
  EXPECT_EQ(line,
            "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be DOC-EXAMPLE-BUCKET1 "
            "[06/Feb/2019:00:00:38 +0000] 192.0.2.3 "
            "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be A1206F460EXAMPLE "
            "REST.GET.BUCKETPOLICY - \"GET /DOC-EXAMPLE-BUCKET1?policy HTTP/1.1\" 404 "
            "NoSuchBucketPolicy 297 - 38 - \"-\" \"S3Console/0.4\" - "
            "BNaBsXZQQDbssi6xMBdBU2sLt+Yf5kZDmeBUP35sFoKa3sLLeMC78iwEIWxs99CRUrbS4n11234= SigV4 "
            "ECDHE-RSA-AES128-GCM-SHA256 AuthHeader DOC-EXAMPLE-BUCKET1.s3.us-west-1.amazonaws.com "
            "TLSv1.2 - Yes");
  ExpectAthenaFieldsMatch(line);
}

TEST(AccessLogLineTest, GoldenBatchDeleteRecordHasBareDashes) {
  AccessLogRecord r;
  r.bucket_owner = "183c9826b45486e485693808f38e2c4071004bf5dfd4c3ab210f0a21a4235ef8";
  r.bucket = "stevel-london";
  r.time = sys_days{year{2021} / 2 / 24} + hours{14} + minutes{53} + seconds{53};
  r.remote_ip = "109.157.193.10";
  r.requester = "arn:aws:iam::152813717728:user/stevel-dev";
  r.request_id = "D630F8F6B949DA00";
  r.operation = "BATCH.DELETE.OBJECT";
  r.key = "fork-0004/";
  r.http_status = 204;
  r.host_id = "WVzx2GM3UeoXx11TVb+v1u1reJl+ahOiJApP9NDIHWBQPF87OXQyKKc/31NGXPNXLSEigGJZleg=";
  r.signature_version = "SigV4";
  r.cipher_suite = "ECDHE-RSA-AES128-GCM-SHA256";
  r.auth_type = "AuthHeader";
  r.host_header = "stevel-london.s3.eu-west-2.amazonaws.com";
  r.tls_version = "TLSv1.2";
  // The real 2021 line ends at field 24; fields 25 and 26 came later.
  const std::string line = FormatAccessLogLine(r, false);
  EXPECT_EQ(line,
            "183c9826b45486e485693808f38e2c4071004bf5dfd4c3ab210f0a21a4235ef8 stevel-london "
            "[24/Feb/2021:14:53:53 +0000] 109.157.193.10 arn:aws:iam::152813717728:user/stevel-dev "
            "D630F8F6B949DA00 BATCH.DELETE.OBJECT fork-0004/ - 204 - - - - - - - - "
            "WVzx2GM3UeoXx11TVb+v1u1reJl+ahOiJApP9NDIHWBQPF87OXQyKKc/31NGXPNXLSEigGJZleg= SigV4 "
            "ECDHE-RSA-AES128-GCM-SHA256 AuthHeader stevel-london.s3.eu-west-2.amazonaws.com "
            "TLSv1.2 - -");
  ExpectAthenaFieldsMatch(line);
  auto parsed = ParseAccessLogLine(line);
  ASSERT_TRUE(parsed);
  EXPECT_FALSE(parsed->IsQuoted(AccessLogField::kRequestUri));
  EXPECT_FALSE(parsed->IsQuoted(AccessLogField::kUserAgent));
  EXPECT_EQ(parsed->Get(AccessLogField::kUserAgent), "-");
}

TEST(AccessLogLineTest, KeyIsUrlEncodedOnceKeepingSlash) {
  struct Case {
    std::string key, logged;
  };
  const Case cases[] = {
      {"photos/2019/08/puppy.jpg", "photos/2019/08/puppy.jpg"},
      {"my%20file", "my%2520file"},  // REST: the wire key, so the name appears encoded twice
      {"my file", "my%20file"},      // BATCH.DELETE.OBJECT: the decoded key, encoded once
      {"a+b=c&d", "a%2Bb%3Dc%26d"},
      {"~_-.", "~_-."},
      {"\xc3\xa9t\xc3\xa9", "%C3%A9t%C3%A9"},
  };
  for (const Case& c : cases) {
    AccessLogRecord r = DocRecord();
    r.key = c.key;
    auto parsed = ParseAccessLogLine(FormatAccessLogLine(r, false));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->Get(AccessLogField::kKey), c.logged) << c.key;
  }
}

TEST(AccessLogLineTest, HostileBytesStayInTheirFields) {
  AccessLogRecord r = DocRecord();
  r.key = std::string("a b/\"c\"\n\0\xff%", 11);
  r.user_agent = "a \"b\"\tc%22d\\e";
  r.referer = "http://x/a b%20c\"";
  r.host_header = "evil host\"\r\n";
  r.request_uri = "GET /b/a%20b\"c HTTP/1.1";
  r.version_id = "v\xff 1";
  r.requester = std::string("\0x\x7f", 3);
  const std::string line = FormatAccessLogLine(r, false);
  EXPECT_EQ(line.find_first_of(std::string("\n\r\t\0", 4)), std::string::npos);
  ExpectAthenaFieldsMatch(line);
  auto parsed = ParseAccessLogLine(line);
  ASSERT_TRUE(parsed) << parsed.error();
  ASSERT_EQ(parsed->size(), 26u);
  EXPECT_EQ(parsed->Get(AccessLogField::kKey), "a%20b/%22c%22%0A%00%FF%25");
  EXPECT_EQ(parsed->Get(AccessLogField::kUserAgent), "a %22b%22%09c%2522d%5Ce");
  EXPECT_EQ(parsed->Get(AccessLogField::kReferer), "http://x/a%20b%2520c%22");
  EXPECT_EQ(parsed->Get(AccessLogField::kHostHeader), "evil%20host%22%0D%0A");
  EXPECT_EQ(parsed->Get(AccessLogField::kRequestUri), "GET /b/a%20b%22c HTTP/1.1");
  EXPECT_EQ(parsed->Get(AccessLogField::kVersionId), "v\xff%201");
  EXPECT_EQ(parsed->Get(AccessLogField::kRequester), "%00x%7F");
  // The escaping is reversible.
  EXPECT_EQ(
      UnescapeAccessLogField(AccessLogField::kUserAgent, parsed->Get(AccessLogField::kUserAgent)),
      *r.user_agent);
  EXPECT_EQ(UnescapeAccessLogField(AccessLogField::kReferer, parsed->Get(AccessLogField::kReferer)),
            *r.referer);
  EXPECT_EQ(
      UnescapeAccessLogField(AccessLogField::kRequester, parsed->Get(AccessLogField::kRequester)),
      r.requester);
}

TEST(AccessLogLineTest, ParseRejectsShortAndMalformedLines) {
  const std::string good = FormatAccessLogLine(DocRecord(), false);
  struct Case {
    std::string line;
    bool ok;
  };
  const Case cases[] = {
      {good, true},
      {good + " us-east-1 \"future field\"", true},
      {good.substr(0, good.rfind(' ')), false},  // 25 fields
      {"", false},
      {"owner bucket 06/Feb/2019:00:00:38 +0000] rest", false},  // no '['
      {"owner bucket [06/Feb/2019:00:00:38 +0000 rest", false},  // no ']'
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ParseAccessLogLine(c.line).has_value(), c.ok) << c.line;
  }
  auto longer = ParseAccessLogLine(good + " us-east-1 \"future field\"");
  ASSERT_TRUE(longer);
  EXPECT_EQ(longer->size(), 28u);
  EXPECT_EQ((*longer)[27], "future field");
}

TEST(AccessLogLineTest, TimeFormatsAndParsesBack) {
  const auto t = sys_days{year{2024} / 12 / 31} + hours{23} + minutes{59} + seconds{7};
  EXPECT_EQ(FormatAccessLogTime(t + milliseconds(999)), "31/Dec/2024:23:59:07 +0000");
  EXPECT_EQ(ParseAccessLogTime("31/Dec/2024:23:59:07 +0000"), t);
  EXPECT_FALSE(ParseAccessLogTime("31/Dez/2024:23:59:07 +0000"));
  EXPECT_FALSE(ParseAccessLogTime("31/Dec/2024:23:59:07 +0100"));
}

// Found by the access_log_line fuzzer once it fed ParseAccessLogTime arbitrary text: a year
// after 2262 or before 1678 overflowed system_clock's nanoseconds (signed overflow, undefined
// behaviour) instead of being refused.
TEST(AccessLogLineTest, TimeBeyondTheClockRangeIsRefused) {
  const auto last = ParseAccessLogTime("11/Apr/2262:00:00:00 +0000");
  ASSERT_TRUE(last);
  EXPECT_EQ(FormatAccessLogTime(*last), "11/Apr/2262:00:00:00 +0000");
  const auto first = ParseAccessLogTime("22/Sep/1677:00:00:00 +0000");
  ASSERT_TRUE(first);
  EXPECT_EQ(FormatAccessLogTime(*first), "22/Sep/1677:00:00:00 +0000");
  for (const char* text : {"12/Apr/2262:00:00:00 +0000", "31/Dec/9999:23:59:59 +0000",
                           "21/Sep/1677:00:00:00 +0000", "01/Jan/0000:00:00:00 +0000"}) {
    EXPECT_FALSE(ParseAccessLogTime(text)) << text;
  }
}

// Random records from a fixed seed: every line matches the Athena regex and every field parses
// back to what the record held.
TEST(AccessLogLineTest, PropertyParseInvertsFormat) {
  std::mt19937 rng(20240305);
  static constexpr char kAlphabet[] = "aZ09 -_.~/%\"\\\t\r\n\x7f\xff\xc3\xa9[]2F5AC";
  const std::string alphabet = std::string(kAlphabet, sizeof(kAlphabet) - 1) + '\0';
  auto text = [&](int max_len) {
    std::string s(std::uniform_int_distribution<int>(0, max_len)(rng), ' ');
    for (char& c : s)
      c = alphabet[std::uniform_int_distribution<size_t>(0, alphabet.size() - 1)(rng)];
    return s;
  };
  auto maybe = [&](int max_len) -> std::optional<std::string> {
    if (rng() % 4 == 0) {
      return std::nullopt;
    }
    return text(max_len);
  };
  auto maybe_number = [&]() -> std::optional<uint64_t> {
    if (rng() % 3 == 0) {
      return std::nullopt;
    }
    return rng() % 100000;
  };
  for (int i = 0; i < 300; ++i) {
    AccessLogRecord r;
    r.bucket_owner = text(8);
    r.bucket = text(8);
    r.time = system_clock::time_point(seconds(rng() % 4000000000u));
    r.remote_ip = text(6);
    r.requester = text(12);
    r.request_id = text(6);
    r.operation = text(6);
    r.key = text(16);
    r.request_uri = maybe(20);
    r.http_status = static_cast<int>(rng() % 600);
    r.error_code = text(6);
    r.bytes_sent = rng() % 3 == 0 ? 0 : rng() % 100000;
    r.object_size = maybe_number();
    r.total_time_ms = maybe_number();
    r.turn_around_time_ms = maybe_number();
    r.referer = maybe(16);
    r.user_agent = maybe(16);
    r.version_id = text(6);
    r.host_id = text(6);
    r.signature_version = text(4);
    r.cipher_suite = text(4);
    r.auth_type = text(4);
    r.host_header = text(10);
    r.tls_version = text(4);
    r.access_point_arn = text(6);
    r.acl_required = rng() % 2 == 0;
    r.source_region = text(5);
    const bool with_region = i % 2 == 0;
    const std::string line = FormatAccessLogLine(r, with_region);
    SCOPED_TRACE(line);
    ExpectAthenaFieldsMatch(line);
    auto parsed = ParseAccessLogLine(line);
    ASSERT_TRUE(parsed) << parsed.error();
    ASSERT_EQ(parsed->size(), with_region ? 27u : 26u);
    auto expect_bare = [&](AccessLogField f, const std::string& value) {
      EXPECT_EQ(UnescapeAccessLogField(f, parsed->Get(f)), value.empty() ? "-" : value);
    };
    auto expect_quoted = [&](AccessLogField f, const std::optional<std::string>& value,
                             bool dash_when_empty) {
      EXPECT_EQ(parsed->IsQuoted(f), value.has_value());
      const std::string expected =
          !value ? "-" : (value->empty() && dash_when_empty ? "-" : *value);
      EXPECT_EQ(UnescapeAccessLogField(f, parsed->Get(f)), expected);
    };
    auto number = [](std::optional<uint64_t> v) { return v ? std::to_string(*v) : "-"; };
    expect_bare(AccessLogField::kBucketOwner, r.bucket_owner);
    expect_bare(AccessLogField::kBucket, r.bucket);
    EXPECT_EQ(ParseAccessLogTime(parsed->Get(AccessLogField::kTime)), r.time);
    expect_bare(AccessLogField::kRemoteIp, r.remote_ip);
    expect_bare(AccessLogField::kRequester, r.requester);
    expect_bare(AccessLogField::kRequestId, r.request_id);
    expect_bare(AccessLogField::kOperation, r.operation);
    EXPECT_EQ(parsed->Get(AccessLogField::kKey), r.key.empty() ? "-" : UrlEncodeLogKey(r.key));
    expect_quoted(AccessLogField::kRequestUri, r.request_uri, false);
    EXPECT_EQ(parsed->Get(AccessLogField::kHttpStatus),
              r.http_status > 0 ? std::to_string(r.http_status) : "-");
    expect_bare(AccessLogField::kErrorCode, r.error_code);
    EXPECT_EQ(parsed->Get(AccessLogField::kBytesSent),
              r.bytes_sent > 0 ? std::to_string(r.bytes_sent) : "-");
    EXPECT_EQ(parsed->Get(AccessLogField::kObjectSize), number(r.object_size));
    EXPECT_EQ(parsed->Get(AccessLogField::kTotalTime), number(r.total_time_ms));
    EXPECT_EQ(parsed->Get(AccessLogField::kTurnAroundTime), number(r.turn_around_time_ms));
    expect_quoted(AccessLogField::kReferer, r.referer, true);
    expect_quoted(AccessLogField::kUserAgent, r.user_agent, true);
    expect_bare(AccessLogField::kVersionId, r.version_id);
    expect_bare(AccessLogField::kHostId, r.host_id);
    expect_bare(AccessLogField::kSignatureVersion, r.signature_version);
    expect_bare(AccessLogField::kCipherSuite, r.cipher_suite);
    expect_bare(AccessLogField::kAuthType, r.auth_type);
    expect_bare(AccessLogField::kHostHeader, r.host_header);
    expect_bare(AccessLogField::kTlsVersion, r.tls_version);
    expect_bare(AccessLogField::kAccessPointArn, r.access_point_arn);
    EXPECT_EQ(parsed->Get(AccessLogField::kAclRequired), r.acl_required ? "Yes" : "-");
    if (with_region) {
      expect_bare(AccessLogField::kSourceRegion, r.source_region);
    }
  }
}

}  // namespace
}  // namespace logbucket::logging
