// Service: the S3 protocol without sockets. Start() routes a request head (path-style and
// virtual-hosted addressing) to one row of the route table, authenticates it (SigV4 header,
// presigned query, streaming signed chunks, unsigned payload with trailers) and runs the
// operation, or returns a BodySink that runs it once the body has arrived. Every answer carries
// x-amz-request-id / x-amz-id-2 and the LogFacts for the access-log record.
//
// Thread-safety: Start() may be called concurrently from any number of threads; `store` and
// `access_log` must outlive the service.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "logging/access_log_service.h"
#include "server/s3/request.h"
#include "server/s3/request_handler.h"
#include "server/s3/response.h"
#include "storage/sqlite_store.h"

namespace logbucket::s3 {

struct User {
  std::string name;
  std::string access_key;
  std::string secret_key;
};

struct Account {
  std::string id;            // 12 digits
  std::string canonical_id;  // 64 hex
  std::string display_name;
  std::vector<User> users;
};

struct ServiceOptions {
  std::string region = "us-east-1";
  std::string virtual_host_domain = "localhost";
  std::vector<Account> accounts;
  bool verify_signatures = true;  // false: auth.mode = accept-any
  std::chrono::milliseconds max_clock_skew{15 * 60'000};
  uint64_t max_object_bytes = 5ull << 30;
};

class Service final : public RequestHandler {
 public:
  Service(ServiceOptions options, storage::SqliteStore& store,
          logging::AccessLogService& access_log);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Loads every bucket's logging configuration from storage into the access-log registry.
  // Call once before serving.
  std::expected<void, std::string> LoadLoggingConfigurations();

  Dispatch Start(RequestHead head) override;

  // An error answer for a request the transport could not even hand over (header too large,
  // unparsable request line): not routed, not logged.
  Response TransportError(const RequestHead& head, const S3Error& error) const override;

  const ServiceOptions& options() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace logbucket::s3
