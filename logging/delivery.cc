#include "logging/delivery.h"

#include <fmt/format.h>

#include <map>
#include <tuple>

#include "logging/diagnostics.h"
#include "logging/log_object_key.h"

namespace logbucket::logging {
namespace {

int64_t Millis(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

struct GroupKey {
  std::string target_bucket;
  std::string target_prefix;
  KeyFormat key_format;
  PartitionDateSource date_source;
  std::string source_account;
  std::string source_region;
  int64_t event_day_ms;  // -1 unless partitioned by EventTime

  auto operator<=>(const GroupKey&) const = default;
};

GroupKey GroupOf(const SpoolEntry& e) {
  const bool by_event_day = e.key_format == KeyFormat::kPartitionedPrefix &&
                            e.date_source == PartitionDateSource::kEventTime;
  return {e.target_bucket,
          e.target_prefix,
          e.key_format,
          e.date_source,
          e.source_account,
          e.source_region,
          by_event_day ? Millis(UtcDayOf(e.event_time)) : -1};
}

// Length-prefixed fields, so that no prefix content can make two identities collide.
std::string Identity(const SealedSegment& segment, const GroupKey& group, std::size_t part) {
  std::string out;
  auto add = [&out](std::string_view field) { out += fmt::format("{}:{};", field.size(), field); };
  add(segment.source_bucket);
  add(std::to_string(segment.sequence));
  add(std::to_string(Millis(segment.seal_time)));
  add(group.target_bucket);
  add(group.target_prefix);
  add(group.key_format == KeyFormat::kSimplePrefix ? "simple" : "partitioned");
  add(group.date_source == PartitionDateSource::kEventTime ? "event" : "delivery");
  add(group.source_account);
  add(group.source_region);
  add(std::to_string(group.event_day_ms));
  add(std::to_string(part));
  return out;
}

}  // namespace

std::vector<PlannedObject> PlanSegmentObjects(const SealedSegment& segment,
                                              const std::vector<SpoolEntry>& entries,
                                              uint64_t max_object_bytes) {
  // Groups in order of first appearance; within a group, records in append order.
  std::vector<std::pair<GroupKey, std::vector<const SpoolEntry*>>> groups;
  std::map<GroupKey, std::size_t> index;
  for (const SpoolEntry& entry : entries) {
    GroupKey key = GroupOf(entry);
    auto [it, inserted] = index.emplace(key, groups.size());
    if (inserted) {
      groups.emplace_back(std::move(key), std::vector<const SpoolEntry*>{});
    }
    groups[it->second].second.push_back(&entry);
  }
  std::vector<PlannedObject> objects;
  for (const auto& [group, members] : groups) {
    std::vector<PlannedObject> parts(1);
    for (const SpoolEntry* entry : members) {
      PlannedObject* current = &parts.back();
      if (current->records > 0 &&
          current->body.size() + entry->line.size() + 1 > max_object_bytes) {
        current = &parts.emplace_back();
      }
      current->body += entry->line;
      current->body.push_back('\n');
      ++current->records;
    }
    const SpoolEntry& first = *members.front();
    for (std::size_t part = 0; part < parts.size(); ++part) {
      PlannedObject& object = parts[part];
      object.target_bucket = group.target_bucket;
      object.source_account = group.source_account;
      object.key = MakeLogObjectKey({.prefix = group.target_prefix,
                                     .key_format = group.key_format,
                                     .date_source = group.date_source,
                                     .source_account = group.source_account,
                                     .source_region = group.source_region,
                                     .source_bucket = segment.source_bucket,
                                     .delivery_time = segment.seal_time,
                                     .event_day = first.event_time,
                                     .unique = MakeUniqueString(Identity(segment, group, part))});
      objects.push_back(std::move(object));
    }
  }
  return objects;
}

SegmentOutcome DeliverSegment(FileSpool& spool, const SealedSegment& segment,
                              LogObjectWriter& writer, const DeliveryOptions& options) {
  SegmentOutcome outcome;
  auto contents = spool.ReadSegment(segment);
  if (!contents) {
    outcome.error = contents.error();
    return outcome;
  }
  bool all_written = true;
  for (PlannedObject& object :
       PlanSegmentObjects(segment, contents->entries, options.max_object_bytes)) {
    const std::string id = object.Id();
    if (contents->done.contains(id)) {
      continue;
    }
    ObjectOutcome& result = outcome.objects.emplace_back();
    result.source_bucket = segment.source_bucket;
    result.target_bucket = object.target_bucket;
    result.key = object.key;
    result.records = object.records;
    DeliveryError permission = writer.CheckPermission(object.target_bucket, object.key,
                                                      segment.source_bucket, object.source_account);
    if (permission.problem == DeliveryProblem::kNotPermitted && !options.strict_permissions) {
      result.problem = DeliveryProblem::kNotPermitted;
      result.message = "delivered, but Amazon would not deliver: " + permission.message;
    } else if (permission.problem != DeliveryProblem::kNone) {
      result.problem = permission.problem;
      result.message = permission.message;
      all_written = false;
      continue;
    }
    auto put = writer.PutLogObject(object.target_bucket, object.key, object.body);
    if (!put) {
      result.problem = put.error().problem;
      result.message = put.error().message;
      all_written = false;
      continue;
    }
    result.written = true;
    if (auto marked = spool.MarkDone(segment, id); !marked) {
      // Harmless: a later delivery rewrites the same key with the same bytes.
      Diagnostics().warn("{}", marked.error());
    }
  }
  if (all_written) {
    spool.Forget(segment, *contents);
    outcome.forgotten = true;
  }
  return outcome;
}

}  // namespace logbucket::logging
