// s3::Service: multipart uploads (create, upload part, upload part copy, list parts, list
// uploads, complete with its ETag and errors, abort).
#include <gtest/gtest.h>

#include "tests/unit/s3/service_fixture.h"

namespace logbucket::s3::testing {
namespace {

constexpr size_t kMiB = 1 << 20;

std::string Filled(size_t n, char seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(seed + (i * 7 + i / 4099) % 251);
  return s;
}

std::string RawMd5(std::string_view bytes) { return Digest(HashKind::kMd5, bytes); }

class MultipartTest : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    MakeBucket("mpu");
  }

  std::string Create(const std::string& key,
                     std::vector<std::pair<std::string, std::string>> headers = {}) {
    TestRequest r{.method = "POST", .path = ObjectPath("mpu", key), .query = "uploads"};
    r.headers = std::move(headers);
    Result got = Send(r);
    EXPECT_EQ(got.status(), 200) << got;
    EXPECT_EQ(got.log().operation, "REST.POST.UPLOADS");
    EXPECT_EQ(got.xml("/InitiateMultipartUploadResult/Key"), key);
    return got.xml("/InitiateMultipartUploadResult/UploadId");
  }

  Result Part(const std::string& key, const std::string& id, int number, std::string body) {
    TestRequest r{.method = "PUT",
                  .path = ObjectPath("mpu", key),
                  .query = "partNumber=" + std::to_string(number) + "&uploadId=" + Enc(id)};
    r.Body(std::move(body));
    return Send(r);
  }

  static std::string CompleteBody(const std::vector<std::pair<int, std::string>>& parts) {
    std::string out = "<CompleteMultipartUpload>";
    for (const auto& [n, etag] : parts) {
      out += "<Part><PartNumber>" + std::to_string(n) + "</PartNumber><ETag>" + etag +
             "</ETag></Part>";
    }
    return out + "</CompleteMultipartUpload>";
  }

  Result Complete(const std::string& key, const std::string& id,
                  const std::vector<std::pair<int, std::string>>& parts) {
    TestRequest r{.method = "POST", .path = ObjectPath("mpu", key), .query = "uploadId=" + Enc(id)};
    r.Body(CompleteBody(parts));
    return Send(r);
  }
};

TEST_F(MultipartTest, ThreePartsMakeOneObjectWithTheMultipartEtag) {
  const std::string p1 = Filled(5 * kMiB, 'a'), p2 = Filled(5 * kMiB, 'b'), p3 = "tail bytes";
  std::string id = Create(
      "big/object.bin", {{"Content-Type", "application/x-big"}, {"x-amz-meta-kind", "multipart"}});
  ASSERT_FALSE(id.empty());
  Result r1 = Part("big/object.bin", id, 1, p1);
  ASSERT_EQ(r1.status(), 200) << r1;
  EXPECT_EQ(r1.header("ETag"), Quoted(Md5Hex(p1)));
  EXPECT_EQ(r1.log().operation, "REST.PUT.PART");
  EXPECT_EQ(r1.log().object_size, p1.size());
  Result r2 = Part("big/object.bin", id, 2, p2);
  Result r3 = Part("big/object.bin", id, 3, p3);
  ASSERT_EQ(r2.status(), 200);
  ASSERT_EQ(r3.status(), 200);

  Result parts = Send({.method = "GET",
                       .path = ObjectPath("mpu", "big/object.bin"),
                       .query = "uploadId=" + Enc(id)});
  ASSERT_EQ(parts.status(), 200) << parts;
  EXPECT_EQ(parts.log().operation, "REST.GET.UPLOAD");
  EXPECT_EQ(parts.xml_all("/ListPartsResult/Part/PartNumber"),
            (std::vector<std::string>{"1", "2", "3"}));
  EXPECT_EQ(parts.xml_all("/ListPartsResult/Part/Size"),
            (std::vector<std::string>{std::to_string(5 * kMiB), std::to_string(5 * kMiB), "10"}));
  EXPECT_EQ(parts.xml_all("/ListPartsResult/Part/ETag")[2], Quoted(Md5Hex(p3)));
  EXPECT_EQ(parts.xml("/ListPartsResult/UploadId"), id);

  Result uploads = Send({.method = "GET", .path = "/mpu", .query = "uploads"});
  ASSERT_EQ(uploads.status(), 200) << uploads;
  EXPECT_EQ(uploads.xml_all("/ListMultipartUploadsResult/Upload/UploadId"),
            std::vector<std::string>{id});
  EXPECT_EQ(uploads.xml("/ListMultipartUploadsResult/Upload/Key"), "big/object.bin");

  Result done = Complete("big/object.bin", id,
                         {{1, r1.header("ETag")}, {2, r2.header("ETag")}, {3, r3.header("ETag")}});
  ASSERT_EQ(done.status(), 200) << done;
  EXPECT_EQ(done.log().operation, "REST.POST.UPLOAD");
  std::string want = Quoted(Md5Hex(RawMd5(p1) + RawMd5(p2) + RawMd5(p3)) + "-3");
  EXPECT_EQ(done.xml("/CompleteMultipartUploadResult/ETag"), want);
  EXPECT_EQ(done.xml("/CompleteMultipartUploadResult/Key"), "big/object.bin");
  EXPECT_EQ(done.xml("/CompleteMultipartUploadResult/Bucket"), "mpu");
  EXPECT_EQ(done.log().object_size, p1.size() + p2.size() + p3.size());

  Result get = GetObject("mpu", "big/object.bin");
  ASSERT_EQ(get.status(), 200);
  EXPECT_EQ(get.header("ETag"), want);
  EXPECT_TRUE(get.body == p1 + p2 + p3);
  EXPECT_EQ(get.header("Content-Type"), "application/x-big");
  EXPECT_EQ(get.header("x-amz-meta-kind"), "multipart");

  Result second = GetObject("mpu", "big/object.bin", {}, "partNumber=2");
  EXPECT_EQ(second.status(), 206);
  EXPECT_TRUE(second.body == p2);
  EXPECT_EQ(second.header("x-amz-mp-parts-count"), "3");

  Result after = Send({.method = "GET", .path = "/mpu", .query = "uploads"});
  EXPECT_TRUE(after.xml_all("/ListMultipartUploadsResult/Upload").empty())
      << "a completed upload is gone";
}

