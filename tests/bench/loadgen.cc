// loadgen: an HTTP/1.1 load generator for S3 endpoints. Every request is signed with SigV4 in the
// Authorization header, as the SDKs do, and sent over keep-alive connections (N connections
// spread over one or more threads, one request in flight per connection). Modes:
//   put   PUT objects of --size bytes; by duration: a distinct key per request
//   get   GET --keys objects of --size bytes (PUT first unless --no-prepare)
//   list  ListObjectsV2, --max-keys per page, starting after a random key of --keys
// By default a run lasts --warmup + --duration seconds and only requests that start after the
// warm-up and complete before the end are counted; with --requests N it makes exactly N requests.
// Response bodies are read straight from the socket into a 1 MiB buffer once the header is
// parsed, so that the tool can take a large GET faster than the server sends it.
// Prints one JSON object: requests, rps, latencies, errors, and with --server-pid the server's CPU
// time per request and its memory (VmRSS sampled, VmHWM) from /proc. Any endpoint works, so the
// same tool measures a peer or the bare server.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "server/s3/checksum.h"
#include "server/s3/sigv4.h"
#include "tests/bench/discard_body.h"
#include "tests/bench/loadgen_options.h"
#include "tests/bench/proc_stats.h"
#include "tests/bench/request_signer.h"

namespace logbucket::bench {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
// Bodies larger than this are streamed by repeating one buffer of this size, unsigned.
constexpr size_t kBodyBufferBytes = 1 << 20;
// x-amz-content-sha256 of a request without a body.
constexpr const char* kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

enum class Kind { kPut, kGet, kList };

// One run of N connections: by duration (count == 0) or exactly `count` requests.
struct Phase {
  Kind kind = Kind::kGet;
  uint64_t count = 0;
  std::atomic<uint64_t> next{0};  // next request index when by count
  Clock::time_point measure_start;
  Clock::time_point end = Clock::time_point::max();
};

struct ConnStats {
  std::vector<uint32_t> latencies_us;
  uint64_t errors = 0;
  uint64_t bytes_sent = 0;      // body bytes of counted requests
  uint64_t bytes_received = 0;  // body bytes of counted responses
  int64_t min_key_count = -1;   // list: smallest <KeyCount> seen
  std::string first_error;
};

std::string KeyName(const std::string& prefix, uint64_t index) {
  char digits[24];
  std::snprintf(digits, sizeof digits, "%08llu", static_cast<unsigned long long>(index));
  return prefix + digits;
}

std::string EncodePath(const Options& o, const std::string& key) {
  return "/" + o.bucket + (key.empty() ? "" : "/" + s3::sigv4::UriEncode(key, true));
}

int64_t KeyCountOf(const std::string& body) {
  const size_t at = body.find("<KeyCount>");
  if (at == std::string::npos) return -1;
  return std::strtoll(body.c_str() + at + 10, nullptr, 10);
}

class Connection {
 public:
  Connection(const Options& o, Phase& phase, int index, ConnStats& stats)
      : o_(o),
        phase_(phase),
        index_(index),
        stats_(stats),
        signer_(SigningIdentity{o.access_key, o.secret_key, o.region}, o.host + ":" + o.port),
        rng_(0x9e3779b97f4a7c15ULL * (index + 1)) {
    body_.resize(std::min<uint64_t>(o.size, kBodyBufferBytes));
    for (char& c : body_) c = static_cast<char>('a' + rng_() % 26);
  }

