// Admin endpoints under /_logbucket/ (health, status, flush, reset): JSON answers, never logged,
// never routed to the S3 layer. A request is an admin request when its path starts with
// "/_logbucket/" and its Host does not name a virtual-hosted bucket (bucket names cannot start
// with '_', so the prefix is free on path-style requests only).
// Thread-safety: pure functions apart from the hooks they call, which main makes thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "server/http/server.h"
#include "server/s3/response.h"

namespace logbucket::http {

inline constexpr std::string_view kAdminPrefix = "/_logbucket/";

bool IsAdminRequest(std::string_view target, std::string_view host_header,
                    std::string_view virtual_host_domain);

// Percent-decodes a query-string value ("a%2Db" -> "a-b"; '+' is a space). Malformed escapes
// are kept as they are.
std::string DecodeQueryValue(std::string_view value);

// Answers one admin request: 200 with the endpoint's JSON, 403 for a refused reset, 404 for an
// unknown path, 405 (with Allow) for a wrong method, 500 when a hook throws. Content-Type is
// application/json; the response carries no log facts.
s3::Response HandleAdminRequest(std::string_view method, std::string_view target,
                                const AdminHooks& hooks);

}  // namespace logbucket::http
