// s3::Service: bucket CRUD and names; PutObject/GetObject/HeadObject/DeleteObject with metadata,
// ranges, conditional requests, integrity checks and aws-chunked uploads.
#include <gtest/gtest.h>

#include "tests/unit/s3/service_fixture.h"

namespace logbucket::s3::testing {
namespace {

std::string Pattern(size_t n) {
  std::string s(n, '\0');
  uint32_t x = 2463534242u;
  for (auto& c : s) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x);
  }
  return s;
}

// --- Buckets ---------------------------------------------------------------------------------

TEST_F(ServiceTest, CreateHeadDeleteBucket) {
  Result created = CreateBucket("my-bucket");
  ASSERT_EQ(created.status(), 200) << created;
  EXPECT_EQ(created.header("Location"), "/my-bucket");
  EXPECT_EQ(created.log().operation, "REST.PUT.BUCKET");
  EXPECT_EQ(created.log().bucket, "my-bucket") << "the created bucket is the record's bucket";
  Result head = Send({.method = "HEAD", .path = "/my-bucket"});
  EXPECT_EQ(head.status(), 200);
  EXPECT_EQ(head.header("x-amz-bucket-region"), "us-east-1");
  Result del = Send({.method = "DELETE", .path = "/my-bucket"});
  EXPECT_EQ(del.status(), 204) << del;
  Result gone = Send({.method = "HEAD", .path = "/my-bucket"});
  EXPECT_EQ(gone.status(), 404);
  EXPECT_EQ(gone.code(), "NoSuchBucket");
}

TEST_F(ServiceTest, RecreatingABucket) {
  MakeBucket("taken");
  EXPECT_EQ(CreateBucket("taken").status(), 200) << "us-east-1 keeps the legacy 200";
  Result alice = CreateBucket("taken", kAliceKey);
  EXPECT_EQ(alice.status(), 409);
  EXPECT_EQ(alice.code(), "BucketAlreadyExists");
  MakeBucket("eu-bucket", kTestKey, "eu-west-1");
  Result again = CreateBucket("eu-bucket", kTestKey, "eu-west-1");
  EXPECT_EQ(again.status(), 409);
  EXPECT_EQ(again.code(), "BucketAlreadyOwnedByYou");
}

TEST_F(ServiceTest, LocationConstraint) {
  MakeBucket("in-paris", kTestKey, "eu-west-3");
  Result loc = Send({.method = "GET", .path = "/in-paris", .query = "location"});
  ASSERT_EQ(loc.status(), 200) << loc;
  EXPECT_EQ(loc.xml("/LocationConstraint"), "eu-west-3");
  MakeBucket("in-virginia");
  Result none = Send({.method = "GET", .path = "/in-virginia", .query = "location"});
  EXPECT_EQ(none.xml("/LocationConstraint"), "") << "us-east-1 is an empty LocationConstraint";
  Result bad = CreateBucket("explicit-us-east-1", kTestKey, "us-east-1");
  EXPECT_EQ(bad.status(), 400);
  EXPECT_EQ(bad.code(), "InvalidLocationConstraint");
  EXPECT_FALSE(store_->GetBucket("explicit-us-east-1").has_value());
}

TEST_F(ServiceTest, BucketNameRules) {
  const std::vector<std::string> invalid = {
      "ab",         std::string(64, 'a'), "Upper",     "under_score", "-dash-first",
      "dash-last-", "dot..dot",           "dot.-dash", "192.168.1.1", "xn--punycode",
      "sthree-x",   "x-s3alias",          "a b"};
  for (const auto& name : invalid) {
    SCOPED_TRACE(name);
    Result got = Send({.method = "PUT", .path = "/" + Enc(name)});
    EXPECT_EQ(got.status(), 400) << got;
    EXPECT_EQ(got.code(), "InvalidBucketName");
    EXPECT_FALSE(store_->GetBucket(name).has_value());
  }
  const std::vector<std::string> valid = {"abc", std::string(63, 'a'), "a.b-c", "1-2.3",
                                          "192.168.1.1a"};
  for (const auto& name : valid) {
    SCOPED_TRACE(name);
    EXPECT_EQ(CreateBucket(name).status(), 200);
  }
}

