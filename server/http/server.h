// http::Server: the Beast/Asio transport. A listener accepts connections; each connection is a
// session on its own strand with a fresh parser per request (header limit, body limit, read and
// idle timeouts, keep-alive). The session hands the request head to the s3::RequestHandler
// (s3::Service), streams the body into the returned BodySink, streams the response (GET bodies
// straight from the object's file), and, when the response is complete, builds the request's
// access-log record(s) from the LogFacts plus its own measurements and submits them: the only call
// site of AccessLogSink::Submit. Requests under /_logbucket/ are admin endpoints.
//
// HTTPS (ServerOptions::tls): TLS 1.2 or later over the same session code. Without a separate
// TLS listener, each connection on the main port is detected by its first bytes (a TLS
// handshake record starts with 0x16) and served as TLS or plain HTTP; with one, the main port
// is plain HTTP and the TLS port TLS only. The negotiated version and cipher (OpenSSL names)
// reach RequestHead::tls_version / tls_cipher and so the access-log record.
//
// Thread-safety: Run() blocks on `threads` I/O threads, each running an io_context of its own: a
// connection is served by one thread from its first request to its last (the contexts take new
// connections in turn). Stop() may be called from any thread (and is called on SIGINT/SIGTERM).
// `handler` and `access_log` must outlive the server.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "logging/access_log_service.h"
#include "logging/access_log_sink.h"
#include "server/s3/request_handler.h"

namespace logbucket::http {

struct TlsOptions {
  std::filesystem::path cert_file;  // PEM certificate chain
  std::filesystem::path key_file;   // PEM private key matching cert_file
  // A separate TLS-only listener; when unset TLS is detected per connection on the main port.
  std::optional<std::string> listen_host;
  uint16_t listen_port = 0;  // 0 = any free port (see Server::tls_port())
};

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 9000;  // 0 = any free port (see Server::port())
  int threads = 2;
  // Threads that run BodySink::Finish (the storage commit of requests with a body) so that the I/O
  // threads never block on it; 0 runs Finish on the I/O thread.
  int store_threads = 4;
  uint64_t max_header_bytes = 16 * 1024;
  // Largest request body accepted on the wire (object limit plus aws-chunked overhead).
  uint64_t max_body_bytes = (5ull << 30) + (64ull << 20);
  // How long a kept-alive connection may wait for the first byte of its next request.
  std::chrono::milliseconds idle_timeout{60'000};
  // Deadline for the whole request header (from its first byte), and for each 64 KiB piece of
  // the body: a client trickling bytes slower than that is cut off.
  std::chrono::milliseconds read_timeout{60'000};
  std::chrono::milliseconds shutdown_timeout{10'000};
  // Deadline for the peer to accept each piece (up to 64 KiB) of a response.
  std::chrono::milliseconds write_timeout{60'000};
  // A request body nobody wants (the answer was ready after the header) is read and discarded
  // up to this size, to keep the connection; beyond it the connection is closed instead.
  uint64_t max_drain_bytes = 1ull << 20;
  // Virtual-hosted style domain: a request whose Host is <bucket>.<domain> is never an admin
  // request, whatever its path ("/_logbucket/x" is then an object key).
  std::string virtual_host_domain = "localhost";
  // HTTPS; unset = plain HTTP only.
  std::optional<TlsOptions> tls;
};

// Admin endpoints' behaviour, provided by main.
struct AdminHooks {
  std::function<std::string()> status_json;  // GET /_logbucket/status
  // POST /_logbucket/flush[?bucket=NAME]
  std::function<logging::FlushResult(const std::optional<std::string>&)> flush;
  // POST /_logbucket/reset; empty when resets are not allowed (answered 403)
  std::function<void()> reset;
};

class Server {
 public:
  Server(ServerOptions options, s3::RequestHandler& handler, logging::AccessLogSink& access_log,
         AdminHooks admin);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Loads the TLS certificate and key (when configured) and binds and listens. The error text
  // says what failed ("127.0.0.1:9000: address in use", "tls.key_file \"k.pem\" does not match
  // tls.cert_file \"c.pem\"").
  std::expected<void, std::string> Listen();
  // The bound port (after Listen).
  uint16_t port() const;
  // The port serving HTTPS (after Listen): the TLS listener's, else port() when TLS is
  // detected on the main port, else 0.
  uint16_t tls_port() const;
  // Serves until Stop() or SIGINT/SIGTERM (when handle_signals), then lets in-flight requests
  // finish (up to shutdown_timeout) and returns.
  void Run(bool handle_signals = true);
  void Stop();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace logbucket::http
