// Listing operations: ListObjects (v1), ListObjectsV2, ListObjectVersions, ListMultipartUploads. Delimiters are
// implemented over storage's key-ordered scan by seeking past each common prefix, so a page
// costs a few index range scans whatever the bucket's size.
#include <charconv>

#include "server/s3/checksum.h"
#include "server/s3/operation.h"
#include "server/s3/versions.h"
#include "server/s3/xml/list_xml.h"
#include "server/s3/xml/multipart_xml.h"
#include "server/s3/xml/versioning_xml.h"

namespace logbucket::s3 {
namespace {

// Keys are valid UTF-8, which never contains the byte 0xFF: prefix + "\xff" sorts after every
// key that starts with prefix.
std::string PastPrefix(std::string_view prefix) { return std::string(prefix) + "\xff"; }

std::expected<int, S3Error> MaxParam(const OpContext& c, std::string_view name, int fallback) {
  auto v = c.Query(name);
  if (!v) return fallback;
  int n = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc{} || p != v->data() + v->size() || n < 0) {
    return std::unexpected(S3Error(ErrorCode::kInvalidArgument,
                                   "Provided " + std::string(name) +
                                       " not an integer or within integer range")
                               .With("ArgumentName", std::string(name))
                               .With("ArgumentValue", std::string(*v)));
  }
  return std::min(n, 1000);
}

std::expected<std::string, S3Error> EncodingType(const OpContext& c) {
  auto v = c.Query("encoding-type");
  if (!v) return std::string();
  if (*v != "url") {
    return std::unexpected(S3Error(ErrorCode::kInvalidArgument, "Invalid Encoding Method specified in Request")
                               .With("ArgumentName", "encoding-type")
                               .With("ArgumentValue", std::string(*v)));
  }
  return std::string("url");
}

// The common prefix `key` rolls up into, or "" when it does not.
std::string CommonPrefixOf(std::string_view key, std::string_view prefix,
                           std::string_view delimiter) {
  if (delimiter.empty() || !key.starts_with(prefix)) return "";
  auto pos = key.find(delimiter, prefix.size());
  if (pos == std::string_view::npos) return "";
  return std::string(key.substr(0, pos + delimiter.size()));
}

struct Listing {
  std::vector<storage::ObjectRecord> objects;
  std::vector<std::string> common_prefixes;
  bool truncated = false;
  std::string cursor;  // where the next page starts (exclusive)
  std::string last;    // last key or common prefix returned
};

std::expected<Listing, S3Error> Scan(OpContext& c, std::string_view prefix,
                                     std::string_view delimiter, std::string cursor,
                                     int max_keys) {
  Listing out;
  // A marker inside a common prefix means that prefix was already returned.
  if (std::string cp = CommonPrefixOf(cursor, prefix, delimiter); !cp.empty()) {
    cursor = std::max(cursor, PastPrefix(cp));
  }
  int count = 0;
  while (true) {
    size_t want = static_cast<size_t>(std::max(1, max_keys - count + 1));
    auto page = c.state.store.ListObjects(c.bucket->name, prefix, cursor, want);
    if (!page) return std::unexpected(FromStorage(page.error()));
    bool restarted = false;
    for (auto& object : page->objects) {
      if (count == max_keys) {
        out.truncated = true;
        out.cursor = cursor;
        return out;
      }
      if (std::string cp = CommonPrefixOf(object.key, prefix, delimiter); !cp.empty()) {
        out.common_prefixes.push_back(cp);
        out.last = cp;
        cursor = PastPrefix(cp);
        ++count;
        restarted = true;  // skip the rest of this prefix with a new range scan
        break;
      }
      cursor = object.key;
      out.last = object.key;
      out.objects.push_back(std::move(object));
      ++count;
    }
    if (restarted) continue;
    if (!page->truncated) break;
  }
  out.cursor = cursor;
  return out;
}

xml::ListEntry EntryOf(const OpContext& c, const storage::ObjectRecord& o, bool with_owner) {
  xml::ListEntry e;
  e.key = o.key;
  e.last_modified_ms = o.last_modified_ms;
  e.etag = o.etag;
  e.size = o.size;
  e.storage_class = o.storage_class;
  if (with_owner) {
    if (const Account* a = c.state.AccountById(o.owner_account_id)) {
      e.owner = xml::Owner{a->canonical_id, a->display_name};
    }
  }
  for (const auto& [algorithm, value] : o.checksums) e.checksum_algorithms.push_back(algorithm);
  e.checksum_type = o.checksum_type;
  return e;
}

}  // namespace

