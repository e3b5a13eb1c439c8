#include "tests/bench/request_signer.h"

#include <algorithm>

#include "server/s3/headers.h"
#include "server/s3/sigv4.h"

namespace logbucket::bench {

namespace sigv4 = s3::sigv4;

RequestSigner::RequestSigner(SigningIdentity identity, std::string host_header)
    : identity_(std::move(identity)), host_header_(std::move(host_header)) {}

const std::string& RequestSigner::AmzDate(std::chrono::system_clock::time_point now) {
  const std::time_t second = std::chrono::system_clock::to_time_t(now);
  if (second != date_second_) {
    date_second_ = second;
    amz_date_ = sigv4::FormatAmzDate(now);
  }
  return amz_date_;
}

std::string RequestSigner::Build(std::string_view method, std::string_view raw_path,
                                 std::string_view raw_query, std::string_view payload_hash,
                                 const std::vector<std::pair<std::string, std::string>>& extra,
                                 long long content_length) {
  const std::string amz_date = AmzDate(std::chrono::system_clock::now());
  sigv4::Credential credential{identity_.access_key, amz_date.substr(0, 8), identity_.region, "s3",
                               "aws4_request"};
  if (credential.date != key_day_) {
    key_day_ = credential.date;
    signing_key_ = sigv4::SigningKey(identity_.secret_key, credential);
  }

  s3::Headers headers;
  headers.Add("host", host_header_);
  headers.Add("x-amz-content-sha256", std::string(payload_hash));
  headers.Add("x-amz-date", amz_date);
  std::vector<std::string> signed_headers = {"host", "x-amz-content-sha256", "x-amz-date"};
  for (const auto& [name, value] : extra) {
    headers.Add(name, value);
    if (name.starts_with("x-amz-")) signed_headers.push_back(s3::ToLower(name));
  }
  std::sort(signed_headers.begin(), signed_headers.end());

  sigv4::CanonicalRequestInput input{method,   raw_path,        raw_query,
                                     &headers, &signed_headers, payload_hash,
                                     false};
  const std::string canonical = sigv4::CanonicalRequest(input).value_or("");
  const std::string signature =
      sigv4::Signature(signing_key_, sigv4::StringToSign(amz_date, credential, canonical));

  std::string joined;
  for (const std::string& name : signed_headers) {
    if (!joined.empty()) joined += ';';
    joined += name;
  }

  std::string out;
  out.reserve(640);
  out.append(method).append(" ").append(raw_path);
  if (!raw_query.empty()) out.append("?").append(raw_query);
  out.append(" HTTP/1.1\r\n");
  for (const s3::HeaderField& field : headers.fields()) {
    out.append(field.name).append(": ").append(field.value).append("\r\n");
  }
  out.append("authorization: AWS4-HMAC-SHA256 Credential=")
      .append(identity_.access_key)
      .append("/")
      .append(credential.scope())
      .append(", SignedHeaders=")
      .append(joined)
      .append(", Signature=")
      .append(signature)
      .append("\r\n");
  if (content_length >= 0) {
    out.append("content-length: ").append(std::to_string(content_length)).append("\r\n");
  }
  out.append("user-agent: logbucket-loadgen/1.0\r\n\r\n");
  return out;
}

}  // namespace logbucket::bench
