// Fuzzes every XML document the server parses: BucketLoggingStatus, CompleteMultipartUpload,
// Delete, CreateBucketConfiguration, AccessControlPolicy and OwnershipControls. The first byte
// picks the document (so one corpus serves all), the rest is the body. Invariants: a parse
// error is a client error, never InternalError; a document that parses renders to XML that
// parses back to the same rendering (logging, ACL, ownership controls); the DeleteResult
// rendered for any parsed Delete's keys is well-formed XML.
#include <cstdint>
#include <cstdlib>
#include <pugixml.hpp>
#include <string>
#include <string_view>

#include "server/s3/xml/acl_xml.h"
#include "server/s3/xml/bucket_xml.h"
#include "server/s3/xml/delete_xml.h"
#include "server/s3/xml/logging_xml.h"
#include "server/s3/xml/multipart_xml.h"

namespace xml = logbucket::s3::xml;

namespace {

template <typename Result>
void CheckError(const Result& result) {
  // Hostile input is the client's fault: never an InternalError (500).
  if (!result && result.error().code == logbucket::s3::ErrorCode::kInternalError) std::abort();
}

bool WellFormed(const std::string& text) {
  pugi::xml_document doc;
  return static_cast<bool>(doc.load_buffer(text.data(), text.size()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 6) {
    case 0: {
      auto parsed = xml::ParseBucketLoggingStatus(body);
      CheckError(parsed);
      if (!parsed) break;
      std::string rendered = xml::RenderBucketLoggingStatus(*parsed);
      auto again = xml::ParseBucketLoggingStatus(rendered);
      if (!again || xml::RenderBucketLoggingStatus(*again) != rendered) std::abort();
      break;
    }
    case 1: {
      auto parsed = xml::ParseCompleteMultipartUpload(body);
      CheckError(parsed);
      break;
    }
    case 2: {
      auto parsed = xml::ParseDelete(body);
      CheckError(parsed);
      if (!parsed) break;
      if (parsed->objects.size() > xml::kMaxDeleteObjects) std::abort();
      std::vector<xml::DeletedEntry> deleted;
      std::vector<xml::DeleteErrorEntry> errors;
      for (const auto& [key, version] : parsed->objects) {
        deleted.push_back({key, version});
        errors.push_back({key, version, "AccessDenied", "Access Denied"});
      }
      if (!WellFormed(xml::RenderDeleteResult(deleted, errors))) std::abort();
      break;
    }
    case 3: {
      auto parsed = xml::ParseCreateBucketConfiguration(body);
      CheckError(parsed);
      break;
    }
    case 4: {
      auto parsed = xml::ParseAccessControlPolicy(body);
      CheckError(parsed);
      if (!parsed) break;
      std::string rendered = xml::RenderAccessControlPolicy(*parsed);
      auto again = xml::ParseAccessControlPolicy(rendered);
      if (!again || xml::RenderAccessControlPolicy(*again) != rendered) std::abort();
      break;
    }
    case 5: {
      auto parsed = xml::ParseOwnershipControls(body);
      CheckError(parsed);
      if (!parsed) break;
      auto again = xml::ParseOwnershipControls(xml::RenderOwnershipControls(*parsed));
      if (!again || *again != *parsed) std::abort();
      break;
    }
  }
  return 0;
}
