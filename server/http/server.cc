#include "server/http/server.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <csignal>
#include <exception>
#include <optional>
#include <thread>
#include <vector>

#include "server/http/session.h"

namespace logbucket::http {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
constexpr std::chrono::milliseconds kShutdownPoll{10};
// After an accept failure such as EMFILE, wait before retrying instead of spinning.
constexpr std::chrono::milliseconds kAcceptBackoff{100};

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
        io(std::max(1, options.threads)),
        control(asio::make_strand(io)),
        acceptor(control) {}

  asio::awaitable<void> Accept();
  asio::awaitable<void> WaitForSessions();
  // Runs on `control`: stops accepting, closes idle connections, waits for the others.
  void BeginShutdown();

  ServerOptions options;
  s3::RequestHandler& handler;
  logging::AccessLogSink& access_log;
  AdminHooks admin;
  // Declared before `io`: sessions destroyed with the io_context's pending work unregister.
  SessionRegistry registry;
  asio::io_context io;
  asio::strand<asio::io_context::executor_type> control;  // acceptor, signals, shutdown
  tcp::acceptor acceptor;
  std::optional<asio::signal_set> signals;
  std::atomic<bool> stopping{false};
  uint16_t port = 0;
};

asio::awaitable<void> Server::State::Accept() {
  SessionContext context{options, handler, access_log, admin, registry, stopping};
  asio::steady_timer backoff(control);
  while (!stopping.load()) {
    auto [ec, socket] = co_await acceptor.async_accept(asio::make_strand(io), kAwait);
    if (stopping.load() || ec == asio::error::operation_aborted || !acceptor.is_open()) break;
    if (ec) {
      HttpLogger()->warn("accept failed: {}", ec.message());
      backoff.expires_after(kAcceptBackoff);
      co_await backoff.async_wait(kAwait);
      continue;
    }
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    auto session = std::make_shared<Session>(std::move(socket), context);
    registry.Add(session);
    session->Start();
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
  io.stop();
}

void Server::State::BeginShutdown() {
  boost::system::error_code ignored;
  acceptor.close(ignored);
  if (signals) signals->cancel(ignored);
  registry.CloseAll();
  asio::co_spawn(control, WaitForSessions(), LogCoroutineFailure);
}

Server::Server(ServerOptions options, s3::RequestHandler& handler,
               logging::AccessLogSink& access_log, AdminHooks admin)
    : state_(std::make_unique<State>(std::move(options), handler, access_log, std::move(admin))) {}

Server::~Server() = default;

std::expected<void, std::string> Server::Listen() {
  State& s = *state_;
  std::string where = s.options.host + ":" + std::to_string(s.options.port);
  boost::system::error_code ec;
  tcp::resolver resolver(s.io);
  auto results = resolver.resolve(s.options.host, std::to_string(s.options.port),
                                  tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || results.empty()) {
    return std::unexpected(
        where + ": cannot resolve host: " + (ec ? ec.message() : std::string("no address")));
  }
  tcp::endpoint endpoint = results.begin()->endpoint();
  if (s.acceptor.open(endpoint.protocol(), ec); ec) {
    return std::unexpected(where + ": " + ec.message());
  }
  s.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (s.acceptor.bind(endpoint, ec); ec) {
    s.acceptor.close();
    return std::unexpected(where + ": " + ec.message());
  }
  if (s.acceptor.listen(asio::socket_base::max_listen_connections, ec); ec) {
    s.acceptor.close();
    return std::unexpected(where + ": " + ec.message());
  }
  s.port = s.acceptor.local_endpoint(ec).port();
  HttpLogger()->info("listening on {}:{}", s.options.host, s.port);
  return {};
}

uint16_t Server::port() const { return state_->port; }

void Server::Run(bool handle_signals) {
  State& s = *state_;
  if (!s.acceptor.is_open()) {
    HttpLogger()->error("Server::Run called without a successful Listen");
    return;
  }
  asio::co_spawn(s.control, s.Accept(), LogCoroutineFailure);
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
  auto run = [&s] {
    // Handlers catch their own exceptions; this is the last line for anything that escapes.
    for (;;) {
      try {
        s.io.run();
        return;
      } catch (const std::exception& e) {
        HttpLogger()->error("I/O thread: {}", e.what());
      }
    }
  };
  std::vector<std::thread> threads;
  for (int i = 1; i < std::max(1, s.options.threads); ++i) threads.emplace_back(run);
  run();
  for (auto& thread : threads) thread.join();
  HttpLogger()->info("server stopped");
}

void Server::Stop() {
  State& s = *state_;
  if (s.stopping.exchange(true)) return;
  asio::post(s.control, [&s] { s.BeginShutdown(); });
}

}  // namespace logbucket::http
