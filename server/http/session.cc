#include "server/http/session.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/sendfile.h>

#include <algorithm>
#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <cerrno>
#include <chrono>
#include <exception>
#include <limits>
#include <span>
#include <utility>

#include "server/http/admin.h"
#include "server/http/session_internal.h"
#include "server/http/tls_context.h"
#include "server/http/wire.h"
#include "server/s3/headers.h"

namespace logbucket::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;
using namespace session_internal;

// A request body must arrive at this average rate at least, after a first read_timeout of grace.
constexpr uint64_t kMinBodyBytesPerSecond = 1024;

// When the next body read must have finished: read_timeout from now, and no later than the
// minimum average rate allows for what was received so far.
SteadyClock::time_point BodyReadDeadline(SteadyClock::time_point body_start, uint64_t received,
                                         std::chrono::milliseconds read_timeout) {
  auto by_rate = body_start + read_timeout +
                 std::chrono::milliseconds(received * 1000 / kMinBodyBytesPerSecond);
  return std::min(SteadyClock::now() + read_timeout, by_rate);
}

// Errors after which the peer is gone or silent: nothing more is read from it.
bool IsPeerFailure(const beast::error_code& ec) {
  return IsQuietDisconnect(ec) || ec == bhttp::error::partial_message;
}

std::string RemoteIp(const tcp::socket& socket) {
  beast::error_code ec;
  tcp::endpoint endpoint = socket.remote_endpoint(ec);
  if (ec) return "";
  asio::ip::address address = endpoint.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).to_string();
  }
  return address.to_string();
}

}  // namespace

std::shared_ptr<spdlog::logger> HttpLogger() {
  static std::shared_ptr<spdlog::logger> logger = [] {
    if (auto existing = spdlog::get("http")) return existing;
    try {
      return spdlog::stderr_color_mt("http");
    } catch (const spdlog::spdlog_ex&) {  // registered meanwhile by another thread
      return spdlog::get("http");
    }
  }();
  return logger;
}

void SessionRegistry::Add(const std::shared_ptr<SessionBase>& session) {
  std::lock_guard lock(mutex_);
  sessions_.emplace(session.get(), session);
}

void SessionRegistry::Remove(const SessionBase* session) {
  std::lock_guard lock(mutex_);
  sessions_.erase(session);
}

size_t SessionRegistry::size() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

void SessionRegistry::CloseAll() {
  std::vector<std::shared_ptr<SessionBase>> live;
  {
    std::lock_guard lock(mutex_);
    for (auto& [key, weak] : sessions_) {
      if (auto session = weak.lock()) live.push_back(std::move(session));
    }
  }
  for (auto& session : live) session->RequestClose();
}

template <typename Stream>
void Session<Stream>::Init() {
  piece_ = std::make_unique_for_overwrite<char[]>(kPieceBytes);
  piece_size_ = kPieceBytes;
  remote_ip_ = RemoteIp(Tcp().socket());
}

template <typename Stream>
Session<Stream>::~Session() {
  context_.registry.Remove(this);
}

template <typename Stream>
void Session<Stream>::Start() {
  asio::co_spawn(stream_.get_executor(), Run(this->shared_from_this()),
                 [](std::exception_ptr error) {
                   if (!error) return;
                   try {
                     std::rethrow_exception(error);
                   } catch (const std::exception& e) {
                     HttpLogger()->error("session ended by an exception: {}", e.what());
                   }
                 });
}

template <typename Stream>
void Session<Stream>::RequestClose() {
  asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
    self->closing_ = true;
    if (self->idle_) self->Tcp().cancel();
  });
}

template <typename Stream>
asio::awaitable<void> Session<Stream>::Run(std::shared_ptr<Session> self) {
  try {
    if (co_await self->Handshake()) {
      while (co_await self->ServeOne()) {
      }
      co_await self->Shutdown();
    }
  } catch (const std::exception& e) {
    HttpLogger()->debug("connection from {} dropped: {}", self->remote_ip_, e.what());
  }
  self->Close();
}

