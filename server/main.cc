// The composition root: loads the configuration, opens storage, wires the access-log pipeline
// to storage through the LogObjectWriter port, builds the S3 service and the HTTP server, and
// runs until SIGINT/SIGTERM, then delivers the pending access logs before exiting.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <expected>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "config/config.h"
#include "logging/access_log_service.h"
#include "logging/clock.h"
#include "server/http/self_signed.h"
#include "server/http/server.h"
#include "server/s3/lifecycle_expirer.h"
#include "server/s3/log_delivery.h"
#include "server/s3/service.h"
#include "server/s3/xml/xml_common.h"
#include "storage/sqlite_store.h"

namespace {

using namespace logbucket;

s3::ServiceOptions ServiceOptionsOf(const config::Config& c) {
  s3::ServiceOptions o;
  o.region = c.s3.region;
  o.virtual_host_domain = c.server.domain;
  o.verify_signatures = c.auth.mode == config::Config::Auth::Mode::kVerify;
  o.max_clock_skew = c.auth.max_skew;
  o.max_object_bytes = c.server.max_object_bytes;
  for (const auto& a : c.accounts) {
    s3::Account account{a.id, a.canonical_id, a.display_name, {}};
    for (const auto& u : a.users) account.users.push_back({u.name, u.access_key, u.secret_key});
    o.accounts.push_back(std::move(account));
  }
  return o;
}

std::string EndpointOf(const std::string& scheme, std::string host, uint16_t port) {
  if (host == "0.0.0.0" || host == "::") host = "127.0.0.1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return scheme + "://" + host + ":" + std::to_string(port);
}

// The server's TLS options from the settings, generating the self-signed pair if asked.
std::expected<std::optional<http::TlsOptions>, std::string> TlsOptionsOf(const config::Config& c) {
  if (!c.tls.enabled()) return std::nullopt;
  http::TlsOptions tls;
  if (c.tls.self_signed) {
    auto files = http::EnsureSelfSignedCertificate(c.storage.data_dir / "tls", c.server.domain);
    if (!files) return std::unexpected("tls.self_signed: " + files.error());
    if (files->generated)
      spdlog::info("generated a self-signed certificate {}", files->cert_file.string());
    tls.cert_file = files->cert_file;
    tls.key_file = files->key_file;
  } else {
    tls.cert_file = c.tls.cert_file;
    tls.key_file = c.tls.key_file;
  }
  if (c.tls.separate_listener()) {
    tls.listen_host = c.tls.listen_host;
    tls.listen_port = c.tls.listen_port;
  }
  return tls;
}

nlohmann::json StatusOf(const config::Config& c, storage::SqliteStore& store,
                        logging::AccessLogService& access_log,
                        const s3::LifecycleExpirer& lifecycle,
                        std::chrono::steady_clock::time_point started,
                        const std::string& endpoint) {
  nlohmann::json status;
  status["version"] = config::Version();
  status["endpoint"] = endpoint;
  status["region"] = c.s3.region;
  status["uptime_seconds"] =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started)
          .count();
  nlohmann::json buckets = nlohmann::json::array();
  if (auto all = store.ListBuckets()) {
    for (const auto& b : *all) {
      nlohmann::json entry{{"name", b.name},
                           {"owner_account_id", b.owner_account_id},
                           {"region", b.region},
                           {"created", s3::xml::FormatIso8601(b.created_ms)}};
      if (auto config = access_log.GetConfiguration(b.name)) {
        entry["logging"] = {{"target_bucket", config->target_bucket},
                            {"target_prefix", config->target_prefix},
                            {"key_format", config->key_format == logging::KeyFormat::kSimplePrefix
                                               ? "SimplePrefix"
                                               : "PartitionedPrefix"}};
      } else {
        entry["logging"] = nullptr;
      }
      entry["versioning"] = b.versioning.empty() ? nullptr : nlohmann::json(b.versioning);
      buckets.push_back(std::move(entry));
    }
  }
  status["buckets"] = std::move(buckets);
  status["access_logging"] = access_log.StatusJson();
  status["lifecycle"] = lifecycle.StatusJson();
  storage::SqliteStore::CommitStats commits = store.commit_stats();
  status["storage"] = {{"object_writes", commits.writes},
                       {"write_transactions", commits.transactions},
                       {"wal_checkpoints", commits.background_checkpoints},
                       {"wal_checkpoints_in_commit", commits.commit_checkpoints}};
  return status;
}

