// fill_store: fills a bucket of a stopped Logbucket's data directory with many tiny objects
// through storage's own API (SqliteStore::BeginWrite / CommitObject: a data file and a metadata
// row each, exactly what a PUT leaves), much faster than a million PUTs over HTTP. The bucket
// must exist already (created through the server, so it has the owner and region a real one has).
// Keys are PREFIX followed by an 8-digit index, as the load generator names them.
// Usage: fill_store --data-dir DIR --bucket NAME --count N [--key-prefix P] [--size BYTES]
//                   [--threads T]
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "server/s3/checksum.h"
#include "storage/sqlite_store.h"

namespace {

using logbucket::storage::ObjectRecord;
using logbucket::storage::SqliteStore;

template <class T>
bool ParseNumber(std::string_view text, T& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

std::string KeyName(const std::string& prefix, uint64_t index) {
  char digits[24];
  std::snprintf(digits, sizeof digits, "%08llu", static_cast<unsigned long long>(index));
  return prefix + digits;
}

}  // namespace

int main(int argc, char** argv) {
  std::string data_dir, bucket, prefix = "k/";
  uint64_t count = 0, size = 0;
  int threads = 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view name = argv[i];
    const std::string value = argv[i + 1];
    bool ok = true;
    if (name == "--data-dir") {
      data_dir = value;
    } else if (name == "--bucket") {
      bucket = value;
    } else if (name == "--key-prefix") {
      prefix = value;
    } else if (name == "--count") {
      ok = ParseNumber(value, count);
    } else if (name == "--size") {
      ok = ParseNumber(value, size);
    } else if (name == "--threads") {
      ok = ParseNumber(value, threads) && threads > 0;
    } else {
      ok = false;
    }
    if (!ok) {
      std::fprintf(stderr, "fill_store: bad option %s %s\n", argv[i], argv[i + 1]);
      return 2;
    }
  }
  if (data_dir.empty() || bucket.empty() || count == 0) {
    std::fprintf(stderr,
                 "usage: fill_store --data-dir DIR --bucket NAME --count N [--key-prefix P] "
                 "[--size BYTES] [--threads T]\n");
    return 2;
  }
  auto store = SqliteStore::Open({.data_dir = data_dir, .fsync = false});
  if (!store) {
    std::fprintf(stderr, "fill_store: %s\n", store.error().message.c_str());
    return 1;
  }
  auto owner = (*store)->GetBucket(bucket);
  if (!owner) {
    std::fprintf(stderr, "fill_store: bucket %s: %s\n", bucket.c_str(),
                 owner.error().message.c_str());
    return 1;
  }
  const std::string body(size, 'x');
  // Appended piecewise: '"' + string + '"' trips GCC 12's -Wrestrict false positive.
  std::string etag(1, '"');
  etag.append(logbucket::s3::Md5Hex(body)).push_back('"');
  const std::string crc32 =
      logbucket::s3::Base64Encode(logbucket::s3::Digest(logbucket::s3::HashKind::kCrc32, body));
  std::atomic<uint64_t> next{0};
  std::atomic<bool> failed{false};
  const auto start = std::chrono::steady_clock::now();
  auto work = [&] {
    for (uint64_t i = next++; i < count && !failed; i = next++) {
      auto pending = (*store)->BeginWrite();
      if (pending && size > 0 && !pending->Append(body)) pending = std::unexpected(pending.error());
      if (!pending) {
        std::fprintf(stderr, "fill_store: %s\n", pending.error().message.c_str());
        failed = true;
        return;
      }
      ObjectRecord record;
      record.bucket = bucket;
      record.key = KeyName(prefix, i);
      record.etag = etag;
      record.owner_account_id = owner->owner_account_id;
      record.headers["content-type"] = "application/octet-stream";
      record.checksums["CRC32"] = crc32;
      record.checksum_type = "FULL_OBJECT";
      if (auto done = (*store)->CommitObject(std::move(*pending), std::move(record)); !done) {
        std::fprintf(stderr, "fill_store: %s\n", done.error().message.c_str());
        failed = true;
        return;
      }
    }
  };
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) workers.emplace_back(work);
  for (auto& worker : workers) worker.join();
  if (failed) return 1;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("{\"objects\": %llu, \"seconds\": %.3f, \"objects_per_s\": %.0f}\n",
              static_cast<unsigned long long>(count), seconds, count / seconds);
  return 0;
}