template <typename Stream>
asio::awaitable<bool> Session<Stream>::Handshake() {
  if constexpr (kTls) {
    Tcp().expires_after(context_.options.read_timeout);
    // The detected first bytes are already in buffer_: the handshake starts from them.
    auto [ec, used] =
        co_await stream_.async_handshake(asio::ssl::stream_base::server, buffer_.data(), kAwait);
    if (ec) {
      HttpLogger()->debug("TLS handshake with {} failed: {}", remote_ip_, ec.message());
      co_return false;
    }
    buffer_.consume(used);
    NegotiatedTls negotiated = NegotiatedOf(stream_.native_handle());
    tls_version_ = std::move(negotiated.version);
    tls_cipher_ = std::move(negotiated.cipher);
  }
  co_return true;
}

template <typename Stream>
asio::awaitable<void> Session<Stream>::Shutdown() {
  if constexpr (kTls) {
    if (!Tcp().socket().is_open()) co_return;
    // A peer that never answers our close_notify must not hold the connection (and a server
    // shutdown) for long.
    Tcp().expires_after(
        std::min<std::chrono::milliseconds>(kLingerTime, context_.options.read_timeout));
    auto [ec] = co_await stream_.async_shutdown(kAwait);
    if (ec && !IsPeerFailure(ec) && ec != asio::ssl::error::stream_truncated) {
      HttpLogger()->debug("TLS shutdown with {}: {}", remote_ip_, ec.message());
    }
  }
  co_return;
}

template <typename Stream>
void Session<Stream>::Close() {
  beast::error_code ec;
  Tcp().socket().shutdown(tcp::socket::shutdown_both, ec);
  Tcp().close();
}

template <typename Stream>
void Session<Stream>::FillHead(Exchange& exchange) {
  const auto& message = exchange.parser->get();
  s3::RequestHead& head = exchange.head;
  head.method = std::string(message.method_string());
  head.target = std::string(message.target());
  head.http_version = message.version() == 10 ? "HTTP/1.0" : "HTTP/1.1";
  head.tls = kTls;
  head.tls_version = tls_version_;
  head.tls_cipher = tls_cipher_;
  for (const auto& field : message) {
    head.headers.Add(std::string(field.name_string()), std::string(field.value()));
  }
}

