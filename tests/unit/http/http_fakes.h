// Fakes for the transport's tests: a RequestHandler whose behaviour each test sets, a BodySink
// that records the bytes it got, an AccessLogSink that collects records, and a small blocking
// HTTP client on a raw socket (with a receive timeout so a broken server fails, not hangs).
#pragma once

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "logging/access_log_sink.h"
#include "server/http/server.h"
#include "server/s3/request_handler.h"

namespace logbucket::http::testing {

namespace bhttp = boost::beast::http;

// What a RecordingSink saw; shared with the test, which outlives nothing else.
struct SinkLog {
  std::mutex mutex;  // guards every field
  std::string bytes;
  std::vector<size_t> write_sizes;
  bool finished = false;
  std::optional<std::string> aborted_with;  // error code name
};

inline s3::Response ErrorResponse(const s3::S3Error& error) {
  s3::Response response;
  response.status = error.http_status();
  response.error_code = std::string(error.code_name());
  response.body = "<Error><Code>" + response.error_code + "</Code></Error>";
  response.headers.Add("Content-Type", "application/xml");
  return response;
}

class RecordingSink final : public s3::BodySink {
 public:
  RecordingSink(std::shared_ptr<SinkLog> log, s3::LogFacts facts,
                std::optional<size_t> fail_after = std::nullopt)
      : log_(std::move(log)), facts_(std::move(facts)), fail_after_(fail_after) {}

  std::expected<void, s3::S3Error> Write(std::string_view bytes) override {
    std::lock_guard lock(log_->mutex);
    log_->bytes.append(bytes);
    log_->write_sizes.push_back(bytes.size());
    if (fail_after_ && log_->bytes.size() >= *fail_after_) {
      return std::unexpected(s3::S3Error(s3::ErrorCode::kBadDigest));
    }
    return {};
  }
  s3::Response Finish() override {
    std::lock_guard lock(log_->mutex);
    log_->finished = true;
    s3::Response response;
    response.status = 200;
    response.headers.Add("ETag", "\"etag\"");
    response.log = facts_;
    response.log.object_size = log_->bytes.size();
    return response;
  }
  s3::Response Abort(const s3::S3Error& error) override {
    std::lock_guard lock(log_->mutex);
    log_->aborted_with = std::string(error.code_name());
    s3::Response response = ErrorResponse(error);
    response.log = facts_;
    return response;
  }

 private:
  std::shared_ptr<SinkLog> log_;
  s3::LogFacts facts_;
  std::optional<size_t> fail_after_;
};

class FakeHandler final : public s3::RequestHandler {
 public:
  using Behaviour = std::function<s3::Dispatch(const s3::RequestHead&)>;

  void SetBehaviour(Behaviour behaviour) {
    std::lock_guard lock(mutex_);
    behaviour_ = std::move(behaviour);
  }
  s3::Dispatch Start(s3::RequestHead head) override {
    Behaviour behaviour;
    {
      std::lock_guard lock(mutex_);
      heads_.push_back(head);
      behaviour = behaviour_;
    }
    if (behaviour) return behaviour(head);
    s3::Dispatch dispatch;
    dispatch.response.emplace();
    dispatch.response->body = "ok";
    return dispatch;
  }
  s3::Response TransportError(const s3::RequestHead& head,
                              const s3::S3Error& error) const override {
    std::lock_guard lock(mutex_);
    transport_errors_.push_back(std::string(error.code_name()));
    s3::Response response = ErrorResponse(error);
    response.headers.Add("x-amz-request-id", head.request_id);
    return response;
  }
  std::vector<s3::RequestHead> heads() const {
    std::lock_guard lock(mutex_);
    return heads_;
  }
  std::vector<std::string> transport_errors() const {
    std::lock_guard lock(mutex_);
    return transport_errors_;
  }

 private:
  mutable std::mutex mutex_;  // guards every member
  Behaviour behaviour_;
  std::vector<s3::RequestHead> heads_;
  mutable std::vector<std::string> transport_errors_;
};

class FakeAccessLog final : public logging::AccessLogSink {
 public:
  explicit FakeAccessLog(std::set<std::string> enabled) : enabled_(std::move(enabled)) {}

  bool IsEnabled(const std::string& bucket) const override { return enabled_.contains(bucket); }
  void Submit(const logging::AccessLogRecord& record) override {
    std::lock_guard lock(mutex_);
    records_.push_back(record);
    changed_.notify_all();
  }
  void SubmitAs(const logging::AccessLogRecord& record,
                const logging::LoggingRegistration&) override {
    Submit(record);
  }
  // Records are submitted after the response is written: wait for them with a deadline.
  std::vector<logging::AccessLogRecord> WaitFor(
      size_t count, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, timeout, [&] { return records_.size() >= count; });
    return records_;
  }
  std::vector<logging::AccessLogRecord> records() {
    std::lock_guard lock(mutex_);
    return records_;
  }

