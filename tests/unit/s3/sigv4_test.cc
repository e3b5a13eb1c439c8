#include "server/s3/sigv4.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "server/s3/checksum.h"

namespace logbucket::s3::sigv4 {
namespace {

// AWS's published S3 SigV4 examples ("Signature Calculations for the Authorization Header:
// Transferring Payload in a Single Chunk", the presigned URL example, the chunked upload
// examples): one access key, secret, date and region throughout.
constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr std::string_view kAmzDate = "20130524T000000Z";
constexpr std::string_view kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

Credential ExampleCredential() {
  return Credential{"AKIAIOSFODNN7EXAMPLE", "20130524", "us-east-1", "s3", "aws4_request"};
}

struct Header {
  std::string name, value;
};

struct SigningVector {
  std::string name;
  std::string method;
  std::string raw_path;
  std::string raw_query;
  std::vector<Header> headers;
  std::vector<std::string> signed_headers;
  std::string payload_hash;
  bool presigned;
  std::string canonical_request_sha256;  // as AWS prints it in the string to sign
  std::string signature;
};

std::vector<SigningVector> AwsVectors() {
  const std::string host = "examplebucket.s3.amazonaws.com";
  const std::string put_hash = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072";
  const std::string empty(kEmptySha256);
  return {
      {"GetObjectWithRange",
       "GET",
       "/test.txt",
       "",
       {{"Host", host},
        {"Range", "bytes=0-9"},
        {"x-amz-content-sha256", empty},
        {"x-amz-date", std::string(kAmzDate)}},
       {"host", "range", "x-amz-content-sha256", "x-amz-date"},
       empty,
       false,
       "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972",
       "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"},
      {"PutObject",
       "PUT",
       "/test%24file.text",
       "",
       {{"Host", host},
        {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
        {"x-amz-date", std::string(kAmzDate)},
        {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
        {"x-amz-content-sha256", put_hash}},
       {"date", "host", "x-amz-content-sha256", "x-amz-date", "x-amz-storage-class"},
       put_hash,
       false,
       "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d",
       "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"},
      // The same request with '$' sent unencoded: decoded then encoded once, it signs the same.
      {"PutObjectRawDollar",
       "PUT",
       "/test$file.text",
       "",
       {{"Host", host},
        {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
        {"x-amz-date", std::string(kAmzDate)},
        {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
        {"x-amz-content-sha256", put_hash}},
       {"date", "host", "x-amz-content-sha256", "x-amz-date", "x-amz-storage-class"},
       put_hash,
       false,
       "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d",
       "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"},
      {"GetBucketLifecycle",
       "GET",
       "/",
       "lifecycle",
       {{"Host", host}, {"x-amz-date", std::string(kAmzDate)}, {"x-amz-content-sha256", empty}},
       {"host", "x-amz-content-sha256", "x-amz-date"},
       empty,
       false,
       "9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca",
       "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"},
      // Parameters out of order on the wire: the canonical query sorts them.
      {"ListObjects",
       "GET",
       "/",
       "prefix=J&max-keys=2",
       {{"Host", host}, {"x-amz-date", std::string(kAmzDate)}, {"x-amz-content-sha256", empty}},
       {"host", "x-amz-content-sha256", "x-amz-date"},
       empty,
       false,
       "df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7",
       "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"},
      {"PresignedGet",
       "GET",
       "/test.txt",
       "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-"
       "east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-"
       "SignedHeaders=host&X-Amz-Signature="
       "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
       {{"Host", host}},
       {"host"},
       "UNSIGNED-PAYLOAD",
       true,
       "3bfa292879f6447bbcda7001decf97f4a54dc650c8942174ae0a9121cf58ad04",
       "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"},
      {"StreamingSeed",
       "PUT",
       "/examplebucket/chunkObject.txt",
       "",
       {{"Host", "s3.amazonaws.com"},
        {"x-amz-date", std::string(kAmzDate)},
        {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
        {"x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"},
        {"Content-Encoding", "aws-chunked"},
        {"x-amz-decoded-content-length", "66560"},
        {"Content-Length", "66824"}},
       {"content-encoding", "content-length", "host", "x-amz-content-sha256", "x-amz-date",
        "x-amz-decoded-content-length", "x-amz-storage-class"},
       "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
       false,
       "cee3fed04b70f867d036f722359b0b1f2f0e5dc0efadbc082b76c4c60e316455",
       "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"},
  };
}

std::string Sign(const SigningVector& v, std::string_view secret = kSecret) {
  Headers headers;
  for (const auto& h : v.headers) headers.Add(h.name, h.value);
  auto canonical = CanonicalRequest({v.method, v.raw_path, v.raw_query, &headers, &v.signed_headers,
                                     v.payload_hash, v.presigned});
  if (!canonical) return "";
  Credential credential = ExampleCredential();
  return Signature(SigningKey(secret, credential), StringToSign(kAmzDate, credential, *canonical));
}

TEST(SigV4Test, AwsPublishedExamples) {
  for (const auto& v : AwsVectors()) {
    SCOPED_TRACE(v.name);
    Headers headers;
    for (const auto& h : v.headers) headers.Add(h.name, h.value);
    auto canonical = CanonicalRequest({v.method, v.raw_path, v.raw_query, &headers,
                                       &v.signed_headers, v.payload_hash, v.presigned});
    ASSERT_TRUE(canonical.has_value());
    EXPECT_EQ(Sha256Hex(*canonical), v.canonical_request_sha256) << *canonical;
    std::string string_to_sign = StringToSign(kAmzDate, ExampleCredential(), *canonical);
    EXPECT_EQ(string_to_sign,
              "AWS4-HMAC-SHA256\n20130524T000000Z\n"
              "20130524/us-east-1/s3/aws4_request\n" +
                  v.canonical_request_sha256);
    EXPECT_EQ(Sign(v), v.signature);
  }
}

TEST(SigV4Test, CanonicalRequestOfRangeExampleIsExactlyAwsText) {
  const SigningVector v = AwsVectors()[0];
  Headers headers;
  for (const auto& h : v.headers) headers.Add(h.name, h.value);
  auto canonical = CanonicalRequest(
      {v.method, v.raw_path, v.raw_query, &headers, &v.signed_headers, v.payload_hash, false});
  ASSERT_TRUE(canonical.has_value());
  EXPECT_EQ(
      *canonical,
      "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
      "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
      "x-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(SigV4Test, SigningKeyIsTheHmacChainFromAws4PlusSecret) {
  Credential credential = ExampleCredential();
  std::string expected = HmacSha256(
      HmacSha256(HmacSha256(HmacSha256("AWS4" + std::string(kSecret), "20130524"), "us-east-1"),
                 "s3"),
      "aws4_request");
  EXPECT_EQ(SigningKey(kSecret, credential), expected);
  EXPECT_EQ(SigningKey(kSecret, credential).size(), 32u);
  credential.region = "eu-west-1";
  EXPECT_NE(SigningKey(kSecret, credential), expected);
}

TEST(SigV4Test, ChunkSignaturesOfAwsStreamingExample) {
  std::string key = SigningKey(kSecret, ExampleCredential());
  std::string first = ChunkSignature(
      key, kAmzDate, ExampleCredential(),
      "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9", std::string(65536, 'a'));
  EXPECT_EQ(first, "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648");
  std::string second =
      ChunkSignature(key, kAmzDate, ExampleCredential(), first, std::string(1024, 'a'));
  EXPECT_EQ(second, "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497");
  std::string last = ChunkSignature(key, kAmzDate, ExampleCredential(), second, "");
  EXPECT_EQ(last, "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9");
  EXPECT_EQ(ChunkSignatureFromHash(key, kAmzDate, ExampleCredential(), second, kEmptySha256), last);
}

TEST(SigV4Test, TrailerSignatureOfAwsTrailerExample) {
  // "Signature calculations for trailing headers": 64 KiB + 1 KiB of 'a', CRC32C trailer.
  std::string key = SigningKey(kSecret, ExampleCredential());
  Credential c = ExampleCredential();
  std::string s1 = ChunkSignature(
      key, kAmzDate, c, "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e",
      std::string(65536, 'a'));
  EXPECT_EQ(s1, "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2");
  std::string s2 = ChunkSignature(key, kAmzDate, c, s1, std::string(1024, 'a'));
  EXPECT_EQ(s2, "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7");
  std::string s3 = ChunkSignature(key, kAmzDate, c, s2, "");
  EXPECT_EQ(s3, "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992");
  EXPECT_EQ(TrailerSignature(key, kAmzDate, c, s3, "x-amz-checksum-crc32c:sOO8/Q==\n"),
            "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435");
}

TEST(SigV4Test, TrailerSignatureEqualsIndependentComputation) {
  std::string key = SigningKey("secret", Credential{"AK", "20240101", "eu-west-3", "s3", ""});
  Credential c{"AK", "20240101", "eu-west-3", "s3", "aws4_request"};
  std::string previous(64, 'f');
  std::string block = "x-amz-checksum-crc32:AAAAAA==\n";
  std::string string_to_sign =
      "AWS4-HMAC-SHA256-TRAILER\n20240101T120000Z\n"
      "20240101/eu-west-3/s3/aws4_request\n" +
      previous + "\n" + Sha256Hex(block);
  EXPECT_EQ(TrailerSignature(key, "20240101T120000Z", c, previous, block),
            HexEncode(HmacSha256(key, string_to_sign)));
  // The trailer is bound to the chain: another previous signature gives another result.
  EXPECT_NE(TrailerSignature(key, "20240101T120000Z", c, std::string(64, 'e'), block),
            HexEncode(HmacSha256(key, string_to_sign)));
}

TEST(SigV4Test, SignThenVerifyRoundTripAndTamperDetection) {
  SigningVector v = AwsVectors()[1];
  std::string signature = Sign(v);
  std::string authorization =
      "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
      "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,Signature=" +
      signature;
  auto parsed = ParseAuthorizationHeader(authorization);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  // The verifier rebuilds everything from what it parsed and the request as received.
  Headers headers;
  for (const auto& h : v.headers) headers.Add(h.name, h.value);
  auto canonical = CanonicalRequest({v.method, v.raw_path, v.raw_query, &headers,
                                     &parsed->signed_headers, v.payload_hash, false});
  ASSERT_TRUE(canonical.has_value());
  std::string recomputed = Signature(SigningKey(kSecret, parsed->credential),
                                     StringToSign(kAmzDate, parsed->credential, *canonical));
  EXPECT_TRUE(SignaturesEqual(recomputed, parsed->signature));

  SigningVector tampered = v;
  tampered.headers[3].value = "STANDARD";  // x-amz-storage-class
  EXPECT_NE(Sign(tampered), signature);
  tampered = v;
  tampered.raw_path = "/test%24file.txt";
  EXPECT_NE(Sign(tampered), signature);
  EXPECT_NE(Sign(v, "another secret"), signature);
}

struct AuthorizationCase {
  std::string name;
  std::string header;
  bool ok;
  std::string error_contains;
};

TEST(SigV4Test, ParseAuthorizationHeaderTable) {
  const std::string sig = "fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024";
  const std::string cred = "Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request";
  const std::string headers = "SignedHeaders=host;range;x-amz-date";
  const AuthorizationCase cases[] = {
      {"spaces after commas", "AWS4-HMAC-SHA256 " + cred + ", " + headers + ", Signature=" + sig,
       true, ""},
      {"no spaces", "AWS4-HMAC-SHA256 " + cred + "," + headers + ",Signature=" + sig, true, ""},
      {"any order", "AWS4-HMAC-SHA256 Signature=" + sig + ", " + headers + ", " + cred, true, ""},
      {"wrong algorithm", "AWS4-HMAC-SHA1 " + cred + "," + headers + ",Signature=" + sig, false,
       "algorithm"},
      {"sigv2", "AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=", false, "algorithm"},
      {"algorithm only", "AWS4-HMAC-SHA256", false, "Credential"},
      {"missing credential", "AWS4-HMAC-SHA256 " + headers + ",Signature=" + sig, false,
       "Credential"},
      {"missing signed headers", "AWS4-HMAC-SHA256 " + cred + ",Signature=" + sig, false,
       "SignedHeaders"},
      {"missing signature", "AWS4-HMAC-SHA256 " + cred + "," + headers, false, "Signature"},
      {"duplicate component",
       "AWS4-HMAC-SHA256 " + cred + "," + cred + "," + headers + ",Signature=" + sig, false,
       "twice"},
      {"unknown component",
       "AWS4-HMAC-SHA256 " + cred + "," + headers + ",Signature=" + sig + ",Foo=bar", false, "Foo"},
      {"component without value", "AWS4-HMAC-SHA256 " + cred + "," + headers + ",Signature", false,
       "Name=value"},
      {"credential with four parts",
       "AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3," + headers + ",Signature=" + sig,
       false, "Credential"},
      {"credential with six parts",
       "AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request/x," + headers +
           ",Signature=" + sig,
       false, "Credential"},
      {"wrong terminator",
       "AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws5_request," + headers +
           ",Signature=" + sig,
       false, "aws4_request"},
      {"wrong service",
       "AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/iam/aws4_request," + headers +
           ",Signature=" + sig,
       false, "service"},
      {"bad credential date",
       "AWS4-HMAC-SHA256 Credential=AK/2013-05-24/us-east-1/s3/aws4_request," + headers +
           ",Signature=" + sig,
       false, "yyyymmdd"},
      {"empty access key",
       "AWS4-HMAC-SHA256 Credential=/20130524/us-east-1/s3/aws4_request," + headers +
           ",Signature=" + sig,
       false, "access key"},
      {"short signature", "AWS4-HMAC-SHA256 " + cred + "," + headers + ",Signature=abc", false,
       "64"},
      {"upper-case signature",
       "AWS4-HMAC-SHA256 " + cred + "," + headers + ",Signature=" + std::string(64, 'A'), false,
       "64"},
      {"empty signed headers", "AWS4-HMAC-SHA256 " + cred + ",SignedHeaders=,Signature=" + sig,
       false, "SignedHeaders"},
      {"empty header name",
       "AWS4-HMAC-SHA256 " + cred + ",SignedHeaders=host;;x-amz-date,Signature=" + sig, false,
       "SignedHeaders"},
  };
  for (const auto& c : cases) {
    auto parsed = ParseAuthorizationHeader(c.header);
    EXPECT_EQ(parsed.has_value(), c.ok) << c.name;
    if (!c.ok && !parsed) {
      EXPECT_NE(parsed.error().message.find(c.error_contains), std::string::npos)
          << c.name << ": " << parsed.error().message;
    }
  }
  auto parsed = ParseAuthorizationHeader(cases[2].header);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->credential.access_key, "AKIAIOSFODNN7EXAMPLE");
  EXPECT_EQ(parsed->credential.date, "20130524");
  EXPECT_EQ(parsed->credential.region, "us-east-1");
  EXPECT_EQ(parsed->credential.service, "s3");
  EXPECT_EQ(parsed->credential.terminator, "aws4_request");
  EXPECT_EQ(parsed->credential.scope(), "20130524/us-east-1/s3/aws4_request");
  EXPECT_EQ(parsed->signed_headers, (std::vector<std::string>{"host", "range", "x-amz-date"}));
  EXPECT_EQ(parsed->signature, sig);
}

QueryParams ExamplePresignQuery() {
  return {{"X-Amz-Algorithm", "AWS4-HMAC-SHA256"},
          {"X-Amz-Credential", "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request"},
          {"X-Amz-Date", "20130524T000000Z"},
          {"X-Amz-Expires", "86400"},
          {"X-Amz-SignedHeaders", "host"},
          {"X-Amz-Signature", "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"}};
}

TEST(SigV4Test, ParsePresignedQueryOfAwsExample) {
  auto raw = ParseQueryString(AwsVectors()[5].raw_query);
  ASSERT_TRUE(raw.has_value());
  auto parsed = ParsePresignedQuery(*raw);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  EXPECT_EQ(parsed->credential.scope(), "20130524/us-east-1/s3/aws4_request");
  EXPECT_EQ(parsed->credential.access_key, "AKIAIOSFODNN7EXAMPLE");
  EXPECT_EQ(parsed->amz_date, "20130524T000000Z");
  EXPECT_EQ(parsed->expires_seconds, 86400);
  EXPECT_EQ(parsed->signed_headers, std::vector<std::string>{"host"});
  EXPECT_EQ(parsed->signature, "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
}

TEST(SigV4Test, ParsePresignedQueryNamesEachMissingParameter) {
  for (size_t drop = 0; drop < ExamplePresignQuery().size(); ++drop) {
    QueryParams query = ExamplePresignQuery();
    std::string name = query[drop].first;
    query.erase(query.begin() + static_cast<long>(drop));
    auto parsed = ParsePresignedQuery(query);
    ASSERT_FALSE(parsed.has_value()) << name;
    EXPECT_NE(parsed.error().message.find(name + " is missing"), std::string::npos)
        << parsed.error().message;
  }
}

TEST(SigV4Test, ParsePresignedQueryValidatesValues) {
  struct Case {
    std::string name, value;
    bool ok;
  };
  const Case cases[] = {
      {"X-Amz-Expires", "1", true},
      {"X-Amz-Expires", "604800", true},
      {"X-Amz-Expires", "0", false},
      {"X-Amz-Expires", "604801", false},
      {"X-Amz-Expires", "-7", false},
      {"X-Amz-Expires", "1h", false},
      {"X-Amz-Expires", "", false},
      {"X-Amz-Algorithm", "AWS4-HMAC-SHA1", false},
      {"X-Amz-Date", "20130524", false},
      {"X-Amz-Date", "20131324T000000Z", false},
      {"X-Amz-Credential", "AK/20130524/us-east-1/s3", false},
      {"X-Amz-Signature", "deadbeef", false},
      {"X-Amz-SignedHeaders", "", false},
  };
  for (const auto& c : cases) {
    QueryParams query = ExamplePresignQuery();
    for (auto& [name, value] : query) {
      if (name == c.name) value = c.value;
    }
    EXPECT_EQ(ParsePresignedQuery(query).has_value(), c.ok) << c.name << "=" << c.value;
  }
}

TEST(SigV4Test, UriEncodeTable) {
  struct Case {
    std::string in;
    bool keep_slash;
    std::string out;
  };
  const Case cases[] = {
      {"a b", true, "a%20b"},
      {"a+b", true, "a%2Bb"},
      {"100%", true, "100%25"},
      {"A-z_0.9~", true, "A-z_0.9~"},
      {"a/b", true, "a/b"},
      {"a/b", false, "a%2Fb"},
      {"!'()*$=&?#", true, "%21%27%28%29%2A%24%3D%26%3F%23"},
      {"\xd0\xba\xd0\xbb", true, "%D0%BA%D0%BB"},
      {std::string("\0", 1), true, "%00"},
  };
  for (const auto& c : cases) EXPECT_EQ(UriEncode(c.in, c.keep_slash), c.out) << c.in;
}

TEST(SigV4Test, UriDecodeTable) {
  EXPECT_EQ(UriDecode("a%20b"), "a b");
  EXPECT_EQ(UriDecode("a+b"), "a+b");  // '+' is not a space in paths or SigV4 queries
  EXPECT_EQ(UriDecode("%e2%82%AC"), "\xe2\x82\xac");
  EXPECT_EQ(UriDecode(""), "");
  EXPECT_FALSE(UriDecode("%").has_value());
  EXPECT_FALSE(UriDecode("%2").has_value());
  EXPECT_FALSE(UriDecode("%zz").has_value());
  EXPECT_FALSE(UriDecode("abc%4").has_value());
}

TEST(SigV4Test, ParseQueryString) {
  auto q = ParseQueryString("a=1&b&c=%20&&d=x=y&");
  ASSERT_TRUE(q.has_value());
  EXPECT_EQ(*q, (QueryParams{{"a", "1"}, {"b", ""}, {"c", " "}, {"d", "x=y"}}));
  EXPECT_EQ(ParseQueryString(""), QueryParams{});
  EXPECT_FALSE(ParseQueryString("a=%G0").has_value());
}

TEST(SigV4Test, CanonicalRequestRules) {
  Headers headers;
  headers.Add("Host", "h");
  headers.Add("X-Amz-Meta-Spaced", "  a   b \t c  ");
  headers.Add("x-amz-meta-multi", "one");
  headers.Add("X-AMZ-META-MULTI", " two ");
  std::vector<std::string> signed_headers = {"host", "x-amz-meta-multi", "x-amz-meta-spaced"};
  auto canonical = CanonicalRequest({"PUT", "/b/a//./c%20d+e%2Fk", "z=1&b=2&b=1&a%20b=&c", &headers,
                                     &signed_headers, "UNSIGNED-PAYLOAD", false});
  ASSERT_TRUE(canonical.has_value());
  EXPECT_EQ(*canonical,
            "PUT\n"
            "/b/a//./c%20d%2Be/k\n"  // no normalisation; an encoded '/' is a '/' once decoded
            "a%20b=&b=1&b=2&c=&z=1\n"
            "host:h\nx-amz-meta-multi:one,two\nx-amz-meta-spaced:a b c\n\n"
            "host;x-amz-meta-multi;x-amz-meta-spaced\nUNSIGNED-PAYLOAD");

  // An empty path signs as "/"; a presigned request leaves X-Amz-Signature out of the query.
  std::vector<std::string> host_only = {"host"};
  canonical = CanonicalRequest(
      {"GET", "", "X-Amz-Signature=abc&x=1", &headers, &host_only, "UNSIGNED-PAYLOAD", true});
  ASSERT_TRUE(canonical.has_value());
  EXPECT_EQ(*canonical, "GET\n/\nx=1\nhost:h\n\nhost\nUNSIGNED-PAYLOAD");

  EXPECT_FALSE(CanonicalRequest({"GET", "/b/%zz", "", &headers, &host_only, "x", false}));
  EXPECT_FALSE(CanonicalRequest({"GET", "/b", "a=%", &headers, &host_only, "x", false}));
}

TEST(SigV4Test, AmzDateRoundTripsInUtc) {
  using namespace std::chrono;
  auto t = ParseAmzDate("20130524T000000Z");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(duration_cast<seconds>(t->time_since_epoch()).count(), 1369353600);
  EXPECT_EQ(FormatAmzDate(*t), "20130524T000000Z");
  auto leap = ParseAmzDate("20240229T235959Z");
  ASSERT_TRUE(leap.has_value());
  EXPECT_EQ(FormatAmzDate(*leap + milliseconds(999)), "20240229T235959Z");
  EXPECT_EQ(FormatAmzDate(*leap + seconds(1)), "20240301T000000Z");
  EXPECT_EQ(FormatAmzDate(system_clock::time_point{}), "19700101T000000Z");
  const char* invalid[] = {"20130230T000000Z",
                           "20230229T000000Z",
                           "20130524T240000Z",
                           "20130524T006000Z",
                           "20130524T000060Z",
                           "2013-05-24T00:00:00Z",
                           "20130524T000000",
                           "20130524t000000Z",
                           "20130524T000000z",
                           "2013052AT000000Z",
                           "",
                           "20130524T000000ZZ"};
  for (const char* s : invalid) EXPECT_FALSE(ParseAmzDate(s).has_value()) << s;
}

// Found by the sigv4 fuzzer: a year after 2262 (or before 1678) overflowed system_clock's
// nanoseconds (signed overflow, undefined behaviour) instead of being refused.
TEST(SigV4Test, AmzDateBeyondTheClockRangeIsRefused) {
  using namespace std::chrono;
  auto last = ParseAmzDate("22620411T000000Z");
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(FormatAmzDate(*last), "22620411T000000Z");
  auto first = ParseAmzDate("16770922T000000Z");
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(FormatAmzDate(*first), "16770922T000000Z");
  for (const char* s : {"22620412T000000Z", "22630101T000000Z", "40260101T000000Z",
                        "99991231T235959Z", "16770921T000000Z", "00000101T000000Z"}) {
    EXPECT_FALSE(ParseAmzDate(s).has_value()) << s;
  }
}

TEST(SigV4Test, SignaturesEqualComparesWholeStrings) {
  EXPECT_TRUE(SignaturesEqual("abc", "abc"));
  EXPECT_FALSE(SignaturesEqual("abc", "abd"));
  EXPECT_FALSE(SignaturesEqual("abc", "abcd"));
  EXPECT_TRUE(SignaturesEqual("", ""));
}

}  // namespace
}  // namespace logbucket::s3::sigv4
