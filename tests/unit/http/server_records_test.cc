// The real Server: access-log records as submitted, admin endpoints on the wire, shutdown.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "server/http/server.h"
#include "tests/unit/http/http_fakes.h"

namespace logbucket::http {
namespace {

using namespace std::chrono_literals;
using testing::Client;
using testing::Facts;
using testing::Respond;
using Json = nlohmann::json;
namespace bhttp = boost::beast::http;

class ServerRecordsTest : public testing::ServerFixture {};

TEST_F(ServerRecordsTest, PathStyleRecordCarriesTheRawKeyAndTheRequestFacts) {
  StartServer();
  handler_.SetBehaviour([](const s3::RequestHead&) {
    s3::Dispatch dispatch =
        Respond(200, "0123456789", Facts("src", "REST.GET.OBJECT", "my dir/k+x"));
    dispatch.response->log.requester = "arn:aws:iam::123456789012:user/test";
    dispatch.response->log.object_size = 10;
    dispatch.response->log.version_id = "v1";
    return dispatch;
  });
  Client client(port());
  client.Send(
      "GET /src/my%20dir/k%2Bx?versionId=v1 HTTP/1.1\r\nHost: localhost:9000\r\n"
      "Referer: https://example.com/page\r\nUser-Agent: aws-cli/2.9\r\n\r\n");
  auto response = client.Read();
  auto records = access_log_.WaitFor(1);
  ASSERT_EQ(records.size(), 1u);
  const auto& r = records[0];
  auto head = handler_.heads().at(0);
  EXPECT_EQ(r.bucket, "src");
  EXPECT_EQ(r.bucket_owner, std::string(64, 'c'));
  EXPECT_EQ(r.key, "my%20dir/k%2Bx");
  EXPECT_EQ(r.request_uri, "GET /src/my%20dir/k%2Bx?versionId=v1 HTTP/1.1");
  EXPECT_EQ(r.http_status, 200);
  EXPECT_EQ(r.error_code, "");
  EXPECT_EQ(r.bytes_sent, 10u);
  EXPECT_EQ(r.object_size, 10u);
  EXPECT_TRUE(r.total_time_ms.has_value());
  EXPECT_TRUE(r.turn_around_time_ms.has_value());
  EXPECT_LE(*r.turn_around_time_ms, *r.total_time_ms);
  EXPECT_EQ(r.referer, "https://example.com/page");
  EXPECT_EQ(r.user_agent, "aws-cli/2.9");
  EXPECT_EQ(r.host_header, "localhost:9000");
  EXPECT_EQ(r.remote_ip, "127.0.0.1");
  EXPECT_EQ(r.requester, "arn:aws:iam::123456789012:user/test");
  EXPECT_EQ(r.version_id, "v1");
  EXPECT_EQ(r.request_id, head.request_id);
  EXPECT_EQ(r.host_id, head.host_id);
  EXPECT_EQ(r.time, head.received_at);
  EXPECT_EQ(r.cipher_suite, "");
  EXPECT_EQ(r.tls_version, "");
}

TEST_F(ServerRecordsTest, VirtualHostedRecordKeyAndMissingHeaders) {
  StartServer();
  handler_.SetBehaviour([](const s3::RequestHead&) {
    s3::Dispatch dispatch = Respond(404, "<Error/>", Facts("src", "REST.GET.OBJECT", "a b"));
    dispatch.response->error_code = "NoSuchKey";
    return dispatch;
  });
  Client client(port());
  client.Send("GET /a%20b HTTP/1.1\r\nHost: src.localhost:9000\r\n\r\n");
  EXPECT_EQ(client.Read().result_int(), 404);
  auto records = access_log_.WaitFor(1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].key, "a%20b");
  EXPECT_EQ(records[0].error_code, "NoSuchKey");
  EXPECT_EQ(records[0].http_status, 404);
  EXPECT_EQ(records[0].bytes_sent, 8u);
  EXPECT_EQ(records[0].referer, "");
  EXPECT_EQ(records[0].user_agent, "");
  EXPECT_EQ(records[0].host_header, "src.localhost:9000");
}

TEST_F(ServerRecordsTest, NoRecordWhenTheBucketDoesNotLogOrIsUnknown) {
  StartServer();
  handler_.SetBehaviour([](const s3::RequestHead& head) {
    if (head.target == "/quiet/k") return Respond(200, "x", Facts("quiet", "REST.GET.OBJECT", "k"));
    if (head.target == "/nobucket/k") return Respond(404, "x", Facts("", "REST.GET.OBJECT", "k"));
    return Respond(200, "x", Facts("src", "REST.GET.OBJECT", "k"));
  });
  Client client(port());
  for (const char* target : {"/quiet/k", "/nobucket/k", "/src/k"}) {
    client.Send(std::string("GET ") + target + " HTTP/1.1\r\nHost: localhost\r\n\r\n");
    client.Read();
  }
  auto records = access_log_.WaitFor(1);
  std::this_thread::sleep_for(50ms);  // a wrongly submitted record would arrive meanwhile
  records = access_log_.records();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].bucket, "src");
}

