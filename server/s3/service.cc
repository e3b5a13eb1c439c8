#include "server/s3/service.h"

#include <spdlog/spdlog.h>

#include "server/s3/auth.h"
#include "server/s3/authorize.h"
#include "server/s3/body_receiver.h"
#include "server/s3/object_headers.h"
#include "server/s3/operation.h"
#include "server/s3/xml/error_xml.h"
#include "server/s3/xml/logging_xml.h"

namespace logbucket::s3 {
namespace {

constexpr uint64_t kMaxXmlBody = 4ull << 20;  // a 1000-key Delete document fits comfortably

std::shared_ptr<spdlog::logger> Log() {
  static auto logger = [] {
    auto l = spdlog::get("s3");
    return l ? l : spdlog::default_logger()->clone("s3");
  }();
  return logger;
}

bool ValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return false;
    }
    if (n == 2 && c < 0xC2) return false;  // overlong
    i += n;
  }
  return true;
}

// Host header without the port, lower case.
std::string HostName(const RequestHead& head) {
  auto host = head.headers.Get("host");
  if (!host) return "";
  std::string_view h = *host;
  if (!h.empty() && h.front() == '[') {
    auto close = h.find(']');
    return ToLower(h.substr(0, close == std::string_view::npos ? h.size() : close + 1));
  }
  auto colon = h.rfind(':');
  if (colon != std::string_view::npos) h = h.substr(0, colon);
  return ToLower(h);
}

std::expected<Target, S3Error> ResolveTarget(const ServiceOptions& options,
                                             const RequestHead& head, std::string_view raw_path) {
  auto path = sigv4::UriDecode(raw_path);
  if (!path || path->empty() || path->front() != '/') {
    return std::unexpected(S3Error(ErrorCode::kInvalidURI));
  }
  Target t;
  std::string host = HostName(head);
  std::string suffix = "." + options.virtual_host_domain;
  std::string_view rest = std::string_view(*path).substr(1);
  if (!options.virtual_host_domain.empty() && host.size() > suffix.size() &&
      host.ends_with(suffix)) {
    t.virtual_hosted = true;
    t.bucket = host.substr(0, host.size() - suffix.size());
    t.kind = rest.empty() ? Target::Kind::kBucket : Target::Kind::kObject;
    t.key = std::string(rest);
  } else if (rest.empty()) {
    t.kind = Target::Kind::kService;
  } else {
    auto slash = rest.find('/');
    t.bucket = std::string(rest.substr(0, slash));
    if (slash == std::string_view::npos || slash + 1 == rest.size()) {
      t.kind = Target::Kind::kBucket;
    } else {
      t.kind = Target::Kind::kObject;
      t.key = std::string(rest.substr(slash + 1));
    }
  }
  if (t.kind == Target::Kind::kObject) {
    if (t.key.size() > 1024) {
      return std::unexpected(S3Error(ErrorCode::kKeyTooLongError)
                                 .With("MaxSizeAllowed", "1024")
                                 .With("Size", std::to_string(t.key.size())));
    }
    if (!ValidUtf8(t.key)) return std::unexpected(S3Error(ErrorCode::kInvalidURI));
  }
  return t;
}

}  // namespace

ServiceState::ServiceState(ServiceOptions o, storage::SqliteStore& s,
                           logging::AccessLogService& a)
    : options(std::move(o)), store(s), access_log(a) {
  for (const auto& account : options.accounts) {
    accounts_by_id[account.id] = &account;
    for (const auto& user : account.users) keys[user.access_key] = {&account, &user};
  }
}

const Account* ServiceState::AccountById(std::string_view id) const {
  auto it = accounts_by_id.find(std::string(id));
  return it == accounts_by_id.end() ? nullptr : it->second;
}

struct Service::State {
  ServiceState shared;
  State(ServiceOptions o, storage::SqliteStore& s, logging::AccessLogService& a)
      : shared(std::move(o), s, a) {}
};