template <typename Stream>
asio::awaitable<bool> Session<Stream>::ServeOne() {
  const ServerOptions& options = context_.options;
  if (closing_ || context_.stopping.load()) co_return false;
  if (buffer_.size() == 0) {
    idle_ = true;
    Tcp().expires_after(options.idle_timeout);
    auto [ec, n] = co_await stream_.async_read_some(buffer_.prepare(kHeaderReadBytes), kAwait);
    idle_ = false;
    if (ec) {
      if (!IsQuietDisconnect(ec)) HttpLogger()->debug("read from {}: {}", remote_ip_, ec.message());
      co_return false;
    }
    buffer_.commit(n);
  }

  Exchange exchange;
  exchange.measurements.first_request_byte = SteadyClock::now();
  exchange.head.received_at = std::chrono::system_clock::now();
  exchange.head.remote_ip = remote_ip_;
  exchange.head.request_id = NewRequestId();
  exchange.head.host_id = NewHostId();
  Parser& parser = exchange.parser.emplace();
  parser.header_limit(static_cast<uint32_t>(
      std::min<uint64_t>(options.max_header_bytes, std::numeric_limits<uint32_t>::max())));
  // Bodies are limited after the header, so that an announced oversized body still reaches
  // the S3 layer and gets its EntityTooLarge answer.
  parser.body_limit(boost::none);
  Tcp().expires_after(options.read_timeout);
  auto [read_error, header_size] =
      co_await bhttp::async_read_header(stream_, buffer_, parser, kAwait);
  FillHead(exchange);
  if (read_error) co_return co_await AnswerBadHeader(exchange, read_error);

  const auto& message = parser.get();
  exchange.head_request = message.method() == bhttp::verb::head;
  exchange.keep_alive = message.keep_alive();
  exchange.http10 = message.version() == 10;
  exchange.has_body = parser.chunked() || (parser.content_length() && *parser.content_length() > 0);
  exchange.expect_continue = message.version() >= 11 &&
                             s3::EqualsIgnoreCase(message[bhttp::field::expect], "100-continue");
  if (!parser.chunked() && parser.content_length()) {
    exchange.head.content_length = *parser.content_length();
  }
  if (!exchange.has_body) exchange.measurements.last_request_byte = SteadyClock::now();

  s3::Response response;
  bool admin = IsAdminRequest(exchange.head.target, exchange.head.headers.Get("Host").value_or(""),
                              options.virtual_host_domain);
  if (admin) {
    response = HandleAdminRequest(exchange.head.method, exchange.head.target, context_.admin);
    if (!co_await DrainBody(exchange)) exchange.must_close = true;
  } else {
    s3::Dispatch dispatch;
    response = StartRequest(exchange, dispatch);
    if (dispatch.sink) {
      response = co_await FeedBody(exchange, *dispatch.sink);
    } else if (!exchange.must_close && !co_await DrainBody(exchange)) {
      exchange.must_close = true;
    }
  }
  // A body that was not read to its end: the answer is the last thing that happened to it.
  if (exchange.measurements.last_request_byte == SteadyClock::time_point{}) {
    exchange.measurements.last_request_byte = SteadyClock::now();
  }

  bool keep_alive =
      exchange.keep_alive && !exchange.must_close && !closing_ && !context_.stopping.load();
  // The record is spooled before the response's last byte leaves, so a client that saw a
  // complete answer can count on its record (a crash, or a flush it sends next, cannot miss it).
  bool submitted = false;
  auto submit = [&] {
    submitted = true;
    if (!admin) SubmitRecords(exchange, response);
  };
  bool written = co_await WriteResponse(exchange, response, keep_alive, submit);
  if (!submitted) submit();  // the response failed before its end: log what was sent
  if (written && exchange.must_close) co_await LingeringClose();
  bool reusable = written && keep_alive;
  co_return reusable;
}

template <typename Stream>
s3::Response Session<Stream>::StartRequest(Exchange& exchange, s3::Dispatch& dispatch) {
  try {
    dispatch = context_.handler.Start(exchange.head);
  } catch (const std::exception& e) {
    HttpLogger()->error("request {} failed in the handler: {}", exchange.head.request_id, e.what());
    dispatch = {};
    exchange.must_close = exchange.has_body;
    return SafeTransportError(exchange.head, s3::S3Error(s3::ErrorCode::kInternalError));
  }
  if (dispatch.sink) return {};
  if (dispatch.response) return std::move(*dispatch.response);
  HttpLogger()->error("request {}: the handler returned neither a response nor a body sink",
                      exchange.head.request_id);
  exchange.must_close = exchange.has_body;
  return SafeTransportError(exchange.head, s3::S3Error(s3::ErrorCode::kInternalError));
}

template <typename Stream>
s3::Response Session<Stream>::SafeTransportError(const s3::RequestHead& head,
                                                 const s3::S3Error& error) {
  try {
    return context_.handler.TransportError(head, error);
  } catch (const std::exception& e) {
    HttpLogger()->error("request {}: TransportError threw: {}", head.request_id, e.what());
    s3::Response response;
    response.status = error.http_status();
    response.error_code = std::string(error.code_name());
    response.headers.Add("x-amz-request-id", head.request_id);
    response.headers.Add("x-amz-id-2", head.host_id);
    return response;
  }
}

