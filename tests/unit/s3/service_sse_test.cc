// s3::Service: server-side encryption. x-amz-server-side-encryption on PutObject, CopyObject and
// multipart uploads (bytes really encrypted at rest: nothing under the data directory holds the
// plaintext), the header S3 reports on every object, bucket default encryption
// (Put/Get/DeleteBucketEncryption), and the refusals: SSE-KMS (no KMS is emulated), unknown
// values, SSE-C, encryption headers on reads and on parts.
#include <gtest/gtest.h>

#include <fstream>

#include "tests/unit/s3/service_fixture.h"

namespace logbucket::s3::testing {
namespace {

constexpr size_t kMiB = 1 << 20;
constexpr std::string_view kNs = "http://s3.amazonaws.com/doc/2006-03-01/";

// "<tag>:<n>|" repeated: every 48-byte window is unique to its tag and findable on disk.
std::string Pattern(std::string_view tag, size_t n) {
  std::string out;
  for (size_t i = 0; out.size() < n; ++i) out += std::string(tag) + ":" + std::to_string(i) + "|";
  out.resize(n);
  return out;
}

const std::pair<std::string, std::string> kAes256{"x-amz-server-side-encryption", "AES256"};

class SseTest : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    MakeBucket("sse");
  }

  // Whether a file under the store's data directory holds a 48-byte window of `bytes`.
  bool OnDisk(std::string_view bytes) const {
    for (const auto& entry : fs::recursive_directory_iterator(dir_ / "data")) {
      if (!entry.is_regular_file()) continue;
      std::ifstream in(entry.path(), std::ios::binary);
      const std::string content((std::istreambuf_iterator<char>(in)), {});
      for (size_t at : {size_t{0}, bytes.size() / 2, bytes.size() - 48}) {
        if (content.find(bytes.substr(at, 48)) != std::string::npos) return true;
      }
    }
    return false;
  }

  std::string StoredSse(const std::string& bucket, const std::string& key) {
    auto head = store_->HeadObject(bucket, key);
    EXPECT_TRUE(head.has_value());
    return head ? head->sse_algorithm : "<missing>";
  }

  Result PutEncryption(const std::string& bucket, const std::string& document) {
    TestRequest r{.method = "PUT", .path = "/" + bucket, .query = "encryption"};
    r.Body(document);
    r.Header("Content-MD5", Md5Base64(document));
    return Send(r);
  }
  Result GetEncryption(const std::string& bucket) {
    return Send({.method = "GET", .path = "/" + bucket, .query = "encryption"});
  }

  static std::string Aes256Rule(const std::string& extra = "") {
    return "<ServerSideEncryptionConfiguration xmlns=\"" + std::string(kNs) +
           "\"><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm>" +
           extra +
           "</ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>";
  }

  std::string CreateUpload(const std::string& key,
                           std::vector<std::pair<std::string, std::string>> headers = {}) {
    TestRequest r{.method = "POST", .path = ObjectPath("sse", key), .query = "uploads"};
    r.headers = std::move(headers);
    Result got = Send(r);
    EXPECT_EQ(got.status(), 200) << got;
    EXPECT_EQ(got.header("x-amz-server-side-encryption"), "AES256");
    return got.xml("/InitiateMultipartUploadResult/UploadId");
  }
  Result UploadPart(const std::string& key, const std::string& id, int number, std::string body,
                    std::vector<std::pair<std::string, std::string>> headers = {}) {
    TestRequest r{.method = "PUT",
                  .path = ObjectPath("sse", key),
                  .query = "partNumber=" + std::to_string(number) + "&uploadId=" + Enc(id)};
    r.headers = std::move(headers);
    r.Body(std::move(body));
    return Send(r);
  }
  Result Complete(const std::string& key, const std::string& id,
                  const std::vector<std::string>& etags) {
    std::string body = "<CompleteMultipartUpload>";
    for (size_t i = 0; i < etags.size(); ++i) {
      body += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>" + etags[i] +
              "</ETag></Part>";
    }
    body += "</CompleteMultipartUpload>";
    TestRequest r{.method = "POST", .path = ObjectPath("sse", key), .query = "uploadId=" + Enc(id)};
    r.Body(body);
    return Send(r);
  }
  Result Copy(const std::string& from, const std::string& to,
              std::vector<std::pair<std::string, std::string>> headers = {},
              const std::string& to_bucket = "sse") {
    TestRequest r{.method = "PUT", .path = ObjectPath(to_bucket, to)};
    r.headers = std::move(headers);
    r.Header("x-amz-copy-source", "/sse/" + from);
    return Send(r);
  }
};