TEST_F(ServerRecordsTest, ExtraRecordsAreSubmittedPerEnabledBucket) {
  StartServer();
  handler_.SetBehaviour([](const s3::RequestHead&) {
    s3::Dispatch dispatch =
        Respond(200, "<DeleteResult/>", Facts("src", "REST.POST.MULTI_OBJECT_DELETE"));
    for (const char* bucket : {"src", "quiet", "other"}) {
      s3::ExtraLogRecord extra;
      extra.operation = "BATCH.DELETE.OBJECT";
      extra.bucket = bucket;
      extra.key = "deleted key";
      extra.http_status = 204;
      extra.batch_style = true;
      dispatch.response->log.extra.push_back(extra);
    }
    s3::ExtraLogRecord copy;
    copy.operation = "REST.COPY.OBJECT_GET";
    copy.bucket = "other";
    copy.key = "source";
    copy.http_status = 200;
    dispatch.response->log.extra.push_back(copy);
    return dispatch;
  });
  Client client(port());
  client.Send("POST /src?delete HTTP/1.1\r\nHost: localhost\r\nUser-Agent: ua\r\n\r\n");
  client.Read();
  auto records = access_log_.WaitFor(4);
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[0].operation, "REST.POST.MULTI_OBJECT_DELETE");
  EXPECT_EQ(records[0].key, "");
  EXPECT_EQ(records[1].bucket, "src");
  EXPECT_EQ(records[1].key, "deleted key");
  EXPECT_EQ(records[1].request_uri, std::nullopt);
  EXPECT_EQ(records[1].user_agent, std::nullopt);
  EXPECT_EQ(records[1].request_id, records[0].request_id);
  EXPECT_EQ(records[2].bucket, "other");
  EXPECT_EQ(records[3].operation, "REST.COPY.OBJECT_GET");
  EXPECT_EQ(records[3].request_uri, "POST /src?delete HTTP/1.1");
  EXPECT_EQ(records[3].user_agent, "ua");
}

TEST_F(ServerRecordsTest, PutRecordHasNoBytesSentAndTheObjectSize) {
  StartServer();
  auto log = UseSink();
  Client client(port());
  client.Send("PUT /src/k HTTP/1.1\r\nHost: localhost\r\nContent-Length: 7\r\n\r\n1234567");
  EXPECT_EQ(client.Read().result_int(), 200);
  auto records = access_log_.WaitFor(1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].operation, "REST.PUT.OBJECT");
  EXPECT_EQ(records[0].key, "k");
  EXPECT_EQ(records[0].bytes_sent, 0u);
  EXPECT_EQ(records[0].object_size, 7u);
}