template <typename Stream>
asio::awaitable<bool> Session<Stream>::AnswerBadHeader(Exchange& exchange,
                                                       beast::error_code error) {
  if (IsPeerFailure(error)) {
    if (!IsQuietDisconnect(error)) {
      HttpLogger()->debug("request header from {}: {}", remote_ip_, error.message());
    }
    co_return false;
  }
  s3::S3Error s3_error(s3::ErrorCode::kInvalidRequest,
                       "The request could not be parsed as HTTP/1.1: " + error.message());
  if (error == bhttp::error::header_limit) {
    s3_error = s3::S3Error(s3::ErrorCode::kRequestHeaderSectionTooLarge)
                   .With("MaxSizeAllowed", std::to_string(context_.options.max_header_bytes));
  }
  HttpLogger()->debug("bad request header from {}: {}", remote_ip_, error.message());
  s3::Response response = SafeTransportError(exchange.head, s3_error);
  exchange.measurements.last_request_byte = SteadyClock::now();
  if (co_await WriteResponse(exchange, response, false, {})) co_await LingeringClose();
  co_return false;
}

template <typename Stream>
asio::awaitable<s3::Response> Session<Stream>::FeedBody(Exchange& exchange, s3::BodySink& sink) {
  const ServerOptions& options = context_.options;
  Parser& parser = *exchange.parser;
  // The sink's own methods are guarded: an exception there must not cross the coroutine.
  auto abort = [&](const s3::S3Error& error) -> s3::Response {
    exchange.must_close = true;
    try {
      return sink.Abort(error);
    } catch (const std::exception& e) {
      HttpLogger()->error("request {}: body sink Abort threw: {}", exchange.head.request_id,
                          e.what());
      return SafeTransportError(exchange.head, s3::S3Error(s3::ErrorCode::kInternalError));
    }
  };

  if (!parser.chunked() && parser.content_length() &&
      *parser.content_length() > options.max_body_bytes) {
    co_return abort(s3::S3Error(s3::ErrorCode::kEntityTooLarge));
  }
  // An accepted request that asked for "100 Continue" gets it even with an empty body, as S3
  // does: clients such as botocore otherwise take the final response for an early answer and
  // misread the next response on the connection.
  if (exchange.expect_continue) {
    Tcp().expires_after(options.write_timeout);
    auto [ec, n] = co_await asio::async_write(
        stream_, asio::buffer(kContinueResponse.data(), kContinueResponse.size()), kAwait);
    if (ec) co_return abort(s3::S3Error(s3::ErrorCode::kIncompleteBody));
  }
  if (!exchange.has_body) co_return co_await FinishBody(exchange, sink);
  if (!parser.chunked() && parser.content_length()) {
    co_return co_await FeedLengthBody(exchange, sink, *parser.content_length());
  }
  parser.body_limit(options.max_body_bytes);
  const auto body_start = SteadyClock::now();
  uint64_t received = 0;
  while (!parser.is_done()) {
    auto& body = parser.get().body();
    body.data = piece_.get();
    body.size = piece_size_;
    Tcp().expires_at(BodyReadDeadline(body_start, received, options.read_timeout));
    auto [ec, n] = co_await bhttp::async_read(stream_, buffer_, parser, kAwait);
    if (ec == bhttp::error::need_buffer) ec = {};
    size_t got = piece_size_ - body.size;
    received += got;
    if (got > 0) {
      std::expected<void, s3::S3Error> written;
      try {
        written = sink.Write(std::string_view(piece_.get(), got));
      } catch (const std::exception& e) {
        HttpLogger()->error("request {}: body sink Write threw: {}", exchange.head.request_id,
                            e.what());
        written = std::unexpected(s3::S3Error(s3::ErrorCode::kInternalError));
      }
      if (!written) co_return abort(written.error());
    }
    if (ec) {
      HttpLogger()->debug("request {} body from {}: {}", exchange.head.request_id, remote_ip_,
                          ec.message());
      if (ec == bhttp::error::body_limit)
        co_return abort(s3::S3Error(s3::ErrorCode::kEntityTooLarge));
      if (ec == beast::error::timeout) co_return abort(s3::S3Error(s3::ErrorCode::kRequestTimeout));
      co_return abort(s3::S3Error(s3::ErrorCode::kIncompleteBody));
    }
  }
  exchange.measurements.last_request_byte = SteadyClock::now();
  co_return co_await FinishBody(exchange, sink);
}

