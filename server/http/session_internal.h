// Internal to server/http's session files: constants and helpers shared by session.cc (reading
// requests) and session_write.cc (writing responses).
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <chrono>
#include <cstddef>

namespace logbucket::http::session_internal {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

inline constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
// Reading bodies a few KiB per syscall halves upload throughput (reference/environment.md);
// larger pieces also mean fewer sink writes (one file write each) for a large upload.
inline constexpr size_t kPieceBytes = 256 * 1024;
// The header read and the idle wait read at most this much: a pipelined request behind a small
// one is kept in buffer_, a large body goes through piece_.
inline constexpr size_t kHeaderReadBytes = 64 * 1024;
// sendfile(2) is asked for at most this much at a time (a 2 GiB+ count is not portable).
inline constexpr size_t kSendFileBytes = 16 * 1024 * 1024;
// After an answer that leaves a request body unread, the rest is read and discarded this long
// so that closing does not reset the connection before the client has read the answer.
inline constexpr std::chrono::milliseconds kLingerTime{1000};

inline bool IsQuietDisconnect(const beast::error_code& ec) {
  return ec == asio::error::eof || ec == asio::error::operation_aborted ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == beast::error::timeout || ec == bhttp::error::end_of_stream ||
         ec == asio::ssl::error::stream_truncated;
}

}  // namespace logbucket::http::session_internal