namespace {

// Everything a request needs once routed; owned by the sink while the body arrives.
struct Exchange {
  RequestHead head;
  Target target;
  sigv4::QueryParams query;
  AuthResult auth;
  std::optional<storage::BucketRecord> bucket;
  const Route* route = nullptr;
  std::string operation;
  bool acl_required = false;  // an ACL grant is what authorised the request
};

void FillLogFacts(const ServiceState& state, const Exchange& x, LogFacts& log) {
  if (x.bucket) {
    log.bucket = x.bucket->name;
    log.bucket_owner_account_id = x.bucket->owner_account_id;
    if (const Account* owner = state.AccountById(x.bucket->owner_account_id)) {
      log.bucket_owner_canonical_id = owner->canonical_id;
    }
  }
  if (log.operation.empty()) log.operation = x.operation;
  if (log.key.empty()) log.key = x.target.key;
  log.requester = x.auth.requester;
  log.signature_version = x.auth.signature_version;
  log.auth_type = x.auth.auth_type;
  log.acl_required = log.acl_required || x.acl_required;
}

Response Finalize(const ServiceState& state, const Exchange& x, Response response) {
  response.headers.Set("x-amz-request-id", x.head.request_id);
  response.headers.Set("x-amz-id-2", x.head.host_id);
  FillLogFacts(state, x, response.log);
  return response;
}

// The IAM action a request needs: the route's, or its *Version* counterpart when the request
// names a version (GET/HEAD/DELETE of an object version, its ACL), as S3 authorises them.
std::string_view ActionFor(const Route& route, const sigv4::QueryParams& query) {
  bool names_version = false;
  for (const auto& [name, value] : query) names_version = names_version || name == "versionId";
  if (!names_version) return route.action;
  static constexpr std::pair<std::string_view, std::string_view> kVersionActions[] = {
      {"s3:GetObject", "s3:GetObjectVersion"},
      {"s3:DeleteObject", "s3:DeleteObjectVersion"},
      {"s3:GetObjectAcl", "s3:GetObjectVersionAcl"},
      {"s3:PutObjectAcl", "s3:PutObjectVersionAcl"}};
  for (const auto& [action, version_action] : kVersionActions) {
    if (route.action == action) return version_action;
  }
  return route.action;
}

// Whether a streamed body is encrypted as it arrives: a PutObject asking for AES256 (or, asking
// nothing, into a bucket whose default encrypts) and an UploadPart of an encrypted upload. The
// operation re-checks and encrypts afterwards whatever this could not decide (EncryptWrite).
storage::WriteOptions BodyWriteOptions(ServiceState& state, const Exchange& x) {
  storage::WriteOptions options;
  if (!x.bucket || x.head.headers.Has("x-amz-copy-source")) return options;
  if (x.route->handler == PutObject) {
    if (auto sse = x.head.headers.Get("x-amz-server-side-encryption")) {
      options.encrypt = *sse == "AES256";
    } else if (auto by_default = BucketDefaultEncrypts(state.store, x.bucket->name)) {
      options.encrypt = *by_default;
    }
  } else if (x.route->handler == UploadPart) {
    for (const auto& [name, value] : x.query) {
      if (name != "uploadId") continue;
      auto upload = state.store.GetUpload(x.bucket->name, x.target.key, value);
      options.encrypt = upload && !upload->sse_algorithm.empty();
    }
  }
  return options;
}

Response ErrorResponse(const ServiceState& state, const Exchange& x, S3Error error) {
  Response r;
  r.status = error.http_status();
  if (error.code == ErrorCode::kNotModified) {
    r.status = 304;
    return Finalize(state, x, std::move(r));
  }
  // Real S3 error bodies name the resource with a specific element (<Key>, <BucketName>...)
  // rather than <Resource>; callers add those, so the body size (logged as Bytes Sent) matches.
  r.error_code = std::string(error.code_name());
  r.headers.Set("Content-Type", "application/xml");
  r.body = xml::RenderError(error, x.head.request_id, x.head.host_id);
  if (error.code == ErrorCode::kMethodNotAllowed) r.headers.Set("Allow", "GET, PUT, HEAD, DELETE, POST");
  for (const auto& [name, value] : error.headers) r.headers.Set(name, value);
  return Finalize(state, x, std::move(r));
}

Response RunHandler(ServiceState& state, Exchange& x, UploadedBody* body) {
  LogFacts log;
  OpContext c{state, x.head, x.target, x.query, x.auth, x.bucket, log, body};
  // The record's Version Id field is the versionId the request named, as given.
  if (auto v = c.Query("versionId")) log.version_id = std::string(*v);
  OpResult result = [&]() -> OpResult {
    try {
      return x.route->handler(c);
    } catch (const std::exception& e) {
      Log()->error("{} {} failed: {}", x.head.method, x.head.target, e.what());
      return std::unexpected(S3Error(ErrorCode::kInternalError));
    }
  }();
  // The handler may have learnt or changed the bucket (CreateBucket) and the operation name.
  x.bucket = c.bucket;
  if (!log.operation.empty()) x.operation = log.operation;
  if (!result) {
    Response r = ErrorResponse(state, x, result.error());
    r.log.object_size = log.object_size;
    r.log.extra = std::move(log.extra);
    r.log.version_id = log.version_id;
    return r;
  }
  result->log = std::move(log);
  return Finalize(state, x, std::move(*result));
}

class OperationSink final : public BodySink {
 public:
  OperationSink(ServiceState& state, std::unique_ptr<Exchange> x,
                std::unique_ptr<BodyReceiver> receiver)
      : state_(state), x_(std::move(x)), receiver_(std::move(receiver)) {}

