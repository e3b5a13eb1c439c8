#include "storage/error.h"

namespace logbucket::storage {

const char* ToString(ErrorCode code) {
  switch (code) {
    case ErrorCode::kBucketNotFound: return "bucket not found";
    case ErrorCode::kBucketExists: return "bucket exists";
    case ErrorCode::kBucketNotEmpty: return "bucket not empty";
    case ErrorCode::kObjectNotFound: return "object not found";
    case ErrorCode::kUploadNotFound: return "upload not found";
    case ErrorCode::kPartNotFound: return "part not found";
    case ErrorCode::kConditionFailed: return "condition failed";
    case ErrorCode::kNoSpace: return "no space left";
    case ErrorCode::kIo: return "i/o error";
    case ErrorCode::kCorrupt: return "corrupt";
    case ErrorCode::kInternal: return "internal error";
  }
  return "unknown";
}

}  // namespace logbucket::storage
