// DeleteObjects: one REST.POST.MULTI_OBJECT_DELETE record plus one BATCH.DELETE.OBJECT record
// per key, as Amazon logs it.
#include "server/s3/authorize.h"
#include "server/s3/checksum.h"
#include "server/s3/operation.h"
#include "server/s3/versions.h"
#include "server/s3/xml/delete_xml.h"

namespace logbucket::s3 {

// Operations whose API requires Content-MD5 or an x-amz-checksum-* header (the body receiver
// has already verified whichever was sent).
std::expected<void, S3Error> RequireContentChecksum(const OpContext& c) {
  if (c.Header("content-md5") || c.Header("x-amz-trailer")) return {};
  for (ChecksumAlgorithm a : AllChecksumAlgorithms()) {
    if (c.Header(ChecksumHeaderName(a))) return {};
  }
  return std::unexpected(
      S3Error(ErrorCode::kInvalidRequest, "Missing required header for this request: Content-MD5"));
}

OpResult DeleteObjects(OpContext& c) {
  if (auto ok = RequireContentChecksum(c); !ok) return std::unexpected(ok.error());
  auto request = xml::ParseDelete(c.body->buffer);
  if (!request) return std::unexpected(request.error());
  std::vector<xml::DeletedEntry> deleted;
  std::vector<xml::DeleteErrorEntry> errors;
  const Account* owner = c.state.AccountById(c.bucket->owner_account_id);
  for (const auto& [key, version_id] : request->objects) {
    ExtraLogRecord record;
    record.operation = "BATCH.DELETE.OBJECT";
    record.bucket = c.bucket->name;
    record.bucket_owner_account_id = c.bucket->owner_account_id;
    if (owner) record.bucket_owner_canonical_id = owner->canonical_id;
    record.key = key;
    record.version_id = version_id;
    record.batch_style = true;
    if (key.empty() || key.size() > 1024) {
      errors.push_back({key, version_id, "InvalidArgument", "Invalid key"});
      continue;
    }
    std::optional<std::string> storage_version;
    if (!version_id.empty()) {
      auto id = StorageVersionId(version_id);
      if (!id) {
        errors.push_back({key, version_id, "NoSuchVersion", "The specified version does not exist."});
        continue;
      }
      storage_version = std::move(*id);
    }
    bool by_acl = false;  // DeleteObjects has no bucket-level action: each key is authorised
    if (!Authorize(c.state, c.head, c.query, c.auth, *c.bucket,
                   storage_version ? "s3:DeleteObjectVersion" : "s3:DeleteObject", key, &by_acl)) {
      errors.push_back({key, version_id, "AccessDenied", "Access Denied"});
      continue;
    }
    c.log.acl_required = c.log.acl_required || by_acl;
    storage::DeleteOptions options;
    if (c.auth.account) options.owner_account_id = c.auth.account->id;
    auto removed = storage_version
                       ? c.state.store.DeleteVersion(c.bucket->name, key, *storage_version)
                       : c.state.store.DeleteObject(c.bucket->name, key, options);
    if (!removed) {
      S3Error e = FromStorage(removed.error());
      errors.push_back({key, version_id, std::string(e.code_name()), e.message});
      continue;
    }
    record.http_status = 204;
    c.log.extra.push_back(std::move(record));
    if (!request->quiet) {
      xml::DeletedEntry entry;
      entry.key = key;
      entry.version_id = version_id;
      entry.delete_marker = removed->delete_marker;
      if (removed->delete_marker) {
        entry.delete_marker_version_id =
            storage_version ? version_id : WireVersionId(removed->version_id);
      }
      deleted.push_back(std::move(entry));
    }
  }
  return XmlResponse(200, xml::RenderDeleteResult(deleted, errors));
}

}  // namespace logbucket::s3