TEST_F(ServiceTest, DeleteNonEmptyBucketIsBucketNotEmpty) {
  MakeBucket("full");
  ASSERT_EQ(PutObject("full", "k", "x").status(), 200);
  Result got = Send({.method = "DELETE", .path = "/full"});
  EXPECT_EQ(got.status(), 409);
  EXPECT_EQ(got.code(), "BucketNotEmpty");
  EXPECT_TRUE(Stored("full", "k"));
  EXPECT_EQ(Send({.method = "DELETE", .path = ObjectPath("full", "k")}).status(), 204);
  EXPECT_EQ(Send({.method = "DELETE", .path = "/full"}).status(), 204);
}

// --- Put / Get / Head --------------------------------------------------------------------------

class ObjectTest : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    MakeBucket("obj");
  }
};

TEST_F(ObjectTest, PutGetHeadWithMetadata) {
  std::string body = "hello, logbucket";
  Result put = PutObject("obj", "docs/hello.txt", body,
                         {{"Content-Type", "text/plain; charset=utf-8"},
                          {"x-amz-meta-Color", "blue"},
                          {"x-amz-meta-empty", ""},
                          {"Cache-Control", "max-age=60"},
                          {"Content-Disposition", "attachment"}});
  ASSERT_EQ(put.status(), 200) << put;
  EXPECT_EQ(put.header("ETag"), Quoted(Md5Hex(body)));
  EXPECT_EQ(put.log().operation, "REST.PUT.OBJECT");
  EXPECT_EQ(put.log().key, "docs/hello.txt");
  EXPECT_EQ(put.log().object_size, body.size());

  Result get = GetObject("obj", "docs/hello.txt");
  ASSERT_EQ(get.status(), 200) << get;
  EXPECT_EQ(get.body, body);
  EXPECT_EQ(get.header("ETag"), Quoted(Md5Hex(body)));
  EXPECT_EQ(get.header("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(get.header("x-amz-meta-color"), "blue");
  EXPECT_TRUE(get.has_header("x-amz-meta-empty"));
  EXPECT_EQ(get.header("Cache-Control"), "max-age=60");
  EXPECT_EQ(get.header("Content-Disposition"), "attachment");
  EXPECT_FALSE(get.header("Last-Modified").empty());
  EXPECT_EQ(get.log().object_size, body.size());

  Result head = HeadObject("obj", "docs/hello.txt");
  ASSERT_EQ(head.status(), 200) << head;
  EXPECT_EQ(head.body, "");
  EXPECT_EQ(head.header("Content-Length"), std::to_string(body.size()));
  EXPECT_EQ(head.header("x-amz-meta-color"), "blue");
  EXPECT_EQ(head.header("ETag"), get.header("ETag"));
}

TEST_F(ObjectTest, DefaultContentTypeAndReplacement) {
  ASSERT_EQ(PutObject("obj", "k", "first", {{"x-amz-meta-a", "1"}}).status(), 200);
  EXPECT_EQ(GetObject("obj", "k").header("Content-Type"), "binary/octet-stream");
  ASSERT_EQ(PutObject("obj", "k", "second").status(), 200);
  Result get = GetObject("obj", "k");
  EXPECT_EQ(get.body, "second");
  EXPECT_FALSE(get.has_header("x-amz-meta-a")) << "metadata belongs to the replaced object";
}

TEST_F(ObjectTest, EmptyObject) {
  Result put = PutObject("obj", "empty", "");
  ASSERT_EQ(put.status(), 200) << put;
  EXPECT_EQ(put.header("ETag"), "\"d41d8cd98f00b204e9800998ecf8427e\"");
  Result get = GetObject("obj", "empty");
  EXPECT_EQ(get.status(), 200);
  EXPECT_EQ(get.body, "");
}

TEST_F(ObjectTest, MissingKey) {
  Result get = GetObject("obj", "missing");
  EXPECT_EQ(get.status(), 404);
  EXPECT_EQ(get.code(), "NoSuchKey");
  EXPECT_EQ(get.xml("/Error/Key"), "missing");
  Result head = HeadObject("obj", "missing");
  EXPECT_EQ(head.status(), 404);
  EXPECT_EQ(head.log().operation, "REST.HEAD.OBJECT");
}

TEST_F(ObjectTest, DeleteObjectIs204EvenWhenMissing) {
  ASSERT_EQ(PutObject("obj", "k", "x").status(), 200);
  Result del = Send({.method = "DELETE", .path = ObjectPath("obj", "k")});
  EXPECT_EQ(del.status(), 204);
  EXPECT_EQ(del.log().operation, "REST.DELETE.OBJECT");
  EXPECT_FALSE(Stored("obj", "k"));
  EXPECT_EQ(Send({.method = "DELETE", .path = ObjectPath("obj", "k")}).status(), 204);
}

TEST_F(ObjectTest, MetadataAndStorageClassValidation) {
  Result big = PutObject("obj", "k", "x", {{"x-amz-meta-big", std::string(2100, 'm')}});
  EXPECT_EQ(big.status(), 400);
  EXPECT_EQ(big.code(), "MetadataTooLarge");
  Result cls = PutObject("obj", "k", "x", {{"x-amz-storage-class", "PLATINUM"}});
  EXPECT_EQ(cls.status(), 400);
  EXPECT_EQ(cls.code(), "InvalidStorageClass");
  EXPECT_FALSE(Stored("obj", "k"));
  ASSERT_EQ(PutObject("obj", "k", "x", {{"x-amz-storage-class", "STANDARD_IA"}}).status(), 200);
  EXPECT_EQ(HeadObject("obj", "k").header("x-amz-storage-class"), "STANDARD_IA");
}

// --- Ranges ------------------------------------------------------------------------------------

TEST_F(ObjectTest, Ranges) {
  const std::string body = "abcdefghijklmnopqrstuvwxyz";
  ASSERT_EQ(PutObject("obj", "r", body).status(), 200);
  struct Case {
    std::string range;
    int status;
    std::string body;
    std::string content_range;
  };
  const std::vector<Case> cases = {
      {"bytes=0-4", 206, "abcde", "bytes 0-4/26"},
      {"bytes=20-", 206, "uvwxyz", "bytes 20-25/26"},
      {"bytes=-3", 206, "xyz", "bytes 23-25/26"},
      {"bytes=24-1000", 206, "yz", "bytes 24-25/26"},
      {"bytes=-100", 206, body, "bytes 0-25/26"},
      {"bytes=25-25", 206, "z", "bytes 25-25/26"},
      {"bytes=5-2", 200, body, ""},  // syntactically invalid: whole object
      {"items=0-4", 200, body, ""},  // unknown unit: whole object
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.range);
    Result got = GetObject("obj", "r", {{"Range", c.range}});
    EXPECT_EQ(got.status(), c.status) << got;
    EXPECT_EQ(got.body, c.body);
    EXPECT_EQ(got.header("Content-Range"), c.content_range);
  }
  for (std::string unsatisfiable : {"bytes=26-", "bytes=100-200", "bytes=-0"}) {
    SCOPED_TRACE(unsatisfiable);
    Result got = GetObject("obj", "r", {{"Range", unsatisfiable}});
    EXPECT_EQ(got.status(), 416) << got;
    EXPECT_EQ(got.code(), "InvalidRange");
    EXPECT_EQ(got.xml("/Error/ActualObjectSize"), "26");
  }
}

// --- Conditional requests -----------------------------------------------------------------------

TEST_F(ObjectTest, ConditionalGet) {
  ASSERT_EQ(PutObject("obj", "c", "conditional").status(), 200);
  const std::string etag = Quoted(Md5Hex("conditional"));
  const std::string past = "Mon, 01 Jan 2001 00:00:00 GMT";
  const std::string future = "Fri, 01 Jan 2100 00:00:00 GMT";
  struct Case {
    std::string header, value;
    int status;
  };
  const std::vector<Case> cases = {
      {"If-Match", etag, 200},
      {"If-Match", "\"0123456789abcdef0123456789abcdef\"", 412},
      {"If-Match", "*", 200},
      {"If-None-Match", etag, 304},
      {"If-None-Match", "\"0123456789abcdef0123456789abcdef\"", 200},
      {"If-Modified-Since", future, 304},
      {"If-Modified-Since", past, 200},
      {"If-Unmodified-Since", past, 412},
      {"If-Unmodified-Since", future, 200},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.header + ": " + c.value);
    Result got = GetObject("obj", "c", {{c.header, c.value}});
    EXPECT_EQ(got.status(), c.status) << got;
    if (c.status == 412) {
      EXPECT_EQ(got.code(), "PreconditionFailed");
    } else if (c.status == 304) {
      EXPECT_EQ(got.body, "");
      EXPECT_EQ(got.header("ETag"), etag);
    } else {
      EXPECT_EQ(got.body, "conditional");
    }
  }
  // RFC 7232: If-Match wins over If-Unmodified-Since, If-None-Match over If-Modified-Since.
  EXPECT_EQ(GetObject("obj", "c", {{"If-Match", etag}, {"If-Unmodified-Since", past}}).status(),
            200);
  EXPECT_EQ(GetObject("obj", "c", {{"If-None-Match", "\"other\""}, {"If-Modified-Since", future}})
                .status(),
            200);
  Result head = HeadObject("obj", "c", {{"If-None-Match", etag}});
  EXPECT_EQ(head.status(), 304);
}

