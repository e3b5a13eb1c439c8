#include "server/http/wire.h"

#include <fmt/format.h>

#include <array>
#include <boost/beast/http/status.hpp>
#include <charconv>
#include <cstring>
#include <ctime>
#include <random>

#include "server/s3/headers.h"

namespace logbucket::http {
namespace {

namespace beast_http = boost::beast::http;

// Ids need to be unique, not secret: a per-thread engine avoids a lock and a syscall per request.
std::mt19937_64& Engine() {
  thread_local std::mt19937_64 engine = [] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device()};
    return std::mt19937_64(seed);
  }();
  return engine;
}

constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string Base64(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = (static_cast<uint8_t>(bytes[i]) << 16) |
                 (static_cast<uint8_t>(bytes[i + 1]) << 8) | static_cast<uint8_t>(bytes[i + 2]);
    out += kBase64Alphabet[(v >> 18) & 63];
    out += kBase64Alphabet[(v >> 12) & 63];
    out += kBase64Alphabet[(v >> 6) & 63];
    out += kBase64Alphabet[v & 63];
  }
  if (size_t rest = bytes.size() - i; rest > 0) {
    uint32_t v = static_cast<uint8_t>(bytes[i]) << 16;
    if (rest == 2) v |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    out += kBase64Alphabet[(v >> 18) & 63];
    out += kBase64Alphabet[(v >> 12) & 63];
    out += rest == 2 ? kBase64Alphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// Fields whose value the transport decides; the handler's copies are dropped. Dispatched on the
// length first: this runs for every field of every response.
bool IsTransportField(std::string_view name) {
  switch (name.size()) {
    case 4:
      return s3::EqualsIgnoreCase(name, "Date");
    case 6:
      return s3::EqualsIgnoreCase(name, "Server");
    case 10:
      return s3::EqualsIgnoreCase(name, "Connection") || s3::EqualsIgnoreCase(name, "Keep-Alive");
    case 14:
      return s3::EqualsIgnoreCase(name, "Content-Length");
    case 17:
      return s3::EqualsIgnoreCase(name, "Transfer-Encoding");
    default:
      return false;
  }
}

void AppendClean(std::string& out, std::string_view text) {
  // Values almost never hold CR or LF: append them whole, filter only when one is there
  // (two vectorised memchr scans; find_first_of would test every byte against the set).
  if (text.empty()) return;
  if (std::memchr(text.data(), '\r', text.size()) == nullptr &&
      std::memchr(text.data(), '\n', text.size()) == nullptr) {
    out.append(text);
    return;
  }
  for (char c : text) {
    if (c != '\r' && c != '\n') out += c;
  }
}

void AppendField(std::string& out, std::string_view name, std::string_view value) {
  AppendClean(out, name);
  out += ": ";
  AppendClean(out, value);
  out += "\r\n";
}

std::string_view ReasonPhrase(int status) {
  auto known = beast_http::int_to_status(static_cast<unsigned>(status));
  if (known == beast_http::status::unknown) return "Unknown";
  return beast_http::obsolete_reason(known);
}

}  // namespace

std::string NewRequestId() {
  static constexpr char kHex[] = "0123456789ABCDEF";
  uint64_t v = Engine()();
  std::string id(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4) id[static_cast<size_t>(i)] = kHex[v & 0xF];
  return id;
}

std::string NewHostId() {
  std::array<char, 56> bytes;
  for (size_t i = 0; i < bytes.size(); i += 8) {
    uint64_t v = Engine()();
    for (size_t j = 0; j < 8; ++j) bytes[i + j] = static_cast<char>(v >> (8 * j));
  }
  return Base64(std::string_view(bytes.data(), bytes.size()));
}

std::string FormatHttpDate(std::chrono::system_clock::time_point time) {
  // Spelled out rather than strftime'd: %a and %b follow the process locale.
  static constexpr std::array<const char*, 7> kDays = {"Sun", "Mon", "Tue", "Wed",
                                                       "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t t = std::chrono::system_clock::to_time_t(time);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT", kDays[tm.tm_wday], tm.tm_mday,
                     kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

namespace {

// The Date field of the second `now` falls in, formatted once per second and thread.
std::string_view CachedHttpDate(std::chrono::system_clock::time_point now) {
  thread_local std::chrono::system_clock::time_point::rep second = -1;
  thread_local std::string text;
  const auto this_second = std::chrono::floor<std::chrono::seconds>(now).time_since_epoch().count();
  if (this_second != second) {
    text = FormatHttpDate(now);
    second = this_second;
  }
  return text;
}

}  // namespace

ResponseFraming PlanResponse(const s3::Response& response, bool head_request) {
  ResponseFraming framing;
  bool bodiless_status = response.status < 200 || response.status == 204 || response.status == 304;
  framing.send_body = !head_request && !bodiless_status;
  if (framing.send_body) {
    framing.body_length = response.file ? response.file_length : response.body.size();
  }
  return framing;
}

std::string RenderResponseHead(const s3::Response& response, bool head_request, bool keep_alive,
                               bool http10, std::chrono::system_clock::time_point now) {
  ResponseFraming framing = PlanResponse(response, head_request);
  size_t size = 128;
  for (const auto& field : response.headers.fields())
    size += field.name.size() + field.value.size() + 4;
  std::string out;
  out.reserve(size);
  std::array<char, 24> number;
  auto digits = [&number](uint64_t value) {
    auto end = std::to_chars(number.data(), number.data() + number.size(), value).ptr;
    return std::string_view(number.data(), static_cast<size_t>(end - number.data()));
  };
  out += "HTTP/1.1 ";
  out += digits(static_cast<uint64_t>(response.status));
  out += ' ';
  out += ReasonPhrase(response.status);
  out += "\r\n";
  for (const auto& field : response.headers.fields()) {
    if (IsTransportField(field.name)) continue;
    AppendField(out, field.name, field.value);
  }
  out += "Date: ";
  out += CachedHttpDate(now);
  out += "\r\nServer: Logbucket\r\n";
  if (framing.send_body) {
    AppendField(out, "Content-Length", digits(framing.body_length));
  } else if ((head_request || response.status == 304) && response.status != 204) {
    // A HEAD answer describes the body a GET would have had.
    if (auto length = response.headers.Get("Content-Length")) {
      AppendField(out, "Content-Length", *length);
    }
  }
  if (!keep_alive) {
    AppendField(out, "Connection", "close");
  } else if (http10) {
    AppendField(out, "Connection", "keep-alive");
  }
  out += "\r\n";
  return out;
}

}  // namespace logbucket::http
