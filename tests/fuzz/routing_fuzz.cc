// Fuzzes request routing and everything before an operation's storage work: s3::Service::Start
// with a real SqliteStore in a temporary directory, on heads built from the input (method, raw
// target with path and query, Host for path-style and virtual-hosted addressing, a few headers,
// and anonymous, SigV4-header-looking, presigned-looking or SigV2-looking authentication), then
// the body, if a sink is returned, in pieces. Half the inputs go to a service that verifies
// signatures, half to one in accept-any mode, which runs operations for real (so the store sees
// buckets and objects with hostile names). Invariants: no crash, no hang, no 5xx answer, and
// every answer carries the request's x-amz-request-id. The store is renewed every 2,000 inputs
// so it stays small.
#include <fuzzer/FuzzedDataProvider.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "logging/access_log_service.h"
#include "logging/clock.h"
#include "logging/log_object_writer.h"
#include "server/s3/service.h"
#include "storage/sqlite_store.h"

namespace {

namespace fs = std::filesystem;
namespace s3 = logbucket::s3;
namespace logging = logbucket::logging;

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
                                    {s3::User{"test", "test", "test"}}}};
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

const char* const kMethods[] = {"GET", "PUT", "POST", "DELETE", "HEAD", "OPTIONS", "PATCH"};
const char* const kHeaderNames[] = {
    "Content-Type",       "Content-MD5",           "x-amz-content-sha256",
    "x-amz-date",         "Range",                 "If-Match",
    "If-None-Match",      "x-amz-copy-source",     "x-amz-acl",
    "x-amz-checksum-crc32", "x-amz-trailer",        "x-amz-decoded-content-length",
    "Content-Encoding",   "x-amz-meta-a",          "x-amz-grant-read",
    "x-amz-object-ownership", "x-amz-expected-bucket-owner", "Date",
};

std::string Authorization(FuzzedDataProvider& p) {
  switch (p.ConsumeIntegralInRange<int>(0, 3)) {
    case 0:
      return "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/s3/aws4_request, "
             "SignedHeaders=host;x-amz-date, Signature=" +
             std::string(64, '0');
    case 1:
      return "AWS4-HMAC-SHA256 " + p.ConsumeRandomLengthString(200);
    case 2:
      return "AWS test:" + p.ConsumeRandomLengthString(40);
    default:
      return p.ConsumeRandomLengthString(200);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (!world || ++runs % 2000 == 0) {
    world.reset();
    world = std::make_unique<World>(fs::temp_directory_path() /
                                    ("logbucket-routing-fuzz-" + std::to_string(::getpid())));
  }
  FuzzedDataProvider p(data, size);
  s3::RequestHead head;
  head.method = p.ConsumeBool() ? p.ConsumeRandomLengthString(10) : p.PickValueInArray(kMethods);
  head.target = p.ConsumeRandomLengthString(300);
  switch (p.ConsumeIntegralInRange<int>(0, 3)) {
    case 0:
      head.headers.Add("Host", "127.0.0.1:9000");
      break;
    case 1:
      head.headers.Add("Host", p.ConsumeRandomLengthString(40) + ".localhost:9000");
      break;
    case 2:
      head.headers.Add("Host", p.ConsumeRandomLengthString(60));
      break;
    default:
      break;  // no Host
  }
  int header_count = p.ConsumeIntegralInRange<int>(0, 6);
  for (int i = 0; i < header_count; ++i) {
    std::string name = p.ConsumeBool() ? p.PickValueInArray(kHeaderNames)
                                       : p.ConsumeRandomLengthString(20);
    head.headers.Add(name, p.ConsumeRandomLengthString(80));
  }
  if (p.ConsumeBool()) head.headers.Add("Authorization", Authorization(p));
  bool verify = p.ConsumeBool();
  std::string body = p.ConsumeRandomLengthString(2048);
  size_t piece = p.ConsumeIntegralInRange<size_t>(1, 512);
  if (p.ConsumeBool()) head.content_length = body.size();
  head.remote_ip = "127.0.0.1";
  head.request_id = "0123456789ABCDEF";
  head.host_id = "aG9zdA==";
  head.received_at = std::chrono::system_clock::now();

  s3::Service& service = verify ? *world->verifying : *world->accepting;
  s3::Dispatch dispatch = service.Start(head);
  s3::Response response;
  if (dispatch.response) {
    response = std::move(*dispatch.response);
  } else if (dispatch.sink) {
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
  if (response.status >= 500 && response.status != 501) std::abort();
  auto id = response.headers.Get("x-amz-request-id");
  if (!id || *id != head.request_id) std::abort();
  return 0;
}
