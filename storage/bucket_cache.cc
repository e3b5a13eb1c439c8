#include "storage/bucket_cache.h"

#include <utility>

namespace logbucket::storage {

void BucketCache::Follow(uint64_t generation) {
  if (generation != generation_) {
    buckets_.clear();
    generation_ = generation;
  }
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
  Follow(generation);
  if (auto it = buckets_.find(name); it != buckets_.end()) {
    return it->second.record;
  }
  return std::nullopt;
}

void BucketCache::PutBucket(uint64_t generation, const BucketRecord& bucket) {
  Follow(generation);
  EntryFor(bucket.name).record = bucket;
}

const std::optional<std::string>* BucketCache::FindSetting(uint64_t generation,
                                                           std::string_view bucket,
                                                           std::string_view name) {
  Follow(generation);
  auto it = buckets_.find(bucket);
  if (it == buckets_.end()) {
    return nullptr;
  }
  auto setting = it->second.settings.find(name);
  return setting == it->second.settings.end() ? nullptr : &setting->second;
}

void BucketCache::PutSetting(uint64_t generation, std::string_view bucket, std::string_view name,
                             std::optional<std::string> value) {
  Follow(generation);
  auto& settings = EntryFor(bucket).settings;
  if (auto it = settings.find(name); it != settings.end()) {
    it->second = std::move(value);
  } else {
    settings.emplace(std::string(name), std::move(value));
  }
}

}  // namespace logbucket::storage
