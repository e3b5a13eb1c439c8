// Writing responses: the head and the first body piece in one write, the rest of an object
// file with sendfile(2) on plain TCP or in pieces read from the file; the write that completes
// the response starts only once the access-log record is spooled (see WriteResponse in session.h).
#include <sys/sendfile.h>

#include <algorithm>
#include <array>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <span>

#include "server/http/session.h"
#include "server/http/session_internal.h"
#include "server/http/wire.h"

namespace logbucket::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;
using namespace session_internal;

template <typename Stream>
asio::awaitable<std::pair<beast::error_code, size_t>> Session<Stream>::WriteParts(
    std::string_view a, std::string_view b, bool last,
    const std::function<void()>& before_last_byte) {
  // The write that completes the response starts only after the record is spooled. (Holding
  // back just the final byte would measure the last write too, but costs a syscall per response
  // and misbehaves under Beast's TLS stream, which coalesces small writes into a shared buffer.)
  if (last && before_last_byte) before_last_byte();
  Tcp().expires_after(context_.options.write_timeout);
  std::array<asio::const_buffer, 2> parts{asio::buffer(a.data(), a.size()),
                                          asio::buffer(b.data(), b.size())};
  auto [ec, n] = co_await asio::async_write(stream_, parts, kAwait);
  co_return std::pair{ec, n};
}

template <typename Stream>
asio::awaitable<bool> Session<Stream>::WriteResponse(
    Exchange& exchange, const s3::Response& response, bool keep_alive,
    const std::function<void()>& before_last_byte) {
  ExchangeMeasurements& measured = exchange.measurements;
  ResponseFraming framing = PlanResponse(response, exchange.head_request);
  std::string head = RenderResponseHead(response, exchange.head_request, keep_alive,
                                        exchange.http10, std::chrono::system_clock::now());
  measured.first_response_byte = SteadyClock::now();
  const uint64_t body_length = framing.send_body ? framing.body_length : 0;
  // Runs just before the final byte: from then on the response counts as sent in full.
  std::function<void()> finishing;
  if (before_last_byte) {
    finishing = [&] {
      measured.body_bytes_sent = body_length;
      measured.last_response_byte = SteadyClock::now();
      before_last_byte();
    };
  }

  bool from_file = framing.send_body && response.file;
  uint64_t file_offset = response.file_offset;
  bool file_failed = false;
  auto read_file_piece = [&](uint64_t at, uint64_t remaining) -> std::string_view {
    size_t want = static_cast<size_t>(std::min<uint64_t>(remaining, piece_size_));
    auto got = response.file->ReadAt(file_offset + at, std::span(piece_.get(), want));
    if (!got || *got == 0) {
      HttpLogger()->error("request {}: object file read failed at offset {}: {}",
                          exchange.head.request_id, file_offset + at,
                          got ? "file shorter than its record" : got.error().message);
      file_failed = true;
      return {};
    }
    return std::string_view(piece_.get(), *got);
  };
  // The first body piece goes out with the head in one write (one segment for a small object).
  std::string_view first_piece;
  if (from_file && body_length > 0) {
    first_piece = read_file_piece(0, body_length);
  } else if (framing.send_body) {
    first_piece = std::string_view(response.body).substr(0, kPieceBytes);
  }
  beast::error_code ec;
  uint64_t sent_total = 0;
  if (!file_failed) {
    bool last = first_piece.size() == body_length;
    auto [write_error, n] = co_await WriteParts(head, first_piece, last, finishing);
    ec = write_error;
    sent_total = n > head.size() ? n - head.size() : 0;
  }
  uint64_t remaining = body_length - std::min<uint64_t>(body_length, sent_total);
  // sendfile for all but the last piece, which goes through WriteParts below (the record is
  // spooled before it). Inline (small) objects have no file descriptor and are read with ReadAt.
  if (from_file && !ec && !file_failed && remaining > kPieceBytes && !kTls &&
      response.file->fd() >= 0) {
    ec = co_await SendFileRange(response.file->fd(), file_offset + sent_total,
                                remaining - kPieceBytes, sent_total);
    remaining = body_length - std::min<uint64_t>(body_length, sent_total);
  }
  while (!ec && !file_failed && remaining > 0) {
    std::string_view piece = from_file
                                 ? read_file_piece(sent_total, remaining)
                                 : std::string_view(response.body).substr(sent_total, kPieceBytes);
    if (file_failed) break;
    auto [write_error, written] =
        co_await WriteParts(piece, {}, piece.size() == remaining, finishing);
    ec = write_error;
    sent_total += written;
    remaining -= std::min<uint64_t>(remaining, written);
  }
  measured.body_bytes_sent = sent_total;
  measured.last_response_byte = SteadyClock::now();
  if (ec && !IsQuietDisconnect(ec)) {
    HttpLogger()->debug("response {} to {}: {}", exchange.head.request_id, remote_ip_,
                        ec.message());
  }
  co_return !ec && !file_failed && remaining == 0;
}

template <typename Stream>
asio::awaitable<beast::error_code> Session<Stream>::SendFileRange(int fd, uint64_t offset,
                                                                  uint64_t count,
                                                                  uint64_t& sent) {
  using namespace asio::experimental::awaitable_operators;
  tcp::socket& socket = Tcp().socket();
  beast::error_code ec;
  socket.native_non_blocking(true, ec);
  if (ec) co_return ec;
  asio::steady_timer timer(socket.get_executor());
  auto off = static_cast<off_t>(offset);
  while (count > 0) {
    ssize_t n = ::sendfile(socket.native_handle(), fd, &off,
                           static_cast<size_t>(std::min<uint64_t>(count, kSendFileBytes)));
    if (n > 0) {
      count -= static_cast<uint64_t>(n);
      sent += static_cast<uint64_t>(n);
      continue;
    }
    if (n == 0) {
      HttpLogger()->error("object file read failed at offset {}: file shorter than its record",
                          static_cast<uint64_t>(off));
      co_return beast::error_code(asio::error::eof);
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      co_return beast::error_code(errno, boost::system::system_category());
    }
    // The socket buffer is full: wait until it drains, within write_timeout.
    timer.expires_after(context_.options.write_timeout);
    auto which = co_await (socket.async_wait(tcp::socket::wait_write, kAwait) ||
                           timer.async_wait(kAwait));
    if (which.index() == 1) co_return beast::error_code(beast::error::timeout);
    if (auto [wait_error] = std::get<0>(which); wait_error) co_return wait_error;
  }
  co_return beast::error_code{};
}

template class Session<PlainStream>;
template class Session<TlsStream>;

}  // namespace logbucket::http
