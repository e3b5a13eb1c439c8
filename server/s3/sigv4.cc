#include "server/s3/sigv4.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <charconv>
#include <cstdio>

#include "server/s3/checksum.h"

namespace logbucket::s3::sigv4 {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kTerminator = "aws4_request";
constexpr std::string_view kService = "s3";
constexpr int64_t kMaxPresignExpiry = 604800;  // seven days
// hex(sha256("")): the fixed line of every chunk string to sign.
constexpr std::string_view kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsWhitespace(char c) { return c == ' ' || c == '\t'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsWhitespace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsWhitespace(s.back())) s.remove_suffix(1);
  return s;
}

// Trim() of the SigV4 spec: no leading or trailing whitespace, inner runs folded to one space.
std::string CanonicalHeaderValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  bool in_space = false;
  for (char c : Trim(value)) {
    if (IsWhitespace(c)) {
      in_space = true;
      continue;
    }
    if (in_space) out += ' ';
    in_space = false;
    out += c;
  }
  return out;
}

bool IsLowerHex64(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

bool AllDigits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::vector<std::string_view> Split(std::string_view s, char separator) {
  std::vector<std::string_view> parts;
  while (true) {
    size_t at = s.find(separator);
    parts.push_back(s.substr(0, at));
    if (at == std::string_view::npos) break;
    s.remove_prefix(at + 1);
  }
  return parts;
}

std::expected<std::vector<std::string>, ParseError> ParseSignedHeaders(std::string_view list) {
  std::vector<std::string> names;
  if (list.empty()) return std::unexpected(ParseError{"SignedHeaders is empty"});
  for (std::string_view name : Split(list, ';')) {
    if (name.empty()) {
      return std::unexpected(
          ParseError{"SignedHeaders has an empty header name: '" + std::string(list) + "'"});
    }
    names.push_back(ToLower(name));
  }
  return names;
}

std::expected<std::string, ParseError> ParseSignatureValue(std::string_view signature) {
  if (!IsLowerHex64(signature)) {
    return std::unexpected(ParseError{"Signature must be 64 lower-case hexadecimal characters"});
  }
  return std::string(signature);
}

std::string ChainedStringToSign(std::string_view algorithm, std::string_view amz_date,
                                const Credential& credential, std::string_view previous_signature,
                                std::string_view hashed_lines) {
  std::string out;
  out.reserve(256);
  out.append(algorithm).append("\n");
  out.append(amz_date).append("\n");
  out.append(credential.scope()).append("\n");
  out.append(previous_signature).append("\n");
  out.append(hashed_lines);
  return out;
}

}  // namespace

std::string Credential::scope() const {
  std::string out = date;
  out.append("/").append(region).append("/").append(service).append("/").append(kTerminator);
  return out;
}

std::expected<Credential, ParseError> ParseCredential(std::string_view value) {
  std::vector<std::string_view> parts = Split(value, '/');
  if (parts.size() != 5) {
    return std::unexpected(ParseError{
        "Credential must have the form <access key>/<yyyymmdd>/<region>/s3/aws4_request, got '" +
        std::string(value) + "'"});
  }
  if (parts[0].empty()) return std::unexpected(ParseError{"Credential has an empty access key"});
  if (parts[1].size() != 8 || !AllDigits(parts[1])) {
    return std::unexpected(
        ParseError{"Credential date must be yyyymmdd, got '" + std::string(parts[1]) + "'"});
  }
  if (parts[2].empty()) return std::unexpected(ParseError{"Credential has an empty region"});
  if (parts[3] != kService) {
    return std::unexpected(
        ParseError{"Credential should be scoped to correct service: 's3', got '" +
                   std::string(parts[3]) + "'"});
  }
  if (parts[4] != kTerminator) {
    return std::unexpected(
        ParseError{"Credential should be scoped with a valid terminator: 'aws4_request', got '" +
                   std::string(parts[4]) + "'"});
  }
  return Credential{std::string(parts[0]), std::string(parts[1]), std::string(parts[2]),
                    std::string(parts[3]), std::string(parts[4])};
}