  asio::awaitable<void> Run() {
    auto executor = co_await asio::this_coro::executor;
    tcp::resolver resolver(executor);
    auto [rec, endpoints] = co_await resolver.async_resolve(o_.host, o_.port, kAwait);
    if (rec) {
      Fail("resolve: " + rec.message());
      co_return;
    }
    tcp::socket socket(executor);
    beast::flat_buffer buffer;
    for (uint64_t n = 0;; ++n) {
      uint64_t index = 0;
      if (phase_.count > 0) {
        index = phase_.next.fetch_add(1);
        if (index >= phase_.count) break;
      } else {
        if (Clock::now() >= phase_.end) break;
        index = index_ + n * o_.connections;
      }
      if (!socket.is_open()) {
        auto [ec, ep] = co_await asio::async_connect(socket, endpoints, kAwait);
        if (ec) {
          Fail("connect: " + ec.message());
          if (phase_.count == 0) co_await Pause(executor);
          continue;
        }
        socket.set_option(tcp::no_delay(true));
      }
      const Clock::time_point t0 = Clock::now();
      const uint64_t sent = co_await Send(socket, index, n);
      bhttp::response_parser<DiscardBody> parser;
      parser.body_limit(boost::none);
      const beast::error_code rec2 = co_await ReadResponse(socket, buffer, parser);
      const Clock::time_point t1 = Clock::now();
      if (send_error_ || rec2) {
        Fail(send_error_ ? "write: " + send_error_.message() : "read: " + rec2.message());
        send_error_ = {};
        beast::error_code close_ec;
        socket.close(close_ec);
        buffer.clear();
        continue;
      }
      auto& response = parser.get();
      const int status = response.result_int();
      if (status < 200 || status > 299) {
        Fail("HTTP " + std::to_string(status) + ": " + response.body().sample.substr(0, 300));
      } else if (phase_.count > 0 || (t0 >= phase_.measure_start && t1 <= phase_.end)) {
        stats_.latencies_us.push_back(static_cast<uint32_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(t1 - t0).count()));
        stats_.bytes_sent += sent;
        stats_.bytes_received += response.body().bytes;
        if (phase_.kind == Kind::kList) {
          const int64_t keys = KeyCountOf(response.body().sample);
          if (stats_.min_key_count < 0 || keys < stats_.min_key_count) stats_.min_key_count = keys;
        }
      }
      if (!response.keep_alive()) {
        beast::error_code close_ec;
        socket.close(close_ec);
        buffer.clear();
      }
    }
    beast::error_code ec;
    socket.shutdown(tcp::socket::shutdown_both, ec);
  }

 private:
  void Fail(std::string message) {
    ++stats_.errors;
    if (stats_.first_error.empty()) stats_.first_error = std::move(message);
  }

  static asio::awaitable<void> Pause(asio::any_io_executor executor) {
    asio::steady_timer timer(executor, std::chrono::milliseconds(50));
    co_await timer.async_wait(kAwait);
  }

  // Reads one response. The header goes through the parser; a Content-Length body is then read
  // straight from the socket into a 1 MiB buffer (the bytes already buffered first), because
  // pushing a large body through the parser a few KiB at a time made this tool, not the
  // server, the bottleneck of a large GET. Chunked bodies (not sent by S3) use the parser.
  asio::awaitable<beast::error_code> ReadResponse(tcp::socket& socket, beast::flat_buffer& buffer,
                                                  bhttp::response_parser<DiscardBody>& parser) {
    auto [ec, ignored] = co_await bhttp::async_read_header(socket, buffer, parser, kAwait);
    if (ec) co_return ec;
    if (parser.is_done() || parser.chunked() || !parser.content_length()) {
      auto [ec2, ignored2] = co_await bhttp::async_read(socket, buffer, parser, kAwait);
      co_return ec2;
    }
    DiscardBody::value_type& body = parser.get().body();
    uint64_t remaining = *parser.content_length();
    auto take = [&body, &remaining](const char* data, size_t n) {
      if (body.sample.size() < DiscardBody::kSampleBytes) {
        body.sample.append(data, std::min(n, DiscardBody::kSampleBytes - body.sample.size()));
      }
      body.bytes += n;
      remaining -= n;
    };
    const size_t buffered = static_cast<size_t>(std::min<uint64_t>(remaining, buffer.size()));
    take(static_cast<const char*>(buffer.data().data()), buffered);
    buffer.consume(buffered);
    if (remaining > 0 && receive_.empty()) receive_.resize(kBodyBufferBytes);
    while (remaining > 0) {
      const size_t want = static_cast<size_t>(std::min<uint64_t>(remaining, receive_.size()));
      auto [ec3, n] = co_await socket.async_read_some(asio::buffer(receive_.data(), want), kAwait);
      if (ec3) co_return ec3 == asio::error::eof ? bhttp::error::partial_message : ec3;
      take(receive_.data(), n);
    }
    co_return beast::error_code{};
  }

  // Writes one request; returns the body bytes written. Sets send_error_ on failure.
  asio::awaitable<uint64_t> Send(tcp::socket& socket, uint64_t index, uint64_t n) {
    std::string head;
    if (phase_.kind == Kind::kList) {
      // Anywhere in the bucket, but far enough from the end that every page is full.
      const uint64_t page = static_cast<uint64_t>(o_.max_keys);
      const uint64_t span = o_.keys > page ? o_.keys - page : 1;
      const std::string after = KeyName(o_.key_prefix, rng_() % span);
      const std::string query = "list-type=2&max-keys=" + std::to_string(o_.max_keys) +
                                "&start-after=" + s3::sigv4::UriEncode(after, false);
      head = signer_.Build("GET", "/" + o_.bucket, query, kEmptySha256, {}, -1);
    } else if (phase_.kind == Kind::kGet) {
      const std::string key = KeyName(o_.key_prefix, index % std::max<uint64_t>(o_.keys, 1));
      head = signer_.Build("GET", EncodePath(o_, key), "", kEmptySha256, {}, -1);
    } else {
      head = PutHead(index, n);
    }
    auto [ec, written] = co_await asio::async_write(
        socket, std::array<asio::const_buffer, 2>{asio::buffer(head), PutBodyStart()}, kAwait);
    send_error_ = ec;
    if (ec || phase_.kind != Kind::kPut) co_return 0;
    uint64_t sent = std::min<uint64_t>(o_.size, body_.size());
    while (sent < o_.size) {
      const size_t piece = std::min<uint64_t>(o_.size - sent, body_.size());
      auto [ec2, w] = co_await asio::async_write(socket, asio::buffer(body_.data(), piece), kAwait);
      if (ec2) {
        send_error_ = ec2;
        co_return sent;
      }
      sent += piece;
    }
    co_return sent;
  }

