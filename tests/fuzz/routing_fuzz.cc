// Fuzzes request routing and the operations behind it: s3::Service::Start with a real
// SqliteStore in a temporary directory, then the body, if a sink is returned, in pieces, then the
// streamed response body, if any, read back. An input is a short sequence of requests written as
// text, so the seed corpus (make_routing_seeds.py) holds the requests the s3 unit tests send:
//
//   <flags byte>METHOD TARGET\n
//   Name: value\n            (any number of header lines; Host: 127.0.0.1:9000 when none)
//   \n
//   body                     (up to the next "\n%%\n", which starts the next request)
//
// Flags: bits 0-1 authentication: 0 as written (anonymous, or whatever Authorization the input
// carries), 1 SigV4 header signed here with the test key exactly as the unit tests sign
// (x-amz-date now, every header signed), 2 presigned query signed here, 3 signed aws-chunked
// body (STREAMING-AWS4-HMAC-SHA256-PAYLOAD) in chunks of 1 + bits 5-7 * 700 bytes. Bit 2: the
// service verifies signatures (else accept-any). Bit 3: x-amz-content-sha256 UNSIGNED-PAYLOAD
// (mode 1). Bit 4: no Content-Length (as a chunked transfer). Bits 5-7 also choose the pieces
// the body is fed in.
//
// Invariants: no crash, no hang, no 5xx answer except 501 and 503, every answer carries the
// request's x-amz-request-id, a streamed body reads back with exactly its announced length, and
// a request signed here with valid key and time never gets SignatureDoesNotMatch unless its
// target or headers are ones no client could send (see Canonical below). The store is renewed
// every 2,000 inputs so it stays small.
// Thread-safety: libFuzzer calls LLVMFuzzerTestOneInput from one thread.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "logging/access_log_service.h"
#include "logging/clock.h"
#include "logging/log_object_writer.h"
#include "server/s3/checksum.h"
#include "server/s3/headers.h"
#include "server/s3/service.h"
#include "server/s3/sigv4.h"
#include "storage/sqlite_store.h"

namespace {

namespace fs = std::filesystem;
namespace s3 = logbucket::s3;
namespace sigv4 = logbucket::s3::sigv4;
namespace logging = logbucket::logging;

constexpr std::string_view kAccess = "test";
constexpr std::string_view kSecret = "test";
constexpr std::string_view kSeparator = "\n%%\n";
constexpr size_t kMaxRequests = 8;

class DiscardingWriter final : public logging::LogObjectWriter {
 public:
  logging::DeliveryError CheckPermission(std::string_view, std::string_view, std::string_view,
                                         std::string_view) override {
    return {logging::DeliveryProblem::kNone, ""};
  }
  std::expected<void, logging::DeliveryError> PutLogObject(std::string_view, std::string_view,
                                                           std::string_view) override {
    return {};
  }
};

struct World {
  fs::path dir;
  DiscardingWriter writer;
  logging::SystemClock clock;
  std::unique_ptr<logbucket::storage::SqliteStore> store;
  std::unique_ptr<logging::AccessLogService> access_log;
  std::unique_ptr<s3::Service> verifying;
  std::unique_ptr<s3::Service> accepting;

  explicit World(fs::path d) : dir(std::move(d)) {
    fs::remove_all(dir);
    fs::create_directories(dir);
    auto opened = logbucket::storage::SqliteStore::Open({.data_dir = dir / "data"});
    if (!opened) std::abort();
    store = std::move(*opened);
    logging::AccessLogOptions log_options;
    log_options.spool_dir = dir / "spool";
    access_log = std::make_unique<logging::AccessLogService>(log_options, writer, clock);
    if (!access_log->Open()) std::abort();
    s3::ServiceOptions options;
    options.accounts = {s3::Account{"000000000000",
                                    std::string(64, 'a'),
                                    "test",
                                    {s3::User{"test", std::string(kAccess), std::string(kSecret)}}}};
    options.max_object_bytes = 1 << 20;
    verifying = std::make_unique<s3::Service>(options, *store, *access_log);
    options.verify_signatures = false;
    accepting = std::make_unique<s3::Service>(options, *store, *access_log);
    if (!verifying->LoadLoggingConfigurations()) std::abort();
  }
  ~World() {
    verifying.reset();
    accepting.reset();
    access_log.reset();
    store.reset();
    std::error_code ignored;
    fs::remove_all(dir, ignored);
  }
};

std::unique_ptr<World> world;
uint64_t runs = 0;
uint64_t request_counter = 0;

// One request as written in the input.
struct Written {
  uint8_t flags = 0;
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

Written ParseWritten(std::string_view text) {
  Written w;
  if (text.empty()) return w;
  w.flags = static_cast<uint8_t>(text[0]);
  text.remove_prefix(1);
  auto line = [&]() {
    size_t end = text.find('\n');
    std::string_view l = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    return l;
  };
  std::string_view request_line = line();
  size_t space = request_line.find(' ');
  w.method = std::string(request_line.substr(0, space));
  if (space != std::string_view::npos) w.target = std::string(request_line.substr(space + 1));
  while (!text.empty()) {
    std::string_view l = line();
    if (l.empty()) break;
    size_t colon = l.find(':');
    std::string_view name = l.substr(0, colon);
    std::string_view value = colon == std::string_view::npos ? "" : l.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    w.headers.emplace_back(std::string(name), std::string(value));
  }
  w.body = std::string(text);
  return w;
}

// Target and header names any real client could put on the wire (a visible-ASCII target, token
// header names, values without control characters): for those, a signature computed here must
// verify. For the others the invariant does not hold by construction (the transport would have
// refused them before the S3 layer).
bool ClientCouldSend(const s3::RequestHead& head) {
  auto visible = [](std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c > 0x20 && c < 0x7f; });
  };
  auto token = [&](std::string_view s) {
    return !s.empty() && visible(s) && s.find_first_of("()<>@,;:\\\"/[]?={}") == s.npos;
  };
  if (!token(head.method) || head.target.empty() || head.target[0] != '/' ||
      !visible(head.target)) {
    return false;
  }
  for (const auto& f : head.headers.fields()) {
    if (!token(f.name)) return false;
    for (char c : f.value) {
      if ((c >= 0 && c < 0x20 && c != '\t') || c == 0x7f) return false;
    }
  }
  return true;
}