  std::expected<void, S3Error> Write(std::string_view bytes) override {
    return receiver_->Write(bytes);
  }

  Response Finish() override {
    auto body = receiver_->Finish();
    if (!body) return ErrorResponse(state_, *x_, body.error());
    return RunHandler(state_, *x_, &*body);
  }

  Response Abort(const S3Error& error) override {
    receiver_.reset();  // discards the temporary file
    return ErrorResponse(state_, *x_, error);
  }

 private:
  ServiceState& state_;
  std::unique_ptr<Exchange> x_;
  std::unique_ptr<BodyReceiver> receiver_;
};

}  // namespace

Service::Service(ServiceOptions options, storage::SqliteStore& store,
                 logging::AccessLogService& access_log)
    : state_(std::make_unique<State>(std::move(options), store, access_log)) {}

Service::~Service() = default;

const ServiceOptions& Service::options() const { return state_->shared.options; }

std::expected<void, std::string> Service::LoadLoggingConfigurations() {
  auto& s = state_->shared;
  auto settings = s.store.ListBucketSettings("logging");
  if (!settings) return std::unexpected("cannot read logging configurations: " +
                                        settings.error().message);
  for (const auto& [bucket, document] : *settings) {
    auto config = xml::ParseBucketLoggingStatus(document);
    auto record = s.store.GetBucket(bucket);
    if (!config || !record) {
      return std::unexpected("stored logging configuration of bucket " + bucket +
                             " is unreadable");
    }
    s.access_log.SetConfiguration(bucket, {record->owner_account_id, record->region}, *config);
  }
  return {};
}

Response Service::TransportError(const RequestHead& head, const S3Error& error) const {
  Exchange x;
  x.head = head;
  Response r = ErrorResponse(state_->shared, x, error);
  r.log = {};  // not routed, not logged
  return r;
}