template <typename Stream>
asio::awaitable<s3::Response> Session<Stream>::FeedLengthBody(Exchange& exchange,
                                                              s3::BodySink& sink,
                                                              uint64_t length) {
  // The parser would copy every byte from buffer_ into piece_ in pieces of its read size: the
  // body is read into piece_ directly instead, never past its end (a pipelined request that
  // follows stays on the connection for the next parser). Errors are those of the parser path.
  const ServerOptions& options = context_.options;
  auto write = [&](std::string_view bytes) -> std::expected<void, s3::S3Error> {
    try {
      return sink.Write(bytes);
    } catch (const std::exception& e) {
      HttpLogger()->error("request {}: body sink Write threw: {}", exchange.head.request_id,
                          e.what());
      return std::unexpected(s3::S3Error(s3::ErrorCode::kInternalError));
    }
  };
  auto abort = [&](const s3::S3Error& error) -> s3::Response {
    exchange.must_close = true;
    try {
      return sink.Abort(error);
    } catch (const std::exception& e) {
      HttpLogger()->error("request {}: body sink Abort threw: {}", exchange.head.request_id,
                          e.what());
      return SafeTransportError(exchange.head, s3::S3Error(s3::ErrorCode::kInternalError));
    }
  };
  uint64_t remaining = length;
  if (buffer_.size() > 0) {
    size_t buffered = static_cast<size_t>(std::min<uint64_t>(remaining, buffer_.size()));
    auto written = write(std::string_view(static_cast<const char*>(buffer_.data().data()),
                                          buffered));
    buffer_.consume(buffered);
    remaining -= buffered;
    if (!written) co_return abort(written.error());
  }
  // Each read waits at most read_timeout, and the body as a whole must keep up a minimum
  // average rate (a trickling client is cut). A watchdog cancels the read instead of letting the
  // stream's own expiry close the socket, so the client still gets S3's RequestTimeout answer.
  const auto body_start = SteadyClock::now();
  uint64_t received = 0;
  asio::steady_timer watchdog(Tcp().get_executor());
  while (remaining > 0) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(remaining, piece_size_));
    Tcp().expires_never();
    watchdog.expires_at(BodyReadDeadline(body_start, received, options.read_timeout));
    // Shared with the handler: a timer that expired just as the read completed may still run
    // after cancel(), and must then leave the connection alone.
    auto armed = std::make_shared<bool>(true);
    auto timed_out = std::make_shared<bool>(false);
    watchdog.async_wait([this, armed, timed_out](const beast::error_code& wait_error) {
      if (wait_error || !*armed) return;  // cancelled, or the read finished first
      *timed_out = true;
      beast::error_code ignored;
      Tcp().socket().cancel(ignored);
    });
    auto [ec, n] = co_await stream_.async_read_some(asio::buffer(piece_.get(), want), kAwait);
    *armed = false;
    watchdog.cancel();
    if (*timed_out) ec = beast::error::timeout;
    received += n;
    if (n > 0) {
      remaining -= n;
      auto written = write(std::string_view(piece_.get(), n));
      if (!written) co_return abort(written.error());
    }
    if (ec) {
      HttpLogger()->debug("request {} body from {}: {}", exchange.head.request_id, remote_ip_,
                          ec.message());
      if (ec == beast::error::timeout) co_return abort(s3::S3Error(s3::ErrorCode::kRequestTimeout));
      co_return abort(s3::S3Error(s3::ErrorCode::kIncompleteBody));
    }
  }
  exchange.measurements.last_request_byte = SteadyClock::now();
  co_return co_await FinishBody(exchange, sink);
}

