#include "server/http/server.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/detect_ssl.hpp>
#include <csignal>
#include <exception>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "server/http/session.h"
#include "server/http/tls_context.h"

namespace logbucket::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

// What an acceptor's connections are.
enum class Transport { kPlain, kTls, kDetect };

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
constexpr std::chrono::milliseconds kShutdownPoll{10};
// After an accept failure such as EMFILE, wait before retrying instead of spinning.
constexpr std::chrono::milliseconds kAcceptBackoff{100};

// ServerOptions::threads, 0 meaning one per core (as server.threads documents).
int ThreadCount(int configured) {
  if (configured > 0) return configured;
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

// One io_context per I/O thread.
std::vector<std::unique_ptr<asio::io_context>> MakeContexts(int count) {
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  for (int i = 0; i < count; ++i) contexts.push_back(std::make_unique<asio::io_context>(1));
  return contexts;
}

void LogCoroutineFailure(std::exception_ptr error) {
  if (!error) return;
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    HttpLogger()->error("server task ended by an exception: {}", e.what());
  }
}

}  // namespace

struct Server::State {
  State(ServerOptions o, s3::RequestHandler& h, logging::AccessLogSink& a, AdminHooks ad)
      : options(std::move(o)),
        handler(h),
        access_log(a),
        admin(std::move(ad)),
        contexts(MakeContexts(ThreadCount(options.threads))),
        control(asio::make_strand(*contexts.front())),
        acceptor(control),
        tls_acceptor(control) {}

  asio::awaitable<void> Accept(tcp::acceptor& from, Transport transport);
  // Serves one accepted connection as `transport` says; kDetect first reads enough of it to
  // tell a TLS handshake from plain HTTP.
  asio::awaitable<void> Serve(tcp::socket socket, Transport transport);
  template <typename Stream, typename... StreamArgs>
  void StartSession(beast::flat_buffer buffer, StreamArgs&&... stream_args);
  asio::awaitable<void> WaitForSessions();
  // Runs on `control`: stops accepting, closes idle connections, waits for the others.
  void BeginShutdown();

  ServerOptions options;
  s3::RequestHandler& handler;
  logging::AccessLogSink& access_log;
  AdminHooks admin;
  // Declared before `contexts`: sessions destroyed with an io_context's pending work unregister.
  SessionRegistry registry;
  // One io_context per I/O thread, run by that thread alone; each new connection goes to the
  // next one in turn and stays there. With one io_context shared by every thread, a connection's
  // handlers ran on whichever thread was free: the scheduler's lock, and memory allocated on one
  // thread and freed on another (glibc's arena locks), made the threads wait on each other (futex
  // calls in a GET profile; one thread used 15-25% less CPU per request than two).
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  size_t next_context = 0;  // the context of the next connection (used on `control` only)
  asio::strand<asio::io_context::executor_type> control;  // acceptor, signals, shutdown
  // Runs BodySink::Finish for the sessions (ServerOptions::store_threads); none when 0. Declared
  // after `contexts` (destroyed first) and joined by Run() once every session has ended.
  std::optional<asio::thread_pool> store_pool;
  tcp::acceptor acceptor;
  tcp::acceptor tls_acceptor;                       // open only with a separate TLS listener
  std::unique_ptr<asio::ssl::context> tls_context;  // set when TLS is configured
  std::optional<asio::signal_set> signals;
  std::atomic<bool> stopping{false};
  uint16_t port = 0;
  uint16_t tls_port = 0;
};

template <typename Stream, typename... StreamArgs>
void Server::State::StartSession(beast::flat_buffer buffer, StreamArgs&&... stream_args) {
  SessionContext context{
      options, handler, access_log, admin, registry, stopping, store_pool ? &*store_pool : nullptr};
  auto session = std::make_shared<Session<Stream>>(std::move(buffer), context,
                                                   std::forward<StreamArgs>(stream_args)...);
  registry.Add(session);
  session->Start();
}

asio::awaitable<void> Server::State::Serve(tcp::socket socket, Transport transport) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  if (transport == Transport::kDetect) {
    // Until the first bytes arrive the connection is as idle as a kept-alive one.
    stream.expires_after(options.idle_timeout);
    auto [ec, is_tls] = co_await beast::async_detect_ssl(stream, buffer, kAwait);
    if (ec || stopping.load()) {
      beast::error_code ignored;
      stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
      co_return;
    }
    transport = is_tls ? Transport::kTls : Transport::kPlain;
  }
  if (transport == Transport::kTls) {
    StartSession<TlsStream>(std::move(buffer), std::move(stream), *tls_context);
  } else {
    StartSession<PlainStream>(std::move(buffer), std::move(stream));
  }
}

asio::awaitable<void> Server::State::Accept(tcp::acceptor& from, Transport transport) {
  asio::steady_timer backoff(control);
  while (!stopping.load()) {
    asio::io_context& io = *contexts[next_context++ % contexts.size()];
    auto [ec, socket] = co_await from.async_accept(asio::make_strand(io), kAwait);
    if (stopping.load() || ec == asio::error::operation_aborted || !from.is_open()) break;
    if (ec) {
      HttpLogger()->warn("accept failed: {}", ec.message());
      backoff.expires_after(kAcceptBackoff);
      co_await backoff.async_wait(kAwait);
      continue;
    }
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    auto executor = socket.get_executor();
    asio::co_spawn(executor, Serve(std::move(socket), transport), LogCoroutineFailure);
  }
}

