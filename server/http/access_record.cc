#include "server/http/access_record.h"

#include <optional>

#include "server/s3/headers.h"

namespace logbucket::http {
namespace {

uint64_t MillisBetween(std::chrono::steady_clock::time_point from,
                       std::chrono::steady_clock::time_point to) {
  if (to <= from) return 0;
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(to - from).count());
}

std::string_view PathOf(std::string_view target) {
  if (target.starts_with("http://") || target.starts_with("https://")) {
    size_t authority = target.find("//") + 2;
    size_t slash = target.find('/', authority);
    target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
  }
  return target.substr(0, target.find('?'));
}

std::optional<std::string> HeaderValue(const s3::Headers& headers, std::string_view name) {
  auto value = headers.Get(name);
  return std::string(value.value_or(""));
}

}  // namespace

std::string_view HostnameOf(std::string_view host_header) {
  if (host_header.starts_with('[')) {
    size_t close = host_header.find(']');
    if (close != std::string_view::npos) return host_header.substr(1, close - 1);
    return host_header;
  }
  size_t colon = host_header.rfind(':');
  // More than one colon: a bare IPv6 address, no port.
  if (colon != std::string_view::npos && host_header.find(':') == colon) {
    return host_header.substr(0, colon);
  }
  return host_header;
}

bool IsVirtualHosted(std::string_view host_header, std::string_view virtual_host_domain) {
  std::string_view hostname = HostnameOf(host_header);
  if (virtual_host_domain.empty() || hostname.size() < virtual_host_domain.size() + 2) {
    return false;
  }
  std::string_view suffix = hostname.substr(hostname.size() - virtual_host_domain.size());
  return hostname[hostname.size() - virtual_host_domain.size() - 1] == '.' &&
         s3::EqualsIgnoreCase(suffix, virtual_host_domain);
}

std::string RawKeyFromTarget(std::string_view target, bool virtual_hosted) {
  std::string_view path = PathOf(target);
  if (!path.starts_with('/')) return "";
  path.remove_prefix(1);
  if (virtual_hosted) return std::string(path);
  size_t slash = path.find('/');
  if (slash == std::string_view::npos) return "";
  return std::string(path.substr(slash + 1));
}

std::vector<logging::AccessLogRecord> BuildAccessLogRecords(
    const s3::RequestHead& head, const s3::Response& response,
    const ExchangeMeasurements& measurements, std::string_view virtual_host_domain) {
  std::vector<logging::AccessLogRecord> records;
  const s3::LogFacts& log = response.log;
  std::string host_header(head.headers.Get("Host").value_or(""));
  std::string request_uri = head.method + " " + head.target + " " + head.http_version;
  uint64_t total_ms =
      MillisBetween(measurements.first_request_byte, measurements.last_response_byte);
  uint64_t turn_around_ms =
      MillisBetween(measurements.last_request_byte, measurements.first_response_byte);

  // Fields every record of the request shares (same request, same connection).
  logging::AccessLogRecord common;
  common.time = head.received_at;
  common.remote_ip = head.remote_ip;
  common.requester = log.requester;
  common.request_id = head.request_id;
  common.host_id = head.host_id;
  common.signature_version = log.signature_version;
  common.cipher_suite = head.tls_cipher;
  common.auth_type = log.auth_type;
  common.host_header = host_header;
  common.tls_version = head.tls_version;

  if (!log.bucket.empty()) {
    // The common fields are copied only when extra records need them too.
    logging::AccessLogRecord record = log.extra.empty() ? std::move(common) : common;
    record.bucket_owner = log.bucket_owner_canonical_id;
    record.bucket = log.bucket;
    record.operation = log.operation;
    if (!log.key.empty()) {
      record.key = RawKeyFromTarget(head.target, IsVirtualHosted(host_header, virtual_host_domain));
      // A key the path does not carry (none of today's operations) is logged as decoded.
      if (record.key.empty()) record.key = log.key;
    }
    record.request_uri = request_uri;
    record.http_status = response.status;
    record.error_code = response.error_code;
    record.bytes_sent = head.method == "HEAD" ? response.body.size() : measurements.body_bytes_sent;
    record.object_size = log.object_size;
    record.total_time_ms = total_ms;
    record.turn_around_time_ms = turn_around_ms;
    record.referer = HeaderValue(head.headers, "Referer");
    record.user_agent = HeaderValue(head.headers, "User-Agent");
    record.version_id = log.version_id;
    record.acl_required = log.acl_required;
    records.push_back(std::move(record));
  }

  for (const s3::ExtraLogRecord& extra : log.extra) {
    if (extra.bucket.empty()) continue;
    logging::AccessLogRecord record = common;
    record.bucket_owner = extra.bucket_owner_canonical_id;
    record.bucket = extra.bucket;
    record.operation = extra.operation;
    record.key = extra.key;
    record.version_id = extra.version_id;
    record.http_status = extra.http_status;
    record.error_code = extra.error_code;
    record.object_size = extra.object_size;
    if (extra.batch_style) {
      record.request_uri = std::nullopt;
      record.bytes_sent = 0;
      record.object_size = std::nullopt;
      record.total_time_ms = std::nullopt;
      record.turn_around_time_ms = std::nullopt;
      record.referer = std::nullopt;
      record.user_agent = std::nullopt;
    } else {
      record.request_uri = request_uri;
      record.total_time_ms = total_ms;
      record.turn_around_time_ms = turn_around_ms;
      record.referer = HeaderValue(head.headers, "Referer");
      record.user_agent = HeaderValue(head.headers, "User-Agent");
    }
    records.push_back(std::move(record));
  }
  return records;
}

}  // namespace logbucket::http