TEST_F(ObjectTest, ConditionalPut) {
  Result first = PutObject("obj", "once", "v1", {{"If-None-Match", "*"}});
  ASSERT_EQ(first.status(), 200) << first;
  Result second = PutObject("obj", "once", "v2", {{"If-None-Match", "*"}});
  EXPECT_EQ(second.status(), 412);
  EXPECT_EQ(second.code(), "PreconditionFailed");
  EXPECT_EQ(GetObject("obj", "once").body, "v1");

  Result wrong =
      PutObject("obj", "once", "v3", {{"If-Match", "\"00000000000000000000000000000000\""}});
  EXPECT_EQ(wrong.status(), 412);
  EXPECT_EQ(GetObject("obj", "once").body, "v1");
  Result right = PutObject("obj", "once", "v4", {{"If-Match", Quoted(Md5Hex("v1"))}});
  EXPECT_EQ(right.status(), 200) << right;
  EXPECT_EQ(GetObject("obj", "once").body, "v4");

  Result missing = PutObject("obj", "never", "x", {{"If-Match", Quoted(Md5Hex("x"))}});
  EXPECT_EQ(missing.status(), 404);
  EXPECT_EQ(missing.code(), "NoSuchKey");
  EXPECT_FALSE(Stored("obj", "never"));
}

