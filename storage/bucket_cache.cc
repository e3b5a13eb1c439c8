#include "storage/bucket_cache.h"

#include <utility>

namespace logbucket::storage {

bool BucketCache::Follow(uint64_t generation) {
  if (generation < generation_) {
    return false;  // read before a newer one was seen: the cache holds later state
  }
  if (generation > generation_) {
    buckets_.clear();
    generation_ = generation;
  }
  return true;
}

BucketCache::Entry& BucketCache::EntryFor(std::string_view bucket) {
  if (auto it = buckets_.find(bucket); it != buckets_.end()) {
    return it->second;
  }
  if (buckets_.size() >= kMaxBuckets) {
    buckets_.clear();  // many buckets in use: start over rather than track recency
  }
  return buckets_.emplace(std::string(bucket), Entry{}).first->second;
}

std::optional<BucketRecord> BucketCache::FindBucket(uint64_t generation, std::string_view name) {
  std::lock_guard lock(mu_);
  if (!Follow(generation)) {
    return std::nullopt;
  }
  if (auto it = buckets_.find(name); it != buckets_.end()) {
    return it->second.record;
  }
  return std::nullopt;
}

void BucketCache::PutBucket(uint64_t generation, const BucketRecord& bucket) {
  std::lock_guard lock(mu_);
  if (Follow(generation)) {
    EntryFor(bucket.name).record = bucket;
  }
}

std::optional<std::optional<std::string>> BucketCache::FindSetting(uint64_t generation,
                                                                   std::string_view bucket,
                                                                   std::string_view name) {
  std::lock_guard lock(mu_);
  if (!Follow(generation)) {
    return std::nullopt;
  }
  auto it = buckets_.find(bucket);
  if (it == buckets_.end()) {
    return std::nullopt;
  }
  auto setting = it->second.settings.find(name);
  if (setting == it->second.settings.end()) {
    return std::nullopt;
  }
  return setting->second;
}

void BucketCache::PutSetting(uint64_t generation, std::string_view bucket, std::string_view name,
                             std::optional<std::string> value) {
  std::lock_guard lock(mu_);
  if (!Follow(generation)) {
    return;
  }
  auto& settings = EntryFor(bucket).settings;
  if (auto it = settings.find(name); it != settings.end()) {
    it->second = std::move(value);
  } else {
    settings.emplace(std::string(name), std::move(value));
  }
}

}  // namespace logbucket::storage
