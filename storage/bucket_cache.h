// Internal to storage: the bucket rows and bucket settings read last, so that the reads every
// request makes (its bucket, the policy, the ownership setting...) do not each run a SQLite
// query. Entries are valid for one write generation of the tables they come from (see
// Database::WatchTables): the first lookup after any statement that may have written `buckets`
// or `bucket_settings` finds the cache empty, so a cached value is always what a query would
// return now. Only found buckets are cached, and settings only of buckets that exist (a missing
// setting is cached as nullopt); the number of buckets kept is bounded.
//
// Lookups do not need State::mu: a request's reads of its bucket and settings must not wait for a
// write transaction that holds mu (an I/O thread blocked there stalls every connection it serves).
// Callers read the write generation (an atomic) without mu and look up; only a miss takes mu, and
// entries are only ever put under mu, from committed rows (no transaction is open while mu is
// held by a reader), tagged with the generation read under mu. A lookup with any other
// generation than the cache's misses; the cache only moves forward (a lookup or put with a newer
// generation empties it; an older one is ignored), so a stale entry is never served once a
// writing statement has run.
//
// Thread-safety: every method may be called from any thread (an internal mutex).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "storage/types.h"

namespace logbucket::storage {

class BucketCache {
 public:
  // The tables whose generation the cache follows.
  static constexpr const char* kBucketsTable = "buckets";
  static constexpr const char* kSettingsTable = "bucket_settings";

  // The bucket's row, when read during `generation`.
  std::optional<BucketRecord> FindBucket(uint64_t generation, std::string_view name);
  void PutBucket(uint64_t generation, const BucketRecord& bucket);

  // nullopt when unknown; otherwise the setting's value (itself nullopt: the bucket exists and
  // has no such setting).
  std::optional<std::optional<std::string>> FindSetting(uint64_t generation,
                                                        std::string_view bucket,
                                                        std::string_view name);
  void PutSetting(uint64_t generation, std::string_view bucket, std::string_view name,
                  std::optional<std::string> value);

 private:
  struct Entry {
    std::optional<BucketRecord> record;
    std::map<std::string, std::optional<std::string>, std::less<>> settings;
  };
  static constexpr std::size_t kMaxBuckets = 1024;

  // Whether entries of `generation` may be read or put: empties the cache for a newer one; false
  // for an older one (mu_ held).
  bool Follow(uint64_t generation);
  // The entry of `bucket`, made room for when new.
  Entry& EntryFor(std::string_view bucket);

  std::mutex mu_;  // guards generation_ and buckets_
  uint64_t generation_ = 0;
  std::map<std::string, Entry, std::less<>> buckets_;
};

}  // namespace logbucket::storage
