// Micro-benchmarks (Google Benchmark) of the pieces every request goes through: SigV4
// verification, aws-chunked decoding, checksums, access-log line formatting, spool append and
// ListObjectsV2 XML rendering. They print figures; they never pass or fail.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "logging/access_log_line.h"
#include "logging/access_log_record.h"
#include "logging/file_spool.h"
#include "server/s3/aws_chunked.h"
#include "server/s3/checksum.h"
#include "server/s3/headers.h"
#include "server/s3/sigv4.h"
#include "server/s3/xml/list_xml.h"
#include "tests/bench/request_signer.h"

namespace logbucket::bench {
namespace {

namespace sigv4 = s3::sigv4;
using s3::AwsChunkedDecoder;

std::string Pattern(size_t size) {
  std::string s(size, '\0');
  uint32_t x = 2463534242u;
  for (char& c : s) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x);
  }
  return s;
}

// A PUT signed as an SDK signs it, split back into what the server receives.
struct SignedRequest {
  s3::Headers headers;
  std::string authorization;
};

SignedRequest MakeSignedPut(const std::string& body) {
  RequestSigner signer(SigningIdentity{}, "127.0.0.1:9000");
  const std::string head =
      signer.Build("PUT", "/bench/k/00000042", "", s3::Sha256Hex(body),
                   {{"x-amz-checksum-crc32",
                     s3::Base64Encode(s3::Digest(s3::HashKind::kCrc32, body))},
                    {"content-type", "application/octet-stream"}},
                   static_cast<long long>(body.size()));
  SignedRequest out;
  size_t at = head.find("\r\n") + 2;
  while (at < head.size()) {
    const size_t end = head.find("\r\n", at);
    if (end == at) break;
    const std::string line = head.substr(at, end - at);
    const size_t colon = line.find(':');
    std::string name = line.substr(0, colon), value = line.substr(colon + 2);
    if (name == "authorization") out.authorization = value;
    out.headers.Add(std::move(name), std::move(value));
    at = end + 2;
  }
  return out;
}

// What s3::Authenticate does for a header-signed request, minus the account lookup.
bool VerifySigV4(const SignedRequest& r, bool derive_key, const std::string& cached_key) {
  auto parsed = sigv4::ParseAuthorizationHeader(r.authorization);
  const std::string_view amz_date = *r.headers.Get("x-amz-date");
  const std::string_view content_sha = *r.headers.Get("x-amz-content-sha256");
  if (!parsed || !sigv4::ParseAmzDate(amz_date)) return false;
  sigv4::CanonicalRequestInput input{"PUT",    "/bench/k/00000042",      "",   &r.headers,
                                     &parsed->signed_headers, content_sha, false};
  auto canonical = sigv4::CanonicalRequest(input);
  const std::string to_sign = sigv4::StringToSign(amz_date, parsed->credential, *canonical);
  const std::string key =
      derive_key ? sigv4::SigningKey("test", parsed->credential) : cached_key;
  return sigv4::SignaturesEqual(sigv4::Signature(key, to_sign), parsed->signature);
}

void BM_SigV4Verify(benchmark::State& state) {
  const SignedRequest request = MakeSignedPut(Pattern(4096));
  auto parsed = sigv4::ParseAuthorizationHeader(request.authorization);
  const std::string key = sigv4::SigningKey("test", parsed->credential);
  const bool derive = state.range(0) != 0;
  if (!VerifySigV4(request, true, key)) state.SkipWithError("signature does not verify");
  for (auto _ : state) benchmark::DoNotOptimize(VerifySigV4(request, derive, key));
  state.SetLabel(derive ? "signing key derived per request" : "signing key cached");
}
BENCHMARK(BM_SigV4Verify)->Arg(1)->Arg(0);

// 1 MiB in 64 KiB chunks, fed as the transport delivers it (64 KiB reads).
std::string EncodeChunked(const std::string& payload, const AwsChunkedDecoder::Signing* signing) {
  constexpr size_t kChunk = 64 * 1024;
  std::string out, previous = signing ? signing->seed_signature : "";
  for (size_t at = 0;; at += kChunk) {
    const std::string_view data =
        std::string_view(payload).substr(std::min(at, payload.size()), kChunk);
    char size_hex[32];
    std::snprintf(size_hex, sizeof size_hex, "%zx", data.size());
    out += size_hex;
    if (signing) {
      previous = sigv4::ChunkSignature(signing->signing_key, signing->amz_date,
                                       signing->credential, previous, data);
      out += ";chunk-signature=" + previous;
    }
    out += "\r\n";
    out += data;
    if (data.empty()) break;
    out += "\r\n";
  }
  if (signing) return out + "\r\n";
  return out + "x-amz-checksum-crc32:" +
         s3::Base64Encode(s3::Digest(s3::HashKind::kCrc32, payload)) + "\r\n\r\n";
}

void BM_AwsChunkedDecode(benchmark::State& state) {
  const bool signed_chunks = state.range(0) != 0;
  const std::string payload = Pattern(1 << 20);
  AwsChunkedDecoder::Signing signing;
  signing.credential = {"test", "20250101", "us-east-1", "s3", "aws4_request"};
  signing.amz_date = "20250101T000000Z";
  signing.signing_key = sigv4::SigningKey("test", signing.credential);
  signing.seed_signature = std::string(64, 'a');
  const std::string encoded = EncodeChunked(payload, signed_chunks ? &signing : nullptr);
  for (auto _ : state) {
    uint64_t received = 0;
    AwsChunkedDecoder decoder(
        signed_chunks ? std::optional(signing) : std::nullopt, !signed_chunks,
        [&](std::string_view bytes) -> std::expected<void, s3::ChunkedError> {
          received += bytes.size();
          return {};
        });
    for (size_t at = 0; at < encoded.size(); at += 64 * 1024) {
      if (!decoder.Feed(std::string_view(encoded).substr(at, 64 * 1024))) {
        state.SkipWithError("decoding failed");
        break;
      }
    }
    if (!decoder.Finish() || received != payload.size()) state.SkipWithError("bad decode");
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * payload.size()));
  state.SetLabel(signed_chunks ? "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
                               : "STREAMING-UNSIGNED-PAYLOAD-TRAILER");
}
BENCHMARK(BM_AwsChunkedDecode)->Arg(1)->Arg(0);