std::expected<ParsedAuthorization, ParseError> ParseAuthorizationHeader(std::string_view value) {
  value = Trim(value);
  size_t space = value.find_first_of(" \t");
  std::string_view algorithm = value.substr(0, space);
  if (algorithm != kAlgorithm) {
    return std::unexpected(ParseError{"Unsupported authorization algorithm '" +
                                      std::string(algorithm) + "'; expected AWS4-HMAC-SHA256"});
  }
  if (space == std::string_view::npos) {
    return std::unexpected(
        ParseError{"Authorization header has no Credential, SignedHeaders "
                   "or Signature"});
  }
  std::optional<std::string_view> credential, signed_headers, signature;
  for (std::string_view component : Split(value.substr(space + 1), ',')) {
    component = Trim(component);
    size_t eq = component.find('=');
    if (eq == std::string_view::npos) {
      return std::unexpected(ParseError{"Authorization component '" + std::string(component) +
                                        "' is not of the form Name=value"});
    }
    std::string_view name = component.substr(0, eq);
    std::optional<std::string_view>* target = nullptr;
    if (name == "Credential") target = &credential;
    if (name == "SignedHeaders") target = &signed_headers;
    if (name == "Signature") target = &signature;
    if (target == nullptr) {
      return std::unexpected(
          ParseError{"Unknown authorization component '" + std::string(name) + "'"});
    }
    if (target->has_value()) {
      return std::unexpected(
          ParseError{"Authorization component '" + std::string(name) + "' appears twice"});
    }
    *target = component.substr(eq + 1);
  }
  if (!credential) return std::unexpected(ParseError{"Authorization header lacks Credential"});
  if (!signed_headers) {
    return std::unexpected(ParseError{"Authorization header lacks SignedHeaders"});
  }
  if (!signature) return std::unexpected(ParseError{"Authorization header lacks Signature"});

  ParsedAuthorization parsed;
  auto cred = ParseCredential(*credential);
  if (!cred) return std::unexpected(cred.error());
  parsed.credential = std::move(*cred);
  auto headers = ParseSignedHeaders(*signed_headers);
  if (!headers) return std::unexpected(headers.error());
  parsed.signed_headers = std::move(*headers);
  auto sig = ParseSignatureValue(*signature);
  if (!sig) return std::unexpected(sig.error());
  parsed.signature = std::move(*sig);
  return parsed;
}

std::expected<ParsedPresign, ParseError> ParsePresignedQuery(const QueryParams& query) {
  auto find = [&](std::string_view name) -> std::optional<std::string_view> {
    for (const auto& [key, value] : query) {
      if (key == name) return std::string_view(value);
    }
    return std::nullopt;
  };
  static constexpr std::string_view kRequired[] = {"X-Amz-Algorithm",     "X-Amz-Credential",
                                                   "X-Amz-Date",          "X-Amz-Expires",
                                                   "X-Amz-SignedHeaders", "X-Amz-Signature"};
  for (std::string_view name : kRequired) {
    if (!find(name)) {
      return std::unexpected(
          ParseError{"Query-string authentication version 4 requires the X-Amz-Algorithm, "
                     "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and "
                     "X-Amz-Expires parameters; " +
                     std::string(name) + " is missing"});
    }
  }
  if (*find("X-Amz-Algorithm") != kAlgorithm) {
    return std::unexpected(ParseError{"X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\""});
  }
  ParsedPresign parsed;
  auto cred = ParseCredential(*find("X-Amz-Credential"));
  if (!cred) return std::unexpected(cred.error());
  parsed.credential = std::move(*cred);

  std::string_view amz_date = *find("X-Amz-Date");
  if (!ParseAmzDate(amz_date)) {
    return std::unexpected(
        ParseError{"X-Amz-Date must be in the ISO8601 Long Format "
                   "\"yyyyMMdd'T'HHmmss'Z'\", got '" +
                   std::string(amz_date) + "'"});
  }
  parsed.amz_date = std::string(amz_date);

  std::string_view expires = *find("X-Amz-Expires");
  int64_t seconds = 0;
  auto [end, ec] = std::from_chars(expires.data(), expires.data() + expires.size(), seconds);
  if (expires.empty() || ec != std::errc() || end != expires.data() + expires.size()) {
    return std::unexpected(
        ParseError{"X-Amz-Expires should be a number, got '" + std::string(expires) + "'"});
  }
  if (seconds < 1) {
    return std::unexpected(ParseError{"X-Amz-Expires must be at least 1 second"});
  }
  if (seconds > kMaxPresignExpiry) {
    return std::unexpected(
        ParseError{"X-Amz-Expires must be less than a week (in seconds) that is 604800"});
  }
  parsed.expires_seconds = seconds;

  auto headers = ParseSignedHeaders(*find("X-Amz-SignedHeaders"));
  if (!headers) return std::unexpected(headers.error());
  parsed.signed_headers = std::move(*headers);
  auto sig = ParseSignatureValue(*find("X-Amz-Signature"));
  if (!sig) return std::unexpected(sig.error());
  parsed.signature = std::move(*sig);
  return parsed;
}

