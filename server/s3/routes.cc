// The route table: one row per operation (method, resource kind, selecting sub-resource,
// access-log operation name, IAM action, handler, body mode), and helpers shared by the operations.
#include <array>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>

#include "server/s3/operation.h"

namespace logbucket::s3 {
namespace {

using K = Target::Kind;

constexpr Route kRoutes[] = {
    {"GET", K::kService, "", "REST.GET.SERVICE", "s3:ListAllMyBuckets", ListBuckets},

    {"PUT", K::kBucket, "", "REST.PUT.BUCKET", "s3:CreateBucket", CreateBucket,
     BodyMode::kBuffered},
    {"HEAD", K::kBucket, "", "REST.HEAD.BUCKET", "s3:ListBucket", HeadBucket},
    {"DELETE", K::kBucket, "", "REST.DELETE.BUCKET", "s3:DeleteBucket", DeleteBucket},
    {"GET", K::kBucket, "", "REST.GET.BUCKET", "s3:ListBucket", ListObjects},
    {"GET", K::kBucket, "location", "REST.GET.LOCATION", "s3:GetBucketLocation", GetBucketLocation},
    {"GET", K::kBucket, "uploads", "REST.GET.UPLOADS", "s3:ListBucketMultipartUploads",
     ListMultipartUploads},
    {"POST", K::kBucket, "delete", "REST.POST.MULTI_OBJECT_DELETE", "", DeleteObjects,
     BodyMode::kBuffered},
    {"GET", K::kBucket, "versioning", "REST.GET.VERSIONING", "s3:GetBucketVersioning",
     GetBucketVersioning},
    {"PUT", K::kBucket, "versioning", "REST.PUT.VERSIONING", "s3:PutBucketVersioning",
     PutBucketVersioning, BodyMode::kBuffered},
    {"GET", K::kBucket, "versions", "REST.GET.BUCKETVERSIONS", "s3:ListBucketVersions",
     ListObjectVersions},
    {"PUT", K::kBucket, "lifecycle", "REST.PUT.LIFECYCLE", "s3:PutLifecycleConfiguration",
     PutBucketLifecycleConfiguration, BodyMode::kBuffered},
    {"GET", K::kBucket, "lifecycle", "REST.GET.LIFECYCLE", "s3:GetLifecycleConfiguration",
     GetBucketLifecycleConfiguration},
    {"DELETE", K::kBucket, "lifecycle", "REST.DELETE.LIFECYCLE", "s3:PutLifecycleConfiguration",
     DeleteBucketLifecycle},
    {"PUT", K::kBucket, "logging", "REST.PUT.LOGGING_STATUS", "s3:PutBucketLogging",
     PutBucketLogging, BodyMode::kBuffered},
    {"GET", K::kBucket, "logging", "REST.GET.LOGGING_STATUS", "s3:GetBucketLogging",
     GetBucketLogging},
    {"POST", K::kBucket, "logging", "REST.POST.LOGGING_STATUS", "s3:PutBucketLogging",
     PostBucketLogging},
    {"PUT", K::kBucket, "policy", "REST.PUT.BUCKETPOLICY", "s3:PutBucketPolicy", PutBucketPolicy,
     BodyMode::kBuffered},
    {"GET", K::kBucket, "policy", "REST.GET.BUCKETPOLICY", "s3:GetBucketPolicy", GetBucketPolicy},
    {"DELETE", K::kBucket, "policy", "REST.DELETE.BUCKETPOLICY", "s3:DeleteBucketPolicy",
     DeleteBucketPolicy},
    {"PUT", K::kBucket, "acl", "REST.PUT.ACL", "s3:PutBucketAcl", PutBucketAcl,
     BodyMode::kBuffered},
    {"GET", K::kBucket, "acl", "REST.GET.ACL", "s3:GetBucketAcl", GetBucketAcl},
    {"PUT", K::kBucket, "ownershipControls", "REST.PUT.OWNERSHIP_CONTROLS",
     "s3:PutBucketOwnershipControls", PutBucketOwnershipControls, BodyMode::kBuffered},
    {"GET", K::kBucket, "ownershipControls", "REST.GET.OWNERSHIP_CONTROLS",
     "s3:GetBucketOwnershipControls", GetBucketOwnershipControls},
    {"DELETE", K::kBucket, "ownershipControls", "REST.DELETE.OWNERSHIP_CONTROLS",
     "s3:PutBucketOwnershipControls", DeleteBucketOwnershipControls},
    {"PUT", K::kBucket, "encryption", "REST.PUT.ENCRYPTION", "s3:PutEncryptionConfiguration",
     PutBucketEncryption, BodyMode::kBuffered},
    {"GET", K::kBucket, "encryption", "REST.GET.ENCRYPTION", "s3:GetEncryptionConfiguration",
     GetBucketEncryption},
    {"DELETE", K::kBucket, "encryption", "REST.DELETE.ENCRYPTION", "s3:PutEncryptionConfiguration",
     DeleteBucketEncryption},

    {"PUT", K::kObject, "", "REST.PUT.OBJECT", "s3:PutObject", PutObject, BodyMode::kStreamed},
    {"GET", K::kObject, "", "REST.GET.OBJECT", "s3:GetObject", GetObject},
    {"HEAD", K::kObject, "", "REST.HEAD.OBJECT", "s3:GetObject", HeadObject},
    {"DELETE", K::kObject, "", "REST.DELETE.OBJECT", "s3:DeleteObject", DeleteObject},
    {"POST", K::kObject, "uploads", "REST.POST.UPLOADS", "s3:PutObject", CreateMultipartUpload},
    {"PUT", K::kObject, "uploadId", "REST.PUT.PART", "s3:PutObject", UploadPart,
     BodyMode::kStreamed},
    {"POST", K::kObject, "uploadId", "REST.POST.UPLOAD", "s3:PutObject", CompleteMultipartUpload,
     BodyMode::kBuffered},
    {"DELETE", K::kObject, "uploadId", "REST.DELETE.UPLOAD", "s3:AbortMultipartUpload",
     AbortMultipartUpload},
    {"GET", K::kObject, "uploadId", "REST.GET.UPLOAD", "s3:ListMultipartUploadParts", ListParts},
    {"PUT", K::kObject, "acl", "REST.PUT.ACL", "s3:PutObjectAcl", PutObjectAcl,
     BodyMode::kBuffered},
    {"GET", K::kObject, "acl", "REST.GET.ACL", "s3:GetObjectAcl", GetObjectAcl},
    {"GET", K::kObject, "logging", "REST.GET.LOGGING_STATUS", "s3:GetBucketLogging",
     KeyLoggingStatus},
    {"PUT", K::kObject, "logging", "REST.PUT.LOGGING_STATUS", "s3:PutBucketLogging",
     KeyLoggingStatus},
};

struct KnownSubresource {
  std::string_view query_name;
  std::string_view log_name;  // REST.<METHOD>.<log_name> when not implemented
};

// Sub-resources in the order they take precedence; the log names are Amazon's.
constexpr KnownSubresource kBucketSubresources[] = {
    {"logging", "LOGGING_STATUS"},
    {"uploads", "UPLOADS"},
    {"delete", "MULTI_OBJECT_DELETE"},
    {"location", "LOCATION"},
    {"policy", "BUCKETPOLICY"},
    {"policyStatus", "POLICY_STATUS"},
    {"acl", "ACL"},
    {"ownershipControls", "OWNERSHIP_CONTROLS"},
    {"versioning", "VERSIONING"},
    {"versions", "BUCKETVERSIONS"},
    {"cors", "CORS"},
    {"lifecycle", "LIFECYCLE"},
    {"encryption", "ENCRYPTION"},
    {"tagging", "TAGGING"},
    {"website", "WEBSITE"},
    {"notification", "NOTIFICATION"},
    {"replication", "REPLICATION"},
    {"requestPayment", "REQUEST_PAYMENT"},
    {"accelerate", "ACCELERATE"},
    {"analytics", "ANALYTICS"},
    {"metrics", "METRICS"},
    {"inventory", "INVENTORY"},
    {"intelligent-tiering", "INTELLIGENT_TIERING"},
    {"object-lock", "OBJECT_LOCK_CONFIGURATION"},
    {"publicAccessBlock", "PUBLIC_ACCESS_BLOCK"},
};

constexpr KnownSubresource kObjectSubresources[] = {
    {"uploadId", "UPLOAD"},        {"uploads", "UPLOADS"},
    {"logging", "LOGGING_STATUS"}, {"acl", "ACL"},
    {"tagging", "OBJECT_TAGGING"}, {"attributes", "OBJECT_ATTRIBUTES"},
    {"legal-hold", "LEGAL_HOLD"},  {"retention", "RETENTION"},
    {"restore", "RESTORE"},        {"select", "SELECT"},
    {"torrent", "TORRENT"},
    // UpdateObjectEncryption (2026): not implemented, and must not fall through to PutObject.
    // Its log name is not documented; OBJECT_ENCRYPTION follows OBJECT_TAGGING.
    {"encryption", "OBJECT_ENCRYPTION"},
};

bool HasParam(const sigv4::QueryParams& query, std::string_view name) {
  for (const auto& [n, v] : query) {
    if (n == name) return true;
  }
  return false;
}

}  // namespace

const Route* FindRoute(std::string_view method, Target::Kind kind, const sigv4::QueryParams& query,
                       std::string* operation_if_unimplemented) {
  std::string_view sub;
  std::string_view sub_log;
  if (kind == K::kBucket) {
    for (const auto& s : kBucketSubresources) {
      if (HasParam(query, s.query_name)) {
        sub = s.query_name;
        sub_log = s.log_name;
        break;
      }
    }
  } else if (kind == K::kObject) {
    for (const auto& s : kObjectSubresources) {
      if (HasParam(query, s.query_name)) {
        sub = s.query_name;
        sub_log = s.log_name;
        break;
      }
    }
  }
  for (const auto& route : kRoutes) {
    if (route.method == method && route.kind == kind && route.subresource == sub) return &route;
  }
  std::string resource = std::string(sub_log);
  if (resource.empty()) {
    resource = kind == K::kService ? "SERVICE" : kind == K::kBucket ? "BUCKET" : "OBJECT";
  }
  *operation_if_unimplemented = "REST." + std::string(method) + "." + resource;
  return nullptr;
}

std::optional<std::string_view> OpContext::Query(std::string_view name) const {
  for (const auto& [n, v] : query) {
    if (n == name) return std::string_view(v);
  }
  return std::nullopt;
}

std::string OpContext::Resource() const {
  if (target.kind == K::kService) return "/";
  if (target.kind == K::kBucket) return "/" + target.bucket;
  return "/" + target.bucket + "/" + target.key;
}

Response XmlResponse(int status, std::string body) {
  Response r;
  r.status = status;
  r.headers.Set("Content-Type", "application/xml");
  r.body = std::move(body);
  return r;
}

Response EmptyResponse(int status) {
  Response r;
  r.status = status;
  return r;
}

namespace {
constexpr std::array<const char*, 7> kDays = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
}  // namespace

std::string HttpDate(int64_t ms_since_epoch) {
  using namespace std::chrono;
  // Civil-calendar arithmetic rather than gmtime_r + snprintf: glibc's gmtime_r takes the
  // time-zone lock, and this runs for every object response (Last-Modified).
  const sys_seconds t{seconds(ms_since_epoch / 1000)};  // truncated, as time_t was
  const sys_days day = floor<days>(t);
  const year_month_day ymd{day};
  const int year = static_cast<int>(ymd.year());
  const hh_mm_ss hms{t - day};
  const unsigned weekday = std::chrono::weekday(day).c_encoding();
  if (year < 0 || year > 9999) {
    char buf[64];
    snprintf(buf, sizeof(buf), "%s, %02u %s %04d %02d:%02d:%02d GMT", kDays[weekday],
             static_cast<unsigned>(ymd.day()), kMonths[static_cast<unsigned>(ymd.month()) - 1],
             year, static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
             static_cast<int>(hms.seconds().count()));
    return buf;
  }
  std::string out = "Thu, 01 Jan 1970 00:00:00 GMT";
  auto put = [&out](size_t at, unsigned value, int width) {
    for (int i = width - 1; i >= 0; --i, value /= 10) {
      out[at + static_cast<size_t>(i)] = static_cast<char>('0' + value % 10);
    }
  };
  out.replace(0, 3, kDays[weekday]);
  put(5, static_cast<unsigned>(ymd.day()), 2);
  out.replace(8, 3, kMonths[static_cast<unsigned>(ymd.month()) - 1]);
  put(12, static_cast<unsigned>(year), 4);
  put(17, static_cast<unsigned>(hms.hours().count()), 2);
  put(20, static_cast<unsigned>(hms.minutes().count()), 2);
  put(23, static_cast<unsigned>(hms.seconds().count()), 2);
  return out;
}

std::optional<int64_t> ParseHttpDate(std::string_view text) {
  // RFC 7231 IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"; also ISO 8601 "1994-11-06T08:49:37Z".
  std::string s(text);
  struct tm tm {};
  const char* end = strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') {
    tm = {};
    end = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
    if (end == nullptr) return std::nullopt;
    if (*end == '.') {
      ++end;
      while (*end >= '0' && *end <= '9') ++end;
    }
    if (*end != 'Z' || end[1] != '\0') return std::nullopt;
  }
  // Years outside 1970..9999 are not dates a client means (and would overflow time points).
  if (tm.tm_year < 70 || tm.tm_year > 8099) return std::nullopt;
  const int64_t ms = static_cast<int64_t>(timegm(&tm)) * 1000;
  // Callers make a system_clock time point of it, which counts nanoseconds in 64 bits and so
  // ends on 2262-04-11.
  if (ms > std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::duration::max())
               .count()) {
    return std::nullopt;
  }
  return ms;
}

