// Shared fixture of the s3::Service tests: a real SqliteStore in a fresh temporary directory, an
// in-memory LogObjectWriter, an AccessLogService spooling into the same directory, and a Service
// with two accounts (test/test and alice/alicesecret). A request builder signs with SigV4 (header,
// presigned query, aws-chunked signed chunks, unsigned payload with a CRC32 trailer); Run() drives
// a request through Service::Start and the BodySink as the transport would, feeding the body in
// a few pieces, and reads a streamed response body through its ObjectReader.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <pugixml.hpp>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "logging/access_log_service.h"
#include "logging/clock.h"
#include "logging/log_object_writer.h"
#include "server/s3/checksum.h"
#include "server/s3/service.h"
#include "server/s3/sigv4.h"
#include "storage/sqlite_store.h"

// GCC 12 warns about designated initializers that leave out members with default member
// initializers, which is exactly how the tests write requests ({.method = "GET", .path = ...}).
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace logbucket::s3::testing {

namespace fs = std::filesystem;
using std::chrono::system_clock;

inline constexpr std::string_view kTestAccount = "000000000000";
inline constexpr std::string_view kTestCanonical =
    "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a";
inline constexpr std::string_view kAliceAccount = "111111111111";
inline constexpr std::string_view kAliceCanonical =
    "a11ce0000000000000000000000000000000000000000000000000000000a11c";

struct Key {
  std::string access;
  std::string secret;
};
inline const Key kTestKey{"test", "test"};
inline const Key kAliceKey{"alice", "alicesecret"};

// Delivery goes nowhere in these tests; the writer only records what it was asked to write.
class MemoryLogObjectWriter final : public logging::LogObjectWriter {
 public:
  logging::DeliveryError CheckPermission(std::string_view, std::string_view, std::string_view,
                                         std::string_view) override {
    return {logging::DeliveryProblem::kNone, ""};
  }
  std::expected<void, logging::DeliveryError> PutLogObject(std::string_view target_bucket,
                                                           std::string_view key,
                                                           std::string_view body) override {
    std::lock_guard lock(mu_);
    objects_[std::string(target_bucket) + "/" + std::string(key)] = std::string(body);
    return {};
  }
  size_t size() const {
    std::lock_guard lock(mu_);
    return objects_.size();
  }
  // Every line of every log object written so far.
  std::vector<std::string> Lines() const {
    std::lock_guard lock(mu_);
    std::vector<std::string> lines;
    for (const auto& [name, body] : objects_) {
      size_t start = 0;
      while (start < body.size()) {
        size_t end = body.find('\n', start);
        if (end == std::string::npos) end = body.size();
        lines.push_back(body.substr(start, end - start));
        start = end + 1;
      }
    }
    return lines;
  }

 private:
  mutable std::mutex mu_;  // guards objects_
  std::map<std::string, std::string> objects_;
};

// A request before signing. `path` is the raw (percent-encoded) path, `query` the raw query
// without '?'.
struct TestRequest {
  std::string method = "GET";
  std::string path = "/";
  std::string query;
  std::string host = "127.0.0.1:9000";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  TestRequest& Header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  TestRequest& Body(std::string b) {
    body = std::move(b);
    return *this;
  }
};

inline std::string Enc(std::string_view s) { return sigv4::UriEncode(s, false); }
inline std::string ObjectPath(std::string_view bucket, std::string_view key) {
  return "/" + std::string(bucket) + "/" + sigv4::UriEncode(key, true);
}
inline std::string Md5Base64(std::string_view bytes) {
  return Base64Encode(Digest(HashKind::kMd5, bytes));
}
inline std::string Crc32Base64(std::string_view bytes) {
  return Base64Encode(Digest(HashKind::kCrc32, bytes));
}
inline std::string Quoted(std::string s) { return "\"" + s + "\""; }

// What a request produced, with the body read whole (from the data file when streamed).
struct Result {
  Response response;
  std::string body;
  bool had_sink = false;

  int status() const { return response.status; }
  std::string code() const { return response.error_code; }
  std::string header(std::string_view name) const {
    auto v = response.headers.Get(name);
    return v ? std::string(*v) : std::string();
  }
  bool has_header(std::string_view name) const { return response.headers.Has(name); }
  const LogFacts& log() const { return response.log; }
  // Text of every node an XPath selects (namespaces are ignored by pugixml: plain names).
  std::vector<std::string> xml_all(const char* xpath) const {
    pugi::xml_document doc;
    std::vector<std::string> out;
    if (!doc.load_buffer(body.data(), body.size())) return out;
    for (const auto& n : doc.select_nodes(xpath)) out.emplace_back(n.node().child_value());
    return out;
  }
  std::string xml(const char* xpath) const {
    auto all = xml_all(xpath);
    return all.empty() ? std::string("<absent>") : all.front();
  }
  std::string message() const { return xml("/Error/Message"); }
};

inline std::ostream& operator<<(std::ostream& os, const Result& r) {
  return os << r.status() << " " << r.code() << " " << r.body;
}

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device random;
    dir_ = fs::temp_directory_path() /
           ("logbucket-s3svc-" + std::to_string(::getpid()) + "-" + std::to_string(random()));
    fs::create_directories(dir_);
    auto opened = storage::SqliteStore::Open({.data_dir = dir_ / "data"});
    ASSERT_TRUE(opened.has_value()) << opened.error().message;
    store_ = std::move(*opened);
    logging::AccessLogOptions log_options;
    log_options.spool_dir = dir_ / "spool";
    access_log_ = std::make_unique<logging::AccessLogService>(log_options, writer_, clock_);
    auto ok = access_log_->Open();
    ASSERT_TRUE(ok.has_value()) << ok.error();

    ServiceOptions options;
    options.region = "us-east-1";
    options.virtual_host_domain = "localhost";
    options.accounts = {
        Account{std::string(kTestAccount),
                std::string(kTestCanonical),
                "test",
                {User{"test", kTestKey.access, kTestKey.secret}}},
        Account{std::string(kAliceAccount),
                std::string(kAliceCanonical),
                "alice",
                {User{"alice", kAliceKey.access, kAliceKey.secret}}},
    };
    service_ = std::make_unique<Service>(options, *store_, *access_log_);
  }

  void TearDown() override {
    service_.reset();
    access_log_.reset();
    store_.reset();
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  // --- Building requests ---------------------------------------------------------------------

  RequestHead BaseHead(const TestRequest& r) {
    RequestHead head;
    head.method = r.method;
    head.target = r.path + (r.query.empty() ? "" : "?" + r.query);
    head.headers.Add("Host", r.host);
    for (const auto& [n, v] : r.headers) head.headers.Add(n, v);
    head.content_length = r.body.size();
    head.remote_ip = "127.0.0.1";
    char id[17];
    std::snprintf(id, sizeof(id), "%016llX",
                  static_cast<unsigned long long>(0xA000000000000000ull + ++request_counter_));
    head.request_id = id;
    head.host_id = "aG9zdC1pZA==" + std::to_string(request_counter_);
    head.received_at = system_clock::now();
    return head;
  }

  static sigv4::Credential CredentialFor(const Key& key, system_clock::time_point when) {
    std::string date = sigv4::FormatAmzDate(when).substr(0, 8);
    return sigv4::Credential{key.access, date, "us-east-1", "s3", "aws4_request"};
  }

  struct SignedHead {
    RequestHead head;
    std::string signature;
    std::string signing_key;
    std::string amz_date;
    sigv4::Credential credential;
  };

  // Signs every header of the request. payload_hash "" means the hex SHA-256 of the body.
  SignedHead SignHead(const TestRequest& r, const Key& key, std::string payload_hash = "",
                      system_clock::time_point when = system_clock::now()) {
    if (payload_hash.empty()) payload_hash = Sha256Hex(r.body);
    TestRequest copy = r;
    std::string amz_date = sigv4::FormatAmzDate(when);
    copy.headers.emplace_back("x-amz-date", amz_date);
    copy.headers.emplace_back("x-amz-content-sha256", payload_hash);
    SignedHead s;
    s.head = BaseHead(copy);
    std::vector<std::string> names;
    for (const auto& f : s.head.headers.fields()) names.push_back(ToLower(f.name));
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    s.credential = CredentialFor(key, when);
    sigv4::CanonicalRequestInput input{copy.method, copy.path,    copy.query, &s.head.headers,
                                       &names,      payload_hash, false};
    auto canonical = sigv4::CanonicalRequest(input);
    EXPECT_TRUE(canonical.has_value());
    std::string sts = sigv4::StringToSign(amz_date, s.credential, canonical.value_or(""));
    s.signing_key = sigv4::SigningKey(key.secret, s.credential);
    s.signature = sigv4::Signature(s.signing_key, sts);
    s.amz_date = amz_date;
    std::string signed_headers;
    for (const auto& n : names) signed_headers += (signed_headers.empty() ? "" : ";") + n;
    s.head.headers.Add("Authorization",
                       "AWS4-HMAC-SHA256 Credential=" + key.access + "/" + s.credential.scope() +
                           ", SignedHeaders=" + signed_headers + ", Signature=" + s.signature);
    return s;
  }

  RequestHead Signed(const TestRequest& r, const Key& key = kTestKey,
                     std::string payload_hash = "") {
    return SignHead(r, key, std::move(payload_hash)).head;
  }

  RequestHead Anonymous(const TestRequest& r) { return BaseHead(r); }

  // A presigned URL signed at `when`, valid for `expires` seconds, host the only signed header.
  RequestHead Presigned(const TestRequest& r, const Key& key = kTestKey, int expires = 300,
                        system_clock::time_point when = system_clock::now()) {
    sigv4::Credential credential = CredentialFor(key, when);
    std::string amz_date = sigv4::FormatAmzDate(when);
    std::string query = r.query;
    auto add = [&](std::string_view name, std::string_view value) {
      query += (query.empty() ? "" : "&") + std::string(name) + "=" + Enc(value);
    };
    add("X-Amz-Algorithm", "AWS4-HMAC-SHA256");
    add("X-Amz-Credential", key.access + "/" + credential.scope());
    add("X-Amz-Date", amz_date);
    add("X-Amz-Expires", std::to_string(expires));
    add("X-Amz-SignedHeaders", "host");
    TestRequest copy = r;
    copy.query = query;
    RequestHead head = BaseHead(copy);
    std::vector<std::string> names = {"host"};
    sigv4::CanonicalRequestInput input{copy.method, copy.path,          query, &head.headers,
                                       &names,      "UNSIGNED-PAYLOAD", true};
    auto canonical = sigv4::CanonicalRequest(input);
    EXPECT_TRUE(canonical.has_value());
    std::string sts = sigv4::StringToSign(amz_date, credential, canonical.value_or(""));
    std::string signature = sigv4::Signature(sigv4::SigningKey(key.secret, credential), sts);
    head.target = copy.path + "?" + query + "&X-Amz-Signature=" + signature;
    return head;
  }

  // STREAMING-AWS4-HMAC-SHA256-PAYLOAD: signed chunks of chunk_size bytes. Returns the head and
  // the encoded body.
  std::pair<RequestHead, std::string> SignedChunked(TestRequest r, std::string_view payload,
                                                    size_t chunk_size, const Key& key = kTestKey) {
    r.body.clear();
    r.Header("Content-Encoding", "aws-chunked");
    r.Header("x-amz-decoded-content-length", std::to_string(payload.size()));
    SignedHead s = SignHead(r, key, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
    std::string encoded;
    std::string previous = s.signature;
    auto chunk = [&](std::string_view data) {
      std::string sig =
          sigv4::ChunkSignature(s.signing_key, s.amz_date, s.credential, previous, data);
      char size[32];
      std::snprintf(size, sizeof(size), "%zx", data.size());
      encoded += std::string(size) + ";chunk-signature=" + sig + "\r\n";
      encoded += data;
      encoded += "\r\n";
      previous = sig;
    };
    for (size_t at = 0; at < payload.size(); at += chunk_size) {
      chunk(payload.substr(at, chunk_size));
    }
    chunk("");
    s.head.content_length = encoded.size();
    return {std::move(s.head), std::move(encoded)};
  }

  // STREAMING-UNSIGNED-PAYLOAD-TRAILER with an x-amz-checksum-crc32 trailer (what botocore sends
  // over HTTPS). `trailer_value` "" means the correct CRC32 of the payload.
  std::pair<RequestHead, std::string> UnsignedTrailer(TestRequest r, std::string_view payload,
                                                      size_t chunk_size,
                                                      std::string trailer_value = "",
                                                      const Key& key = kTestKey) {
    r.body.clear();
    r.Header("Content-Encoding", "aws-chunked");
    r.Header("x-amz-decoded-content-length", std::to_string(payload.size()));
    r.Header("x-amz-trailer", "x-amz-checksum-crc32");
    r.Header("x-amz-sdk-checksum-algorithm", "CRC32");
    SignedHead s = SignHead(r, key, "STREAMING-UNSIGNED-PAYLOAD-TRAILER");
    std::string encoded;
    for (size_t at = 0; at < payload.size(); at += chunk_size) {
      std::string_view data = payload.substr(at, chunk_size);
      char size[32];
      std::snprintf(size, sizeof(size), "%zx", data.size());
      encoded += std::string(size) + "\r\n";
      encoded += data;
      encoded += "\r\n";
    }
    if (trailer_value.empty()) trailer_value = Crc32Base64(payload);
    encoded += "0\r\nx-amz-checksum-crc32:" + trailer_value + "\r\n\r\n";
    s.head.content_length = encoded.size();
    return {std::move(s.head), std::move(encoded)};
  }

  // --- Running requests ----------------------------------------------------------------------

  Result Run(RequestHead head, std::string_view body, size_t pieces = 3) {
    std::string request_id = head.request_id;
    Dispatch d = service_->Start(std::move(head));
    Result out;
    if (d.response) {
      EXPECT_TRUE(d.sink == nullptr);
      out.response = std::move(*d.response);
    } else {
      EXPECT_TRUE(d.sink != nullptr);
      if (!d.sink) return out;
      out.had_sink = true;
      size_t piece = std::max<size_t>(1, (body.size() + pieces - 1) / std::max<size_t>(pieces, 1));
      std::optional<S3Error> failed;
      for (size_t at = 0; at < body.size() && !failed; at += piece) {
        auto ok = d.sink->Write(body.substr(at, piece));
        if (!ok) failed = ok.error();
      }
      out.response = failed ? d.sink->Abort(*failed) : d.sink->Finish();
    }
    if (out.response.file) {
      std::vector<char> buffer(4096);
      uint64_t done = 0;
      while (done < out.response.file_length) {
        size_t want =
            static_cast<size_t>(std::min<uint64_t>(buffer.size(), out.response.file_length - done));
        auto n = out.response.file->ReadAt(out.response.file_offset + done,
                                           std::span<char>(buffer.data(), want));
        EXPECT_TRUE(n.has_value());
        if (!n || *n == 0) break;
        out.body.append(buffer.data(), *n);
        done += *n;
      }
    } else {
      out.body = out.response.body;
    }
    // Every answer carries the request id it was given.
    EXPECT_EQ(out.header("x-amz-request-id"), request_id) << out;
    return out;
  }

  Result Run(RequestHead head) {
    std::string body;
    return Run(std::move(head), body);
  }

  // A signed request with its own body.
  Result Send(const TestRequest& r, const Key& key = kTestKey) {
    return Run(Signed(r, key), r.body);
  }

  // --- Short-hands ---------------------------------------------------------------------------

  Result CreateBucket(const std::string& name, const Key& key = kTestKey,
                      const std::string& location = "") {
    TestRequest r{.method = "PUT", .path = "/" + name};
    if (!location.empty()) {
      r.body =
          "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
          "<LocationConstraint>" +
          location + "</LocationConstraint></CreateBucketConfiguration>";
    }
    return Send(r, key);
  }

  void MakeBucket(const std::string& name, const Key& key = kTestKey,
                  const std::string& location = "") {
    Result r = CreateBucket(name, key, location);
    ASSERT_EQ(r.status(), 200) << r;
  }

  Result PutObject(const std::string& bucket, const std::string& key, std::string body,
                   std::vector<std::pair<std::string, std::string>> headers = {},
                   const Key& who = kTestKey) {
    TestRequest r{.method = "PUT", .path = ObjectPath(bucket, key)};
    r.headers = std::move(headers);
    r.body = std::move(body);
    return Send(r, who);
  }

  Result GetObject(const std::string& bucket, const std::string& key,
                   std::vector<std::pair<std::string, std::string>> headers = {},
                   const std::string& query = "") {
    TestRequest r{.method = "GET", .path = ObjectPath(bucket, key), .query = query};
    r.headers = std::move(headers);
    return Send(r);
  }

  Result HeadObject(const std::string& bucket, const std::string& key,
                    std::vector<std::pair<std::string, std::string>> headers = {}) {
    TestRequest r{.method = "HEAD", .path = ObjectPath(bucket, key)};
    r.headers = std::move(headers);
    return Send(r);
  }

  // Whether the store holds the key (independent of the S3 layer).
  bool Stored(const std::string& bucket, const std::string& key) {
    return store_->HeadObject(bucket, key).has_value();
  }

  fs::path dir_;
  std::unique_ptr<storage::SqliteStore> store_;
  MemoryLogObjectWriter writer_;
  logging::SystemClock clock_;
  std::unique_ptr<logging::AccessLogService> access_log_;
  std::unique_ptr<Service> service_;
  uint64_t request_counter_ = 0;
};

}  // namespace logbucket::s3::testing
