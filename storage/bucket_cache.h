// Internal to storage: the bucket rows and bucket settings read last, so that the reads every
// request makes (its bucket, the policy, the ownership setting...) do not each run a SQLite
// query. Entries are valid for one write generation of the tables they come from (see
// Database::WatchTables): the first lookup after any statement that may have written `buckets`
// or `bucket_settings` finds the cache empty, so a cached value is always what a query would
// return now. Only found buckets are cached, and settings only of buckets that exist (a missing
// setting is cached as nullopt); the number of buckets kept is bounded.
//
// Thread-safety: none; SqliteStore uses it with State::mu held, like the connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
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

  // nullptr when unknown; otherwise the setting's value (nullopt: the bucket exists and has no
  // such setting), valid until the next call.
  const std::optional<std::string>* FindSetting(uint64_t generation, std::string_view bucket,
                                                std::string_view name);
  void PutSetting(uint64_t generation, std::string_view bucket, std::string_view name,
                  std::optional<std::string> value);

 private:
  struct Entry {
    std::optional<BucketRecord> record;
    std::map<std::string, std::optional<std::string>, std::less<>> settings;
  };
  static constexpr std::size_t kMaxBuckets = 1024;

  // Empties the cache when the tables changed since it was filled.
  void Follow(uint64_t generation);
  // The entry of `bucket`, made room for when new.
  Entry& EntryFor(std::string_view bucket);

  uint64_t generation_ = 0;
  std::map<std::string, Entry, std::less<>> buckets_;
};

}  // namespace logbucket::storage