 private:
  const std::set<std::string> enabled_;
  std::mutex mutex_;  // guards records_
  std::condition_variable changed_;
  std::vector<logging::AccessLogRecord> records_;
};

class Client {
 public:
  explicit Client(uint16_t port) : socket_(io_) {
    boost::asio::ip::tcp::endpoint endpoint(boost::asio::ip::make_address("127.0.0.1"), port);
    socket_.connect(endpoint);
    timeval timeout{10, 0};
    setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  }
  void Send(std::string_view bytes) { boost::asio::write(socket_, boost::asio::buffer(bytes)); }
  // Sends, and reports whether the server took the bytes (false once it has closed).
  bool TrySend(std::string_view bytes) {
    boost::system::error_code ec;
    boost::asio::write(socket_, boost::asio::buffer(bytes), ec);
    return !ec;
  }
  bhttp::response<bhttp::string_body> Read(bool head_request = false) {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(64ull << 20);
    parser.skip(head_request);
    bhttp::read(socket_, buffer_, parser);
    return parser.release();
  }
  // Reads raw bytes up to and including the first empty line.
  std::string ReadHead() {
    for (;;) {
      std::string_view data(static_cast<const char*>(buffer_.data().data()), buffer_.size());
      if (size_t end = data.find("\r\n\r\n"); end != std::string_view::npos) {
        std::string head(data.substr(0, end + 4));
        buffer_.consume(end + 4);
        return head;
      }
      size_t n = socket_.read_some(buffer_.prepare(4096));
      buffer_.commit(n);
    }
  }
  // True when the server has closed the connection (EOF or reset) with nothing more to read.
  bool ServerClosed() {
    if (buffer_.size() > 0) return false;
    char byte;
    boost::system::error_code ec;
    size_t n = socket_.read_some(boost::asio::buffer(&byte, 1), ec);
    return n == 0 && (ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset);
  }
  void ShutdownSend() { socket_.shutdown(boost::asio::ip::tcp::socket::shutdown_send); }

 private:
  boost::asio::io_context io_;
  boost::asio::ip::tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
};

// The real Server on 127.0.0.1, port 0, run on its own thread.
class RunningServer {
 public:
  RunningServer(ServerOptions options, s3::RequestHandler& handler,
                logging::AccessLogSink& access_log, AdminHooks admin = {})
      : server_(Adjust(std::move(options)), handler, access_log, std::move(admin)) {
    auto listening = server_.Listen();
    if (!listening) throw std::runtime_error(listening.error());
    thread_ = std::thread([this] { server_.Run(false); });
  }
  ~RunningServer() { StopAndJoin(); }
  void StopAndJoin() {
    server_.Stop();
    if (thread_.joinable()) thread_.join();
  }
  uint16_t port() const { return server_.port(); }
  Server& server() { return server_; }

 private:
  static ServerOptions Adjust(ServerOptions options) {
    options.host = "127.0.0.1";
    options.port = 0;
    return options;
  }
  Server server_;
  std::thread thread_;
};

inline std::string Pattern(size_t size) {
  std::string out(size, '\0');
  for (size_t i = 0; i < size; ++i) out[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
  return out;
}

inline s3::LogFacts Facts(std::string bucket, std::string operation, std::string key = "") {
  s3::LogFacts facts;
  facts.bucket = std::move(bucket);
  facts.bucket_owner_canonical_id = std::string(64, 'c');
  facts.operation = std::move(operation);
  facts.key = std::move(key);
  return facts;
}

inline s3::Dispatch Respond(int status, std::string body, s3::LogFacts facts = {}) {
  s3::Dispatch dispatch;
  dispatch.response.emplace();
  dispatch.response->status = status;
  dispatch.response->body = std::move(body);
  dispatch.response->log = std::move(facts);
  return dispatch;
}

class ServerFixture : public ::testing::Test {
 protected:
  ServerFixture() : access_log_({"src", "other"}) {}

  void StartServer(ServerOptions options = {}, AdminHooks admin = {}) {
    server_.emplace(std::move(options), handler_, access_log_, std::move(admin));
  }
  uint16_t port() { return server_->port(); }
  // Sink-backed behaviour for uploads; the shared log tells what the sink got.
  std::shared_ptr<SinkLog> UseSink(std::optional<size_t> fail_after = std::nullopt) {
    auto log = std::make_shared<SinkLog>();
    handler_.SetBehaviour([log, fail_after](const s3::RequestHead&) {
      s3::Dispatch dispatch;
      dispatch.sink =
          std::make_unique<RecordingSink>(log, Facts("src", "REST.PUT.OBJECT", "k"), fail_after);
      return dispatch;
    });
    return log;
  }

  FakeHandler handler_;
  FakeAccessLog access_log_;
  std::optional<RunningServer> server_;
};

}  // namespace logbucket::http::testing
