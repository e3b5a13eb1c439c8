// bare_server: the throughput ceiling the benchmarks compare Logbucket with. A Beast HTTP/1.1
// server with keep-alive and nothing else: GET (any path) answers --size bytes from memory, PUT
// reads the body with 64 KiB reads and discards it, then answers 200. No authentication, no
// storage, no logging: what this machine can do with Beast right now.
// Usage: bare_server [--listen HOST:PORT] [--threads N] [--size BYTES]
// Prints "bare_server ready port=PORT" once listening (PORT 0 picks a free port).
#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/span_body.hpp>
#include <boost/beast/http/write.hpp>
#include <charconv>
#include <cstdio>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tests/bench/discard_body.h"

namespace logbucket::bench {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

asio::awaitable<void> Serve(tcp::socket socket, const std::string& payload) {
  socket.set_option(tcp::no_delay(true));
  beast::flat_buffer buffer(64 * 1024);
  for (;;) {
    bhttp::request_parser<DiscardBody> parser;
    parser.body_limit(boost::none);
    auto [ec, n] = co_await bhttp::async_read(socket, buffer, parser, kAwait);
    if (ec) break;
    const auto& request = parser.get();
    const bool keep_alive = request.keep_alive();
    beast::error_code write_ec;
    if (request.method() == bhttp::verb::get) {
      bhttp::response<bhttp::span_body<const char>> response{bhttp::status::ok, request.version()};
      response.set(bhttp::field::server, "bare");
      response.set(bhttp::field::content_type, "application/octet-stream");
      response.body() = {payload.data(), payload.size()};
      response.keep_alive(keep_alive);
      response.prepare_payload();
      std::tie(write_ec, n) = co_await bhttp::async_write(socket, response, kAwait);
    } else {
      bhttp::response<bhttp::empty_body> response{bhttp::status::ok, request.version()};
      response.set(bhttp::field::server, "bare");
      response.keep_alive(keep_alive);
      response.prepare_payload();
      std::tie(write_ec, n) = co_await bhttp::async_write(socket, response, kAwait);
    }
    if (write_ec || !keep_alive) break;
  }
  beast::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_send, ignored);
}

asio::awaitable<void> Accept(tcp::acceptor& acceptor, const std::string& payload) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(kAwait);
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      continue;
    }
    asio::co_spawn(acceptor.get_executor(), Serve(std::move(socket), payload), asio::detached);
  }
}

template <class T>
bool ParseNumber(std::string_view text, T& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace
}  // namespace logbucket::bench

int main(int argc, char** argv) {
  using namespace logbucket::bench;
  std::string host = "127.0.0.1";
  unsigned short port = 0;
  int threads = 2;
  size_t size = 4096;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view name = argv[i], value = argv[i + 1];
    bool ok = true;
    if (name == "--listen") {
      const size_t colon = value.rfind(':');
      ok = colon != std::string_view::npos && ParseNumber(value.substr(colon + 1), port);
      host = std::string(value.substr(0, colon));
    } else if (name == "--threads") {
      ok = ParseNumber(value, threads) && threads > 0;
    } else if (name == "--size") {
      ok = ParseNumber(value, size);
    } else {
      ok = false;
    }
    if (!ok) {
      std::fprintf(stderr, "usage: bare_server [--listen HOST:PORT] [--threads N] [--size N]\n");
      return 2;
    }
  }
  const std::string payload(size, 'x');
  asio::io_context context(threads);
  tcp::acceptor acceptor(context, tcp::endpoint(asio::ip::make_address(host), port));
  asio::signal_set signals(context, SIGINT, SIGTERM);
  signals.async_wait([&](const beast::error_code&, int) {
    beast::error_code ignored;
    acceptor.close(ignored);
    context.stop();
  });
  asio::co_spawn(context, Accept(acceptor, payload), asio::detached);
  std::printf("bare_server ready port=%u\n", acceptor.local_endpoint().port());
  std::fflush(stdout);
  std::vector<std::thread> workers;
  for (int t = 1; t < threads; ++t) workers.emplace_back([&context] { context.run(); });
  context.run();
  for (auto& worker : workers) worker.join();
  return 0;
}
