// Command line of the load generator (loadgen.cc): what to send, where, how long.
// Thread-safety: a plain value, read-only once parsed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace logbucket::bench {

inline constexpr const char* kUsage =
    "usage: loadgen --mode put|get|list [options]\n"
    "  --endpoint URL      http://HOST:PORT (default http://127.0.0.1:9000)\n"
    "  --bucket NAME       (default bench)\n"
    "  --connections N     keep-alive connections, one request in flight each (default 16)\n"
    "  --threads N         I/O threads the connections are spread over (default 1)\n"
    "  --duration S        measured seconds (default 5)\n"
    "  --warmup S          seconds before measuring (default 1)\n"
    "  --requests N        exactly N requests instead of a duration\n"
    "  --size BYTES        object size for put/get (default 4096); above 1 MiB the body is\n"
    "                      streamed with UNSIGNED-PAYLOAD and no checksum header\n"
    "  --keys N            get: objects cycled over; list: key range (default 1000)\n"
    "  --key-prefix P      keys are P followed by an 8-digit index (default k/)\n"
    "  --max-keys N        list: page size (default 1000)\n"
    "  --no-prepare        get: the objects exist already\n"
    "  --unsigned-payload  put: UNSIGNED-PAYLOAD instead of the body's SHA-256\n"
    "  --no-checksum       put: no x-amz-checksum-crc32 header (sent by default, as SDKs do)\n"
    "  --server-pid PID    report the server's CPU time and memory from /proc\n"
    "  --access-key K --secret-key S --region R   (default test / test / us-east-1)\n";

struct Options {
  std::string mode;
  std::string endpoint = "http://127.0.0.1:9000";
  std::string host = "127.0.0.1";  // from endpoint
  std::string port = "9000";       // from endpoint
  std::string bucket = "bench";
  int connections = 16;
  int threads = 1;
  double duration = 5;
  double warmup = 1;
  uint64_t requests = 0;  // 0: by duration
  uint64_t size = 4096;
  uint64_t keys = 1000;
  std::string key_prefix = "k/";
  int max_keys = 1000;
  bool prepare = true;
  bool signed_payload = true;
  bool crc32 = true;
  int server_pid = 0;
  std::string access_key = "test";
  std::string secret_key = "test";
  std::string region = "us-east-1";
};

// nullopt with `error` set when an option is unknown, lacks its value or has a bad one.
std::optional<Options> ParseOptions(int argc, char** argv, std::string* error);

}  // namespace logbucket::bench
