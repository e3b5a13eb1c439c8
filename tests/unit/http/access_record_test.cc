#include "server/http/access_record.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace logbucket::http {
namespace {

using namespace std::chrono_literals;

TEST(HostnameOf, StripsThePort) {
  EXPECT_EQ(HostnameOf("b.localhost:9000"), "b.localhost");
  EXPECT_EQ(HostnameOf("localhost"), "localhost");
  EXPECT_EQ(HostnameOf("[::1]:9000"), "::1");
  EXPECT_EQ(HostnameOf("::1"), "::1");
}

TEST(IsVirtualHosted, NeedsALabelBeforeTheDomain) {
  struct Case {
    const char* host;
    bool expected;
  };
  const Case cases[] = {{"bucket.localhost:9000", true}, {"Bucket.LOCALHOST", true},
                        {"a.b.localhost", true},         {"localhost:9000", false},
                        {".localhost", false},           {"bucketlocalhost", false},
                        {"127.0.0.1:9000", false},       {"", false}};
  for (const auto& c : cases) EXPECT_EQ(IsVirtualHosted(c.host, "localhost"), c.expected) << c.host;
}

TEST(RawKeyFromTarget, KeepsThePercentEncodingAndDropsTheQuery) {
  struct Case {
    const char* target;
    bool virtual_hosted;
    const char* key;
  };
  const Case cases[] = {
      {"/bucket/my%20file", false, "my%20file"},
      {"/bucket/dir/sub/k%2Bx?versionId=3", false, "dir/sub/k%2Bx"},
      {"/bucket/a//b", false, "a//b"},
      {"/bucket", false, ""},
      {"/bucket?acl", false, ""},
      {"/my%20file?x-id=GetObject", true, "my%20file"},
      {"/dir/k", true, "dir/k"},
      {"/", true, ""},
      {"http://localhost:9000/bucket/k%25", false, "k%25"},
      {"*", false, ""},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(RawKeyFromTarget(c.target, c.virtual_hosted), c.key) << c.target;
  }
}

struct RecordFixture : ::testing::Test {
  RecordFixture() {
    head.method = "GET";
    head.target = "/src/photos/my%20cat.jpg?versionId=v1&x-user=jo";
    head.http_version = "HTTP/1.1";
    head.headers.Add("Host", "localhost:9000");
    head.headers.Add("User-Agent", "curl/8.0");
    head.remote_ip = "192.0.2.3";
    head.request_id = "3E57427F33A59F07";
    head.host_id = std::string(75, 'h') + "=";
    head.received_at = std::chrono::system_clock::time_point(1'549'411'238s);

    response.status = 200;
    response.body = std::string(113, 'x');
    response.log.bucket = "src";
    response.log.bucket_owner_canonical_id = std::string(64, 'a');
    response.log.operation = "REST.GET.OBJECT";
    response.log.key = "photos/my cat.jpg";
    response.log.version_id = "v1";
    response.log.object_size = 113;
    response.log.requester = "arn:aws:iam::123456789012:user/test";
    response.log.signature_version = "SigV4";
    response.log.auth_type = "AuthHeader";

    auto t0 = std::chrono::steady_clock::time_point(10s);
    measured.first_request_byte = t0;
    measured.last_request_byte = t0 + 2ms;
    measured.first_response_byte = t0 + 9ms;
    measured.last_response_byte = t0 + 12ms;
    measured.body_bytes_sent = 113;
  }
  s3::RequestHead head;
  s3::Response response;
  ExchangeMeasurements measured;
};

TEST_F(RecordFixture, MainRecordFields) {
  auto records = BuildAccessLogRecords(head, response, measured, "localhost");
  ASSERT_EQ(records.size(), 1u);
  const auto& r = records[0];
  EXPECT_EQ(r.bucket_owner, std::string(64, 'a'));
  EXPECT_EQ(r.bucket, "src");
  EXPECT_EQ(r.time, head.received_at);
  EXPECT_EQ(r.remote_ip, "192.0.2.3");
  EXPECT_EQ(r.requester, "arn:aws:iam::123456789012:user/test");
  EXPECT_EQ(r.request_id, "3E57427F33A59F07");
  EXPECT_EQ(r.operation, "REST.GET.OBJECT");
  EXPECT_EQ(r.key, "photos/my%20cat.jpg");
  EXPECT_EQ(r.request_uri, "GET /src/photos/my%20cat.jpg?versionId=v1&x-user=jo HTTP/1.1");
  EXPECT_EQ(r.http_status, 200);
  EXPECT_EQ(r.error_code, "");
  EXPECT_EQ(r.bytes_sent, 113u);
  EXPECT_EQ(r.object_size, 113u);
  EXPECT_EQ(r.total_time_ms, 12u);
  EXPECT_EQ(r.turn_around_time_ms, 7u);
  EXPECT_EQ(r.referer, "");
  EXPECT_EQ(r.user_agent, "curl/8.0");
  EXPECT_EQ(r.version_id, "v1");
  EXPECT_EQ(r.host_id, head.host_id);
  EXPECT_EQ(r.signature_version, "SigV4");
  EXPECT_EQ(r.cipher_suite, "");
  EXPECT_EQ(r.auth_type, "AuthHeader");
  EXPECT_EQ(r.host_header, "localhost:9000");
  EXPECT_EQ(r.tls_version, "");
  EXPECT_EQ(r.access_point_arn, "");
  EXPECT_FALSE(r.acl_required);
}

TEST_F(RecordFixture, VirtualHostedKeyIsThePathAfterTheSlash) {
  head.target = "/photos/my%20cat.jpg";
  head.headers.Set("Host", "src.localhost:9000");
  auto records = BuildAccessLogRecords(head, response, measured, "localhost");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].key, "photos/my%20cat.jpg");
  EXPECT_EQ(records[0].host_header, "src.localhost:9000");
}