TEST_F(MultipartTest, SinglePartEtag) {
  std::string id = Create("one");
  Result p = Part("one", id, 1, "only part");
  Result done = Complete("one", id, {{1, p.header("ETag")}});
  ASSERT_EQ(done.status(), 200) << done;
  EXPECT_EQ(done.xml("/CompleteMultipartUploadResult/ETag"),
            Quoted(Md5Hex(RawMd5("only part")) + "-1"));
  EXPECT_EQ(GetObject("mpu", "one").body, "only part");
}

TEST_F(MultipartTest, PartsSmallerThanFiveMiBExceptTheLastAreEntityTooSmall) {
  std::string id = Create("small");
  Result a = Part("small", id, 1, "tiny one");
  Result b = Part("small", id, 2, "tiny two");
  Result done = Complete("small", id, {{1, a.header("ETag")}, {2, b.header("ETag")}});
  EXPECT_EQ(done.status(), 400) << done;
  EXPECT_EQ(done.code(), "EntityTooSmall");
  EXPECT_FALSE(Stored("mpu", "small"));
  // The upload survives a failed completion.
  Result parts =
      Send({.method = "GET", .path = ObjectPath("mpu", "small"), .query = "uploadId=" + Enc(id)});
  EXPECT_EQ(parts.status(), 200);
}

TEST_F(MultipartTest, UnknownPartOrWrongEtagIsInvalidPart) {
  std::string id = Create("ip");
  Result a = Part("ip", id, 1, "part one");
  Result wrong = Complete("ip", id, {{1, Quoted(Md5Hex("something else"))}});
  EXPECT_EQ(wrong.status(), 400);
  EXPECT_EQ(wrong.code(), "InvalidPart");
  Result missing = Complete("ip", id, {{2, a.header("ETag")}});
  EXPECT_EQ(missing.code(), "InvalidPart");
  EXPECT_FALSE(Stored("mpu", "ip"));
  // Unquoted ETags are accepted, as S3 does.
  std::string bare = a.header("ETag").substr(1, 32);
  EXPECT_EQ(Complete("ip", id, {{1, bare}}).status(), 200);
}

TEST_F(MultipartTest, DescendingPartNumbersAreInvalidPartOrder) {
  std::string id = Create("order");
  // Both parts are big enough to be anywhere in the list: only the order is wrong.
  Result a = Part("order", id, 1, Filled(5 * kMiB, 'x'));
  Result b = Part("order", id, 2, Filled(5 * kMiB, 'y'));
  Result done = Complete("order", id, {{2, b.header("ETag")}, {1, a.header("ETag")}});
  EXPECT_EQ(done.status(), 400) << done;
  EXPECT_EQ(done.code(), "InvalidPartOrder");
  Result dup = Complete("order", id, {{1, a.header("ETag")}, {1, a.header("ETag")}});
  EXPECT_EQ(dup.code(), "InvalidPartOrder");
  EXPECT_FALSE(Stored("mpu", "order"));
}

