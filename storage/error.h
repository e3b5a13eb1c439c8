// Storage error values. Storage knows nothing of S3 error codes: server/s3 maps these in one place.
// Thread-safety: plain values.
#pragma once

#include <string>

namespace logbucket::storage {

enum class ErrorCode {
  kBucketNotFound,
  kBucketExists,       // a bucket of that name exists already (any owner)
  kBucketNotEmpty,     // objects remain
  kObjectNotFound,
  kUploadNotFound,     // multipart upload id unknown (or belongs to another bucket/key)
  kPartNotFound,       // CompleteUpload names a part that was never uploaded
  kConditionFailed,    // a WriteCondition did not hold at commit time
  kNoSpace,            // ENOSPC / EDQUOT while writing
  kIo,                 // any other filesystem failure
  kCorrupt,            // the database or a data file is not what the metadata says
  kInternal,           // SQLite or logic failure
};

struct Error {
  ErrorCode code;
  std::string message;  // for diagnostics only, never shown to clients verbatim
};

const char* ToString(ErrorCode code);

}  // namespace logbucket::storage
