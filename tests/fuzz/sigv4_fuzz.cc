// Fuzzes SigV4 parsing: the Authorization header, the credential, the raw query string and the
// presigned-query parameters, URI decoding and encoding, X-Amz-Date, and the canonical request
// built from hostile paths, queries and headers. Invariants: UriDecode(UriEncode(s)) == s;
// a parsed X-Amz-Date formats back to the same text; a parsed Authorization header has a
// 64-hex signature and a credential whose scope re-parses to itself.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "server/s3/headers.h"
#include "server/s3/sigv4.h"

namespace sigv4 = logbucket::s3::sigv4;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider p(data, size);
  std::string authorization = p.ConsumeRandomLengthString(512);
  std::string raw_path = p.ConsumeRandomLengthString(256);
  std::string raw_query = p.ConsumeRandomLengthString(512);
  std::string header_value = p.ConsumeRandomLengthString(128);
  std::string rest = p.ConsumeRemainingBytesAsString();

  if (auto parsed = sigv4::ParseAuthorizationHeader(authorization)) {
    if (parsed->signature.size() != 64) std::abort();
    std::string again = parsed->credential.access_key + "/" + parsed->credential.scope();
    auto credential = sigv4::ParseCredential(again);
    if (!credential || credential->scope() != parsed->credential.scope()) std::abort();
  }
  (void)sigv4::ParseCredential(rest);

  if (auto query = sigv4::ParseQueryString(raw_query)) {
    if (auto presign = sigv4::ParsePresignedQuery(*query)) {
      if (presign->expires_seconds < 1 || presign->expires_seconds > 604800) std::abort();
    }
  }

  if (auto decoded = sigv4::UriDecode(rest)) (void)sigv4::UriEncode(*decoded, true);
  for (bool keep_slash : {false, true}) {
    auto round = sigv4::UriDecode(sigv4::UriEncode(rest, keep_slash));
    if (!round || *round != rest) std::abort();
  }

  if (auto t = sigv4::ParseAmzDate(rest)) {
    if (sigv4::FormatAmzDate(*t) != rest) std::abort();
  }

  logbucket::s3::Headers headers;
  headers.Add("Host", header_value);
  headers.Add("x-amz-date", rest.substr(0, 32));
  headers.Add("X-Amz-Meta-A", header_value);
  std::vector<std::string> signed_headers = {"host", "x-amz-date", "x-amz-meta-a", "missing"};
  for (bool presigned : {false, true}) {
    sigv4::CanonicalRequestInput input{"GET",    raw_path, raw_query, &headers, &signed_headers,
                                       "UNSIGNED-PAYLOAD", presigned};
    if (auto canonical = sigv4::CanonicalRequest(input)) {
      sigv4::Credential credential{"test", "20240101", "us-east-1", "s3", "aws4_request"};
      std::string sts = sigv4::StringToSign("20240101T000000Z", credential, *canonical);
      std::string signature = sigv4::Signature(sigv4::SigningKey("test", credential), sts);
      if (!sigv4::SignaturesEqual(signature, signature)) std::abort();
    }
  }
  return 0;
}
