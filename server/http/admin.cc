#include "server/http/admin.h"

#include <exception>
#include <nlohmann/json.hpp>
#include <optional>

#include "server/http/access_record.h"

namespace logbucket::http {
namespace {

using Json = nlohmann::json;

s3::Response JsonResponse(int status, std::string body) {
  s3::Response response;
  response.status = status;
  response.headers.Add("Content-Type", "application/json");
  response.body = std::move(body);
  return response;
}

s3::Response JsonResponse(int status, const Json& body) {
  return JsonResponse(status, body.dump());
}

s3::Response ErrorResponse(int status, std::string message) {
  return JsonResponse(status, Json{{"error", std::move(message)}});
}

s3::Response MethodNotAllowed(std::string_view allow) {
  s3::Response response = ErrorResponse(405, "method not allowed; use " + std::string(allow));
  response.headers.Add("Allow", std::string(allow));
  return response;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The decoded value of the first `name` parameter of a query string.
std::optional<std::string> QueryParameter(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    size_t eq = pair.find('=');
    if (pair.substr(0, eq) == name) {
      return eq == std::string_view::npos ? std::string() : DecodeQueryValue(pair.substr(eq + 1));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

s3::Response Flush(std::string_view query, const AdminHooks& hooks) {
  if (!hooks.flush) return ErrorResponse(501, "flush is not available in this server");
  std::optional<std::string> bucket = QueryParameter(query, "bucket");
  if (bucket && bucket->empty()) bucket.reset();  // "?bucket=" means every bucket
  logging::FlushResult result = hooks.flush(bucket);
  return JsonResponse(200, Json{{"flushed", result.keys_written}, {"problems", result.problems}});
}

s3::Response Reset(const AdminHooks& hooks) {
  if (!hooks.reset) {
    return ErrorResponse(403,
                         "reset is disabled; set admin.allow_reset = true in the configuration "
                         "to allow it");
  }
  hooks.reset();
  return JsonResponse(200, Json{{"reset", true}});
}

s3::Response Dispatch(std::string_view method, std::string_view path, std::string_view query,
                      const AdminHooks& hooks) {
  if (path == "/_logbucket/health") {
    if (method != "GET" && method != "HEAD") return MethodNotAllowed("GET, HEAD");
    return JsonResponse(200, Json{{"status", "ok"}});
  }
  if (path == "/_logbucket/status") {
    if (method != "GET" && method != "HEAD") return MethodNotAllowed("GET, HEAD");
    if (!hooks.status_json) return ErrorResponse(501, "status is not available in this server");
    return JsonResponse(200, hooks.status_json());
  }
  if (path == "/_logbucket/flush") {
    if (method != "POST") return MethodNotAllowed("POST");
    return Flush(query, hooks);
  }
  if (path == "/_logbucket/reset") {
    if (method != "POST") return MethodNotAllowed("POST");
    return Reset(hooks);
  }
  return ErrorResponse(404, "no admin endpoint " + std::string(path) +
                                "; try /_logbucket/health, status, flush or reset");
}

}  // namespace

bool IsAdminRequest(std::string_view target, std::string_view host_header,
                    std::string_view virtual_host_domain) {
  return target.starts_with(kAdminPrefix) && !IsVirtualHosted(host_header, virtual_host_domain);
}

std::string DecodeQueryValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    if (c == '%' && i + 2 < value.size()) {
      int hi = HexValue(value[i + 1]);
      int lo = HexValue(value[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += c == '+' ? ' ' : c;
  }
  return out;
}

s3::Response HandleAdminRequest(std::string_view method, std::string_view target,
                                const AdminHooks& hooks) {
  size_t question = target.find('?');
  std::string_view path = target.substr(0, question);
  std::string_view query =
      question == std::string_view::npos ? std::string_view() : target.substr(question + 1);
  try {
    return Dispatch(method, path, query, hooks);
  } catch (const std::exception& e) {
    return ErrorResponse(500, std::string("admin request failed: ") + e.what());
  }
}

}  // namespace logbucket::http
