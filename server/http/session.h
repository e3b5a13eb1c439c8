// Session: one client connection (private to server/http), plain (Session<PlainStream>) or TLS
// (Session<TlsStream>: handshake first under read_timeout, the negotiated version and cipher
// put into every request head, close_notify at the end); one state machine for both. Runs as a
// coroutine on the
// connection's own strand: for each request a fresh parser reads the header (header limit,
// read_timeout), the head goes to the admin endpoints or the RequestHandler, the body is
// streamed into the BodySink in pieces of up to 256 KiB (a Content-Length body is read straight
// from the connection into the piece buffer, past the parser; or drained, or left unread and
// the connection closed), the response is written (the head with the first body piece in one
// write; the rest of an object file with sendfile on plain TCP, in pieces otherwise, each under
// write_timeout) and the access-log records are built and submitted when the bucket has
// logging enabled. Keep-alive between requests is bounded by idle_timeout.
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
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "server/http/access_record.h"
#include "server/http/server.h"
#include "server/s3/request.h"
#include "server/s3/response.h"

namespace logbucket::http {

// The transport's diagnostics logger ("http").
std::shared_ptr<spdlog::logger> HttpLogger();

// What the registry needs of a session of either kind.
class SessionBase {
 public:
  virtual ~SessionBase() = default;
  // Closes the connection once the current request (if any) is answered; any thread.
  virtual void RequestClose() = 0;
};

class SessionRegistry {
 public:
  void Add(const std::shared_ptr<SessionBase>& session);
  void Remove(const SessionBase* session);
  size_t size() const;
  // Asks every live session to close: idle ones at once, busy ones after their response.
  void CloseAll();

 private:
  mutable std::mutex mutex_;  // guards sessions_
  std::unordered_map<const SessionBase*, std::weak_ptr<SessionBase>> sessions_;
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
  // Where BodySink::Finish runs (a storage commit may block): the session awaits it there and
  // resumes on its strand. Null: Finish runs on the session's I/O thread.
  boost::asio::thread_pool* store_pool;
};

using PlainStream = boost::beast::tcp_stream;
using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

template <typename Stream>
class Session final : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  // `stream_args` construct the Stream (a tcp_stream; plus the ssl::context for TLS); its
  // socket must be bound to a strand executor: the session's coroutine runs on it. `buffer`
  // holds bytes already read from the connection (the detected first bytes).
  template <typename... StreamArgs>
  Session(boost::beast::flat_buffer buffer, SessionContext context, StreamArgs&&... stream_args)
      : stream_(std::forward<StreamArgs>(stream_args)...),
        buffer_(std::move(buffer)),
        context_(context) {
    Init();
  }
  ~Session() override;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Starts serving; the session keeps itself alive until the connection closes.
  void Start();
  void RequestClose() override;

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

  void Init();
  static boost::asio::awaitable<void> Run(std::shared_ptr<Session> self);
  // Serves one request; false when the connection is to be closed.
  boost::asio::awaitable<bool> ServeOne();
  boost::asio::awaitable<bool> AnswerBadHeader(Exchange& exchange, boost::beast::error_code error);
  s3::Response StartRequest(Exchange& exchange, s3::Dispatch& dispatch);
  boost::asio::awaitable<s3::Response> FeedBody(Exchange& exchange, s3::BodySink& sink);
  // Runs sink.Finish() (on context_.store_pool when there is one) and resumes on the strand.
  boost::asio::awaitable<s3::Response> FinishBody(Exchange& exchange, s3::BodySink& sink);
  // Reads and discards a body nobody wants; false when it is too large or could not be read.
  boost::asio::awaitable<bool> DrainBody(Exchange& exchange);
  // Reads a Content-Length body straight from the connection (leftover header bytes first).
  boost::asio::awaitable<s3::Response> FeedLengthBody(Exchange& exchange, s3::BodySink& sink,
                                                      uint64_t length);
  // Writes the response (session_write.cc). `before_last_byte`, when set, runs once just before
  // the write that completes the response, with the exchange's measurements filled in as for a
  // complete response: the access-log record is spooled then, so a client never sees a complete
  // answer whose record could still be lost. Not run when the response fails before that.
  boost::asio::awaitable<bool> WriteResponse(Exchange& exchange, const s3::Response& response,
                                             bool keep_alive,
                                             const std::function<void()>& before_last_byte);
  // Writes `a` then `b`; when `last`, runs before_last_byte first.
  boost::asio::awaitable<std::pair<boost::beast::error_code, size_t>> WriteParts(
      std::string_view a, std::string_view b, bool last, const std::function<void()>& before_last_byte);
  // Plain TCP: sends `count` bytes of the file at `offset` with sendfile(2), each wait for the
  // socket under write_timeout; adds what was sent to `sent`. A file shorter than its record
  // ends it with an error.
  boost::asio::awaitable<boost::beast::error_code> SendFileRange(int fd, uint64_t offset,
                                                                 uint64_t count, uint64_t& sent);
  boost::asio::awaitable<void> LingeringClose();
  // TLS: the handshake; false when it failed (the connection is then dropped).
  boost::asio::awaitable<bool> Handshake();
  // TLS: close_notify, bounded in time; then the socket is closed.
  boost::asio::awaitable<void> Shutdown();
  boost::beast::tcp_stream& Tcp() { return boost::beast::get_lowest_layer(stream_); }
  void SubmitRecords(const Exchange& exchange, const s3::Response& response);
  s3::Response SafeTransportError(const s3::RequestHead& head, const s3::S3Error& error);
  void FillHead(Exchange& exchange);
  void Close();

  Stream stream_;
  boost::beast::flat_buffer buffer_;
  std::string tls_version_;  // negotiated (TLS sessions)
  std::string tls_cipher_;
  // Request body and file pieces: allocated once per connection and never zero-filled, so an
  // idle or small-object connection does not touch (map) most of it.
  std::unique_ptr<char[]> piece_;
  size_t piece_size_ = 0;
  std::span<char> Piece() { return {piece_.get(), piece_size_}; }
  SessionContext context_;
  std::string remote_ip_;
  bool idle_ = false;     // waiting for the first byte of the next request
  bool closing_ = false;  // shutdown asked: no further request on this connection
};

extern template class Session<PlainStream>;
extern template class Session<TlsStream>;

}  // namespace logbucket::http