TEST_F(MultipartTest, CompleteWithMalformedXml) {
  std::string id = Create("mx");
  TestRequest r{.method = "POST", .path = ObjectPath("mpu", "mx"), .query = "uploadId=" + Enc(id)};
  r.Body("<CompleteMultipartUpload><Part>");
  Result got = Send(r);
  EXPECT_EQ(got.status(), 400);
  EXPECT_EQ(got.code(), "MalformedXML");
}

TEST_F(MultipartTest, AbortRemovesTheUpload) {
  std::string id = Create("ab");
  ASSERT_EQ(Part("ab", id, 1, "x").status(), 200);
  Result abort =
      Send({.method = "DELETE", .path = ObjectPath("mpu", "ab"), .query = "uploadId=" + Enc(id)});
  EXPECT_EQ(abort.status(), 204) << abort;
  EXPECT_EQ(abort.log().operation, "REST.DELETE.UPLOAD");
  Result parts =
      Send({.method = "GET", .path = ObjectPath("mpu", "ab"), .query = "uploadId=" + Enc(id)});
  EXPECT_EQ(parts.status(), 404);
  EXPECT_EQ(parts.code(), "NoSuchUpload");
  Result late = Part("ab", id, 2, "y");
  EXPECT_EQ(late.code(), "NoSuchUpload");
  EXPECT_EQ(Complete("ab", id, {{1, Quoted(Md5Hex("x"))}}).code(), "NoSuchUpload");
  EXPECT_FALSE(Stored("mpu", "ab"));
}

TEST_F(MultipartTest, UploadIdBelongsToItsKey) {
  std::string id = Create("owner-key");
  Result other = Part("other-key", id, 1, "x");
  EXPECT_EQ(other.status(), 404);
  EXPECT_EQ(other.code(), "NoSuchUpload");
}

TEST_F(MultipartTest, InvalidPartNumbers) {
  std::string id = Create("pn");
  for (int n : {0, 10001}) {
    Result got = Part("pn", id, n, "x");
    EXPECT_EQ(got.status(), 400) << n;
    EXPECT_EQ(got.code(), "InvalidArgument") << n;
  }
}

TEST_F(MultipartTest, UploadPartCopyCopiesARange) {
  const std::string source = Filled(6 * kMiB, 's');
  ASSERT_EQ(PutObject("mpu", "source", source).status(), 200);
  std::string id = Create("assembled");
  TestRequest r{.method = "PUT",
                .path = ObjectPath("mpu", "assembled"),
                .query = "partNumber=1&uploadId=" + Enc(id)};
  r.Header("x-amz-copy-source", "/mpu/source");
  r.Header("x-amz-copy-source-range", "bytes=0-" + std::to_string(5 * kMiB - 1));
  Result copied = Send(r);
  ASSERT_EQ(copied.status(), 200) << copied;
  EXPECT_EQ(copied.log().operation, "REST.COPY.PART");
  std::string part1 = source.substr(0, 5 * kMiB);
  EXPECT_EQ(copied.xml("/CopyPartResult/ETag"), Quoted(Md5Hex(part1)));
  ASSERT_EQ(copied.log().extra.size(), 1u);
  EXPECT_EQ(copied.log().extra[0].operation, "REST.COPY.PART_GET");
  EXPECT_EQ(copied.log().extra[0].key, "source");

  // A missing source key is logged on the source side too (404), as CopyObject's is.
  TestRequest missing = r;
  missing.headers[0].second = "/mpu/no-such-source";
  Result absent = Send(missing);
  EXPECT_EQ(absent.code(), "NoSuchKey");
  ASSERT_EQ(absent.log().extra.size(), 1u);
  EXPECT_EQ(absent.log().extra[0].operation, "REST.COPY.PART_GET");
  EXPECT_EQ(absent.log().extra[0].http_status, 404);

  Result p2 = Part("assembled", id, 2, "end");
  Result done =
      Complete("assembled", id, {{1, copied.xml("/CopyPartResult/ETag")}, {2, p2.header("ETag")}});
  ASSERT_EQ(done.status(), 200) << done;
  EXPECT_TRUE(GetObject("mpu", "assembled").body == part1 + "end");

  TestRequest beyond = r;
  beyond.query = "partNumber=3&uploadId=" + Enc(id);
  beyond.headers.back().second = "bytes=0-" + std::to_string(source.size());
  Result bad_range = Send(beyond);
  EXPECT_EQ(bad_range.code(), "NoSuchUpload") << "the upload was completed";
}

TEST_F(MultipartTest, UploadPartCopyRangeBeyondTheSource) {
  ASSERT_EQ(PutObject("mpu", "src", "0123456789").status(), 200);
  std::string id = Create("rng");
  TestRequest r{.method = "PUT",
                .path = ObjectPath("mpu", "rng"),
                .query = "partNumber=1&uploadId=" + Enc(id)};
  r.Header("x-amz-copy-source", "/mpu/src");
  r.Header("x-amz-copy-source-range", "bytes=5-10");
  Result got = Send(r);
  EXPECT_EQ(got.status(), 416) << got;
  EXPECT_EQ(got.code(), "InvalidRange");
}

