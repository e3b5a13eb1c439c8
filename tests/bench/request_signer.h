// RequestSigner: builds the header block of an S3 request signed with SigV4 in the Authorization
// header, as the SDKs send it (host, x-amz-content-sha256 and x-amz-date signed, plus any extra
// x-amz-* headers the caller adds). The signing key is derived once per day; the x-amz-date
// string is formatted once per second.
// Thread-safety: single-owner (the load generator keeps one per connection).
#pragma once

#include <chrono>
#include <ctime>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace logbucket::bench {

struct SigningIdentity {
  std::string access_key = "test";
  std::string secret_key = "test";
  std::string region = "us-east-1";
};

class RequestSigner {
 public:
  RequestSigner(SigningIdentity identity, std::string host_header);

  // The request line and header block, ending with the empty line. `raw_path` and `raw_query`
  // are already URI-encoded as they go on the wire; `payload_hash` is the hex SHA-256 of the
  // body or "UNSIGNED-PAYLOAD"; `extra` are additional headers, signed when named x-amz-*.
  // Adds Content-Length when `content_length` >= 0.
  std::string Build(std::string_view method, std::string_view raw_path, std::string_view raw_query,
                    std::string_view payload_hash,
                    const std::vector<std::pair<std::string, std::string>>& extra,
                    long long content_length);

 private:
  const std::string& AmzDate(std::chrono::system_clock::time_point now);

  SigningIdentity identity_;
  std::string host_header_;
  std::time_t date_second_ = -1;
  std::string amz_date_;
  std::string key_day_;      // yyyymmdd the signing key was derived for
  std::string signing_key_;  // sigv4::SigningKey for key_day_
};

}  // namespace logbucket::bench
