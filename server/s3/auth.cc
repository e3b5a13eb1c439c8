#include "server/s3/auth.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "server/s3/checksum.h"
#include "server/s3/sigv2.h"

namespace logbucket::s3 {
namespace {

using std::chrono::system_clock;

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

// A SigV4 signing key and an HMAC-SHA256 state already keyed with it. Computing a request's
// signature from a copy of that state costs a fraction of a one-shot HMAC, which fetches the
// HMAC and SHA-256 implementations from OpenSSL's provider store on every call.
// Thread-safety: immutable once built; Signature() may be called from any thread.
class SigningKey {
 public:
  SigningKey(std::string key) : key_(std::move(key)) {
    static EVP_MAC* const hmac = EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_HMAC, nullptr);
    if (hmac == nullptr) return;
    EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(hmac);
    std::array<char, 7> digest{"SHA256"};
    std::array<OSSL_PARAM, 2> params{
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest.data(), 0),
        OSSL_PARAM_construct_end()};
    if (ctx != nullptr &&
        EVP_MAC_init(ctx, reinterpret_cast<const unsigned char*>(key_.data()), key_.size(),
                     params.data()) == 1) {
      keyed_ = ctx;
    } else {
      EVP_MAC_CTX_free(ctx);
    }
  }
  ~SigningKey() { EVP_MAC_CTX_free(keyed_); }
  SigningKey(const SigningKey&) = delete;
  SigningKey& operator=(const SigningKey&) = delete;

  const std::string& key() const { return key_; }

  // Same value as sigv4::Signature(key(), string_to_sign).
  std::string Signature(std::string_view string_to_sign) const {
    EVP_MAC_CTX* ctx = keyed_ ? EVP_MAC_CTX_dup(keyed_) : nullptr;
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    size_t size = 0;
    bool ok = ctx != nullptr &&
              EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(string_to_sign.data()),
                             string_to_sign.size()) == 1 &&
              EVP_MAC_final(ctx, mac.data(), &size, mac.size()) == 1;
    EVP_MAC_CTX_free(ctx);
    if (!ok) return sigv4::Signature(key_, string_to_sign);
    return HexEncode(std::string_view(reinterpret_cast<const char*>(mac.data()), size));
  }

 private:
  std::string key_;
  EVP_MAC_CTX* keyed_ = nullptr;  // nullptr when OpenSSL refused: Signature() falls back
};

// SigV4 signing keys depend only on (secret, date, region, service): a client signs every request
// of a day with the same key, so deriving it once per day saves four HMACs on every request
// (more than half of the verification's cost). Bounded: when full, one arbitrary entry makes
// room, so hostile scopes (any region is accepted) cannot grow it. The secrets it holds are
// already in the process's configuration.
// Thread-safety: thread-safe.
class SigningKeyCache {
 public:
  static constexpr size_t kMaxEntries = 256;

  std::shared_ptr<const SigningKey> Get(std::string_view secret_key,
                                        const sigv4::Credential& credential) {
    // The secret is length-prefixed and the scope parts cannot contain '/' (they were split on
    // it), so two different tuples never share an id.
    std::string id = std::to_string(secret_key.size());
    id.append(":").append(secret_key).append("/").append(credential.date).append("/");
    id.append(credential.region).append("/").append(credential.service);
    {
      std::lock_guard lock(mutex_);
      if (auto it = keys_.find(id); it != keys_.end()) return it->second;
    }
    auto key = std::make_shared<const SigningKey>(sigv4::SigningKey(secret_key, credential));
    std::lock_guard lock(mutex_);
    if (keys_.size() >= kMaxEntries) keys_.erase(keys_.begin());
    keys_.emplace(std::move(id), key);
    return key;
  }

 private:
  std::mutex mutex_;  // guards keys_
  std::unordered_map<std::string, std::shared_ptr<const SigningKey>> keys_;
};

std::shared_ptr<const SigningKey> CachedSigningKey(std::string_view secret_key,
                                                   const sigv4::Credential& credential) {
  static SigningKeyCache cache;
  return cache.Get(secret_key, credential);
}

