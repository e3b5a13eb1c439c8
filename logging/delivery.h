// Delivery of sealed spool segments as log objects.
//
// A sealed segment holds the records of one source bucket. Its entries are grouped by where and
// how they are delivered (target, prefix, key format, date source, source account and region,
// and the event day when keys are partitioned by EventTime); each group becomes one log object,
// or several when it exceeds max_object_bytes (split on record boundaries). Every object's key is
// a function of (segment sequence, seal time, group, part), so delivering a segment twice writes
// the same keys with the same bytes: a crash between writing and forgetting cannot duplicate.
// The spool's done list makes a partly delivered segment resume with the objects still missing;
// the segment is forgotten once every object is written.
//
// Thread-safety: DeliverSegment must not run twice at once on the same segment (AccessLogService
// serializes deliveries). PlanSegmentObjects is pure.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "logging/file_spool.h"
#include "logging/log_object_writer.h"

namespace logbucket::logging {

struct PlannedObject {
  std::string target_bucket;
  std::string key;
  std::string body;  // the records, each followed by '\n'
  std::size_t records = 0;
  std::string source_account;

  // "target/key": how objects are named in FlushResult and the done list.
  std::string Id() const { return target_bucket + "/" + key; }
};

// The log objects that deliver `entries` (the contents of `segment`), in a stable order.
std::vector<PlannedObject> PlanSegmentObjects(const SealedSegment& segment,
                                              const std::vector<SpoolEntry>& entries,
                                              uint64_t max_object_bytes);

struct DeliveryOptions {
  bool strict_permissions = false;
  uint64_t max_object_bytes = 64ull << 20;
};

struct ObjectOutcome {
  std::string source_bucket;
  std::string target_bucket;
  std::string key;
  std::size_t records = 0;
  bool written = false;
  // Not written: why it stays pending. Written with kNotPermitted: the warning that Amazon would
  // not have delivered it (non-strict mode).
  DeliveryProblem problem = DeliveryProblem::kNone;
  std::string message;
};

struct SegmentOutcome {
  std::vector<ObjectOutcome> objects;  // the objects attempted now (done ones are not repeated)
  bool forgotten = false;              // every object written; the segment is gone
  std::string error;                   // the segment could not be read
};

// Writes the objects of `segment` not yet done through `writer`, after CheckPermission. A writer
// that throws leaves the segment pending (the exception propagates to the caller).
SegmentOutcome DeliverSegment(FileSpool& spool, const SealedSegment& segment,
                              LogObjectWriter& writer, const DeliveryOptions& options);

}  // namespace logbucket::logging