template <typename Stream>
asio::awaitable<s3::Response> Session<Stream>::FinishBody(Exchange& exchange,
                                                          s3::BodySink& sink) {
  // Guarded: an exception from the sink must not cross the coroutine (or the pool's thread).
  auto finish = [this, &exchange, &sink]() -> s3::Response {
    try {
      return sink.Finish();
    } catch (const std::exception& e) {
      HttpLogger()->error("request {}: body sink Finish threw: {}", exchange.head.request_id,
                          e.what());
      return SafeTransportError(exchange.head, s3::S3Error(s3::ErrorCode::kInternalError));
    }
  };
  // No read or write is pending while Finish runs (a multipart completion can take long): no
  // deadline may cut the connection meanwhile; WriteResponse sets its own.
  Tcp().expires_never();
  if (context_.store_pool == nullptr) co_return finish();
  // The session's coroutine is suspended until Finish returns, so the sink and the exchange are
  // touched by one thread at a time; the pool's completion resumes it on its strand.
  co_return co_await asio::co_spawn(
      context_.store_pool->get_executor(),
      [&finish]() -> asio::awaitable<s3::Response> { co_return finish(); }, asio::use_awaitable);
}

template <typename Stream>
asio::awaitable<bool> Session<Stream>::DrainBody(Exchange& exchange) {
  const ServerOptions& options = context_.options;
  Parser& parser = *exchange.parser;
  // The client waits for "100 Continue" before sending; it may never send the body now. Even
  // with no body, a client that got a final answer instead of "100 Continue" may keep treating
  // it as an early response (botocore does), so the connection is not reused.
  if (exchange.expect_continue) co_return false;
  if (!exchange.has_body) co_return true;
  if (parser.content_length() && *parser.content_length() > options.max_drain_bytes) {
    co_return false;
  }
  parser.body_limit(options.max_drain_bytes);
  Tcp().expires_after(options.read_timeout);  // one deadline for the whole small body
  while (!parser.is_done()) {
    auto& body = parser.get().body();
    body.data = piece_.get();
    body.size = piece_size_;
    auto [ec, n] = co_await bhttp::async_read(stream_, buffer_, parser, kAwait);
    if (ec == bhttp::error::need_buffer) ec = {};
    if (ec) co_return false;
  }
  exchange.measurements.last_request_byte = SteadyClock::now();
  co_return true;
}

template <typename Stream>
asio::awaitable<void> Session<Stream>::LingeringClose() {
  // Plain HTTP half-closes; TLS cannot (close_notify follows in Shutdown), it only reads on.
  if constexpr (!kTls) {
    beast::error_code ignored;
    Tcp().socket().shutdown(tcp::socket::shutdown_send, ignored);
  }
  Tcp().expires_after(
      std::min<std::chrono::milliseconds>(kLingerTime, context_.options.read_timeout));
  for (;;) {
    auto [ec, n] = co_await stream_.async_read_some(asio::buffer(Piece().data(), piece_size_),
                                                    kAwait);
    if (ec) break;
  }
}

template <typename Stream>
void Session<Stream>::SubmitRecords(const Exchange& exchange, const s3::Response& response) {
  // Most requests go to buckets without logging: nothing is built for them.
  const s3::LogFacts& log = response.log;
  bool wanted = !log.bucket.empty() &&
                (log.logged_as.has_value() || context_.access_log.IsEnabled(log.bucket));
  for (size_t i = 0; !wanted && i < log.extra.size(); ++i) {
    wanted = !log.extra[i].bucket.empty() && context_.access_log.IsEnabled(log.extra[i].bucket);
  }
  if (!wanted) return;
  try {
    auto records = BuildAccessLogRecords(exchange.head, response, exchange.measurements,
                                         context_.options.virtual_host_domain);
    for (size_t i = 0; i < records.size(); ++i) {
      const logging::AccessLogRecord& record = records[i];
      // The request's own record (first when its bucket is known) may follow the registration
      // the request itself replaced or removed.
      if (i == 0 && log.registration_changed && record.bucket == log.bucket) {
        if (log.logged_as) context_.access_log.SubmitAs(record, *log.logged_as);
      } else if (context_.access_log.IsEnabled(record.bucket)) {
        context_.access_log.Submit(record);
      }
    }
  } catch (const std::exception& e) {
    HttpLogger()->error("request {}: access-log record not submitted: {}", exchange.head.request_id,
                        e.what());
  }
}

template class Session<PlainStream>;
template class Session<TlsStream>;

}  // namespace logbucket::http
