// The real Server on 127.0.0.1 (port 0) with a fake handler and a fake access log, driven by a
// raw-socket client.
#include "server/http/server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "tests/unit/http/http_fakes.h"

namespace logbucket::http {
namespace {

using namespace std::chrono_literals;
using testing::Client;
using testing::FakeAccessLog;
using testing::FakeHandler;
using testing::RecordingSink;
using testing::RunningServer;
using testing::SinkLog;
using ServerTest = testing::ServerFixture;
using testing::Facts;
using testing::Pattern;
using testing::Respond;
using Json = nlohmann::json;
namespace bhttp = boost::beast::http;

TEST_F(ServerTest, KeepAliveServesTwoRequestsOnOneConnection) {
  StartServer();
  handler_.SetBehaviour(
      [](const s3::RequestHead& head) { return Respond(200, "body of " + head.target); });
  Client client(port());
  client.Send("GET /b/one HTTP/1.1\r\nHost: localhost\r\n\r\n");
  auto first = client.Read();
  client.Send("GET /b/two%20x?acl HTTP/1.1\r\nHost: localhost\r\nX-Custom: 1\r\n\r\n");
  auto second = client.Read();
  EXPECT_EQ(first.result_int(), 200);
  EXPECT_EQ(first.body(), "body of /b/one");
  EXPECT_EQ(second.body(), "body of /b/two%20x?acl");
  EXPECT_EQ(first[bhttp::field::server], "Logbucket");
  EXPECT_FALSE(first[bhttp::field::date].empty());
  EXPECT_EQ(first[bhttp::field::content_length], "14");
  EXPECT_TRUE(second.keep_alive());

  auto heads = handler_.heads();
  ASSERT_EQ(heads.size(), 2u);
  const s3::RequestHead& head = heads[1];
  EXPECT_EQ(head.method, "GET");
  EXPECT_EQ(head.target, "/b/two%20x?acl");
  EXPECT_EQ(head.http_version, "HTTP/1.1");
  EXPECT_EQ(head.remote_ip, "127.0.0.1");
  EXPECT_EQ(head.headers.Get("x-custom"), "1");
  EXPECT_EQ(head.content_length, std::nullopt);
  EXPECT_EQ(head.request_id.size(), 16u);
  EXPECT_EQ(head.host_id.size(), 76u);
  EXPECT_NE(heads[0].request_id, heads[1].request_id);
  EXPECT_FALSE(head.tls);
  EXPECT_LE(head.received_at, std::chrono::system_clock::now());
}

TEST_F(ServerTest, ConnectionCloseIsHonoured) {
  StartServer();
  Client client(port());
  client.Send("GET /b/k HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
  auto response = client.Read();
  EXPECT_EQ(response[bhttp::field::connection], "close");
  EXPECT_TRUE(client.ServerClosed());
}

TEST_F(ServerTest, PutBodyIsStreamedIntoTheSinkInPieces) {
  StartServer();
  auto log = UseSink();
  std::string body = Pattern((3 << 20) + 123);
  Client client(port());
  client.Send("PUT /src/k HTTP/1.1\r\nHost: localhost\r\nContent-Length: " +
              std::to_string(body.size()) + "\r\n\r\n");
  client.Send(body);
  auto response = client.Read();
  EXPECT_EQ(response.result_int(), 200);
  std::lock_guard lock(log->mutex);
  EXPECT_TRUE(log->finished);
  EXPECT_TRUE(log->bytes == body);
  EXPECT_GT(log->write_sizes.size(), 3u);
  for (size_t size : log->write_sizes) EXPECT_LE(size, 256u * 1024);
  EXPECT_EQ(handler_.heads().at(0).content_length, body.size());
}

TEST_F(ServerTest, ChunkedBodyIsDecodedForTheSink) {
  StartServer();
  auto log = UseSink();
  Client client(port());
  client.Send(
      "PUT /src/k HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n");
  auto response = client.Read();
  EXPECT_EQ(response.result_int(), 200);
  std::lock_guard lock(log->mutex);
  EXPECT_EQ(log->bytes, "hello, world");
  EXPECT_EQ(handler_.heads().at(0).content_length, std::nullopt);
}

TEST_F(ServerTest, RequestWithoutLengthHasAnEmptyBody) {
  StartServer();
  auto log = UseSink();
  Client client(port());
  client.Send("PUT /src/k HTTP/1.1\r\nHost: localhost\r\n\r\n");
  EXPECT_EQ(client.Read().result_int(), 200);
  std::lock_guard lock(log->mutex);
  EXPECT_TRUE(log->finished);
  EXPECT_TRUE(log->bytes.empty());
}

TEST_F(ServerTest, ExpectContinueGetsTheInterimResponseBeforeTheBody) {
  StartServer();
  auto log = UseSink();
  Client client(port());
  client.Send(
      "PUT /src/k HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n"
      "Expect: 100-continue\r\n\r\n");
  EXPECT_EQ(client.ReadHead(), "HTTP/1.1 100 Continue\r\n\r\n");
  client.Send("12345");
  auto response = client.Read();
  EXPECT_EQ(response.result_int(), 200);
  std::lock_guard lock(log->mutex);
  EXPECT_EQ(log->bytes, "12345");
}

TEST_F(ServerTest, SinkWriteErrorAbortsAndCloses) {
  StartServer();
  auto log = UseSink(/*fail_after=*/100'000);
  std::string body = Pattern(1 << 20);
  Client client(port());
  client.Send("PUT /src/k HTTP/1.1\r\nHost: localhost\r\nContent-Length: " +
              std::to_string(body.size()) + "\r\n\r\n");
  client.TrySend(body);
  auto response = client.Read();
  EXPECT_EQ(response.result_int(), 400);
  EXPECT_EQ(response[bhttp::field::connection], "close");
  std::lock_guard lock(log->mutex);
  EXPECT_EQ(log->aborted_with, "BadDigest");
  EXPECT_FALSE(log->finished);
  EXPECT_LT(log->bytes.size(), body.size());
}

TEST_F(ServerTest, SmallUnwantedBodyIsDrainedAndTheConnectionKept) {
  StartServer();
  handler_.SetBehaviour([](const s3::RequestHead&) { return Respond(403, "denied"); });
  Client client(port());
  client.Send("PUT /b/k HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000\r\n\r\n" +
              std::string(1000, 'z'));
  auto first = client.Read();
  EXPECT_EQ(first.result_int(), 403);
  EXPECT_TRUE(first.keep_alive());
  client.Send("GET /b/k HTTP/1.1\r\nHost: localhost\r\n\r\n");
  EXPECT_EQ(client.Read().result_int(), 403);
  EXPECT_EQ(handler_.heads().size(), 2u);
}

TEST_F(ServerTest, LargeUnwantedBodyClosesTheConnectionUnread) {
  StartServer();
  handler_.SetBehaviour([](const s3::RequestHead&) { return Respond(403, "denied"); });
  Client client(port());
  client.Send("PUT /b/k HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5000000\r\n\r\n");
  auto response = client.Read();
  EXPECT_EQ(response.result_int(), 403);
  EXPECT_EQ(response[bhttp::field::connection], "close");
  EXPECT_TRUE(client.ServerClosed());
}

TEST_F(ServerTest, UnwantedBodyAfterExpectContinueIsNotAwaited) {
  StartServer();
  handler_.SetBehaviour([](const s3::RequestHead&) { return Respond(403, "denied"); });
  Client client(port());
  client.Send(
      "PUT /b/k HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n"
      "Expect: 100-continue\r\n\r\n");
  auto response = client.Read();  // the final answer, no "100 Continue"
  EXPECT_EQ(response.result_int(), 403);
  EXPECT_EQ(response[bhttp::field::connection], "close");
}

TEST_F(ServerTest, AnnouncedBodyOverTheLimitIsEntityTooLarge) {
  ServerOptions options;
  options.max_body_bytes = 1000;
  StartServer(options);
  auto log = UseSink();
  Client client(port());
  client.Send("PUT /src/k HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2000\r\n\r\n");
  auto response = client.Read();
  EXPECT_EQ(response.result_int(), 400);
  EXPECT_NE(response.body().find("EntityTooLarge"), std::string::npos);
  EXPECT_EQ(response[bhttp::field::connection], "close");
  std::lock_guard lock(log->mutex);
  EXPECT_EQ(log->aborted_with, "EntityTooLarge");
  EXPECT_TRUE(log->bytes.empty());
}

TEST_F(ServerTest, ChunkedBodyOverTheLimitIsEntityTooLarge) {
  ServerOptions options;
  options.max_body_bytes = 1000;
  StartServer(options);
  auto log = UseSink();
  Client client(port());
  client.Send(
      "PUT /src/k HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
      "800\r\n" +
      std::string(0x800, 'q') + "\r\n0\r\n\r\n");
  auto response = client.Read();
  EXPECT_EQ(response.result_int(), 400);
  std::lock_guard lock(log->mutex);
  EXPECT_EQ(log->aborted_with, "EntityTooLarge");
  EXPECT_LE(log->bytes.size(), 1000u);
}

TEST_F(ServerTest, HeaderTooLargeIs400AndClose) {
  ServerOptions options;
  options.max_header_bytes = 1024;
  StartServer(options);
  Client client(port());
  client.TrySend("GET /b/k HTTP/1.1\r\nHost: localhost\r\nX-Big: " + std::string(4000, 'x') +
                 "\r\n\r\n");
  auto response = client.Read();
  EXPECT_EQ(response.result_int(), 400);
  EXPECT_EQ(response[bhttp::field::connection], "close");
  EXPECT_TRUE(client.ServerClosed());
  EXPECT_TRUE(handler_.heads().empty());
  EXPECT_EQ(handler_.transport_errors(), std::vector<std::string>{"RequestHeaderSectionTooLarge"});
}

TEST_F(ServerTest, BadRequestLineIs400AndClose) {
  StartServer();
  Client client(port());
  client.Send("GARBAGE\r\n\r\n");
  auto response = client.Read();
  EXPECT_EQ(response.result_int(), 400);
  EXPECT_TRUE(client.ServerClosed());
  EXPECT_TRUE(handler_.heads().empty());
  EXPECT_EQ(handler_.transport_errors(), std::vector<std::string>{"InvalidRequest"});
}

TEST_F(ServerTest, TricklingHeaderIsCutByTheReadTimeout) {
  ServerOptions options;
  options.read_timeout = 400ms;
  StartServer(options);
  Client client(port());
  std::string request =
      "GET /b/k HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + std::string(100, 's') + "\r\n\r\n";
  auto start = std::chrono::steady_clock::now();
  bool cut = false;
  // One byte every 50 ms would take 7 s; the whole header must arrive within 400 ms.
  for (char c : request) {
    if (!client.TrySend(std::string_view(&c, 1))) {
      cut = true;
      break;
    }
    std::this_thread::sleep_for(50ms);
    if (std::chrono::steady_clock::now() - start > 3s) break;
  }
  EXPECT_TRUE(cut || client.ServerClosed());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  EXPECT_TRUE(handler_.heads().empty());
}

TEST_F(ServerTest, StalledBodyIsAbortedWithRequestTimeout) {
  ServerOptions options;
  options.read_timeout = 300ms;
  StartServer(options);
  auto log = UseSink();
  Client client(port());
  client.Send("PUT /src/k HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n0123456789");
  // The stalled client still gets an answer (S3's 400 RequestTimeout), then the connection ends.
  std::string head = client.ReadHead();
  EXPECT_TRUE(head.starts_with("HTTP/1.1 400 ")) << head;
  EXPECT_NE(head.find("Connection: close"), std::string::npos) << head;
  auto records = access_log_.WaitFor(1);
  std::lock_guard lock(log->mutex);
  EXPECT_EQ(log->aborted_with, "RequestTimeout");
  EXPECT_EQ(log->bytes, "0123456789");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].error_code, "RequestTimeout");
}

TEST_F(ServerTest, PeerClosingMidBodyIsIncompleteBody) {
  StartServer();
  auto log = UseSink();
  {
    Client client(port());
    client.Send("PUT /src/k HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\nabc");
    client.ShutdownSend();
    client.ServerClosed();
  }
  access_log_.WaitFor(1);
  std::lock_guard lock(log->mutex);
  EXPECT_EQ(log->aborted_with, "IncompleteBody");
}

TEST_F(ServerTest, IdleKeepAliveConnectionIsClosedAfterIdleTimeout) {
  ServerOptions options;
  options.idle_timeout = 200ms;
  StartServer(options);
  Client client(port());
  client.Send("GET /b/k HTTP/1.1\r\nHost: localhost\r\n\r\n");
  EXPECT_EQ(client.Read().result_int(), 200);
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(client.ServerClosed());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST_F(ServerTest, HeadSendsContentLengthButNoBody) {
  StartServer();
  handler_.SetBehaviour([](const s3::RequestHead&) {
    s3::Dispatch dispatch = Respond(200, "", Facts("src", "REST.HEAD.OBJECT", "k"));
    dispatch.response->headers.Add("Content-Length", "1234");
    return dispatch;
  });
  Client client(port());
  client.Send("HEAD /src/k HTTP/1.1\r\nHost: localhost\r\n\r\n");
  auto response = client.Read(/*head_request=*/true);
  EXPECT_EQ(response[bhttp::field::content_length], "1234");
  // The next answer parses cleanly only if the HEAD answer carried no body.
  handler_.SetBehaviour([](const s3::RequestHead&) { return Respond(200, "next"); });
  client.Send("GET /b/k HTTP/1.1\r\nHost: localhost\r\n\r\n");
  EXPECT_EQ(client.Read().body(), "next");
}

TEST_F(ServerTest, HeadErrorRecordReportsTheUnsentBodySize) {
  StartServer();
  handler_.SetBehaviour([](const s3::RequestHead&) {
    s3::Dispatch dispatch =
        Respond(404, std::string(311, 'e'), Facts("src", "REST.HEAD.OBJECT", "k"));
    dispatch.response->error_code = "NoSuchKey";
    return dispatch;
  });
  Client client(port());
  client.Send("HEAD /src/k HTTP/1.1\r\nHost: localhost\r\n\r\n");
  auto response = client.Read(true);
  EXPECT_EQ(response.result_int(), 404);
  auto records = access_log_.WaitFor(1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].bytes_sent, 311u);
  EXPECT_EQ(records[0].error_code, "NoSuchKey");
  EXPECT_EQ(records[0].http_status, 404);
}

TEST_F(ServerTest, LargeBodyIsStreamedCompletely) {
  StartServer();
  std::string body = Pattern(5 << 20);
  handler_.SetBehaviour([&body](const s3::RequestHead&) {
    return Respond(200, body, Facts("src", "REST.GET.OBJECT", "big"));
  });
  Client client(port());
  client.Send("GET /src/big HTTP/1.1\r\nHost: localhost\r\n\r\n");
  auto response = client.Read();
  EXPECT_TRUE(response.body() == body);
  auto records = access_log_.WaitFor(1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].bytes_sent, body.size());
}

TEST_F(ServerTest, HandlerExceptionIsAnInternalError) {
  StartServer();
  handler_.SetBehaviour(
      [](const s3::RequestHead&) -> s3::Dispatch { throw std::runtime_error("bug"); });
  Client client(port());
  client.Send("GET /b/k HTTP/1.1\r\nHost: localhost\r\n\r\n");
  auto response = client.Read();
  EXPECT_EQ(response.result_int(), 500);
  EXPECT_EQ(handler_.transport_errors(), std::vector<std::string>{"InternalError"});
}

TEST_F(ServerTest, ListenReportsAPortInUse) {
  StartServer();
  FakeHandler other_handler;
  FakeAccessLog other_log({});
  ServerOptions options;
  options.port = port();
  Server other(options, other_handler, other_log, {});
  auto listening = other.Listen();
  ASSERT_FALSE(listening.has_value());
  EXPECT_EQ(listening.error(), "127.0.0.1:" + std::to_string(port()) + ": Address already in use");
}

}  // namespace
}  // namespace logbucket::http