TEST_F(MultipartTest, ListMultipartUploadsWithPrefixAndDelimiter) {
  std::string x1 = Create("x/1"), x2 = Create("x/2"), y = Create("y"), y2 = Create("y");
  Result all = Send({.method = "GET", .path = "/mpu", .query = "uploads"});
  ASSERT_EQ(all.status(), 200) << all;
  EXPECT_EQ(all.xml_all("/ListMultipartUploadsResult/Upload/Key"),
            (std::vector<std::string>{"x/1", "x/2", "y", "y"}));
  Result delim = Send({.method = "GET", .path = "/mpu", .query = "delimiter=%2F&uploads"});
  EXPECT_EQ(delim.xml_all("/ListMultipartUploadsResult/Upload/Key"),
            (std::vector<std::string>{"y", "y"}));
  EXPECT_EQ(delim.xml_all("/ListMultipartUploadsResult/CommonPrefixes/Prefix"),
            std::vector<std::string>{"x/"});
  Result prefixed = Send({.method = "GET", .path = "/mpu", .query = "prefix=x%2F&uploads"});
  EXPECT_EQ(prefixed.xml_all("/ListMultipartUploadsResult/Upload/UploadId"),
            (std::vector<std::string>{x1, x2}));
  Result page = Send({.method = "GET", .path = "/mpu", .query = "max-uploads=3&uploads"});
  EXPECT_EQ(page.xml("/ListMultipartUploadsResult/IsTruncated"), "true");
  EXPECT_EQ(page.xml_all("/ListMultipartUploadsResult/Upload").size(), 3u);
  std::string key_marker = page.xml("/ListMultipartUploadsResult/NextKeyMarker");
  std::string id_marker = page.xml("/ListMultipartUploadsResult/NextUploadIdMarker");
  Result rest = Send({.method = "GET",
                      .path = "/mpu",
                      .query = "key-marker=" + Enc(key_marker) +
                               "&upload-id-marker=" + Enc(id_marker) + "&uploads"});
  EXPECT_EQ(rest.xml_all("/ListMultipartUploadsResult/Upload").size(), 1u) << rest;
  EXPECT_EQ(rest.xml("/ListMultipartUploadsResult/IsTruncated"), "false");
}

// A page that ends on a common prefix is truncated when more uploads follow it.
TEST_F(MultipartTest, ListMultipartUploadsPageEndingOnCommonPrefixIsTruncated) {
  Create("a/x");
  Create("b");
  Result first =
      Send({.method = "GET", .path = "/mpu", .query = "delimiter=%2F&max-uploads=1&uploads"});
  ASSERT_EQ(first.status(), 200) << first;
  EXPECT_EQ(first.xml_all("/ListMultipartUploadsResult/CommonPrefixes/Prefix"),
            std::vector<std::string>{"a/"});
  EXPECT_EQ(first.xml("/ListMultipartUploadsResult/IsTruncated"), "true");
  std::string marker = first.xml("/ListMultipartUploadsResult/NextKeyMarker");
  Result second = Send({.method = "GET",
                        .path = "/mpu",
                        .query = "delimiter=%2F&key-marker=" + Enc(marker) +
                                 "&max-uploads=1&uploads"});
  EXPECT_EQ(second.xml_all("/ListMultipartUploadsResult/Upload/Key"),
            std::vector<std::string>{"b"});
  EXPECT_EQ(second.xml("/ListMultipartUploadsResult/IsTruncated"), "false");
}

TEST_F(MultipartTest, ListPartsPaginates) {
  std::string id = Create("lp");
  for (int n = 1; n <= 5; ++n) ASSERT_EQ(Part("lp", id, n, std::string(n, 'p')).status(), 200);
  Result first = Send({.method = "GET",
                       .path = ObjectPath("mpu", "lp"),
                       .query = "max-parts=2&uploadId=" + Enc(id)});
  EXPECT_EQ(first.xml_all("/ListPartsResult/Part/PartNumber"),
            (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(first.xml("/ListPartsResult/IsTruncated"), "true");
  EXPECT_EQ(first.xml("/ListPartsResult/NextPartNumberMarker"), "2");
  Result next = Send({.method = "GET",
                      .path = ObjectPath("mpu", "lp"),
                      .query = "max-parts=2&part-number-marker=2&uploadId=" + Enc(id)});
  EXPECT_EQ(next.xml_all("/ListPartsResult/Part/PartNumber"), (std::vector<std::string>{"3", "4"}));
}

}  // namespace
}  // namespace logbucket::s3::testing