struct Signing {
  std::string amz_date;
  sigv4::Credential credential;
  std::string signing_key;
  std::string signature;
};

// Signs every header of head (SigV4 Authorization header), as the unit-test fixture does.
Signing SignHeader(s3::RequestHead& head, std::string_view payload_hash) {
  Signing s;
  auto now = std::chrono::system_clock::now();
  s.amz_date = sigv4::FormatAmzDate(now);
  s.credential = sigv4::Credential{std::string(kAccess), s.amz_date.substr(0, 8), "us-east-1",
                                   "s3", "aws4_request"};
  head.headers.Add("x-amz-date", s.amz_date);
  head.headers.Add("x-amz-content-sha256", std::string(payload_hash));
  std::vector<std::string> names;
  for (const auto& f : head.headers.fields()) names.push_back(s3::ToLower(f.name));
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  size_t q = head.target.find('?');
  std::string path = head.target.substr(0, q);
  std::string query = q == std::string::npos ? "" : head.target.substr(q + 1);
  sigv4::CanonicalRequestInput input{head.method, path,         query, &head.headers,
                                     &names,      payload_hash, false};
  auto canonical = sigv4::CanonicalRequest(input);
  s.signing_key = sigv4::SigningKey(kSecret, s.credential);
  s.signature = sigv4::Signature(
      s.signing_key, sigv4::StringToSign(s.amz_date, s.credential, canonical.value_or("")));
  std::string signed_headers;
  for (const auto& n : names) signed_headers += (signed_headers.empty() ? "" : ";") + n;
  head.headers.Add("Authorization", "AWS4-HMAC-SHA256 Credential=" + std::string(kAccess) + "/" +
                                        s.credential.scope() + ", SignedHeaders=" +
                                        signed_headers + ", Signature=" + s.signature);
  return s;
}

// A presigned URL for head (host the only signed header), as the unit-test fixture builds it.
void Presign(s3::RequestHead& head) {
  auto now = std::chrono::system_clock::now();
  std::string amz_date = sigv4::FormatAmzDate(now);
  sigv4::Credential credential{std::string(kAccess), amz_date.substr(0, 8), "us-east-1", "s3",
                               "aws4_request"};
  size_t q = head.target.find('?');
  std::string path = head.target.substr(0, q);
  std::string query = q == std::string::npos ? "" : head.target.substr(q + 1);
  auto add = [&](std::string_view name, std::string_view value) {
    query += (query.empty() ? "" : "&") + std::string(name) + "=" + sigv4::UriEncode(value, false);
  };
  add("X-Amz-Algorithm", "AWS4-HMAC-SHA256");
  add("X-Amz-Credential", std::string(kAccess) + "/" + credential.scope());
  add("X-Amz-Date", amz_date);
  add("X-Amz-Expires", "300");
  add("X-Amz-SignedHeaders", "host");
  std::vector<std::string> names = {"host"};
  sigv4::CanonicalRequestInput input{head.method, path, query, &head.headers, &names,
                                     "UNSIGNED-PAYLOAD", true};
  auto canonical = sigv4::CanonicalRequest(input);
  std::string signature =
      sigv4::Signature(sigv4::SigningKey(kSecret, credential),
                       sigv4::StringToSign(amz_date, credential, canonical.value_or("")));
  head.target = path + "?" + query + "&X-Amz-Signature=" + signature;
}