struct AdminServerTest : testing::ServerFixture {
  void StartWithAdmin(bool allow_reset) {
    AdminHooks admin;
    admin.status_json = [] { return std::string(R"({"pending":3})"); };
    admin.flush = [this](const std::optional<std::string>& bucket) {
      flushed = bucket.value_or("*");
      return logging::FlushResult{{"logs/src/2024-01-01-00-00-00-ABCDEF"}, {}};
    };
    if (allow_reset) admin.reset = [this] { resets++; };
    StartServer({}, std::move(admin));
  }
  bhttp::response<bhttp::string_body> Ask(const std::string& method, const std::string& target,
                                          const std::string& host = "localhost:9000") {
    Client client(port());
    client.Send(method + " " + target + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n");
    return client.Read();
  }
  std::string flushed;
  std::atomic<int> resets{0};
};

TEST_F(AdminServerTest, EndpointsAnswerJsonAndAreNeverRoutedOrLogged) {
  StartWithAdmin(true);
  auto health = Ask("GET", "/_logbucket/health");
  EXPECT_EQ(health.result_int(), 200);
  EXPECT_EQ(health[bhttp::field::content_type], "application/json");
  EXPECT_EQ(Json::parse(health.body()), Json({{"status", "ok"}}));
  EXPECT_EQ(Ask("GET", "/_logbucket/status").body(), R"({"pending":3})");
  auto flush = Ask("POST", "/_logbucket/flush?bucket=src%2D1");
  EXPECT_EQ(flush.result_int(), 200);
  EXPECT_EQ(flushed, "src-1");
  EXPECT_EQ(Json::parse(flush.body())["flushed"].size(), 1u);
  EXPECT_EQ(Ask("POST", "/_logbucket/reset").result_int(), 200);
  EXPECT_EQ(resets.load(), 1);
  EXPECT_EQ(Ask("GET", "/_logbucket/nothing").result_int(), 404);
  auto wrong = Ask("GET", "/_logbucket/flush");
  EXPECT_EQ(wrong.result_int(), 405);
  EXPECT_EQ(wrong[bhttp::field::allow], "POST");
  EXPECT_TRUE(handler_.heads().empty());
  EXPECT_TRUE(access_log_.records().empty());
}

TEST_F(AdminServerTest, ResetRefusedWhenNotAllowed) {
  StartWithAdmin(false);
  auto response = Ask("POST", "/_logbucket/reset");
  EXPECT_EQ(response.result_int(), 403);
  EXPECT_NE(response.body().find("allow_reset"), std::string::npos);
}

TEST_F(AdminServerTest, AdminPathUnderAVirtualHostIsAnObjectKey) {
  StartWithAdmin(true);
  handler_.SetBehaviour([](const s3::RequestHead&) { return Respond(200, "object bytes"); });
  auto response = Ask("GET", "/_logbucket/health", "bucket.localhost:9000");
  EXPECT_EQ(response.body(), "object bytes");
  ASSERT_EQ(handler_.heads().size(), 1u);
  EXPECT_EQ(handler_.heads()[0].target, "/_logbucket/health");
}

TEST_F(ServerRecordsTest, StopLetsAnInFlightRequestFinish) {
  StartServer();
  std::promise<void> entered;
  std::shared_future<void> release_signal;
  std::promise<void> release;
  release_signal = release.get_future().share();
  handler_.SetBehaviour([&entered, release_signal](const s3::RequestHead&) {
    entered.set_value();
    release_signal.wait();
    return Respond(200, "late but complete", Facts("src", "REST.GET.OBJECT", "k"));
  });
  Client busy(port());
  Client idle(port());
  busy.Send("GET /src/k HTTP/1.1\r\nHost: localhost\r\n\r\n");
  entered.get_future().wait();
  std::thread stopper([this] { server_->StopAndJoin(); });
  EXPECT_TRUE(idle.ServerClosed());  // idle keep-alive connections are closed at once
  release.set_value();
  auto response = busy.Read();
  EXPECT_EQ(response.body(), "late but complete");
  EXPECT_EQ(response[bhttp::field::connection], "close");
  stopper.join();
  EXPECT_EQ(access_log_.records().size(), 1u);
}

TEST_F(ServerRecordsTest, StopGivesUpAfterTheShutdownTimeout) {
  ServerOptions options;
  options.shutdown_timeout = 200ms;
  StartServer(options);
  std::promise<void> entered;
  std::promise<void> release;
  std::shared_future<void> release_signal = release.get_future().share();
  handler_.SetBehaviour([&entered, release_signal](const s3::RequestHead&) {
    entered.set_value();
    release_signal.wait();
    return Respond(200, "x");
  });
  Client busy(port());
  busy.Send("GET /src/k HTTP/1.1\r\nHost: localhost\r\n\r\n");
  entered.get_future().wait();
  // The handler blocks one I/O thread; the other runs the shutdown and gives up on time.
  auto start = std::chrono::steady_clock::now();
  std::thread stopper([this] { server_->StopAndJoin(); });
  std::this_thread::sleep_for(600ms);
  release.set_value();
  stopper.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

}  // namespace
}  // namespace logbucket::http
