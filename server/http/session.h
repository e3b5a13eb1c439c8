// Session: one client connection (private to server/http). Runs as a coroutine on the
// connection's own strand: for each request a fresh parser reads the header (header limit,
// read_timeout), the head goes to the admin endpoints or the RequestHandler, the body is
// streamed into the BodySink in 64 KiB pieces (or drained, or left unread and the connection
// closed), the response is written (string bodies and object files in pieces, each under
// write_timeout) and the access-log records are built and submitted. Keep-alive between
// requests is bounded by idle_timeout.
//
// SessionRegistry tracks the live sessions so that shutdown can close the idle ones and wait
// for the others.
// Thread-safety: a Session's state is touched only on its strand; RequestClose() may be called
// from any thread. SessionRegistry is thread-safe.
#pragma once

#include <spdlog/logger.h>

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "server/http/access_record.h"
#include "server/http/server.h"
#include "server/s3/request.h"
#include "server/s3/response.h"

namespace logbucket::http {

// The transport's diagnostics logger ("http").
std::shared_ptr<spdlog::logger> HttpLogger();

class Session;

class SessionRegistry {
 public:
  void Add(const std::shared_ptr<Session>& session);
  void Remove(const Session* session);
  size_t size() const;
  // Asks every live session to close: idle ones at once, busy ones after their response.
  void CloseAll();

 private:
  mutable std::mutex mutex_;  // guards sessions_
  std::unordered_map<const Session*, std::weak_ptr<Session>> sessions_;
};

// What every session of a server shares; all of it outlives the sessions.
struct SessionContext {
  const ServerOptions& options;
  s3::RequestHandler& handler;
  logging::AccessLogSink& access_log;
  const AdminHooks& admin;
  SessionRegistry& registry;
  // Set when the server shuts down: read directly (not only through RequestClose, which waits
  // for the strand) so that a response being prepared already says "Connection: close".
  const std::atomic<bool>& stopping;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  // `socket` must be bound to a strand executor: the session's coroutine runs on it.
  Session(boost::asio::ip::tcp::socket socket, SessionContext context);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Starts serving; the session keeps itself alive until the connection closes.
  void Start();
  // Closes the connection once the current request (if any) is answered.
  void RequestClose();

 private:
  using Parser = boost::beast::http::request_parser<boost::beast::http::buffer_body>;

  // One request/response exchange.
  struct Exchange {
    std::optional<Parser> parser;
    s3::RequestHead head;
    bool head_request = false;
    bool keep_alive = true;
    bool http10 = false;
    bool has_body = false;
    bool expect_continue = false;
    // The connection cannot be reused: part of the request body is unread, or an error left
    // the stream in an unknown state.
    bool must_close = false;
    ExchangeMeasurements measurements;
  };

  static boost::asio::awaitable<void> Run(std::shared_ptr<Session> self);
  // Serves one request; false when the connection is to be closed.
  boost::asio::awaitable<bool> ServeOne();
  boost::asio::awaitable<bool> AnswerBadHeader(Exchange& exchange, boost::beast::error_code error);
  s3::Response StartRequest(Exchange& exchange, s3::Dispatch& dispatch);
  boost::asio::awaitable<s3::Response> FeedBody(Exchange& exchange, s3::BodySink& sink);
  // Reads and discards a body nobody wants; false when it is too large or could not be read.
  boost::asio::awaitable<bool> DrainBody(Exchange& exchange);
  boost::asio::awaitable<bool> WriteResponse(Exchange& exchange, const s3::Response& response,
                                             bool keep_alive);
  boost::asio::awaitable<void> LingeringClose();
  void SubmitRecords(const Exchange& exchange, const s3::Response& response);
  s3::Response SafeTransportError(const s3::RequestHead& head, const s3::S3Error& error);
  void FillHead(Exchange& exchange);
  void Close();

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::vector<char> piece_;  // request body and file pieces
  SessionContext context_;
  std::string remote_ip_;
  bool idle_ = false;     // waiting for the first byte of the next request
  bool closing_ = false;  // shutdown asked: no further request on this connection
};

}  // namespace logbucket::http
