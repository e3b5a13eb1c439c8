// Fuzzes every XML document the server parses: BucketLoggingStatus, CompleteMultipartUpload,
// Delete, CreateBucketConfiguration, AccessControlPolicy, OwnershipControls,
// VersioningConfiguration, LifecycleConfiguration and ServerSideEncryptionConfiguration. The
// first byte picks the document (so one corpus serves all; make_xml_seeds.py writes the seeds
// from the unit tests' documents), the rest is the body. Invariants: a parse error is a client
// error, never InternalError; a document that parses renders to XML that parses back to the
// same value (logging, ACL, ownership controls, versioning, lifecycle with and without
// generated rule ids, encryption); the DeleteResult rendered for any parsed Delete's keys is
// well-formed XML.
// Thread-safety: libFuzzer calls LLVMFuzzerTestOneInput from one thread.
#include <cstdint>
#include <cstdlib>
#include <pugixml.hpp>
#include <string>
#include <string_view>

#include "server/s3/xml/acl_xml.h"
#include "server/s3/xml/bucket_xml.h"
#include "server/s3/lifecycle_rules.h"
#include "server/s3/xml/delete_xml.h"
#include "server/s3/xml/encryption_xml.h"
#include "server/s3/xml/lifecycle_xml.h"
#include "server/s3/xml/logging_xml.h"
#include "server/s3/xml/multipart_xml.h"
#include "server/s3/xml/versioning_xml.h"

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
  switch (data[0] % 9) {
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
        deleted.push_back({key, version, deleted.size() % 2 == 1, version.empty() ? "" : version});
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
    case 6: {
      auto parsed = xml::ParseVersioningConfiguration(body);
      CheckError(parsed);
      if (!parsed) break;
      auto again = xml::ParseVersioningConfiguration(xml::RenderVersioningConfiguration(*parsed));
      if (!again || *again != *parsed) std::abort();
      break;
    }
    case 7: {
      auto parsed = xml::ParseLifecycleConfiguration(body);
      CheckError(parsed);
      if (!parsed) break;
      auto again = xml::ParseLifecycleConfiguration(xml::RenderLifecycleConfiguration(*parsed));
      if (!again || *again != *parsed) std::abort();
      int next = 0;
      logbucket::s3::AssignMissingRuleIds(*parsed, [&] { return "id-" + std::to_string(next++); });
      for (const auto& rule : parsed->rules) {
        if (rule.id.empty()) std::abort();
      }
      auto stored = xml::ParseLifecycleConfiguration(xml::RenderLifecycleConfiguration(*parsed));
      if (!stored || *stored != *parsed) std::abort();
      break;
    }
    case 8: {
      auto parsed = xml::ParseServerSideEncryptionConfiguration(body);
      CheckError(parsed);
      if (!parsed) break;
      auto again = xml::ParseServerSideEncryptionConfiguration(
          xml::RenderServerSideEncryptionConfiguration(*parsed));
      if (!again || *again != *parsed) std::abort();
      break;
    }
  }
  return 0;
}