TEST_F(SseTest, Aes256PutIsEncryptedAtRestAndReadsBack) {
  const std::string big = Pattern("sse-file", 64 * 1024);
  const std::string small = Pattern("sse-inline", 4 * 1024);
  for (const auto& [key, body] : {std::pair{"big", &big}, std::pair{"small", &small}}) {
    Result put = PutObject("sse", key, *body, {kAes256});
    ASSERT_EQ(put.status(), 200) << put;
    EXPECT_EQ(put.header("x-amz-server-side-encryption"), "AES256");
    EXPECT_EQ(put.header("ETag"), Quoted(Md5Hex(*body))) << "SSE-S3 ETags are the MD5";
    EXPECT_EQ(StoredSse("sse", key), "AES256");
    Result get = GetObject("sse", key);
    ASSERT_EQ(get.status(), 200) << get;
    EXPECT_EQ(get.body, *body);
    EXPECT_EQ(get.header("x-amz-server-side-encryption"), "AES256");
    Result head = HeadObject("sse", key);
    EXPECT_EQ(head.header("x-amz-server-side-encryption"), "AES256");
    EXPECT_EQ(head.header("Content-Length"), std::to_string(body->size()));
  }
  EXPECT_FALSE(OnDisk(big));
  EXPECT_FALSE(OnDisk(small));

  // A streamed (aws-chunked) body is encrypted too.
  const std::string chunked = Pattern("sse-chunked", 100'000);
  TestRequest r{.method = "PUT", .path = ObjectPath("sse", "chunked")};
  r.Header("x-amz-server-side-encryption", "AES256");
  auto [head, encoded] = SignedChunked(r, chunked, 16 * 1024);
  Result put = Run(std::move(head), encoded);
  ASSERT_EQ(put.status(), 200) << put;
  EXPECT_EQ(StoredSse("sse", "chunked"), "AES256");
  EXPECT_EQ(GetObject("sse", "chunked").body, chunked);
  EXPECT_FALSE(OnDisk(chunked));
}

TEST_F(SseTest, EveryObjectReportsAes256ButOnlyRequestedOnesAreEncrypted) {
  const std::string body = Pattern("no-header", 20'000);
  Result put = PutObject("sse", "plain", body);
  ASSERT_EQ(put.status(), 200) << put;
  EXPECT_EQ(put.header("x-amz-server-side-encryption"), "AES256") << "as S3 since January 2023";
  EXPECT_EQ(GetObject("sse", "plain").header("x-amz-server-side-encryption"), "AES256");
  EXPECT_EQ(StoredSse("sse", "plain"), "") << "stored in clear: nothing asked for encryption";
  EXPECT_TRUE(OnDisk(body)) << "the on-disk search finds plaintext when it is there";
}

TEST_F(SseTest, RangesOfAnEncryptedObject) {
  const std::string body = Pattern("ranges", 200'000);
  ASSERT_EQ(PutObject("sse", "k", body, {kAes256}).status(), 200);
  for (auto [first, last] :
       {std::pair<size_t, size_t>{0, 0}, {15, 16}, {17, 100'016}, {123'457, 199'999}}) {
    Result got = GetObject(
        "sse", "k", {{"Range", "bytes=" + std::to_string(first) + "-" + std::to_string(last)}});
    ASSERT_EQ(got.status(), 206) << got;
    EXPECT_EQ(got.body, body.substr(first, last - first + 1)) << first;
  }
  Result suffix = GetObject("sse", "k", {{"Range", "bytes=-33"}});
  EXPECT_EQ(suffix.body, body.substr(body.size() - 33));
  auto reader = store_->OpenObject("sse", "k");
  ASSERT_TRUE(reader.has_value());
  EXPECT_EQ(reader->fd(), -1) << "no sendfile of ciphertext";
}

TEST_F(SseTest, RefusedEncryptionRequestsStoreNothing) {
  struct Case {
    std::vector<std::pair<std::string, std::string>> headers;
    int status;
    std::string code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{{"x-amz-server-side-encryption", "aws:kms"}},
       400,
       "KMS.NotFoundException",
       "Invalid keyId aws/s3"},
      {{{"x-amz-server-side-encryption", "aws:kms:dsse"},
        {"x-amz-server-side-encryption-aws-kms-key-id", "arn:aws:kms:us-east-1:1:key/x"}},
       400,
       "KMS.NotFoundException",
       "Key 'arn:aws:kms:us-east-1:1:key/x' does not exist"},
      {{{"x-amz-server-side-encryption", "aws:kms"},
        {"x-amz-server-side-encryption-aws-kms-key-id", "fake-key-id"}},
       400,
       "KMS.NotFoundException",
       "Invalid keyId 'fake-key-id'"},
      {{{"x-amz-server-side-encryption", "AES512"}},
       400,
       "InvalidArgument",
       "The encryption method specified is not supported"},
      {{{"x-amz-server-side-encryption", ""}},
       400,
       "InvalidArgument",
       "The encryption method specified is not supported"},
      {{{"x-amz-server-side-encryption", "AES256"},
        {"x-amz-server-side-encryption-aws-kms-key-id", "k"}},
       400,
       "InvalidArgument",
       "Server Side Encryption with AWS KMS managed key requires HTTP header "
       "x-amz-server-side-encryption : aws:kms"},
      {{{"x-amz-server-side-encryption-customer-algorithm", "AES256"},
        {"x-amz-server-side-encryption-customer-key", "a2V5"},
        {"x-amz-server-side-encryption-customer-key-MD5", "bWQ1"}},
       403,
       "AccessDenied",
       ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.headers.front().first + ": " + c.headers.front().second);
    Result put = PutObject("sse", "refused", "bytes", c.headers);
    EXPECT_EQ(put.status(), c.status) << put;
    EXPECT_EQ(put.code(), c.code);
    if (!c.message.empty()) {
      EXPECT_EQ(put.message(), c.message);
    }
    EXPECT_FALSE(Stored("sse", "refused"));
    TestRequest create{.method = "POST", .path = ObjectPath("sse", "refused"), .query = "uploads"};
    create.headers = c.headers;
    EXPECT_EQ(Send(create).code(), c.code);
  }
  Result bad = PutObject("sse", "refused", "bytes", {{"x-amz-server-side-encryption", "AES512"}});
  EXPECT_EQ(bad.xml("/Error/ArgumentName"), "x-amz-server-side-encryption");
  EXPECT_EQ(bad.xml("/Error/ArgumentValue"), "AES512");
  Result sse_c = PutObject("sse", "refused", "bytes",
                           {{"x-amz-server-side-encryption-customer-algorithm", "AES256"}});
  EXPECT_NE(sse_c.message().find("blocked upload requests that specify Server Side Encryption "
                                 "with Customer provided keys (SSE-C)"),
            std::string::npos)
      << sse_c.message();
  EXPECT_NE(sse_c.message().find("arn:aws:s3:::sse/refused"), std::string::npos);
}

TEST_F(SseTest, EncryptionHeadersOnReadsAreRefused) {
  ASSERT_EQ(PutObject("sse", "k", "bytes", {kAes256}).status(), 200);
  Result with_sse = GetObject("sse", "k", {kAes256});
  EXPECT_EQ(with_sse.status(), 400) << with_sse;
  EXPECT_EQ(with_sse.code(), "InvalidArgument");
  EXPECT_EQ(HeadObject("sse", "k", {kAes256}).status(), 400);
  Result with_sse_c =
      GetObject("sse", "k", {{"x-amz-server-side-encryption-customer-algorithm", "AES256"}});
  EXPECT_EQ(with_sse_c.status(), 400);
  EXPECT_EQ(with_sse_c.code(), "InvalidRequest");
  EXPECT_EQ(with_sse_c.message(), "The encryption parameters are not applicable to this object.");
  EXPECT_EQ(GetObject("sse", "k").body, "bytes");
}

TEST_F(SseTest, BucketDefaultEncryption) {
  Result initial = GetEncryption("sse");
  ASSERT_EQ(initial.status(), 200) << initial;
  EXPECT_EQ(initial.log().operation, "REST.GET.ENCRYPTION");
  EXPECT_EQ(initial.xml("/ServerSideEncryptionConfiguration/Rule/ApplyServerSideEncryptionByDefault"
                        "/SSEAlgorithm"),
            "AES256")
      << "every bucket reports the SSE-S3 default, as S3 since 2023";
  EXPECT_EQ(initial.xml("/ServerSideEncryptionConfiguration/Rule/BucketKeyEnabled"), "false");
  EXPECT_EQ(initial.xml("/ServerSideEncryptionConfiguration/Rule/BlockedEncryptionTypes/"
                        "EncryptionType"),
            "SSE-C");

  const std::string before = Pattern("before-default", 20'000);
  ASSERT_EQ(PutObject("sse", "before", before).status(), 200);
  Result put = PutEncryption("sse", Aes256Rule());
  ASSERT_EQ(put.status(), 200) << put;
  EXPECT_EQ(put.log().operation, "REST.PUT.ENCRYPTION");
  Result got = GetEncryption("sse");
  EXPECT_EQ(got.xml("/ServerSideEncryptionConfiguration/Rule/ApplyServerSideEncryptionByDefault"
                    "/SSEAlgorithm"),
            "AES256");

  const std::string after = Pattern("after-default", 20'000);
  ASSERT_EQ(PutObject("sse", "after", after).status(), 200);
  EXPECT_EQ(StoredSse("sse", "after"), "AES256") << "no header: the bucket default applies";
  EXPECT_EQ(StoredSse("sse", "before"), "") << "objects already there are left as they are";
  EXPECT_FALSE(OnDisk(after));
  EXPECT_EQ(GetObject("sse", "after").body, after);

  Result deleted = Send({.method = "DELETE", .path = "/sse", .query = "encryption"});
  EXPECT_EQ(deleted.status(), 204) << deleted;
  EXPECT_EQ(deleted.log().operation, "REST.DELETE.ENCRYPTION");
  EXPECT_EQ(Send({.method = "DELETE", .path = "/sse", .query = "encryption"}).status(), 204);
  EXPECT_EQ(GetEncryption("sse").body, initial.body) << "back to the default document";
  ASSERT_EQ(PutObject("sse", "later", "later").status(), 200);
  EXPECT_EQ(StoredSse("sse", "later"), "");
}

TEST_F(SseTest, PutBucketEncryptionRefusals) {
  Result kms = PutEncryption(
      "sse",
      "<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault>"
      "<SSEAlgorithm>aws:kms</SSEAlgorithm><KMSMasterKeyID>alias/mine</KMSMasterKeyID>"
      "</ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>");
  EXPECT_EQ(kms.status(), 400) << kms;
  EXPECT_EQ(kms.code(), "KMS.NotFoundException");
  Result key_with_aes = PutEncryption("sse", Aes256Rule("<KMSMasterKeyID>k</KMSMasterKeyID>"));
  EXPECT_EQ(key_with_aes.code(), "InvalidArgument");
  EXPECT_EQ(key_with_aes.xml("/Error/ArgumentName"), "ApplyServerSideEncryptionByDefault");
  EXPECT_EQ(PutEncryption("sse", "<ServerSideEncryptionConfiguration/>").code(), "MalformedXML");
  Result unblock =
      PutEncryption("sse",
                    "<ServerSideEncryptionConfiguration><Rule><BlockedEncryptionTypes>"
                    "<EncryptionType>NONE</EncryptionType></BlockedEncryptionTypes></Rule>"
                    "</ServerSideEncryptionConfiguration>");
  EXPECT_EQ(unblock.status(), 501) << unblock;
  TestRequest no_md5{.method = "PUT", .path = "/sse", .query = "encryption"};
  no_md5.Body(Aes256Rule());
  EXPECT_EQ(Send(no_md5).code(), "InvalidRequest");
  Result stranger = Send({.method = "GET", .path = "/sse", .query = "encryption"}, kAliceKey);
  EXPECT_EQ(stranger.status(), 403) << stranger;
  // Nothing was stored: the default is still reported and new objects are stored in clear.
  ASSERT_EQ(PutObject("sse", "k", "v").status(), 200);
  EXPECT_EQ(StoredSse("sse", "k"), "");
}

TEST_F(SseTest, CopiesTakeTheRequestsEncryptionElseTheDestinationBucketsDefault) {
  const std::string body = Pattern("copy-source", 30'000);
  ASSERT_EQ(PutObject("sse", "clear", body).status(), 200);
  ASSERT_EQ(PutObject("sse", "secret", body, {kAes256}).status(), 200);

  Result to_encrypted = Copy("clear", "clear-to-encrypted", {kAes256});
  ASSERT_EQ(to_encrypted.status(), 200) << to_encrypted;
  EXPECT_EQ(to_encrypted.header("x-amz-server-side-encryption"), "AES256");
  EXPECT_EQ(StoredSse("sse", "clear-to-encrypted"), "AES256");
  Result to_clear = Copy("secret", "encrypted-to-clear");
  ASSERT_EQ(to_clear.status(), 200) << to_clear;
  EXPECT_EQ(StoredSse("sse", "encrypted-to-clear"), "")
      << "the source's encryption is not copied: the destination bucket has no default";
  EXPECT_EQ(GetObject("sse", "clear-to-encrypted").body, body);
  EXPECT_EQ(GetObject("sse", "encrypted-to-clear").body, body);

  MakeBucket("sse-default");
  ASSERT_EQ(PutEncryption("sse-default", Aes256Rule()).status(), 200);
  ASSERT_EQ(Copy("clear", "into-default", {}, "sse-default").status(), 200);
  EXPECT_EQ(StoredSse("sse-default", "into-default"), "AES256");

  Result in_place = Copy("clear", "clear", {kAes256});
  EXPECT_EQ(in_place.status(), 200) << "changing the encryption makes a copy onto itself legal";
  EXPECT_EQ(StoredSse("sse", "clear"), "AES256");
  EXPECT_EQ(GetObject("sse", "clear").body, body);

  Result kms = Copy("secret", "kms", {{"x-amz-server-side-encryption", "aws:kms"}});
  EXPECT_EQ(kms.code(), "KMS.NotFoundException");
  Result sse_c_source = Copy(
      "secret", "x", {{"x-amz-copy-source-server-side-encryption-customer-algorithm", "AES256"}});
  EXPECT_EQ(sse_c_source.status(), 400);
  EXPECT_EQ(sse_c_source.code(), "InvalidRequest");
}

TEST_F(SseTest, MultipartUploadsFollowTheirCreateRequest) {
  const std::string p1 = Pattern("mpu-one", 5 * kMiB), p2 = Pattern("mpu-two", 3000);
  std::string id = CreateUpload("mp", {kAes256});
  ASSERT_FALSE(id.empty());
  auto upload = store_->GetUpload("sse", "mp", id);
  ASSERT_TRUE(upload.has_value());
  EXPECT_EQ(upload->sse_algorithm, "AES256");
  Result r1 = UploadPart("mp", id, 1, p1);
  ASSERT_EQ(r1.status(), 200) << r1;
  EXPECT_EQ(r1.header("x-amz-server-side-encryption"), "AES256");
  EXPECT_EQ(r1.header("ETag"), Quoted(Md5Hex(p1)));
  Result r2 = UploadPart("mp", id, 2, p2);
  ASSERT_EQ(r2.status(), 200) << r2;
  auto parts = store_->ListParts(id, 0, 10);
  ASSERT_TRUE(parts.has_value());
  for (const auto& part : parts->parts) EXPECT_EQ(part.sse_algorithm, "AES256");
  EXPECT_FALSE(OnDisk(p1));
  EXPECT_FALSE(OnDisk(p2));
  Result header_on_part = UploadPart("mp", id, 3, "x", {kAes256});
  EXPECT_EQ(header_on_part.status(), 400) << header_on_part;
  EXPECT_EQ(header_on_part.code(), "InvalidArgument");

  Result done = Complete("mp", id, {r1.header("ETag"), r2.header("ETag")});
  ASSERT_EQ(done.status(), 200) << done;
  EXPECT_EQ(done.header("x-amz-server-side-encryption"), "AES256");
  EXPECT_EQ(StoredSse("sse", "mp"), "AES256");
  EXPECT_EQ(GetObject("sse", "mp").body, p1 + p2);
  EXPECT_FALSE(OnDisk(p1));
  EXPECT_FALSE(OnDisk(p2));

  // An upload created without the header, into a bucket without a default: in clear, though
  // every response says AES256.
  std::string clear_id = CreateUpload("clear-mp");
  const std::string small = Pattern("mpu-clear", 2000);
  Result part = UploadPart("clear-mp", clear_id, 1, small);
  ASSERT_EQ(part.status(), 200);
  ASSERT_EQ(Complete("clear-mp", clear_id, {part.header("ETag")}).status(), 200);
  EXPECT_EQ(StoredSse("sse", "clear-mp"), "");

  // UploadPartCopy into an encrypted upload encrypts the part; an upload created in a bucket
  // with a default is encrypted.
  ASSERT_EQ(PutEncryption("sse", Aes256Rule()).status(), 200);
  std::string default_id = CreateUpload("default-mp");
  TestRequest copy{.method = "PUT",
                   .path = ObjectPath("sse", "default-mp"),
                   .query = "partNumber=1&uploadId=" + Enc(default_id)};
  copy.Header("x-amz-copy-source", "/sse/clear-mp");
  Result copied = Send(copy);
  ASSERT_EQ(copied.status(), 200) << copied;
  EXPECT_EQ(copied.header("x-amz-server-side-encryption"), "AES256");
  auto copied_parts = store_->ListParts(default_id, 0, 10);
  ASSERT_TRUE(copied_parts.has_value());
  ASSERT_EQ(copied_parts->parts.size(), 1u);
  EXPECT_EQ(copied_parts->parts[0].sse_algorithm, "AES256");
  ASSERT_EQ(Complete("default-mp", default_id, {copied.xml("/CopyPartResult/ETag")}).status(), 200);
  EXPECT_EQ(StoredSse("sse", "default-mp"), "AES256");
  EXPECT_EQ(GetObject("sse", "default-mp").body, small);
}

}  // namespace
}  // namespace logbucket::s3::testing