bool IsHex64(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::expected<PayloadMode, S3Error> PayloadModeOf(std::string_view content_sha256) {
  if (content_sha256 == "UNSIGNED-PAYLOAD") return PayloadMode::kUnsigned;
  if (content_sha256 == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD") return PayloadMode::kStreamingSigned;
  if (content_sha256 == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER")
    return PayloadMode::kStreamingSignedTrailer;
  if (content_sha256 == "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
    return PayloadMode::kStreamingUnsignedTrailer;
  if (content_sha256.starts_with("STREAMING-AWS4-ECDSA"))
    return std::unexpected(S3Error(ErrorCode::kNotImplemented,
                                   "SigV4a (ECDSA) streaming signatures are not implemented."));
  if (IsHex64(content_sha256)) return PayloadMode::kSignedHash;
  return std::unexpected(S3Error(ErrorCode::kInvalidArgument,
                                 "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, "
                                 "STREAMING-UNSIGNED-PAYLOAD-TRAILER, "
                                 "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, "
                                 "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, or a valid "
                                 "sha256 value.")
                             .With("ArgumentName", "x-amz-content-sha256")
                             .With("ArgumentValue", std::string(content_sha256)));
}

std::string RequesterArn(const Account& account, const User& user) {
  return "arn:aws:iam::" + account.id + ":user/" + user.name;
}

// The identity part of a successful authentication.
AuthResult Identified(const Account& account, const User& user, std::string signature_version,
                      std::string auth_type, PayloadMode payload) {
  AuthResult result;
  result.account = &account;
  result.user = &user;
  result.requester = RequesterArn(account, user);
  result.signature_version = std::move(signature_version);
  result.auth_type = std::move(auth_type);
  result.payload = payload;
  return result;
}

S3Error SignatureMismatch(const sigv4::Credential& credential, std::string_view string_to_sign,
                          std::string_view provided, std::string_view canonical_request) {
  S3Error e(ErrorCode::kSignatureDoesNotMatch);
  e.With("AWSAccessKeyId", credential.access_key)
      .With("StringToSign", std::string(string_to_sign))
      .With("SignatureProvided", std::string(provided))
      .With("CanonicalRequest", std::string(canonical_request));
  return e;
}

// Checks the credential scope against the server's region and the request date.
std::expected<void, S3Error> CheckScope(const ServiceState& state,
                                        const sigv4::Credential& credential,
                                        std::string_view amz_date, ErrorCode malformed) {
  if (credential.service != "s3" || credential.terminator != "aws4_request") {
    return std::unexpected(S3Error(malformed, "The credential scope must end in s3/aws4_request."));
  }
  // Any region in the scope is accepted (the signature still covers it): buckets of several
  // regions live behind one endpoint, and clients sign with the region they are configured for.
  (void)state;
  if (amz_date.substr(0, 8) != credential.date) {
    return std::unexpected(
        S3Error(malformed, "The authorization header is malformed; Invalid credential date. Date "
                           "is not the same as X-Amz-Date."));
  }
  return {};
}

std::expected<std::pair<const Account*, const User*>, S3Error> LookupKey(
    const ServiceState& state, const std::string& access_key) {
  auto it = state.keys.find(access_key);
  if (it != state.keys.end()) return it->second;
  if (!state.options.verify_signatures && !state.options.accounts.empty() &&
      !state.options.accounts.front().users.empty()) {
    // accept-any: every key maps to the first account's first user.
    return std::pair{&state.options.accounts.front(), &state.options.accounts.front().users.front()};
  }
  return std::unexpected(
      S3Error(ErrorCode::kInvalidAccessKeyId).With("AWSAccessKeyId", access_key));
}

std::expected<AuthResult, S3Error> HeaderAuth(const ServiceState& state, const RequestHead& head,
                                              std::string_view authorization,
                                              std::string_view raw_path, std::string_view raw_query,
                                              system_clock::time_point now) {
  auto parsed = sigv4::ParseAuthorizationHeader(authorization);
  if (!parsed) {
    return std::unexpected(
        S3Error(ErrorCode::kAuthorizationHeaderMalformed, parsed.error().message));
  }
  auto owner = LookupKey(state, parsed->credential.access_key);
  if (!owner) return std::unexpected(owner.error());

  auto content_sha = head.headers.Get("x-amz-content-sha256");
  if (!content_sha) {
    return std::unexpected(S3Error(ErrorCode::kInvalidRequest,
                                   "Missing required header for this request: "
                                   "x-amz-content-sha256"));
  }
  auto mode = PayloadModeOf(*content_sha);
  if (!mode) return std::unexpected(mode.error());

  std::string amz_date;
  if (auto d = head.headers.Get("x-amz-date")) {
    amz_date = std::string(*d);
  } else if (auto date = head.headers.Get("date")) {
    auto ms = ParseHttpDate(*date);
    if (!ms) {
      return std::unexpected(S3Error(ErrorCode::kAccessDenied,
                                     "AWS authentication requires a valid Date or x-amz-date "
                                     "header"));
    }
    amz_date = sigv4::FormatAmzDate(system_clock::time_point(std::chrono::milliseconds(*ms)));
  } else {
    return std::unexpected(S3Error(ErrorCode::kAccessDenied,
                                   "AWS authentication requires a valid Date or x-amz-date header"));
  }
  auto when = sigv4::ParseAmzDate(amz_date);
  if (!when) {
    return std::unexpected(S3Error(ErrorCode::kAccessDenied,
                                   "AWS authentication requires a valid Date or x-amz-date header"));
  }
  auto skew = now > *when ? now - *when : *when - now;
  if (skew > state.options.max_clock_skew) {
    return std::unexpected(S3Error(ErrorCode::kRequestTimeTooSkewed)
                               .With("RequestTime", amz_date)
                               .With("ServerTime", sigv4::FormatAmzDate(now))
                               .With("MaxAllowedSkewMilliseconds",
                                     std::to_string(state.options.max_clock_skew.count())));
  }
  if (auto scope =
          CheckScope(state, parsed->credential, amz_date, ErrorCode::kAuthorizationHeaderMalformed);
      !scope && state.options.verify_signatures) {
    return std::unexpected(scope.error());
  }

  AuthResult result = Identified(*owner->first, *owner->second, "SigV4", "AuthHeader", *mode);
  if (*mode == PayloadMode::kSignedHash) result.payload_sha256 = std::string(*content_sha);
  result.amz_date = amz_date;
  result.credential = parsed->credential;
  result.seed_signature = parsed->signature;
  if (!state.options.verify_signatures) return result;

  if (std::find(parsed->signed_headers.begin(), parsed->signed_headers.end(), "host") ==
      parsed->signed_headers.end()) {
    return std::unexpected(S3Error(ErrorCode::kAccessDenied,
                                   "There were headers present in the request which were not "
                                   "signed")
                               .With("HeadersNotSigned", "host"));
  }
  sigv4::CanonicalRequestInput input{head.method,       raw_path,
                                     raw_query,         &head.headers,
                                     &parsed->signed_headers, *content_sha,
                                     false};
  auto canonical = sigv4::CanonicalRequest(input);
  if (!canonical) {
    return std::unexpected(S3Error(ErrorCode::kInvalidURI, "Couldn't parse the specified URI."));
  }
  std::string string_to_sign = sigv4::StringToSign(amz_date, parsed->credential, *canonical);
  auto signing_key = CachedSigningKey(owner->second->secret_key, parsed->credential);
  result.signing_key = signing_key->key();
  std::string expected = signing_key->Signature(string_to_sign);
  if (!sigv4::SignaturesEqual(expected, parsed->signature)) {
    return std::unexpected(
        SignatureMismatch(parsed->credential, string_to_sign, parsed->signature, *canonical));
  }
  return result;
}

std::expected<AuthResult, S3Error> PresignedAuth(const ServiceState& state,
                                                 const RequestHead& head,
                                                 std::string_view raw_path,
                                                 std::string_view raw_query,
                                                 const sigv4::QueryParams& query,
                                                 system_clock::time_point now) {
  auto parsed = sigv4::ParsePresignedQuery(query);
  if (!parsed) {
    return std::unexpected(
        S3Error(ErrorCode::kAuthorizationQueryParametersError, parsed.error().message));
  }
  auto owner = LookupKey(state, parsed->credential.access_key);
  if (!owner) return std::unexpected(owner.error());
  auto when = sigv4::ParseAmzDate(parsed->amz_date);
  if (!when) {
    return std::unexpected(S3Error(ErrorCode::kAuthorizationQueryParametersError,
                                   "X-Amz-Date must be in the ISO8601 Long Format "
                                   "\"yyyyMMdd'T'HHmmss'Z'\""));
  }
  if (*when > now + state.options.max_clock_skew) {
    return std::unexpected(S3Error(ErrorCode::kAccessDenied, "Request is not valid yet"));
  }
  if (now > *when + std::chrono::seconds(parsed->expires_seconds)) {
    return std::unexpected(
        S3Error(ErrorCode::kAccessDenied, "Request has expired")
            .With("X-Amz-Expires", std::to_string(parsed->expires_seconds))
            .With("Expires", sigv4::FormatAmzDate(*when +
                                                  std::chrono::seconds(parsed->expires_seconds)))
            .With("ServerTime", sigv4::FormatAmzDate(now)));
  }
  if (auto scope = CheckScope(state, parsed->credential, parsed->amz_date,
                              ErrorCode::kAuthorizationQueryParametersError);
      !scope && state.options.verify_signatures) {
    return std::unexpected(scope.error());
  }
  AuthResult result =
      Identified(*owner->first, *owner->second, "SigV4", "QueryString", PayloadMode::kUnsigned);
  result.amz_date = parsed->amz_date;
  result.credential = parsed->credential;
  if (!state.options.verify_signatures) return result;

  std::string payload_hash = "UNSIGNED-PAYLOAD";
  if (auto h = head.headers.Get("x-amz-content-sha256")) payload_hash = std::string(*h);
  sigv4::CanonicalRequestInput input{head.method,  raw_path,      raw_query,
                                     &head.headers, &parsed->signed_headers, payload_hash,
                                     true};
  auto canonical = sigv4::CanonicalRequest(input);
  if (!canonical) {
    return std::unexpected(S3Error(ErrorCode::kInvalidURI, "Couldn't parse the specified URI."));
  }
  std::string string_to_sign = sigv4::StringToSign(parsed->amz_date, parsed->credential, *canonical);
  std::string expected =
      CachedSigningKey(owner->second->secret_key, parsed->credential)->Signature(string_to_sign);
  if (!sigv4::SignaturesEqual(expected, parsed->signature)) {
    return std::unexpected(
        SignatureMismatch(parsed->credential, string_to_sign, parsed->signature, *canonical));
  }
  return result;
}

AuthResult SigV2Result(const Account& account, const User& user, std::string auth_type) {
  return Identified(account, user, "SigV2", std::move(auth_type), PayloadMode::kUnsigned);
}

S3Error SigV2Mismatch(std::string_view access_key, std::string_view string_to_sign,
                      std::string_view provided) {
  return S3Error(ErrorCode::kSignatureDoesNotMatch)
      .With("AWSAccessKeyId", std::string(access_key))
      .With("StringToSign", std::string(string_to_sign))
      .With("SignatureProvided", std::string(provided));
}

std::expected<AuthResult, S3Error> SigV2HeaderAuth(const ServiceState& state,
                                                   const RequestHead& head,
                                                   std::string_view authorization,
                                                   const sigv4::QueryParams& query,
                                                   std::string_view resource,
                                                   system_clock::time_point now) {
  std::string_view credentials = authorization.substr(4);
  auto colon = credentials.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == credentials.size()) {
    return std::unexpected(S3Error(ErrorCode::kInvalidArgument,
                                   "AWS authorization header is invalid.  Expected "
                                   "AwsAccessKeyId:signature")
                               .With("ArgumentName", "Authorization")
                               .With("ArgumentValue", std::string(authorization)));
  }
  std::string access_key(credentials.substr(0, colon));
  std::string provided(credentials.substr(colon + 1));
  auto owner = LookupKey(state, access_key);
  if (!owner) return std::unexpected(owner.error());
  std::string date_line;
  std::optional<int64_t> when;
  if (auto d = head.headers.Get("x-amz-date")) {
    when = ParseHttpDate(*d);
    if (!when) {
      if (auto t = sigv4::ParseAmzDate(*d)) {
        when = std::chrono::duration_cast<std::chrono::milliseconds>(t->time_since_epoch()).count();
      }
    }
  } else if (auto date = head.headers.Get("date")) {
    date_line = std::string(*date);
    when = ParseHttpDate(*date);
  }
  if (!when) {
    return std::unexpected(S3Error(ErrorCode::kAccessDenied,
                                   "AWS authentication requires a valid Date or x-amz-date header"));
  }
  auto t = system_clock::time_point(std::chrono::milliseconds(*when));
  if ((now > t ? now - t : t - now) > state.options.max_clock_skew) {
    return std::unexpected(S3Error(ErrorCode::kRequestTimeTooSkewed)
                               .With("ServerTime", sigv4::FormatAmzDate(now))
                               .With("MaxAllowedSkewMilliseconds",
                                     std::to_string(state.options.max_clock_skew.count())));
  }
  AuthResult result = SigV2Result(*owner->first, *owner->second, "AuthHeader");
  if (!state.options.verify_signatures) return result;
  std::string string_to_sign =
      sigv2::StringToSign({head.method, &head.headers, date_line, resource, &query, false});
  std::string expected = sigv2::Signature(owner->second->secret_key, string_to_sign);
  if (!sigv4::SignaturesEqual(expected, provided)) {
    return std::unexpected(SigV2Mismatch(access_key, string_to_sign, provided));
  }
  return result;
}

std::expected<AuthResult, S3Error> SigV2QueryAuth(const ServiceState& state,
                                                  const RequestHead& head,
                                                  const sigv4::QueryParams& query,
                                                  std::string_view resource,
                                                  system_clock::time_point now) {
  std::string access_key, expires, provided;
  for (const auto& [name, value] : query) {
    if (name == "AWSAccessKeyId") access_key = value;
    if (name == "Expires") expires = value;
    if (name == "Signature") provided = value;
  }
  if (access_key.empty() || expires.empty() || provided.empty()) {
    return std::unexpected(S3Error(ErrorCode::kAccessDenied,
                                   "Query-string authentication requires the Signature, Expires "
                                   "and AWSAccessKeyId parameters"));
  }
  int64_t expires_at = 0;
  auto [p, ec] = std::from_chars(expires.data(), expires.data() + expires.size(), expires_at);
  // Seconds since the epoch up to the year 9999; anything else is not a date.
  if (ec != std::errc{} || p != expires.data() + expires.size() || expires_at < 0 ||
      expires_at > 253402300799) {
    return std::unexpected(S3Error(ErrorCode::kAccessDenied,
                                   "Invalid date (should be seconds since epoch): " + expires));
  }
  auto owner = LookupKey(state, access_key);
  if (!owner) return std::unexpected(owner.error());
  auto now_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  if (now_s > expires_at) {
    return std::unexpected(S3Error(ErrorCode::kAccessDenied, "Request has expired")
                               .With("Expires", sigv4::FormatAmzDate(system_clock::time_point(
                                                    std::chrono::seconds(expires_at))))
                               .With("ServerTime", sigv4::FormatAmzDate(now)));
  }
  AuthResult result = SigV2Result(*owner->first, *owner->second, "QueryString");
  if (!state.options.verify_signatures) return result;
  std::string string_to_sign =
      sigv2::StringToSign({head.method, &head.headers, expires, resource, &query, true});
  std::string expected = sigv2::Signature(owner->second->secret_key, string_to_sign);
  if (!sigv4::SignaturesEqual(expected, provided)) {
    return std::unexpected(SigV2Mismatch(access_key, string_to_sign, provided));
  }
  return result;
}

}  // namespace

std::expected<AuthResult, S3Error> Authenticate(const ServiceState& state, const RequestHead& head,
                                                std::string_view raw_path,
                                                std::string_view raw_query,
                                                const sigv4::QueryParams& query,
                                                std::string_view sigv2_resource,
                                                system_clock::time_point now) {
  if (auto authorization = head.headers.Get("authorization")) {
    if (authorization->starts_with(kAlgorithm)) {
      return HeaderAuth(state, head, *authorization, raw_path, raw_query, now);
    }
    if (authorization->starts_with("AWS ")) {
      return SigV2HeaderAuth(state, head, *authorization, query, sigv2_resource, now);
    }
    return std::unexpected(S3Error(ErrorCode::kAuthorizationHeaderMalformed,
                                   "The authorization header is malformed; the authorization "
                                   "header requires three components: Credential, "
                                   "SignedHeaders, and Signature."));
  }
  bool presigned = std::any_of(query.begin(), query.end(),
                               [](const auto& p) { return p.first == "X-Amz-Algorithm"; });
  if (presigned) return PresignedAuth(state, head, raw_path, raw_query, query, now);
  if (std::any_of(query.begin(), query.end(),
                  [](const auto& p) { return p.first == "Signature" || p.first == "AWSAccessKeyId"; })) {
    return SigV2QueryAuth(state, head, query, sigv2_resource, now);
  }
  AuthResult anonymous;
  if (auto content_sha = head.headers.Get("x-amz-content-sha256")) {
    auto mode = PayloadModeOf(*content_sha);
    if (!mode) return std::unexpected(mode.error());
    if (*mode == PayloadMode::kStreamingSigned || *mode == PayloadMode::kStreamingSignedTrailer) {
      return std::unexpected(S3Error(ErrorCode::kAccessDenied,
                                     "Signed streaming payloads require a signed request"));
    }
    anonymous.payload = *mode;
    if (*mode == PayloadMode::kSignedHash) anonymous.payload_sha256 = std::string(*content_sha);
  }
  return anonymous;
}

}  // namespace logbucket::s3