void BM_Checksum(benchmark::State& state) {
  const auto kind = static_cast<s3::HashKind>(state.range(0));
  const std::string data = Pattern(static_cast<size_t>(state.range(1)));
  for (auto _ : state) {
    auto hasher = s3::Hasher::Create(kind);
    hasher->Update(data);
    benchmark::DoNotOptimize(hasher->Digest());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * data.size()));
  static const char* const kNames[] = {"MD5", "CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"};
  state.SetLabel(kNames[state.range(0)]);
}
BENCHMARK(BM_Checksum)->ArgsProduct({{0, 1, 2, 3, 4, 5}, {4096, 1 << 20}});

logging::AccessLogRecord SampleRecord() {
  logging::AccessLogRecord r;
  r.bucket_owner = std::string(64, 'f');
  r.bucket = "bench";
  r.time = std::chrono::system_clock::now();
  r.remote_ip = "127.0.0.1";
  r.requester = "arn:aws:iam::000000000000:user/test";
  r.request_id = "3E57427F33A59F07";
  r.operation = "REST.PUT.OBJECT";
  r.key = "photos/2024/cat%20picture.jpg";
  r.request_uri = "PUT /bench/photos/2024/cat%20picture.jpg HTTP/1.1";
  r.http_status = 200;
  r.bytes_sent = 0;
  r.object_size = 4096;
  r.total_time_ms = 3;
  r.turn_around_time_ms = 2;
  r.referer = "";
  r.user_agent = "aws-cli/2.9.19 Python/3.11.2 Linux/6.1.0 botocore/2.4.5";
  r.host_id = "cmVxdWVzdC1ob3N0LWlkLXRoYXQtaXMtYmFzZTY0LWVuY29kZWQ=";
  r.signature_version = "SigV4";
  r.auth_type = "AuthHeader";
  r.host_header = "127.0.0.1:9000";
  return r;
}

void BM_FormatAccessLogLine(benchmark::State& state) {
  const logging::AccessLogRecord record = SampleRecord();
  size_t bytes = 0;
  for (auto _ : state) {
    std::string line = logging::FormatAccessLogLine(record, false);
    bytes += line.size();
    benchmark::DoNotOptimize(line);
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_FormatAccessLogLine);

// Appends to one bucket's spool; with ->Threads(n), n threads share one spool (as the I/O
// threads of the server do), so the figure includes their contention.
logging::FileSpool* bench_spool = nullptr;

void BM_SpoolAppend(benchmark::State& state) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("logbucket-bench-spool-" + std::to_string(::getpid()));
  if (state.thread_index() == 0) {
    std::filesystem::remove_all(dir);
    bench_spool = new logging::FileSpool(dir, uint64_t{1} << 40);
    if (!bench_spool->Open(std::chrono::system_clock::now())) {
      state.SkipWithError("cannot open the spool");
    }
  }
  logging::SpoolEntry entry;
  entry.target_bucket = "bench-logs";
  entry.target_prefix = "access/";
  entry.source_account = "000000000000";
  entry.source_region = "us-east-1";
  entry.event_time = std::chrono::system_clock::now();
  entry.line = logging::FormatAccessLogLine(SampleRecord(), false);
  // The loop starts once every thread reached it (after thread 0 opened the spool) and ends
  // once every thread left it.
  for (auto _ : state) {
    if (bench_spool->Append("bench", entry) != logging::AppendResult::kAppended) {
      state.SkipWithError("record dropped");
      break;
    }
  }
  state.SetBytesProcessed(
      static_cast<int64_t>(state.iterations() * logging::EncodeSpoolEntry(entry).size()));
  if (state.thread_index() == 0) {
    delete bench_spool;
    bench_spool = nullptr;
    std::filesystem::remove_all(dir);
  }
}
BENCHMARK(BM_SpoolAppend);
BENCHMARK(BM_SpoolAppend)->Threads(2)->UseRealTime();

void BM_RenderListObjectsV2(benchmark::State& state) {
  s3::xml::ListObjectsResult result;
  result.v2 = true;
  result.bucket = "bench";
  result.max_keys = 1000;
  result.is_truncated = true;
  result.start_after = "k/00499999";
  result.next_continuation_token = "ay8wMDUwMDk5OQ==";
  for (int i = 0; i < 1000; ++i) {
    s3::xml::ListEntry e;
    char key[32];
    std::snprintf(key, sizeof key, "k/%08d", 500000 + i);
    e.key = key;
    e.last_modified_ms = 1735689600000 + i;
    e.etag = "\"d41d8cd98f00b204e9800998ecf8427e\"";
    e.size = 4096;
    e.storage_class = "STANDARD";
    e.checksum_algorithms = {"CRC32"};
    e.checksum_type = "FULL_OBJECT";
    result.contents.push_back(std::move(e));
  }
  result.key_count = 1000;
  size_t bytes = 0;
  for (auto _ : state) {
    std::string xml = s3::xml::RenderListBucketResult(result);
    bytes += xml.size();
    benchmark::DoNotOptimize(xml);
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.SetLabel("1000 keys per page");
}
BENCHMARK(BM_RenderListObjectsV2);

}  // namespace
}  // namespace logbucket::bench

BENCHMARK_MAIN();