// --- Integrity ----------------------------------------------------------------------------------

TEST_F(ObjectTest, ContentMd5) {
  Result ok = PutObject("obj", "md5", "payload", {{"Content-MD5", Md5Base64("payload")}});
  EXPECT_EQ(ok.status(), 200) << ok;
  Result bad = PutObject("obj", "md5", "tampered", {{"Content-MD5", Md5Base64("payload")}});
  EXPECT_EQ(bad.status(), 400);
  EXPECT_EQ(bad.code(), "BadDigest");
  EXPECT_EQ(GetObject("obj", "md5").body, "payload") << "the failed PUT replaced nothing";
  Result invalid = PutObject("obj", "md5-2", "payload", {{"Content-MD5", "not-base64!"}});
  EXPECT_EQ(invalid.status(), 400);
  EXPECT_EQ(invalid.code(), "InvalidDigest");
  EXPECT_FALSE(Stored("obj", "md5-2"));
}

TEST_F(ObjectTest, ChecksumHeaders) {
  const std::string body = "checksummed";
  Result ok = PutObject("obj", "crc", body, {{"x-amz-checksum-crc32", Crc32Base64(body)}});
  ASSERT_EQ(ok.status(), 200) << ok;
  EXPECT_EQ(ok.header("x-amz-checksum-crc32"), Crc32Base64(body));

  Result bad = PutObject("obj", "crc-bad", body, {{"x-amz-checksum-crc32", Crc32Base64("other")}});
  EXPECT_EQ(bad.status(), 400);
  EXPECT_EQ(bad.code(), "BadDigest");
  EXPECT_FALSE(Stored("obj", "crc-bad"));

  std::string sha = Base64Encode(Digest(HashKind::kSha256, "something else"));
  Result bad_sha = PutObject("obj", "sha-bad", body, {{"x-amz-checksum-sha256", sha}});
  EXPECT_EQ(bad_sha.code(), "BadDigest");
  EXPECT_FALSE(Stored("obj", "sha-bad"));

  Result malformed = PutObject("obj", "crc-x", body, {{"x-amz-checksum-crc32", "AAAA"}});
  EXPECT_EQ(malformed.status(), 400);
  EXPECT_EQ(malformed.code(), "InvalidRequest");

  Result with_mode = GetObject("obj", "crc", {{"x-amz-checksum-mode", "ENABLED"}});
  EXPECT_EQ(with_mode.header("x-amz-checksum-crc32"), Crc32Base64(body));
  Result without = GetObject("obj", "crc");
  EXPECT_FALSE(without.has_header("x-amz-checksum-crc32"));
}