OpResult ListObjects(OpContext& c) {
  bool v2 = c.Query("list-type") == "2";
  auto max_keys = MaxParam(c, "max-keys", 1000);
  if (!max_keys) return std::unexpected(max_keys.error());
  auto encoding = EncodingType(c);
  if (!encoding) return std::unexpected(encoding.error());
  std::string prefix(c.Query("prefix").value_or(""));
  std::string delimiter(c.Query("delimiter").value_or(""));

  xml::ListObjectsResult result;
  result.v2 = v2;
  result.bucket = c.bucket->name;
  result.prefix = prefix;
  result.delimiter = delimiter;
  result.encoding_type = *encoding;
  result.max_keys = *max_keys;

  std::string cursor;
  if (v2) {
    if (auto token = c.Query("continuation-token")) {
      auto decoded = Base64Decode(*token);
      if (!decoded || token->empty()) {
        return std::unexpected(S3Error(ErrorCode::kInvalidArgument,
                                       "The continuation token provided is incorrect")
                                   .With("ArgumentName", "continuation-token"));
      }
      result.continuation_token = std::string(*token);
      cursor = *decoded;
    } else if (auto start_after = c.Query("start-after")) {
      cursor = std::string(*start_after);
    }
    result.start_after = std::string(c.Query("start-after").value_or(""));
  } else {
    result.marker = std::string(c.Query("marker").value_or(""));
    cursor = result.marker;
  }

  auto listing = Scan(c, prefix, delimiter, cursor, *max_keys);
  if (!listing) return std::unexpected(listing.error());
  bool with_owner = !v2 || c.Query("fetch-owner") == "true";
  for (const auto& o : listing->objects) result.contents.push_back(EntryOf(c, o, with_owner));
  result.common_prefixes = std::move(listing->common_prefixes);
  result.is_truncated = listing->truncated;
  result.key_count = static_cast<int>(result.contents.size() + result.common_prefixes.size());
  if (listing->truncated) {
    if (v2) {
      result.next_continuation_token = Base64Encode(listing->cursor);
    } else if (!delimiter.empty()) {
      result.next_marker = listing->last;
    }
  }
  return XmlResponse(200, xml::RenderListBucketResult(result));
}

OpResult ListMultipartUploads(OpContext& c) {
  auto max_uploads = MaxParam(c, "max-uploads", 1000);
  if (!max_uploads) return std::unexpected(max_uploads.error());
  auto encoding = EncodingType(c);
  if (!encoding) return std::unexpected(encoding.error());
  xml::ListUploadsResult result;
  result.bucket = c.bucket->name;
  result.prefix = std::string(c.Query("prefix").value_or(""));
  result.delimiter = std::string(c.Query("delimiter").value_or(""));
  result.key_marker = std::string(c.Query("key-marker").value_or(""));
  result.upload_id_marker =
      result.key_marker.empty() ? "" : std::string(c.Query("upload-id-marker").value_or(""));
  result.encoding_type = *encoding;
  result.max_uploads = *max_uploads;

  std::string key_marker = result.key_marker;
  std::string id_marker = result.upload_id_marker;
  // A marker inside a common prefix means that prefix was already returned.
  if (std::string cp = CommonPrefixOf(key_marker, result.prefix, result.delimiter); !cp.empty()) {
    key_marker = std::max(key_marker, PastPrefix(cp));
    id_marker.clear();
  }
  int count = 0;
  while (*max_uploads > 0) {
    auto page = c.state.store.ListUploads(c.bucket->name, result.prefix, key_marker, id_marker,
                                          static_cast<size_t>(*max_uploads - count + 1));
    if (!page) return std::unexpected(FromStorage(page.error()));
    bool restarted = false;
    for (const auto& u : page->uploads) {
      if (count == *max_uploads) {
        result.is_truncated = true;
        break;
      }
      if (std::string cp = CommonPrefixOf(u.key, result.prefix, result.delimiter); !cp.empty()) {
        result.common_prefixes.push_back(cp);
        result.next_key_marker = cp;
        result.next_upload_id_marker.clear();
        key_marker = PastPrefix(cp);
        id_marker.clear();
        ++count;
        restarted = true;
        break;
      }
      xml::UploadEntry e;
      e.key = u.key;
      e.upload_id = u.upload_id;
      if (const Account* a = c.state.AccountById(u.owner_account_id)) {
        e.initiator = e.owner = xml::Owner{a->canonical_id, a->display_name};
      }
      e.storage_class = u.storage_class;
      e.initiated_ms = u.initiated_ms;
      e.checksum_algorithm = u.checksum_algorithm;
      result.uploads.push_back(std::move(e));
      result.next_key_marker = u.key;
      result.next_upload_id_marker = u.upload_id;
      key_marker = u.key;
      id_marker = u.upload_id;
      ++count;
    }
    if (result.is_truncated || (!restarted && !page->truncated)) break;
  }
  return XmlResponse(200, xml::RenderListMultipartUploadsResult(result));
}

