// SqliteStore's multipart uploads: uploads, parts, completion and abort.
#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "storage/record_codec.h"
#include "storage/sqlite_store.h"
#include "storage/store_internal.h"

namespace logbucket::storage {

namespace {

// 128 random bits as 32 hex digits: URL-safe without escaping, unguessable, unique in practice.
constexpr size_t kUploadIdBytes = 16;

#define LOGBUCKET_UPLOAD_COLUMNS                                                            \
  "upload_id, bucket, object_key, owner, initiated_ms, storage_class, checksum_algorithm, " \
  "checksum_type, extras"

Error NoSuchUpload(std::string_view upload_id) {
  return Error{ErrorCode::kUploadNotFound, fmt::format("no multipart upload {}", upload_id)};
}

std::expected<UploadRecord, Error> ReadUploadRow(const Statement& row) {
  UploadRecord upload;
  upload.upload_id = row.ColumnString(0);
  upload.bucket = row.ColumnString(1);
  upload.key = row.ColumnString(2);
  upload.owner_account_id = row.ColumnString(3);
  upload.initiated_ms = row.ColumnInt(4);
  upload.storage_class = row.ColumnString(5);
  upload.checksum_algorithm = row.ColumnString(6);
  upload.checksum_type = row.ColumnString(7);
  if (auto decoded = DecodeUploadExtras(row.ColumnBytes(8), upload); !decoded) {
    return std::unexpected(std::move(decoded.error()));
  }
  return upload;
}

std::expected<UploadRecord, Error> SelectUpload(Database& db, std::string_view upload_id) {
  auto stmt = db.Prepare("SELECT " LOGBUCKET_UPLOAD_COLUMNS " FROM uploads WHERE upload_id = ?1");
  if (!stmt) {
    return std::unexpected(std::move(stmt.error()));
  }
  stmt->BindText(1, upload_id);
  auto row = stmt->Step();
  if (!row) {
    return std::unexpected(std::move(row.error()));
  }
  if (!*row) {
    return std::unexpected(NoSuchUpload(upload_id));
  }
  return ReadUploadRow(*stmt);
}

// Deletes the upload's rows and its parts' blobs, and returns the data file ids of its parts.
// Call inside a transaction.
std::expected<std::vector<std::string>, Error> DeleteUploadRows(Database& db,
                                                                std::string_view upload_id) {
  auto ids = SelectPartDataIds(db, upload_id);
  if (!ids) {
    return ids;
  }
  for (const char* sql :
       {"DELETE FROM blobs WHERE id IN (SELECT blob_id FROM parts WHERE upload_id = ?1)",
        "DELETE FROM parts WHERE upload_id = ?1", "DELETE FROM uploads WHERE upload_id = ?1"}) {
    auto stmt = db.Prepare(sql);
    if (!stmt) {
      return std::unexpected(std::move(stmt.error()));
    }
    stmt->BindText(1, upload_id);
    if (auto deleted = stmt->Run(); !deleted) {
      return std::unexpected(std::move(deleted.error()));
    }
  }
  return ids;
}

}  // namespace

// A part's bytes, read outside the lock while CompleteUpload concatenates: an open part file, or
// a copy of an inline part, with its wrapped data key when it is stored encrypted.
struct SqliteStore::PartSource {
  UniqueFd fd;
  std::filesystem::path path;
  std::string bytes;
  uint64_t size = 0;
  std::string sse_key;
};

std::expected<UploadRecord, Error> SqliteStore::CreateUpload(UploadRecord upload) {
  if (upload.upload_id.empty()) {
    auto id = RandomHex(kUploadIdBytes);
    if (!id) {
      return std::unexpected(std::move(id.error()));
    }
    upload.upload_id = std::move(*id);
  }
  if (upload.initiated_ms == 0) {
    upload.initiated_ms = NowMs();
  }
  std::lock_guard lock(state_->mu);
  Database& db = *state_->db;
  auto tx = Transaction::Begin(db);
  if (!tx) {
    return std::unexpected(std::move(tx.error()));
  }
  if (auto exists = RequireBucket(db, upload.bucket); !exists) {
    return std::unexpected(std::move(exists.error()));
  }
  auto stmt = db.Prepare("INSERT INTO uploads (" LOGBUCKET_UPLOAD_COLUMNS
                         ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
  if (!stmt) {
    return std::unexpected(std::move(stmt.error()));
  }
  stmt->BindText(1, upload.upload_id)
      .BindText(2, upload.bucket)
      .BindBlob(3, upload.key)
      .BindText(4, upload.owner_account_id)
      .BindInt(5, upload.initiated_ms)
      .BindText(6, upload.storage_class)
      .BindText(7, upload.checksum_algorithm)
      .BindText(8, upload.checksum_type)
      .BindBlob(9, EncodeUploadExtras(upload));
  if (auto inserted = stmt->Run(); !inserted) {
    return std::unexpected(std::move(inserted.error()));
  }
  if (auto committed = tx->Commit(); !committed) {
    return std::unexpected(std::move(committed.error()));
  }
  return upload;
}

std::expected<UploadRecord, Error> SqliteStore::GetUpload(std::string_view bucket,
                                                          std::string_view key,
                                                          std::string_view upload_id) {
  std::lock_guard lock(state_->mu);
  auto upload = SelectUpload(*state_->db, upload_id);
  if (!upload) {
    return upload;
  }
  if (upload->bucket != bucket || upload->key != key) {
    return std::unexpected(NoSuchUpload(upload_id));
  }
  return upload;
}

std::expected<PartRecord, Error> SqliteStore::CommitPart(std::string_view upload_id,
                                                         PendingWrite data, PartRecord record) {
  record.size = data.size();
  data.DescribeEncryption(record);
  if (record.last_modified_ms == 0) {
    record.last_modified_ms = NowMs();
  }
  auto data_ref = state_->Install(data);
  if (!data_ref) {
    state_->Discard(data);
    return std::unexpected(std::move(data_ref.error()));
  }
  auto replaced = [&]() -> std::expected<std::string, Error> {
    std::lock_guard lock(state_->mu);
    Database& db = *state_->db;
    auto tx = Transaction::Begin(db);
    if (!tx) {
      return std::unexpected(std::move(tx.error()));
    }
    if (auto upload = SelectUpload(db, upload_id); !upload) {
      return std::unexpected(std::move(upload.error()));
    }
    std::string old_file;
    auto select =
        db.Prepare("SELECT data_id, blob_id FROM parts WHERE upload_id = ?1 AND part_number = ?2");
    if (!select) {
      return std::unexpected(std::move(select.error()));
    }
    select->BindText(1, upload_id).BindInt(2, record.part_number);
    auto row = select->Step();
    if (!row) {
      return std::unexpected(std::move(row.error()));
    }
    if (*row) {
      const DataRef old = ReadDataRef(*select, 0, 1);
      select->Reset();
      auto released = ReleaseData(db, old);
      if (!released) {
        return released;
      }
      old_file = std::move(*released);
    }
    if (auto blob = State::StoreBlob(db, data, *data_ref); !blob) {
      return std::unexpected(std::move(blob.error()));
    }
    auto stmt = db.Prepare(
        "INSERT OR REPLACE INTO parts (upload_id, part_number, data_id, size, etag,"
        " last_modified_ms, checksums, blob_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    if (!stmt) {
      return std::unexpected(std::move(stmt.error()));
    }
    stmt->BindText(1, upload_id)
        .BindInt(2, record.part_number)
        .BindText(3, data_ref->data_id)
        .BindInt(4, static_cast<int64_t>(record.size))
        .BindText(5, record.etag)
        .BindInt(6, record.last_modified_ms)
        .BindBlob(7, EncodePartExtras(record));
    BindBlobId(*stmt, 8, *data_ref);
    if (auto stored = stmt->Run(); !stored) {
      return std::unexpected(std::move(stored.error()));
    }
    if (auto committed = tx->Commit(); !committed) {
      return std::unexpected(std::move(committed.error()));
    }
    return old_file;
  }();
  if (!replaced) {
    state_->Discard(data);
    return std::unexpected(std::move(replaced.error()));
  }
  State::Adopt(data);
  if (!replaced->empty()) {
    state_->RemoveDataFiles({*replaced});
  }
  return record;
}

std::expected<PartPage, Error> SqliteStore::ListParts(std::string_view upload_id,
                                                      uint32_t after_part, size_t max_parts) {
  std::lock_guard lock(state_->mu);
  Database& db = *state_->db;
  if (auto upload = SelectUpload(db, upload_id); !upload) {
    return std::unexpected(std::move(upload.error()));
  }
  auto stmt = db.Prepare(
      "SELECT part_number, size, etag, last_modified_ms, checksums FROM parts"
      " WHERE upload_id = ?1 AND part_number > ?2 ORDER BY part_number LIMIT ?3");
  if (!stmt) {
    return std::unexpected(std::move(stmt.error()));
  }
  stmt->BindText(1, upload_id)
      .BindInt(2, after_part)
      .BindInt(3, static_cast<int64_t>(std::min<uint64_t>(max_parts, 1ULL << 32) + 1));
  PartPage page;
  while (true) {
    auto row = stmt->Step();
    if (!row) {
      return std::unexpected(std::move(row.error()));
    }
    if (!*row) {
      break;
    }
    PartRecord part;
    part.part_number = static_cast<uint32_t>(stmt->ColumnInt(0));
    part.size = static_cast<uint64_t>(stmt->ColumnInt(1));
    part.etag = stmt->ColumnString(2);
    part.last_modified_ms = stmt->ColumnInt(3);
    if (auto decoded = DecodePartExtras(stmt->ColumnBytes(4), part); !decoded) {
      return std::unexpected(std::move(decoded.error()));
    }
    page.parts.push_back(std::move(part));
  }
  if (page.parts.size() > max_parts) {
    page.parts.resize(max_parts);
    page.truncated = true;
  }
  return page;
}

std::expected<UploadPage, Error> SqliteStore::ListUploads(std::string_view bucket,
                                                          std::string_view prefix,
                                                          std::string_view key_marker,
                                                          std::string_view upload_id_marker,
                                                          size_t max_uploads) {
  // S3's markers: without key_marker both are ignored; key_marker alone resumes after that key;
  // with upload_id_marker too, uploads of key_marker that come after the marker upload in
  // (initiated, upload id) order are included. When the marker upload is unknown, those of
  // key_marker whose id sorts after the marker are included, as S3 documents it.
  std::lock_guard lock(state_->mu);
  Database& db = *state_->db;
  if (auto exists = RequireBucket(db, bucket); !exists) {
    return std::unexpected(std::move(exists.error()));
  }
  std::optional<int64_t> marker_initiated;
  if (!key_marker.empty() && !upload_id_marker.empty()) {
    auto marker = SelectUpload(db, upload_id_marker);
    if (marker && marker->bucket == bucket && marker->key == key_marker) {
      marker_initiated = marker->initiated_ms;
    } else if (!marker && marker.error().code != ErrorCode::kUploadNotFound) {
      return std::unexpected(std::move(marker.error()));
    }
  }
  auto stmt = db.Prepare(
      "SELECT " LOGBUCKET_UPLOAD_COLUMNS
      " FROM uploads"
      " WHERE bucket = ?1 AND object_key >= ?2 AND (?3 IS NULL OR object_key < ?3)"
      " AND (?4 IS NULL OR object_key > ?4"
      "      OR (object_key = ?4 AND ?5 IS NOT NULL AND (initiated_ms, upload_id) > (?5, ?6))"
      "      OR (object_key = ?4 AND ?5 IS NULL AND ?6 IS NOT NULL AND upload_id > ?6))"
      " ORDER BY object_key, initiated_ms, upload_id LIMIT ?7");
  if (!stmt) {
    return std::unexpected(std::move(stmt.error()));
  }
  const std::string lower = std::max(std::string(prefix), std::string(key_marker));
  const std::optional<std::string> upper = PrefixSuccessor(prefix);
  stmt->BindText(1, bucket).BindBlob(2, lower);
  if (upper) {
    stmt->BindBlob(3, *upper);
  }
  if (!key_marker.empty()) {
    stmt->BindBlob(4, key_marker);
    if (marker_initiated) {
      stmt->BindInt(5, *marker_initiated);
    }
    if (!upload_id_marker.empty()) {
      stmt->BindText(6, upload_id_marker);
    }
  }
  stmt->BindInt(7,
                static_cast<int64_t>(
                    std::min<uint64_t>(max_uploads, std::numeric_limits<int64_t>::max() - 1) + 1));
  UploadPage page;
  while (true) {
    auto row = stmt->Step();
    if (!row) {
      return std::unexpected(std::move(row.error()));
    }
    if (!*row) {
      break;
    }
    auto upload = ReadUploadRow(*stmt);
    if (!upload) {
      return std::unexpected(std::move(upload.error()));
    }
    page.uploads.push_back(std::move(*upload));
  }
  if (page.uploads.size() > max_uploads) {
    page.uploads.resize(max_uploads);
    page.truncated = true;
  }
  return page;
}

std::expected<ObjectRecord, Error> SqliteStore::CompleteUpload(
    std::string_view upload_id, const std::vector<uint32_t>& part_numbers, ObjectRecord record,
    const WriteCondition& condition, const std::vector<std::string>& expected_etags) {
  // 1. Under the lock: the upload and an open descriptor for each named part, so the bytes are
  //    those of the parts as they are now even if a part is replaced or aborted meanwhile.
  std::vector<PartSource> sources;
  bool encrypt = false;  // the upload's: its object is encrypted under a key of its own
  {
    std::lock_guard lock(state_->mu);
    Database& db = *state_->db;
    auto upload = SelectUpload(db, upload_id);
    if (!upload) {
      return std::unexpected(std::move(upload.error()));
    }
    record.bucket = upload->bucket;
    record.key = upload->key;
    encrypt = !upload->sse_algorithm.empty();
    auto stmt = db.Prepare(
        "SELECT data_id, size, blob_id, checksums, etag FROM parts"
        " WHERE upload_id = ?1 AND part_number = ?2");
    if (!stmt) {
      return std::unexpected(std::move(stmt.error()));
    }
    for (size_t i = 0; i < part_numbers.size(); ++i) {
      const uint32_t number = part_numbers[i];
      stmt->BindText(1, upload_id).BindInt(2, number);
      auto row = stmt->Step();
      if (!row) {
        return std::unexpected(std::move(row.error()));
      }
      if (!*row) {
        return std::unexpected(Error{ErrorCode::kPartNotFound,
                                     fmt::format("upload {} has no part {}", upload_id, number)});
      }
      if (i < expected_etags.size() && stmt->ColumnBytes(4) != expected_etags[i]) {
        return std::unexpected(Error{
            ErrorCode::kPartNotFound,
            fmt::format("part {} of upload {} has ETag {} now, not {}", number, upload_id,
                        stmt->ColumnBytes(4), expected_etags[i])});
      }
      PartSource source;
      source.size = static_cast<uint64_t>(stmt->ColumnInt(1));
      const DataRef ref = ReadDataRef(*stmt, 0, 2);
      PartRecord extras;
      if (auto decoded = DecodePartExtras(stmt->ColumnBytes(3), extras); !decoded) {
        return std::unexpected(std::move(decoded.error()));
      }
      source.sse_key = std::move(extras.sse_key);
      stmt->Reset();
      if (ref.blob_id) {
        auto bytes = SelectBlob(db, *ref.blob_id);
        if (!bytes) {
          return std::unexpected(std::move(bytes.error()));
        }
        source.bytes = std::move(*bytes);
      } else {
        source.path = state_->layout.DataPath(ref.data_id);
        auto fd = OpenForReading(source.path);
        if (!fd) {
          return std::unexpected(std::move(fd.error()));
        }
        source.fd = UniqueFd(*fd);
      }
      sources.push_back(std::move(source));
    }
  }
  record.size = 0;
  record.part_sizes.clear();
  for (const PartSource& source : sources) {
    record.size += source.size;
    record.part_sizes.push_back(source.size);
  }
  record.parts_count = static_cast<uint32_t>(part_numbers.size());
  if (record.last_modified_ms == 0) {
    record.last_modified_ms = NowMs();
  }

  // 2. Without the lock: concatenate into a new PendingWrite (in memory while it fits the inline
  //    limit) and install it.
  auto data = BeginWrite({.encrypt = encrypt});
  if (!data) {
    return std::unexpected(std::move(data.error()));
  }
  for (PartSource& source : sources) {
    if (auto appended = AppendPart(*data, source); !appended) {
      return std::unexpected(std::move(appended.error()));
    }
  }
  sources.clear();
  data->DescribeEncryption(record);
  auto data_ref = state_->Install(*data);
  if (!data_ref) {
    state_->Discard(*data);
    return std::unexpected(std::move(data_ref.error()));
  }

  // 3. Under the lock, one transaction: the object row replaces any current object and the
  //    upload with all its parts (including parts not named) goes away.
  std::vector<std::string> obsolete;
  auto committed = [&]() -> std::expected<void, Error> {
    std::lock_guard lock(state_->mu);
    Database& db = *state_->db;
    auto tx = Transaction::Begin(db);
    if (!tx) {
      return std::unexpected(std::move(tx.error()));
    }
    if (auto upload = SelectUpload(db, upload_id); !upload) {
      return std::unexpected(std::move(upload.error()));  // aborted or completed meanwhile
    }
    auto old_files = PrepareReplace(state_->last_seq, db, record, condition);
    if (!old_files) {
      return std::unexpected(std::move(old_files.error()));
    }
    auto parts = DeleteUploadRows(db, upload_id);
    if (!parts) {
      return std::unexpected(std::move(parts.error()));
    }
    if (auto blob = State::StoreBlob(db, *data, *data_ref); !blob) {
      return blob;
    }
    if (auto stored = UpsertObject(db, record, *data_ref); !stored) {
      return stored;
    }
    if (auto done = tx->Commit(); !done) {
      return done;
    }
    obsolete = std::move(*parts);
    obsolete.insert(obsolete.end(), old_files->begin(), old_files->end());
    return {};
  }();
  if (!committed) {
    state_->Discard(*data);
    return std::unexpected(std::move(committed.error()));
  }
  State::Adopt(*data);
  state_->RemoveDataFiles(obsolete);
  return record;
}

std::expected<void, Error> SqliteStore::AppendPart(PendingWrite& data, PartSource& source) {
  std::optional<CtrCipher> cipher;
  if (!source.sse_key.empty()) {
    auto key = UnwrapKey(source.sse_key);
    if (!key) {
      return std::unexpected(std::move(key.error()));
    }
    auto created = CtrCipher::Create(*key);
    if (!created) {
      return std::unexpected(std::move(created.error()));
    }
    cipher = std::move(*created);
  }
  if (source.fd.get() >= 0) {
    return data.AppendFile(source.fd.get(), source.path, source.size, cipher ? &*cipher : nullptr);
  }
  if (cipher) {
    if (auto decrypted = cipher->Transform(0, source.bytes.data(), source.bytes.size());
        !decrypted) {
      return decrypted;
    }
  }
  return data.Append(source.bytes);
}

std::expected<void, Error> SqliteStore::AbortUpload(std::string_view upload_id) {
  std::vector<std::string> parts;
  {
    std::lock_guard lock(state_->mu);
    Database& db = *state_->db;
    auto tx = Transaction::Begin(db);
    if (!tx) {
      return std::unexpected(std::move(tx.error()));
    }
    if (auto upload = SelectUpload(db, upload_id); !upload) {
      return std::unexpected(std::move(upload.error()));
    }
    auto deleted = DeleteUploadRows(db, upload_id);
    if (!deleted) {
      return std::unexpected(std::move(deleted.error()));
    }
    if (auto done = tx->Commit(); !done) {
      return done;
    }
    parts = std::move(*deleted);
  }
  state_->RemoveDataFiles(parts);
  return {};
}

}  // namespace logbucket::storage