TEST_F(RecordFixture, OperationWithoutKeyLogsNoKey) {
  head.target = "/src?versioning";
  response.log.key = "";
  response.log.operation = "REST.GET.VERSIONING";
  auto records = BuildAccessLogRecords(head, response, measured, "localhost");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].key, "");
}

TEST_F(RecordFixture, HeadReportsTheBodyItDidNotSend) {
  head.method = "HEAD";
  response.status = 404;
  response.error_code = "NoSuchKey";
  response.body = std::string(311, 'e');
  measured.body_bytes_sent = 0;
  auto records = BuildAccessLogRecords(head, response, measured, "localhost");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].bytes_sent, 311u);
  EXPECT_EQ(records[0].error_code, "NoSuchKey");
  EXPECT_EQ(records[0].http_status, 404);
}

TEST_F(RecordFixture, BytesSentAreWhatWasActuallyWritten) {
  measured.body_bytes_sent = 40;  // the client went away mid-body
  auto records = BuildAccessLogRecords(head, response, measured, "localhost");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].bytes_sent, 40u);
}

TEST_F(RecordFixture, NoBucketNoRecord) {
  response.log.bucket = "";
  EXPECT_TRUE(BuildAccessLogRecords(head, response, measured, "localhost").empty());
}

TEST_F(RecordFixture, BatchStyleExtraRecords) {
  head.method = "POST";
  head.target = "/src?delete";
  head.headers.Add("Referer", "https://example.com/");
  response.log.operation = "REST.POST.MULTI_OBJECT_DELETE";
  response.log.key = "";
  response.log.object_size.reset();
  s3::ExtraLogRecord extra;
  extra.operation = "BATCH.DELETE.OBJECT";
  extra.bucket = "src";
  extra.bucket_owner_canonical_id = std::string(64, 'a');
  extra.key = "my file";
  extra.http_status = 204;
  extra.object_size = 7;
  extra.batch_style = true;
  response.log.extra.push_back(extra);
  auto records = BuildAccessLogRecords(head, response, measured, "localhost");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].key, "");
  EXPECT_EQ(records[0].referer, "https://example.com/");
  const auto& batch = records[1];
  EXPECT_EQ(batch.operation, "BATCH.DELETE.OBJECT");
  EXPECT_EQ(batch.key, "my file");
  EXPECT_EQ(batch.request_id, head.request_id);
  EXPECT_EQ(batch.host_id, head.host_id);
  EXPECT_EQ(batch.time, head.received_at);
  EXPECT_EQ(batch.requester, response.log.requester);
  EXPECT_EQ(batch.host_header, "localhost:9000");
  EXPECT_EQ(batch.signature_version, "SigV4");
  EXPECT_EQ(batch.http_status, 204);
  EXPECT_EQ(batch.request_uri, std::nullopt);
  EXPECT_EQ(batch.bytes_sent, 0u);
  EXPECT_EQ(batch.object_size, std::nullopt);
  EXPECT_EQ(batch.total_time_ms, std::nullopt);
  EXPECT_EQ(batch.turn_around_time_ms, std::nullopt);
  EXPECT_EQ(batch.referer, std::nullopt);
  EXPECT_EQ(batch.user_agent, std::nullopt);
}

TEST_F(RecordFixture, CopyGetExtraRecordSharesTheRequestLineAndTimes) {
  head.method = "PUT";
  head.target = "/dst/copy";
  response.log.bucket = "dst";
  response.log.operation = "REST.COPY.OBJECT";
  response.log.key = "copy";
  measured.body_bytes_sent = 0;
  s3::ExtraLogRecord extra;
  extra.operation = "REST.COPY.OBJECT_GET";
  extra.bucket = "src";
  extra.bucket_owner_canonical_id = std::string(64, 'b');
  extra.key = "photos/cat.jpg";
  extra.version_id = "v9";
  extra.http_status = 200;
  extra.object_size = 4406583;
  response.log.extra.push_back(extra);
  s3::ExtraLogRecord no_bucket = extra;
  no_bucket.bucket = "";
  response.log.extra.push_back(no_bucket);
  auto records = BuildAccessLogRecords(head, response, measured, "localhost");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].key, "copy");
  const auto& get = records[1];
  EXPECT_EQ(get.operation, "REST.COPY.OBJECT_GET");
  EXPECT_EQ(get.bucket, "src");
  EXPECT_EQ(get.bucket_owner, std::string(64, 'b'));
  EXPECT_EQ(get.key, "photos/cat.jpg");
  EXPECT_EQ(get.version_id, "v9");
  EXPECT_EQ(get.object_size, 4406583u);
  EXPECT_EQ(get.request_uri, "PUT /dst/copy HTTP/1.1");
  EXPECT_EQ(get.total_time_ms, 12u);
  EXPECT_EQ(get.turn_around_time_ms, 7u);
  EXPECT_EQ(get.user_agent, "curl/8.0");
  EXPECT_EQ(get.referer, "");
}

}  // namespace
}  // namespace logbucket::http