std::optional<std::string> UriDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    int hi = HexValue(s[i + 1]);
    int lo = HexValue(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

std::string UriEncode(std::string_view s, bool keep_slash) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3);
  for (char c : s) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved || (keep_slash && c == '/')) {
      out += c;
    } else {
      auto b = static_cast<unsigned char>(c);
      out += '%';
      out += kDigits[b >> 4];
      out += kDigits[b & 15];
    }
  }
  return out;
}

std::optional<QueryParams> ParseQueryString(std::string_view raw_query) {
  QueryParams params;
  if (raw_query.empty()) return params;
  for (std::string_view part : Split(raw_query, '&')) {
    if (part.empty()) continue;  // "a=1&&b" and a trailing '&' carry no parameter
    size_t eq = part.find('=');
    auto name = UriDecode(part.substr(0, eq));
    auto value = UriDecode(eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1));
    if (!name || !value) return std::nullopt;
    params.emplace_back(std::move(*name), std::move(*value));
  }
  return params;
}

std::optional<std::string> CanonicalRequest(const CanonicalRequestInput& input) {
  std::string out;
  out.reserve(512);
  out.append(input.method).append("\n");

  // S3 signs the path as sent, encoded exactly once: no "." / ".." removal, no "//" collapse.
  auto path = UriDecode(input.raw_path);
  if (!path) return std::nullopt;
  out.append(path->empty() ? std::string("/") : UriEncode(*path, /*keep_slash=*/true));
  out.append("\n");

  auto params = ParseQueryString(input.raw_query);
  if (!params) return std::nullopt;
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(params->size());
  for (const auto& [name, value] : *params) {
    if (input.presigned && name == "X-Amz-Signature") continue;
    encoded.emplace_back(UriEncode(name, false), UriEncode(value, false));
  }
  std::sort(encoded.begin(), encoded.end());
  for (size_t i = 0; i < encoded.size(); ++i) {
    if (i > 0) out += '&';
    out.append(encoded[i].first).append("=").append(encoded[i].second);
  }
  out.append("\n");

  static const std::vector<std::string> kNoHeaders;
  const std::vector<std::string>& signed_headers =
      input.signed_headers != nullptr ? *input.signed_headers : kNoHeaders;
  // Names in the order the client listed them (SigV4 clients list them sorted); a header sent
  // several times contributes its values joined with ','.
  for (const std::string& name : signed_headers) {
    out.append(ToLower(name)).append(":");
    bool first = true;
    if (input.headers != nullptr) {
      for (const HeaderField& field : input.headers->fields()) {
        if (!EqualsIgnoreCase(field.name, name)) continue;
        if (!first) out += ',';
        out.append(CanonicalHeaderValue(field.value));
        first = false;
      }
    }
    out.append("\n");
  }
  out.append("\n");
  for (size_t i = 0; i < signed_headers.size(); ++i) {
    if (i > 0) out += ';';
    out.append(ToLower(signed_headers[i]));
  }
  out.append("\n");
  out.append(input.payload_hash);
  return out;
}