// The body as signed aws-chunked chunks of chunk_size bytes, signed after head.
std::string SignedChunks(s3::RequestHead& head, std::string_view payload, size_t chunk_size) {
  head.headers.Add("Content-Encoding", "aws-chunked");
  head.headers.Add("x-amz-decoded-content-length", std::to_string(payload.size()));
  Signing s = SignHeader(head, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
  std::string encoded;
  std::string previous = s.signature;
  auto chunk = [&](std::string_view data) {
    std::string sig =
        sigv4::ChunkSignature(s.signing_key, s.amz_date, s.credential, previous, data);
    char size[32];
    std::snprintf(size, sizeof(size), "%zx", data.size());
    encoded += std::string(size) + ";chunk-signature=" + sig + "\r\n";
    encoded += data;
    encoded += "\r\n";
    previous = sig;
  };
  for (size_t at = 0; at < payload.size(); at += chunk_size) chunk(payload.substr(at, chunk_size));
  chunk("");
  return encoded;
}

void RunOne(const Written& w) {
  s3::RequestHead head;
  head.method = w.method;
  head.target = w.target;
  int auth = w.flags & 3;
  bool has_host = false;
  for (const auto& [name, value] : w.headers) {
    std::string lower = s3::ToLower(name);
    // When signing here, the harness owns the authentication headers.
    if (auth != 0 && (lower == "authorization" || lower == "x-amz-date" ||
                      lower == "x-amz-content-sha256" || lower == "content-encoding" ||
                      lower == "x-amz-decoded-content-length")) {
      continue;
    }
    head.headers.Add(name, value);
    has_host = has_host || lower == "host";
  }
  if (!has_host) head.headers.Add("Host", "127.0.0.1:9000");
  bool verify = w.flags & 4;
  size_t scale = 1 + (w.flags >> 5);
  std::string body = w.body;
  switch (auth) {
    case 1:
      SignHeader(head, (w.flags & 8) ? "UNSIGNED-PAYLOAD" : s3::Sha256Hex(body));
      break;
    case 2:
      Presign(head);
      break;
    case 3:
      body = SignedChunks(head, w.body, 1 + (scale - 1) * 700);
      break;
    default:
      break;
  }
  if (!(w.flags & 16)) head.content_length = body.size();
  head.remote_ip = "127.0.0.1";
  char id[17];
  std::snprintf(id, sizeof(id), "%016llX", static_cast<unsigned long long>(++request_counter));
  head.request_id = id;
  head.host_id = "aG9zdA==";
  head.received_at = std::chrono::system_clock::now();
  // A query that already carries authentication parameters is not what the harness signed.
  std::string lower_target = s3::ToLower(w.target);
  bool check_signature = auth != 0 && verify && ClientCouldSend(head) &&
                         lower_target.find("x-amz-") == std::string::npos &&
                         lower_target.find("signature") == std::string::npos &&
                         lower_target.find("awsaccesskeyid") == std::string::npos;
  std::string request_id = head.request_id;

  s3::Service& service = verify ? *world->verifying : *world->accepting;
  s3::Dispatch dispatch = service.Start(std::move(head));
  s3::Response response;
  if (dispatch.response) {
    if (dispatch.sink) std::abort();  // an answer or a sink, never both
    response = std::move(*dispatch.response);
  } else if (dispatch.sink) {
    size_t piece = std::max<size_t>(1, body.size() / scale);
    bool failed = false;
    for (size_t offset = 0; offset < body.size() && !failed; offset += piece) {
      auto written = dispatch.sink->Write(std::string_view(body).substr(offset, piece));
      if (!written) {
        response = dispatch.sink->Abort(written.error());
        failed = true;
      }
    }
    if (!failed) response = dispatch.sink->Finish();
  } else {
    std::abort();  // Start must answer or ask for the body
  }
  if (response.status >= 500 && response.status != 501 && response.status != 503) std::abort();
  auto id_header = response.headers.Get("x-amz-request-id");
  if (!id_header || *id_header != request_id) std::abort();
  if (check_signature && response.error_code == "SignatureDoesNotMatch") std::abort();
  if (response.file) {
    std::vector<char> buffer(4096);
    uint64_t done = 0;
    while (done < response.file_length) {
      size_t want = static_cast<size_t>(
          std::min<uint64_t>(buffer.size(), response.file_length - done));
      auto n = response.file->ReadAt(response.file_offset + done,
                                     std::span<char>(buffer.data(), want));
      if (!n || *n == 0) std::abort();  // the announced length must be there
      done += *n;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (!world || ++runs % 2000 == 0) {
    world.reset();
    world = std::make_unique<World>(fs::temp_directory_path() /
                                    ("logbucket-routing-fuzz-" + std::to_string(::getpid())));
  }
  std::string_view input(reinterpret_cast<const char*>(data), size);
  for (size_t n = 0; n < kMaxRequests && !input.empty(); ++n) {
    size_t end = input.find(kSeparator);
    RunOne(ParseWritten(input.substr(0, end)));
    input = end == std::string_view::npos ? std::string_view()
                                          : input.substr(end + kSeparator.size());
  }
  return 0;
}