OpResult ListObjectVersions(OpContext& c) {
  auto max_keys = MaxParam(c, "max-keys", 1000);
  if (!max_keys) return std::unexpected(max_keys.error());
  auto encoding = EncodingType(c);
  if (!encoding) return std::unexpected(encoding.error());
  xml::ListVersionsResult result;
  result.bucket = c.bucket->name;
  result.prefix = std::string(c.Query("prefix").value_or(""));
  result.delimiter = std::string(c.Query("delimiter").value_or(""));
  result.key_marker = std::string(c.Query("key-marker").value_or(""));
  result.version_id_marker = std::string(c.Query("version-id-marker").value_or(""));
  result.encoding_type = *encoding;
  result.max_keys = *max_keys;

  std::string key_marker = result.key_marker;
  std::optional<std::string> version_marker;
  if (!result.version_id_marker.empty()) {
    if (key_marker.empty()) {
      return std::unexpected(
          S3Error(ErrorCode::kInvalidArgument,
                  "A version-id marker cannot be specified without a key marker.")
              .With("ArgumentName", "version-id-marker")
              .With("ArgumentValue", result.version_id_marker));
    }
    auto id = StorageVersionId(result.version_id_marker, "version-id-marker");
    if (!id) return std::unexpected(id.error());
    version_marker = std::move(*id);
  }
  // A marker inside a common prefix means that prefix was already returned.
  if (std::string cp = CommonPrefixOf(key_marker, result.prefix, result.delimiter); !cp.empty()) {
    key_marker = std::max(key_marker, PastPrefix(cp));
    version_marker.reset();
  }
  int count = 0;
  while (*max_keys > 0) {
    auto page = c.state.store.ListVersions(c.bucket->name, result.prefix, key_marker,
                                           version_marker,
                                           static_cast<size_t>(*max_keys - count + 1));
    if (!page) {
      if (page.error().code == storage::ErrorCode::kObjectNotFound) {
        return std::unexpected(S3Error(ErrorCode::kInvalidArgument, "Invalid version id specified")
                                   .With("ArgumentName", "version-id-marker")
                                   .With("ArgumentValue", result.version_id_marker));
      }
      return std::unexpected(FromStorage(page.error()));
    }
    bool restarted = false;
    for (const storage::VersionEntry& v : page->versions) {
      if (count == *max_keys) {
        result.is_truncated = true;
        break;
      }
      const storage::ObjectRecord& o = v.record;
      if (std::string cp = CommonPrefixOf(o.key, result.prefix, result.delimiter); !cp.empty()) {
        result.common_prefixes.push_back(cp);
        result.next_key_marker = cp;
        result.next_version_id_marker.clear();
        key_marker = PastPrefix(cp);
        version_marker.reset();
        ++count;
        restarted = true;
        break;
      }
      xml::VersionEntry e;
      e.delete_marker = o.delete_marker;
      e.key = o.key;
      e.version_id = WireVersionId(o.version_id);
      e.is_latest = v.is_latest;
      e.last_modified_ms = o.last_modified_ms;
      if (const Account* a = c.state.AccountById(o.owner_account_id)) {
        e.owner = xml::Owner{a->canonical_id, a->display_name};
      }
      if (!o.delete_marker) {
        e.etag = o.etag;
        e.size = o.size;
        e.storage_class = o.storage_class;
        for (const auto& [algorithm, value] : o.checksums) {
          e.checksum_algorithms.push_back(algorithm);
        }
        e.checksum_type = o.checksum_type;
      }
      result.entries.push_back(std::move(e));
      result.next_key_marker = o.key;
      result.next_version_id_marker = WireVersionId(o.version_id);
      key_marker = o.key;
      version_marker = o.version_id;
      ++count;
    }
    if (result.is_truncated || (!restarted && !page->truncated)) break;
  }
  return XmlResponse(200, xml::RenderListVersionsResult(result));
}

}  // namespace logbucket::s3