  asio::const_buffer PutBodyStart() const {
    if (phase_.kind != Kind::kPut) return {};
    return asio::buffer(body_.data(), std::min<uint64_t>(o_.size, body_.size()));
  }

  std::string PutHead(uint64_t index, uint64_t n) {
    // By count (prepare, single big objects): the numbered key; by duration: a key of its own.
    const std::string key =
        phase_.count > 0 ? KeyName(o_.key_prefix, index)
                         : o_.key_prefix + "put-" + std::to_string(getpid()) + "-" +
                               std::to_string(index_) + "-" + std::to_string(n);
    std::vector<std::pair<std::string, std::string>> extra;
    std::string payload_hash = "UNSIGNED-PAYLOAD";
    if (o_.size <= body_.size()) {
      // A different body each time (SDKs hash what they send; so does the server).
      std::memcpy(body_.data(), &n, std::min<size_t>(sizeof n, body_.size()));
      if (o_.signed_payload) payload_hash = s3::Sha256Hex(body_);
      if (o_.crc32) {
        extra.emplace_back("x-amz-checksum-crc32",
                           s3::Base64Encode(s3::Digest(s3::HashKind::kCrc32, body_)));
        extra.emplace_back("x-amz-sdk-checksum-algorithm", "CRC32");
      }
    }
    extra.emplace_back("content-type", "application/octet-stream");
    return signer_.Build("PUT", EncodePath(o_, key), "", payload_hash, extra,
                         static_cast<long long>(o_.size));
  }

  const Options& o_;
  Phase& phase_;
  const int index_;
  ConnStats& stats_;
  RequestSigner signer_;
  std::mt19937_64 rng_;
  std::string body_;
  std::vector<char> receive_;  // response bodies read past the parser
  beast::error_code send_error_;
};

struct PhaseResult {
  std::vector<ConnStats> stats;
  double seconds = 0;
  std::optional<double> server_cpu_s;
  uint64_t server_max_rss_kib = 0;
  uint64_t server_vmhwm_kib = 0;
  double client_cpu_s = 0;
};

double OwnCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto secs = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return secs(usage.ru_utime) + secs(usage.ru_stime);
}

PhaseResult RunPhase(const Options& o, Kind kind, uint64_t count) {
  Phase phase;
  phase.kind = kind;
  phase.count = count;
  PhaseResult result;
  result.stats.resize(o.connections);
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  for (int t = 0; t < o.threads; ++t) contexts.push_back(std::make_unique<asio::io_context>(1));
  std::vector<std::unique_ptr<Connection>> connections;

  const Clock::time_point start = Clock::now();
  if (count == 0) {
    phase.measure_start = start + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(o.warmup));
    phase.end = phase.measure_start + std::chrono::duration_cast<Clock::duration>(
                                          std::chrono::duration<double>(o.duration));
  } else {
    phase.measure_start = start;
  }
  for (int c = 0; c < o.connections; ++c) {
    connections.push_back(std::make_unique<Connection>(o, phase, c, result.stats[c]));
    asio::co_spawn(*contexts[c % o.threads], connections.back()->Run(), asio::detached);
  }

  ProcSampler sampler(o.server_pid);
  std::vector<std::thread> threads;
  for (auto& context : contexts) threads.emplace_back([&context] { context->run(); });
  if (count == 0) std::this_thread::sleep_until(phase.measure_start);
  const auto cpu_before = sampler.CpuSeconds();
  const double client_before = OwnCpuSeconds();
  const Clock::time_point measured_from = Clock::now();
  sampler.StartRssSampling();
  Clock::time_point measured_to;
  if (count == 0) {
    std::this_thread::sleep_until(phase.end);
    measured_to = Clock::now();
  }
  const auto cpu_at_end = count == 0 ? sampler.CpuSeconds() : std::nullopt;
  const double client_at_end = OwnCpuSeconds();
  for (auto& thread : threads) thread.join();
  if (count > 0) measured_to = Clock::now();
  sampler.StopRssSampling();

  const auto cpu_after = count == 0 ? cpu_at_end : sampler.CpuSeconds();
  if (cpu_before && cpu_after) result.server_cpu_s = *cpu_after - *cpu_before;
  result.client_cpu_s = (count == 0 ? client_at_end : OwnCpuSeconds()) - client_before;
  result.seconds = std::chrono::duration<double>(measured_to - measured_from).count();
  result.server_max_rss_kib = sampler.max_rss_kib();
  result.server_vmhwm_kib = sampler.VmHwmKib();
  return result;
}