// --- aws-chunked ------------------------------------------------------------------------------

TEST_F(ObjectTest, SignedChunkedUploadDecodesToTheExactBytes) {
  const std::string payload = Pattern(20000);
  TestRequest r{.method = "PUT", .path = ObjectPath("obj", "chunked")};
  r.Header("Content-Type", "application/x-test");
  auto [head, encoded] = SignedChunked(r, payload, 8192);
  Result put = Run(std::move(head), encoded, 7);
  ASSERT_EQ(put.status(), 200) << put;
  EXPECT_EQ(put.header("ETag"), Quoted(Md5Hex(payload)));
  Result get = GetObject("obj", "chunked");
  EXPECT_EQ(get.body.size(), payload.size());
  EXPECT_TRUE(get.body == payload);
  EXPECT_FALSE(get.has_header("Content-Encoding")) << get.header("Content-Encoding");
  EXPECT_EQ(get.header("Content-Type"), "application/x-test");
  auto record = store_->HeadObject("obj", "chunked");
  ASSERT_TRUE(record.has_value());
  EXPECT_FALSE(record->headers.contains("content-encoding"));
}

TEST_F(ObjectTest, AwsChunkedIsRemovedFromAStoredContentEncodingList) {
  TestRequest r{.method = "PUT", .path = ObjectPath("obj", "gz")};
  r.Header("Content-Encoding", "gzip");
  auto [head, encoded] = SignedChunked(r, "not really gzip", 5);
  // Content-Encoding now reads "gzip" then "aws-chunked" as two fields; S3 stores "gzip".
  Result put = Run(std::move(head), encoded);
  ASSERT_EQ(put.status(), 200) << put;
  Result get = GetObject("obj", "gz");
  EXPECT_EQ(get.body, "not really gzip");
  EXPECT_EQ(get.header("Content-Encoding").find("aws-chunked"), std::string::npos)
      << get.header("Content-Encoding");
}