bool ValidRegionName(std::string_view name) {
  if (name.size() < 5 || name.size() > 32) return false;
  int parts = 1;
  for (char c : name) {
    if (c == '-') {
      ++parts;
    } else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
      return false;
    }
  }
  return parts >= 3 && name.front() != '-' && name.back() >= '0' && name.back() <= '9';
}

bool ValidBucketName(std::string_view name) {
  // S3's general purpose bucket naming rules.
  if (name.size() < 3 || name.size() > 63) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(name.front()) || !alnum(name.back())) return false;
  int dots = 0;
  bool all_digits_or_dots = true;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (!alnum(c) && c != '-' && c != '.') return false;
    if (c == '.') {
      ++dots;
      if (i > 0 && (name[i - 1] == '.' || name[i - 1] == '-')) return false;
      if (i + 1 < name.size() && name[i + 1] == '-') return false;
    } else if (!(c >= '0' && c <= '9')) {
      all_digits_or_dots = false;
    }
  }
  if (dots == 3 && all_digits_or_dots) return false;  // formatted like an IP address
  if (name.starts_with("xn--") || name.starts_with("sthree-") || name.starts_with("amzn-s3-demo-"))
    return false;
  if (name.ends_with("-s3alias") || name.ends_with("--ol-s3") || name.ends_with(".mrap") ||
      name.ends_with("--x-s3"))
    return false;
  return true;
}

}  // namespace logbucket::s3