double Percentile(const std::vector<uint32_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  const size_t at = std::min(sorted.size() - 1, static_cast<size_t>(p * sorted.size()));
  return sorted[at] / 1000.0;
}

nlohmann::json Report(const Options& o, const PhaseResult& r) {
  std::vector<uint32_t> latencies;
  uint64_t errors = 0, bytes_sent = 0, bytes_received = 0;
  int64_t min_key_count = -1;
  std::string first_error;
  for (const ConnStats& s : r.stats) {
    latencies.insert(latencies.end(), s.latencies_us.begin(), s.latencies_us.end());
    errors += s.errors;
    bytes_sent += s.bytes_sent;
    bytes_received += s.bytes_received;
    if (s.min_key_count >= 0 && (min_key_count < 0 || s.min_key_count < min_key_count)) {
      min_key_count = s.min_key_count;
    }
    if (first_error.empty()) first_error = s.first_error;
  }
  std::sort(latencies.begin(), latencies.end());
  const double n = static_cast<double>(latencies.size());
  double sum_ms = 0;
  for (uint32_t l : latencies) sum_ms += l / 1000.0;
  nlohmann::json j;
  j["mode"] = o.mode;
  j["endpoint"] = o.endpoint;
  j["connections"] = o.connections;
  j["threads"] = o.threads;
  j["size"] = o.size;
  if (o.mode == "put") {
    j["payload"] = o.size > kBodyBufferBytes || !o.signed_payload ? "UNSIGNED-PAYLOAD" : "signed";
  }
  j["seconds"] = r.seconds;
  j["requests"] = latencies.size();
  j["errors"] = errors;
  j["rps"] = r.seconds > 0 ? n / r.seconds : 0.0;
  j["bytes_sent"] = bytes_sent;
  j["bytes_received"] = bytes_received;
  j["bytes_per_s"] = r.seconds > 0 ? (bytes_sent + bytes_received) / r.seconds : 0.0;
  j["latency_ms"] = {{"p50", Percentile(latencies, 0.50)},
                     {"p90", Percentile(latencies, 0.90)},
                     {"p99", Percentile(latencies, 0.99)},
                     {"max", latencies.empty() ? 0.0 : latencies.back() / 1000.0},
                     {"mean", n > 0 ? sum_ms / n : 0.0}};
  j["client_cpu_s"] = r.client_cpu_s;
  if (r.server_cpu_s) {
    j["server_cpu_s"] = *r.server_cpu_s;
    j["server_cpu_us_per_request"] = n > 0 ? *r.server_cpu_s * 1e6 / n : 0.0;
    j["server_max_rss_kib"] = r.server_max_rss_kib;
    j["server_vmhwm_kib"] = r.server_vmhwm_kib;
  }
  if (min_key_count >= 0) j["min_key_count"] = min_key_count;
  if (!first_error.empty()) j["first_error"] = first_error;
  return j;
}

}  // namespace
}  // namespace logbucket::bench

int main(int argc, char** argv) {
  using namespace logbucket::bench;
  std::string error;
  std::optional<Options> options = ParseOptions(argc, argv, &error);
  if (!options) {
    std::fprintf(stderr, "loadgen: %s\n%s", error.c_str(), kUsage);
    return 2;
  }
  const Options& o = *options;
  const Kind kind = o.mode == "put" ? Kind::kPut : o.mode == "get" ? Kind::kGet : Kind::kList;
  nlohmann::json prepare;
  if (kind == Kind::kGet && o.prepare) {
    PhaseResult p = RunPhase(o, Kind::kPut, o.keys);
    prepare = Report(o, p);
    if (prepare["errors"].get<uint64_t>() > 0) {
      std::fprintf(stderr, "loadgen: preparing %llu objects failed: %s\n",
                   static_cast<unsigned long long>(o.keys), prepare.dump().c_str());
      return 1;
    }
  }
  nlohmann::json j = Report(o, RunPhase(o, kind, o.requests));
  if (!prepare.is_null()) j["prepare_seconds"] = prepare["seconds"];
  std::printf("%s\n", j.dump().c_str());
  return 0;
}