int Run(int argc, char** argv) {
  auto env = [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
  auto loaded = config::Load(argc, argv, env);
  if (!loaded) {
    std::fprintf(stderr, "logbucket: %s\n", loaded.error().message.c_str());
    return 2;
  }
  if (loaded->action != config::Action::kRun) {
    std::fputs(loaded->text.c_str(), stdout);
    return 0;
  }
  const config::Config& c = loaded->config;
  auto logger = spdlog::stderr_color_mt("logbucket");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(c.diagnostics.level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%n] %v");

  auto store = storage::SqliteStore::Open({c.storage.data_dir, c.storage.fsync});
  if (!store) {
    std::fprintf(stderr, "logbucket: cannot open the data directory %s: %s\n",
                 c.storage.data_dir.c_str(), store.error().message.c_str());
    return 1;
  }
  s3::StoreLogObjectWriter writer(**store);
  logging::SystemClock clock;
  logging::AccessLogOptions log_options;
  log_options.spool_dir = c.storage.data_dir / "logspool";
  log_options.flush_interval = c.logging.flush_interval;
  log_options.strict_permissions = c.logging.strict_permissions;
  log_options.source_region_field = c.logging.source_region_field;
  log_options.max_object_bytes = c.logging.max_object_bytes;
  log_options.spool_max_bytes = c.logging.spool_max_bytes;
  logging::AccessLogService access_log(log_options, writer, clock);
  if (auto ok = access_log.Open(); !ok) {
    std::fprintf(stderr, "logbucket: %s\n", ok.error().c_str());
    return 1;
  }
  s3::Service service(ServiceOptionsOf(c), **store, access_log);
  if (auto ok = service.LoadLoggingConfigurations(); !ok) {
    std::fprintf(stderr, "logbucket: %s\n", ok.error().c_str());
    return 1;
  }

  s3::LifecycleExpirerOptions lifecycle_options;
  lifecycle_options.day_ms = c.lifecycle.day.count();
  lifecycle_options.canonical_id_of = [&c](const std::string& account_id) -> std::string {
    for (const auto& a : c.accounts) {
      if (a.id == account_id) return a.canonical_id;
    }
    return "";
  };
  s3::LifecycleExpirer lifecycle(**store, access_log, lifecycle_options);

  http::ServerOptions server_options;
  server_options.host = c.server.listen_host;
  server_options.port = c.server.listen_port;
  server_options.threads = c.server.threads;
  server_options.store_threads = c.server.store_threads;
  server_options.max_header_bytes = c.server.max_header_bytes;
  // Room for aws-chunked framing around the largest object.
  server_options.max_body_bytes =
      c.server.max_object_bytes + c.server.max_object_bytes / 64 + (1 << 20);
  server_options.idle_timeout = c.server.idle_timeout;
  server_options.read_timeout = c.server.read_timeout;
  server_options.shutdown_timeout = c.server.shutdown_timeout;
  server_options.virtual_host_domain = c.server.domain;
  auto tls = TlsOptionsOf(c);
  if (!tls) {
    std::fprintf(stderr, "logbucket: %s\n", tls.error().c_str());
    return 1;
  }
  server_options.tls = *tls;

  auto started = std::chrono::steady_clock::now();
  std::string endpoint;
  http::AdminHooks admin;
  admin.status_json = [&] {
    return StatusOf(c, **store, access_log, lifecycle, started, endpoint).dump(2);
  };
  admin.flush = [&](const std::optional<std::string>& bucket) { return access_log.Flush(bucket); };
  if (c.admin.allow_reset) {
    admin.reset = [&] {
      access_log.Reset();
      if (auto ok = (*store)->Reset(); !ok) spdlog::error("reset failed: {}", ok.error().message);
    };
  }
  http::Server server(server_options, service, access_log, admin);
  if (auto ok = server.Listen(); !ok) {
    std::fprintf(stderr, "logbucket: cannot listen on %s\n", ok.error().c_str());
    return 1;
  }
  endpoint = EndpointOf("http", c.server.listen_host, server.port());
  std::string https;        // " (and https://HOST:PORT)"
  std::string certificate;  // " certificate PATH"
  if (server_options.tls) {
    const std::string& tls_host =
        c.tls.separate_listener() ? c.tls.listen_host : c.server.listen_host;
    https = " (and " + EndpointOf("https", tls_host, server.tls_port()) + ")";
    certificate = " certificate " + server_options.tls->cert_file.string();
  }
  access_log.Start();
  lifecycle.Start();
  const auto& user = c.accounts.front().users.front();
  std::string version = config::Version();
  if (version.starts_with("logbucket ")) version.erase(0, std::string("logbucket ").size());
  std::printf("Logbucket %s ready: endpoint %s%s region %s access key %s secret key %s data %s%s\n",
              version.c_str(), endpoint.c_str(), https.c_str(), c.s3.region.c_str(),
              user.access_key.c_str(), user.secret_key.c_str(), c.storage.data_dir.c_str(),
              certificate.c_str());
  std::fflush(stdout);
  server.Run(true);
  lifecycle.Stop();
  access_log.Stop();  // delivers what is pending, like a last interval boundary
  spdlog::info("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "logbucket: fatal: %s\n", e.what());
    return 1;
  }
}