std::string StringToSign(std::string_view amz_date, const Credential& credential,
                         std::string_view canonical_request) {
  std::string out;
  out.append(kAlgorithm).append("\n");
  out.append(amz_date).append("\n");
  out.append(credential.scope()).append("\n");
  out.append(Sha256Hex(canonical_request));
  return out;
}

std::string SigningKey(std::string_view secret_key, const Credential& credential) {
  std::string k_date = HmacSha256(std::string("AWS4").append(secret_key), credential.date);
  std::string k_region = HmacSha256(k_date, credential.region);
  std::string k_service = HmacSha256(k_region, credential.service);
  return HmacSha256(k_service, kTerminator);
}

std::string Signature(std::string_view signing_key, std::string_view string_to_sign) {
  return HexEncode(HmacSha256(signing_key, string_to_sign));
}

std::string ChunkSignatureFromHash(std::string_view signing_key, std::string_view amz_date,
                                   const Credential& credential,
                                   std::string_view previous_signature,
                                   std::string_view chunk_sha256_hex) {
  std::string hashed_lines(kEmptySha256);
  hashed_lines.append("\n").append(chunk_sha256_hex);
  return Signature(signing_key, ChainedStringToSign("AWS4-HMAC-SHA256-PAYLOAD", amz_date,
                                                    credential, previous_signature, hashed_lines));
}

std::string ChunkSignature(std::string_view signing_key, std::string_view amz_date,
                           const Credential& credential, std::string_view previous_signature,
                           std::string_view chunk_data) {
  return ChunkSignatureFromHash(signing_key, amz_date, credential, previous_signature,
                                Sha256Hex(chunk_data));
}

std::string TrailerSignature(std::string_view signing_key, std::string_view amz_date,
                             const Credential& credential, std::string_view previous_signature,
                             std::string_view trailer_block) {
  return Signature(signing_key,
                   ChainedStringToSign("AWS4-HMAC-SHA256-TRAILER", amz_date, credential,
                                       previous_signature, Sha256Hex(trailer_block)));
}

bool SignaturesEqual(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::optional<std::chrono::system_clock::time_point> ParseAmzDate(std::string_view s) {
  using namespace std::chrono;
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z') return std::nullopt;
  if (!AllDigits(s.substr(0, 8)) || !AllDigits(s.substr(9, 6))) return std::nullopt;
  auto number = [&](size_t at, size_t len) {
    int v = 0;
    for (size_t i = at; i < at + len; ++i) v = v * 10 + (s[i] - '0');
    return v;
  };
  year_month_day ymd{year{number(0, 4)}, month{static_cast<unsigned>(number(4, 2))},
                     day{static_cast<unsigned>(number(6, 2))}};
  int hh = number(9, 2), mm = number(11, 2), ss = number(13, 2);
  if (!ymd.ok() || hh > 23 || mm > 59 || ss > 59) return std::nullopt;
  sys_seconds t = sys_days{ymd} + hours{hh} + minutes{mm} + seconds{ss};
  // system_clock counts nanoseconds in 64 bits: it holds 1677-09-21 to 2262-04-11 only.
  if (t < time_point_cast<seconds>(system_clock::time_point::min()) ||
      t > time_point_cast<seconds>(system_clock::time_point::max())) {
    return std::nullopt;
  }
  return time_point_cast<system_clock::duration>(t);
}

std::string FormatAmzDate(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  auto secs = floor<seconds>(t);
  auto days_part = floor<days>(secs);
  year_month_day ymd{days_part};
  hh_mm_ss<seconds> hms{secs - days_part};
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%04d%02u%02uT%02d%02d%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buffer;
}

}  // namespace logbucket::s3::sigv4