Dispatch Service::Start(RequestHead head) {
  auto& state = state_->shared;
  auto x = std::make_unique<Exchange>();
  x->head = std::move(head);
  try {
    std::string_view target = x->head.target;
    auto qpos = target.find('?');
    std::string_view raw_path = target.substr(0, qpos);
    std::string_view raw_query =
        qpos == std::string_view::npos ? std::string_view() : target.substr(qpos + 1);
    auto query = sigv4::ParseQueryString(raw_query);
    if (!query) return {ErrorResponse(state, *x, S3Error(ErrorCode::kInvalidURI)), nullptr};
    x->query = std::move(*query);
    auto resolved = ResolveTarget(state.options, x->head, raw_path);
    if (!resolved) return {ErrorResponse(state, *x, resolved.error()), nullptr};
    x->target = std::move(*resolved);

    // The bucket's record, when it exists, makes the request loggable even if it then fails.
    if (x->target.kind != Target::Kind::kService) {
      auto bucket = state.store.GetBucket(x->target.bucket);
      if (bucket) {
        x->bucket = std::move(*bucket);
      } else if (bucket.error().code != storage::ErrorCode::kBucketNotFound) {
        return {ErrorResponse(state, *x, FromStorage(bucket.error())), nullptr};
      }
    }
    x->route = FindRoute(x->head.method, x->target.kind, x->query, &x->operation);
    if (x->route) x->operation = std::string(x->route->operation);

    std::string sigv2_resource = x->target.virtual_hosted
                                     ? "/" + x->target.bucket + std::string(raw_path)
                                     : std::string(raw_path);
    auto auth = Authenticate(state, x->head, raw_path, raw_query, x->query, sigv2_resource,
                             std::chrono::system_clock::now());
    if (!auth) return {ErrorResponse(state, *x, auth.error()), nullptr};
    x->auth = std::move(*auth);

    if (!x->route) {
      return {ErrorResponse(state, *x,
                            S3Error(ErrorCode::kNotImplemented,
                                    "This operation (" + x->operation +
                                        ") is not implemented by Logbucket.")),
              nullptr};
    }
    bool creates_bucket = x->route->handler == CreateBucket;
    if (x->target.kind != Target::Kind::kService && !creates_bucket && !x->bucket) {
      return {ErrorResponse(state, *x,
                            S3Error(ErrorCode::kNoSuchBucket).With("BucketName", x->target.bucket)),
              nullptr};
    }
    // Authorisation (authorize.h): the bucket policy, the bucket owner, then ACLs, as S3
    // evaluates them. Creating a bucket and listing one's own buckets need a signed request.
    // DeleteObjects (no route action) authorises each key itself.
    if (creates_bucket || x->target.kind == Target::Kind::kService) {
      if (x->auth.account == nullptr) {
        return {ErrorResponse(state, *x, S3Error(ErrorCode::kAccessDenied)), nullptr};
      }
    } else if (!x->route->action.empty()) {
      std::optional<std::string> key;
      if (x->target.kind == Target::Kind::kObject) key = x->target.key;
      auto allowed = Authorize(state, x->head, x->query, x->auth, *x->bucket,
                               ActionFor(*x->route, x->query), key, &x->acl_required);
      if (!allowed) return {ErrorResponse(state, *x, allowed.error()), nullptr};
    }
    if (auto expected = x->head.headers.Get("x-amz-expected-bucket-owner");
        expected && x->bucket && *expected != x->bucket->owner_account_id) {
      return {ErrorResponse(state, *x, S3Error(ErrorCode::kAccessDenied)), nullptr};
    }

    if (x->route->body == BodyMode::kNone) {
      return {RunHandler(state, *x, nullptr), nullptr};
    }
    uint64_t limit = x->route->body == BodyMode::kBuffered ? kMaxXmlBody : state.options.max_object_bytes;
    std::optional<storage::PendingWrite> file;
    if (x->route->body == BodyMode::kStreamed) {
      bool streaming = x->auth.payload == PayloadMode::kStreamingSigned ||
                       x->auth.payload == PayloadMode::kStreamingSignedTrailer ||
                       x->auth.payload == PayloadMode::kStreamingUnsignedTrailer;
      if (!x->head.content_length && !x->head.headers.Has("transfer-encoding")) {
        return {ErrorResponse(state, *x, S3Error(ErrorCode::kMissingContentLength)), nullptr};
      }
      if (!streaming && x->head.content_length && *x->head.content_length > limit) {
        return {ErrorResponse(state, *x,
                              S3Error(ErrorCode::kEntityTooLarge)
                                  .With("ProposedSize", std::to_string(*x->head.content_length))
                                  .With("MaxSizeAllowed", std::to_string(limit))),
                nullptr};
      }
      auto pending = state.store.BeginWrite(BodyWriteOptions(state, *x));
      if (!pending) return {ErrorResponse(state, *x, FromStorage(pending.error())), nullptr};
      file = std::move(*pending);
    }
    auto receiver = BodyReceiver::Create(x->head, x->auth, std::move(file), limit);
    if (!receiver) return {ErrorResponse(state, *x, receiver.error()), nullptr};
    return {std::nullopt,
            std::make_unique<OperationSink>(state, std::move(x), std::move(*receiver))};
  } catch (const std::exception& e) {
    Log()->error("request {} {} failed: {}", x->head.method, x->head.target, e.what());
    return {ErrorResponse(state, *x, S3Error(ErrorCode::kInternalError)), nullptr};
  }
}

}  // namespace logbucket::s3