TEST_F(ObjectTest, CombinedContentEncodingHeaderKeepsTheRealCoding) {
  // One field listing both codings, as some SDKs send it (re-signed: the header is signed).
  TestRequest r2{.method = "PUT", .path = ObjectPath("obj", "gz2")};
  r2.Header("Content-Encoding", "aws-chunked,gzip");
  r2.Header("x-amz-decoded-content-length", "3");
  SignedHead s = SignHead(r2, kTestKey, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
  std::string prev = s.signature;
  std::string body;
  for (std::string_view chunk : {std::string_view("zzz"), std::string_view("")}) {
    std::string sig = sigv4::ChunkSignature(s.signing_key, s.amz_date, s.credential, prev, chunk);
    body += std::to_string(chunk.size()) + ";chunk-signature=" + sig + "\r\n" + std::string(chunk) +
            "\r\n";
    prev = sig;
  }
  s.head.content_length = body.size();
  Result put = Run(std::move(s.head), body);
  ASSERT_EQ(put.status(), 200) << put;
  EXPECT_EQ(GetObject("obj", "gz2").header("Content-Encoding"), "gzip");
}

TEST_F(ObjectTest, TamperedSignedChunkIsRefusedAndNothingStored) {
  const std::string payload = Pattern(3000);
  auto [head, encoded] =
      SignedChunked({.method = "PUT", .path = ObjectPath("obj", "bad-chunk")}, payload, 1024);
  size_t at = encoded.find("\r\n") + 10;
  encoded[at] = static_cast<char>(encoded[at] ^ 1);
  Result put = Run(std::move(head), encoded);
  EXPECT_EQ(put.status(), 403) << put;
  EXPECT_EQ(put.code(), "SignatureDoesNotMatch");
  EXPECT_FALSE(Stored("obj", "bad-chunk"));
}

TEST_F(ObjectTest, ChunkedBodyShorterThanDecodedLengthIsIncompleteBody) {
  TestRequest r{.method = "PUT", .path = ObjectPath("obj", "short")};
  r.Header("Content-Encoding", "aws-chunked");
  r.Header("x-amz-decoded-content-length", "10");
  r.Header("x-amz-trailer", "x-amz-checksum-crc32");
  RequestHead head = Signed(r, kTestKey, "STREAMING-UNSIGNED-PAYLOAD-TRAILER");
  std::string body = "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:" + Crc32Base64("hello") + "\r\n\r\n";
  head.content_length = body.size();
  Result put = Run(std::move(head), body);
  EXPECT_EQ(put.status(), 400) << put;
  EXPECT_EQ(put.code(), "IncompleteBody");
  EXPECT_FALSE(Stored("obj", "short"));
}

TEST_F(ObjectTest, UnsignedTrailerUploadDecodesAndStoresTheCrc) {
  const std::string payload = Pattern(70000);
  auto [head, encoded] =
      UnsignedTrailer({.method = "PUT", .path = ObjectPath("obj", "trailer")}, payload, 65536);
  Result put = Run(std::move(head), encoded, 5);
  ASSERT_EQ(put.status(), 200) << put;
  EXPECT_EQ(put.header("x-amz-checksum-crc32"), Crc32Base64(payload));
  Result get = GetObject("obj", "trailer", {{"x-amz-checksum-mode", "ENABLED"}});
  EXPECT_TRUE(get.body == payload);
  EXPECT_EQ(get.header("x-amz-checksum-crc32"), Crc32Base64(payload));
  EXPECT_FALSE(get.has_header("Content-Encoding"));
}

TEST_F(ObjectTest, UnsignedTrailerWithWrongCrcIsBadDigest) {
  auto [head, encoded] = UnsignedTrailer({.method = "PUT", .path = ObjectPath("obj", "bad-crc")},
                                         "some bytes", 4, Crc32Base64("other bytes"));
  Result put = Run(std::move(head), encoded);
  EXPECT_EQ(put.status(), 400) << put;
  EXPECT_EQ(put.code(), "BadDigest");
  EXPECT_FALSE(Stored("obj", "bad-crc"));
}

TEST_F(ObjectTest, PutWithoutContentLengthIsMissingContentLength) {
  TestRequest r{.method = "PUT", .path = ObjectPath("obj", "nolen")};
  RequestHead head = Signed(r, kTestKey, "UNSIGNED-PAYLOAD");
  head.content_length = std::nullopt;
  Result put = Run(std::move(head));
  EXPECT_EQ(put.status(), 411) << put;
  EXPECT_EQ(put.code(), "MissingContentLength");
}

TEST_F(ObjectTest, PartNumberOfASimpleObject) {
  ASSERT_EQ(PutObject("obj", "simple", "whole").status(), 200);
  Result one = GetObject("obj", "simple", {}, "partNumber=1");
  EXPECT_EQ(one.status(), 200) << one;
  EXPECT_EQ(one.body, "whole");
  Result two = GetObject("obj", "simple", {}, "partNumber=2");
  EXPECT_EQ(two.status(), 416) << two;
  EXPECT_EQ(two.code(), "InvalidPartNumber");
}

TEST_F(ObjectTest, ResponseHeaderOverrides) {
  ASSERT_EQ(PutObject("obj", "o", "x", {{"Content-Type", "text/plain"}}).status(), 200);
  Result got = GetObject("obj", "o", {},
                         "response-content-type=application%2Fjson&"
                         "response-content-disposition=attachment%3B%20filename%3D%22a.json%22");
  ASSERT_EQ(got.status(), 200) << got;
  EXPECT_EQ(got.header("Content-Type"), "application/json");
  EXPECT_EQ(got.header("Content-Disposition"), "attachment; filename=\"a.json\"");
}

TEST_F(ObjectTest, KeysWithSlashesAndDots) {
  for (std::string key : {"dir/", "/leading", "a//b", "./dot", "..", "trailing.", "%2F"}) {
    SCOPED_TRACE(key);
    Result put = PutObject("obj", key, "k=" + key);
    ASSERT_EQ(put.status(), 200) << put;
    EXPECT_EQ(put.log().key, key);
    EXPECT_TRUE(Stored("obj", key));
    EXPECT_EQ(GetObject("obj", key).body, "k=" + key);
  }
}

TEST_F(ObjectTest, CreateBucketWithMalformedConfiguration) {
  TestRequest r{.method = "PUT", .path = "/bad-config"};
  r.Body("<CreateBucketConfiguration><LocationConstraint>");
  Result got = Send(r);
  EXPECT_EQ(got.status(), 400) << got;
  EXPECT_EQ(got.code(), "MalformedXML");
  EXPECT_FALSE(store_->GetBucket("bad-config").has_value());
}

TEST_F(ObjectTest, UploadPartWithWrongContentMd5StoresNoPart) {
  TestRequest create{.method = "POST", .path = ObjectPath("obj", "mpu-md5"), .query = "uploads"};
  Result c = Send(create);
  std::string id = c.xml("/InitiateMultipartUploadResult/UploadId");
  TestRequest part{.method = "PUT",
                   .path = ObjectPath("obj", "mpu-md5"),
                   .query = "partNumber=1&uploadId=" + Enc(id)};
  part.Body("part body");
  part.Header("Content-MD5", Md5Base64("different"));
  Result got = Send(part);
  EXPECT_EQ(got.status(), 400) << got;
  EXPECT_EQ(got.code(), "BadDigest");
  Result parts =
      Send({.method = "GET", .path = ObjectPath("obj", "mpu-md5"), .query = "uploadId=" + Enc(id)});
  EXPECT_TRUE(parts.xml_all("/ListPartsResult/Part").empty()) << parts.body;
}

TEST_F(ObjectTest, SignedChunkedBodyWithoutTheFinalChunkIsIncomplete) {
  const std::string payload = Pattern(3000);
  auto [head, encoded] =
      SignedChunked({.method = "PUT", .path = ObjectPath("obj", "cut")}, payload, 1024);
  std::string cut = encoded.substr(0, encoded.rfind("0;chunk-signature="));
  head.content_length = cut.size();
  Result put = Run(std::move(head), cut);
  EXPECT_EQ(put.status(), 400) << put;
  EXPECT_EQ(put.code(), "IncompleteBody");
  EXPECT_FALSE(Stored("obj", "cut"));
}

TEST_F(ObjectTest, PutIntoAMissingBucket) {
  Result put = PutObject("no-such-bucket", "k", "x");
  EXPECT_EQ(put.status(), 404);
  EXPECT_EQ(put.code(), "NoSuchBucket");
  EXPECT_FALSE(put.had_sink) << "the body is not read for a missing bucket";
}

TEST_F(ObjectTest, ListingDatesAreIso8601WithMilliseconds) {
  ASSERT_EQ(PutObject("obj", "dated", "x").status(), 200);
  Result list = Send({.method = "GET", .path = "/obj", .query = "list-type=2"});
  std::string date = list.xml("/ListBucketResult/Contents/LastModified");
  ASSERT_EQ(date.size(), 24u) << date;  // 2024-03-05T10:20:00.000Z
  EXPECT_EQ(date[4], '-');
  EXPECT_EQ(date[10], 'T');
  EXPECT_EQ(date[19], '.');
  EXPECT_EQ(date.back(), 'Z');
  std::string header = GetObject("obj", "dated").header("Last-Modified");
  EXPECT_EQ(header.size(), 29u) << header;  // Tue, 05 Mar 2024 10:20:00 GMT
  EXPECT_TRUE(header.ends_with(" GMT")) << header;
}

}  // namespace
}  // namespace logbucket::s3::testing
