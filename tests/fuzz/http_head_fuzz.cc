// Fuzzes the request head as the server parses it: Beast's request_parser<buffer_body>
// configured as server/http/session.cc configures it (header limit 16 KiB, no body limit until
// the header is read, then a body limit), fed in pieces of arbitrary sizes, then the RequestHead
// the session builds from it and the admin-request check. Invariants: parsing the same bytes in
// one piece or in many pieces gives the same outcome, and a parsed head's fields are exactly
// what the session copies into the RequestHead.
#include <fuzzer/FuzzedDataProvider.h>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "server/http/admin.h"
#include "server/s3/headers.h"
#include "server/s3/request.h"

namespace {

namespace bhttp = boost::beast::http;
using Parser = bhttp::request_parser<bhttp::buffer_body>;

constexpr uint32_t kHeaderLimit = 16 * 1024;
constexpr uint64_t kBodyLimit = 1 << 20;

struct Outcome {
  bool header_done = false;
  bool failed = false;
  std::string method;
  std::string target;
  int version = 0;
  std::vector<std::pair<std::string, std::string>> fields;
  std::string body;
  bool chunked = false;
  bool done = false;
};

// Feeds `input` to a fresh parser, `piece_sizes` bytes at a time (the rest in one piece), as
// the session does: header first, then the body through a fixed buffer.
Outcome Parse(std::string_view input, const std::vector<size_t>& piece_sizes) {
  Outcome out;
  Parser parser;
  parser.header_limit(kHeaderLimit);
  parser.body_limit(boost::none);
  std::string pending;
  size_t offset = 0;
  size_t next_piece = 0;
  char body_buffer[512];
  bool body_phase = false;
  while (true) {
    // Offer more input: the next piece appended to what the parser has not consumed yet.
    bool appended = offset < input.size();
    if (appended) {
      size_t n = next_piece < piece_sizes.size() ? piece_sizes[next_piece++] : input.size();
      n = std::min(std::max<size_t>(n, 1), input.size() - offset);
      pending.append(input.substr(offset, n));
      offset += n;
    }
    if (!parser.is_header_done() && body_phase) std::abort();
    if (parser.is_header_done() && !body_phase) {
      body_phase = true;
      parser.body_limit(kBodyLimit);
    }
    if (body_phase) {
      parser.get().body().data = body_buffer;
      parser.get().body().size = sizeof(body_buffer);
    }
    boost::beast::error_code ec;
    size_t used = parser.put(boost::asio::buffer(pending.data(), pending.size()), ec);
    if (body_phase) {
      out.body.append(body_buffer, sizeof(body_buffer) - parser.get().body().size);
    }
    if (ec == bhttp::error::need_buffer) ec = {};
    if (ec && ec != bhttp::error::need_more) {
      out.failed = true;
      break;
    }
    pending.erase(0, used);
    if (parser.is_done()) break;
    if (used == 0 && !appended) break;  // no progress possible: the input ended early
  }
  out.header_done = parser.is_header_done();
  out.done = parser.is_done();
  if (out.header_done && !out.failed) {
    const auto& message = parser.get();
    out.method = std::string(message.method_string());
    out.target = std::string(message.target());
    out.version = message.version();
    out.chunked = parser.chunked();
    for (const auto& field : message) {
      out.fields.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider provider(data, size);
  std::vector<size_t> pieces;
  size_t piece_count = provider.ConsumeIntegralInRange<size_t>(0, 16);
  for (size_t i = 0; i < piece_count; ++i) {
    pieces.push_back(provider.ConsumeIntegralInRange<size_t>(1, 64));
  }
  std::string input = provider.ConsumeRemainingBytesAsString();

  Outcome whole = Parse(input, {});
  Outcome split = Parse(input, pieces);
  // Beast decides errors per byte, not per piece: the split parse may only differ by failing
  // later (it has seen less), never by accepting a different head.
  if (whole.header_done && split.header_done && !whole.failed && !split.failed) {
    if (whole.method != split.method || whole.target != split.target ||
        whole.version != split.version || whole.fields != split.fields) {
      std::abort();
    }
    if (whole.done && split.done && whole.body != split.body) std::abort();
  }

  if (!whole.header_done || whole.failed) return 0;
  // What Session::FillHead does, and what it hands on.
  logbucket::s3::RequestHead head;
  head.method = whole.method;
  head.target = whole.target;
  head.http_version = whole.version == 10 ? "HTTP/1.0" : "HTTP/1.1";
  for (const auto& [name, value] : whole.fields) head.headers.Add(name, value);
  if (head.headers.fields().size() != whole.fields.size()) std::abort();
  auto host = head.headers.Get("Host");
  (void)logbucket::http::IsAdminRequest(head.target, host.value_or(""), "localhost");
  (void)logbucket::http::DecodeQueryValue(head.target);
  return 0;
}
