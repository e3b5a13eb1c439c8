// Log object keys: how Amazon names the objects it delivers into a target bucket.
//   SimplePrefix       <prefix>YYYY-MM-DD-hh-mm-ss-<UniqueString>
//   PartitionedPrefix
//   <prefix><account>/<region>/<bucket>/YYYY/MM/DD/YYYY-MM-DD-hh-mm-ss-<UniqueString>
// The prefix is concatenated verbatim (no separator added). Times are UTC. With DeliveryTime (and
// always with SimplePrefix) the date and time are the delivery time; with EventTime the date is the
// day of the events the object holds and the time part is 00-00-00. UniqueString is 16 upper-case
// hex digits derived from what identifies the delivered batch, so redelivering the same batch
// names the same key. Pure functions; thread-safe.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "logging/logging_configuration.h"

namespace logbucket::logging {

struct LogObjectKeyParams {
  std::string prefix;
  KeyFormat key_format = KeyFormat::kSimplePrefix;
  PartitionDateSource date_source = PartitionDateSource::kEventTime;
  std::string source_account;  // PartitionedPrefix only
  std::string source_region;   // PartitionedPrefix only
  std::string source_bucket;   // PartitionedPrefix only
  std::chrono::system_clock::time_point delivery_time;
  std::chrono::system_clock::time_point event_day;  // any instant of the events' UTC day
  std::string unique;                               // from MakeUniqueString
};

std::string MakeLogObjectKey(const LogObjectKeyParams& params);

// 16 upper-case hex digits: the first 8 bytes of SHA-256(identity).
std::string MakeUniqueString(std::string_view identity);

// The UTC day containing `t`, as its midnight.
std::chrono::system_clock::time_point UtcDayOf(std::chrono::system_clock::time_point t);

}  // namespace logbucket::logging
