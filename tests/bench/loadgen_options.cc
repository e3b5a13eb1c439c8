#include "tests/bench/loadgen_options.h"

#include <charconv>
#include <string_view>

namespace logbucket::bench {
namespace {

template <class T>
bool ParseNumber(std::string_view text, T& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

bool ParseEndpoint(const std::string& endpoint, Options& o) {
  constexpr std::string_view kScheme = "http://";
  std::string_view rest = endpoint;
  if (!rest.starts_with(kScheme)) return false;
  rest.remove_prefix(kScheme.size());
  while (rest.ends_with('/')) rest.remove_suffix(1);
  const size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  int port = 0;
  if (!ParseNumber(rest.substr(colon + 1), port) || port <= 0 || port > 65535) return false;
  o.host = std::string(rest.substr(0, colon));
  o.port = std::to_string(port);
  return true;
}

}  // namespace

std::optional<Options> ParseOptions(int argc, char** argv, std::string* error) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view name = argv[i];
    if (name == "--no-prepare") {
      o.prepare = false;
      continue;
    }
    if (name == "--unsigned-payload") {
      o.signed_payload = false;
      continue;
    }
    if (name == "--no-checksum") {
      o.crc32 = false;
      continue;
    }
    if (i + 1 >= argc) {
      *error = "option " + std::string(name) + " needs a value";
      return std::nullopt;
    }
    const std::string value = argv[++i];
    bool ok = true;
    if (name == "--mode") {
      o.mode = value;
      ok = value == "put" || value == "get" || value == "list";
    } else if (name == "--endpoint") {
      o.endpoint = value;
      ok = ParseEndpoint(value, o);
    } else if (name == "--bucket") {
      o.bucket = value;
      ok = !value.empty();
    } else if (name == "--connections") {
      ok = ParseNumber(value, o.connections) && o.connections > 0;
    } else if (name == "--threads") {
      ok = ParseNumber(value, o.threads) && o.threads > 0;
    } else if (name == "--duration") {
      ok = ParseNumber(value, o.duration) && o.duration > 0;
    } else if (name == "--warmup") {
      ok = ParseNumber(value, o.warmup) && o.warmup >= 0;
    } else if (name == "--requests") {
      ok = ParseNumber(value, o.requests) && o.requests > 0;
    } else if (name == "--size") {
      ok = ParseNumber(value, o.size);
    } else if (name == "--keys") {
      ok = ParseNumber(value, o.keys) && o.keys > 0;
    } else if (name == "--key-prefix") {
      o.key_prefix = value;
    } else if (name == "--max-keys") {
      ok = ParseNumber(value, o.max_keys) && o.max_keys > 0;
    } else if (name == "--server-pid") {
      ok = ParseNumber(value, o.server_pid) && o.server_pid > 0;
    } else if (name == "--access-key") {
      o.access_key = value;
    } else if (name == "--secret-key") {
      o.secret_key = value;
    } else if (name == "--region") {
      o.region = value;
    } else {
      *error = "unknown option " + std::string(name);
      return std::nullopt;
    }
    if (!ok) {
      *error = "bad value for " + std::string(name) + ": " + value;
      return std::nullopt;
    }
  }
  if (o.mode.empty()) {
    *error = "--mode is required";
    return std::nullopt;
  }
  if (o.threads > o.connections) o.threads = o.connections;
  return o;
}

}  // namespace logbucket::bench