asio::awaitable<void> Server::State::WaitForSessions() {
  auto deadline = std::chrono::steady_clock::now() + options.shutdown_timeout;
  asio::steady_timer timer(control);
  while (registry.size() > 0) {
    if (std::chrono::steady_clock::now() >= deadline) {
      HttpLogger()->warn("{} connection(s) still busy after the shutdown timeout; dropping them",
                         registry.size());
      break;
    }
    timer.expires_after(kShutdownPoll);
    co_await timer.async_wait(kAwait);
  }
  for (auto& io : contexts) io->stop();
}

void Server::State::BeginShutdown() {
  boost::system::error_code ignored;
  acceptor.close(ignored);
  tls_acceptor.close(ignored);
  if (signals) signals->cancel(ignored);
  registry.CloseAll();
  asio::co_spawn(control, WaitForSessions(), LogCoroutineFailure);
}

Server::Server(ServerOptions options, s3::RequestHandler& handler,
               logging::AccessLogSink& access_log, AdminHooks admin)
    : state_(std::make_unique<State>(std::move(options), handler, access_log, std::move(admin))) {}

Server::~Server() = default;

namespace {

// Opens, binds and listens `acceptor` on host:port; the bound port, or what failed.
std::expected<uint16_t, std::string> Bind(asio::io_context& io, tcp::acceptor& acceptor,
                                          const std::string& host, uint16_t port) {
  std::string where = host + ":" + std::to_string(port);
  boost::system::error_code ec;
  tcp::resolver resolver(io);
  auto results = resolver.resolve(host, std::to_string(port),
                                  tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || results.empty()) {
    return std::unexpected(
        where + ": cannot resolve host: " + (ec ? ec.message() : std::string("no address")));
  }
  tcp::endpoint endpoint = results.begin()->endpoint();
  if (acceptor.open(endpoint.protocol(), ec); ec) {
    return std::unexpected(where + ": " + ec.message());
  }
  acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (acceptor.bind(endpoint, ec); ec) {
    acceptor.close();
    return std::unexpected(where + ": " + ec.message());
  }
  if (acceptor.listen(asio::socket_base::max_listen_connections, ec); ec) {
    acceptor.close();
    return std::unexpected(where + ": " + ec.message());
  }
  return acceptor.local_endpoint(ec).port();
}

}  // namespace

std::expected<void, std::string> Server::Listen() {
  State& s = *state_;
  if (s.options.tls) {
    auto context = MakeServerTlsContext(*s.options.tls);
    if (!context) return std::unexpected(context.error());
    s.tls_context = std::move(*context);
  }
  auto port = Bind(*s.contexts.front(), s.acceptor, s.options.host, s.options.port);
  if (!port) return std::unexpected(port.error());
  s.port = *port;
  HttpLogger()->info("listening on {}:{}", s.options.host, s.port);
  if (s.options.tls && s.options.tls->listen_host) {
    const TlsOptions& tls = *s.options.tls;
    auto tls_port = Bind(*s.contexts.front(), s.tls_acceptor, *tls.listen_host, tls.listen_port);
    if (!tls_port) {
      boost::system::error_code ignored;
      s.acceptor.close(ignored);
      return std::unexpected("tls.listen " + tls_port.error());
    }
    s.tls_port = *tls_port;
    HttpLogger()->info("listening for TLS on {}:{}", *tls.listen_host, s.tls_port);
  } else if (s.options.tls) {
    s.tls_port = s.port;
  }
  return {};
}

uint16_t Server::port() const { return state_->port; }

uint16_t Server::tls_port() const { return state_->tls_port; }

void Server::Run(bool handle_signals) {
  State& s = *state_;
  if (!s.acceptor.is_open()) {
    HttpLogger()->error("Server::Run called without a successful Listen");
    return;
  }
  bool detect = s.options.tls && !s.tls_acceptor.is_open();
  asio::co_spawn(s.control, s.Accept(s.acceptor, detect ? Transport::kDetect : Transport::kPlain),
                 LogCoroutineFailure);
  if (s.tls_acceptor.is_open()) {
    asio::co_spawn(s.control, s.Accept(s.tls_acceptor, Transport::kTls), LogCoroutineFailure);
  }
  if (handle_signals) {
    asio::post(s.control, [this, &s] {
      if (s.stopping.load()) return;
      s.signals.emplace(s.control, SIGINT, SIGTERM);
      s.signals->async_wait([this](const boost::system::error_code& ec, int signal) {
        if (ec) return;
        HttpLogger()->info("signal {} received: shutting down", signal);
        Stop();
      });
    });
  }
  auto run = [](asio::io_context& io) {
    // A context without a connection yet has no work: it must wait for one, not return.
    // WaitForSessions stops every context at shutdown.
    auto keep_running = asio::make_work_guard(io);
    // Handlers catch their own exceptions; this is the last line for anything that escapes.
    for (;;) {
      try {
        io.run();
        return;
      } catch (const std::exception& e) {
        HttpLogger()->error("I/O thread: {}", e.what());
      }
    }
  };
  if (s.options.store_threads > 0) {
    s.store_pool.emplace(static_cast<size_t>(s.options.store_threads));
  }
  std::vector<std::thread> threads;
  for (size_t i = 1; i < s.contexts.size(); ++i) {
    threads.emplace_back([&run, &io = *s.contexts[i]] { run(io); });
  }
  run(*s.contexts.front());
  for (auto& thread : threads) thread.join();
  if (s.store_pool) s.store_pool->join();
  HttpLogger()->info("server stopped");
}

void Server::Stop() {
  State& s = *state_;
  if (s.stopping.exchange(true)) return;
  asio::post(s.control, [&s] { s.BeginShutdown(); });
}

}  // namespace logbucket::http
