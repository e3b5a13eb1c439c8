// Versioning in SqliteStore: the bucket's versioning state, what a write or a delete does to the
// versions of a key, deletes and reads of one version, and listing versions.
//
// Where versions live: the current version of a key (an object, never a delete marker) is its row
// of objects, exactly as in a never-versioned bucket, so that listing and GET of current objects
// never look at versions. Every other version is a row of versions, keyed (bucket, key, seq DESC):
// noncurrent object versions, and delete markers (a delete marker that is the latest version of
// its key has noncurrent_ms 0; a key then has no row in objects). Invariants, kept by every
// transaction here: a key has at most one null version (version_id ""), in objects or versions;
// in versions, only the newest row of a key can have noncurrent_ms 0, and only if it is a delete
// marker and the key has no current object.
//
// Thread-safety: as SqliteStore (everything below runs with State::mu held).
#include <fmt/format.h>

#include <chrono>
#include <limits>

#include "storage/data_files.h"
#include "storage/record_codec.h"
#include "storage/store_internal.h"

namespace logbucket::storage {

namespace {

#define LOGBUCKET_VERSION_COLUMNS LOGBUCKET_OBJECT_COLUMNS ", seq, delete_marker, noncurrent_ms"

// A row of versions: the object columns plus its order and when it stopped being the latest.
struct StoredVersion {
  StoredObject stored;
  int64_t seq = 0;
  TimestampMs noncurrent_ms = 0;
};

std::expected<StoredVersion, Error> ReadVersionRow(const Statement& row, std::string_view bucket) {
  auto stored = ReadObjectRow(row, bucket);
  if (!stored) {
    return std::unexpected(std::move(stored.error()));
  }
  StoredVersion version{.stored = std::move(*stored)};
  version.seq = row.ColumnInt(12);
  version.stored.record.delete_marker = row.ColumnInt(13) != 0;
  version.noncurrent_ms = row.ColumnInt(14);
  return version;
}

// Steps `stmt` (selecting LOGBUCKET_VERSION_COLUMNS) once: its next row, or nullopt at the end.
std::expected<std::optional<StoredVersion>, Error> NextVersion(Statement& stmt,
                                                               std::string_view bucket) {
  auto row = stmt.Step();
  if (!row) {
    return std::unexpected(std::move(row.error()));
  }
  if (!*row) {
    return std::nullopt;
  }
  auto version = ReadVersionRow(stmt, bucket);
  if (!version) {
    return std::unexpected(std::move(version.error()));
  }
  return std::move(*version);
}

Versioning ParseVersioning(std::string_view text) {
  if (text == "Enabled") {
    return Versioning::kEnabled;
  }
  if (text == "Suspended") {
    return Versioning::kSuspended;
  }
  return Versioning::kUnversioned;
}

// The bucket's versioning state; kBucketNotFound when there is no such bucket.
std::expected<Versioning, Error> SelectVersioning(Database& db, std::string_view bucket) {
  auto stmt = db.Prepare("SELECT versioning FROM buckets WHERE name = ?1");
  if (!stmt) {
    return std::unexpected(std::move(stmt.error()));
  }
  stmt->BindText(1, bucket);
  auto row = stmt->Step();
  if (!row) {
    return std::unexpected(std::move(row.error()));
  }
  if (!*row) {
    return std::unexpected(
        Error{ErrorCode::kBucketNotFound, fmt::format("no bucket named {}", bucket)});
  }
  return ParseVersioning(stmt->ColumnBytes(0));
}

// 32 characters of [A-Za-z0-9._] (192 random bits): opaque, URL-safe, like S3's version ids.
std::expected<std::string, Error> NewVersionId() {
  auto hex = RandomHex(32);
  if (!hex) {
    return std::unexpected(std::move(hex.error()));
  }
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._";
  auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  std::string id;
  id.reserve(32);
  for (size_t i = 0; i + 1 < hex->size(); i += 2) {
    const int byte = nibble((*hex)[i]) * 16 + nibble((*hex)[i + 1]);
    id.push_back(kAlphabet[byte % 64]);
  }
  return id;
}

std::expected<void, Error> InsertVersion(Database& db, const ObjectRecord& record,
                                         const DataRef& data, int64_t seq,
                                         TimestampMs noncurrent_ms) {
  auto stmt = db.Prepare(
      "INSERT INTO versions (bucket, " LOGBUCKET_VERSION_COLUMNS
      ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)");
  if (!stmt) {
    return std::unexpected(std::move(stmt.error()));
  }
  stmt->BindText(1, record.bucket)
      .BindBlob(2, record.key)
      .BindText(3, data.data_id)
      .BindInt(4, static_cast<int64_t>(record.size))
      .BindText(5, record.etag)
      .BindInt(6, record.last_modified_ms)
      .BindText(7, record.owner_account_id)
      .BindText(8, record.storage_class)
      .BindText(9, record.checksum_type)
      .BindInt(10, record.parts_count)
      .BindText(11, record.version_id)
      .BindBlob(12, EncodeObjectExtras(record))
      .BindInt(14, seq)
      .BindInt(15, record.delete_marker ? 1 : 0)
      .BindInt(16, noncurrent_ms);
  BindBlobId(*stmt, 13, data);
  return stmt->Run();
}

std::expected<void, Error> DeleteCurrentRow(Database& db, std::string_view bucket,
                                            std::string_view key) {
  auto stmt = db.Prepare("DELETE FROM objects WHERE bucket = ?1 AND object_key = ?2");
  if (!stmt) {
    return std::unexpected(std::move(stmt.error()));
  }
  stmt->BindText(1, bucket).BindBlob(2, key);
  return stmt->Run();
}

std::expected<void, Error> DeleteVersionRow(Database& db, std::string_view bucket,
                                            std::string_view key, int64_t seq) {
  auto stmt = db.Prepare("DELETE FROM versions WHERE bucket = ?1 AND object_key = ?2 AND seq = ?3");
  if (!stmt) {
    return std::unexpected(std::move(stmt.error()));
  }
  stmt->BindText(1, bucket).BindBlob(2, key).BindInt(3, seq);
  return stmt->Run();
}

// The latest delete marker of a key (if any) stops being the latest at `now`.
std::expected<void, Error> MarkLatestNoncurrent(Database& db, std::string_view bucket,
                                                std::string_view key, TimestampMs now) {
  auto stmt = db.Prepare(
      "UPDATE versions SET noncurrent_ms = ?3"
      " WHERE bucket = ?1 AND object_key = ?2 AND noncurrent_ms = 0");
  if (!stmt) {
    return std::unexpected(std::move(stmt.error()));
  }
  stmt->BindText(1, bucket).BindBlob(2, key).BindInt(3, now);
  return stmt->Run();
}

// The row of versions of bucket/key with that version id (a key has at most one).
std::expected<std::optional<StoredVersion>, Error> SelectVersionById(Database& db,
                                                                     std::string_view bucket,
                                                                     std::string_view key,
                                                                     std::string_view version_id) {
  auto stmt = db.Prepare("SELECT " LOGBUCKET_VERSION_COLUMNS
                         " FROM versions WHERE bucket = ?1 AND object_key = ?2"
                         " AND version_id = ?3");
  if (!stmt) {
    return std::unexpected(std::move(stmt.error()));
  }
  stmt->BindText(1, bucket).BindBlob(2, key).BindText(3, version_id);
  return NextVersion(*stmt, bucket);
}

// The newest row of versions of bucket/key.
std::expected<std::optional<StoredVersion>, Error> SelectNewestVersion(Database& db,
                                                                       std::string_view bucket,
                                                                       std::string_view key) {
  auto stmt = db.Prepare("SELECT " LOGBUCKET_VERSION_COLUMNS
                         " FROM versions WHERE bucket = ?1 AND object_key = ?2"
                         " ORDER BY seq DESC LIMIT 1");
  if (!stmt) {
    return std::unexpected(std::move(stmt.error()));
  }
  stmt->BindText(1, bucket).BindBlob(2, key);
  return NextVersion(*stmt, bucket);
}

// Removes a version row for good, adding its data file (if any) to `files`.
std::expected<void, Error> RemoveVersion(Database& db, const StoredVersion& version,
                                         std::vector<std::string>& files) {
  const ObjectRecord& record = version.stored.record;
  if (auto deleted = DeleteVersionRow(db, record.bucket, record.key, version.seq); !deleted) {
    return deleted;
  }
  auto released = ReleaseData(db, version.stored.data);
  if (!released) {
    return std::unexpected(std::move(released.error()));
  }
  if (!released->empty()) {
    files.push_back(std::move(*released));
  }
  return {};
}

// Removes the noncurrent null version of a key, if there is one.
std::expected<void, Error> RemoveNullVersion(Database& db, std::string_view bucket,
                                             std::string_view key,
                                             std::vector<std::string>& files) {
  auto null_version = SelectVersionById(db, bucket, key, "");
  if (!null_version) {
    return std::unexpected(std::move(null_version.error()));
  }
  if (!*null_version) {
    return {};
  }
  return RemoveVersion(db, **null_version, files);
}

// After the latest version of a key went away: the newest remaining row of versions becomes the
// latest (an object version moves back to objects; a delete marker stays, marked latest).
std::expected<void, Error> PromoteNewest(Database& db, std::string_view bucket,
                                         std::string_view key) {
  auto newest = SelectNewestVersion(db, bucket, key);
  if (!newest) {
    return std::unexpected(std::move(newest.error()));
  }
  if (!*newest) {
    return {};
  }
  StoredVersion& version = **newest;
  if (version.stored.record.delete_marker) {
    auto stmt = db.Prepare(
        "UPDATE versions SET noncurrent_ms = 0 WHERE bucket = ?1 AND object_key = ?2 AND seq = ?3");
    if (!stmt) {
      return std::unexpected(std::move(stmt.error()));
    }
    stmt->BindText(1, bucket).BindBlob(2, key).BindInt(3, version.seq);
    return stmt->Run();
  }
  if (auto deleted = DeleteVersionRow(db, bucket, key, version.seq); !deleted) {
    return deleted;
  }
  return UpsertObject(db, version.stored.record, version.stored.data);
}

// The current object or the row of versions with that version id.
std::expected<std::optional<StoredObject>, Error> FindVersion(Database& db,
                                                              std::string_view bucket,
                                                              std::string_view key,
                                                              std::string_view version_id) {
  auto current = SelectObject(db, bucket, key);
  if (!current) {
    return std::unexpected(std::move(current.error()));
  }
  if (*current && (*current)->record.version_id == version_id) {
    return std::move(*current);
  }
  auto version = SelectVersionById(db, bucket, key, version_id);
  if (!version) {
    return std::unexpected(std::move(version.error()));
  }
  if (!*version) {
    if (auto exists = RequireBucket(db, bucket); !exists) {
      return std::unexpected(std::move(exists.error()));
    }
    return std::nullopt;
  }
  return std::move((*version)->stored);
}

Error NoSuchVersion(std::string_view bucket, std::string_view key, std::string_view version_id) {
  return Error{ErrorCode::kObjectNotFound,
               fmt::format("{}/{} has no version '{}'", bucket, key, version_id)};
}

}  // namespace

int64_t NextSeq(int64_t& last_seq) {
  const int64_t now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  last_seq = std::max(now_us, last_seq + 1);
  return last_seq;
}

std::expected<std::vector<std::string>, Error> PrepareReplace(int64_t& last_seq, Database& db,
                                                              ObjectRecord& record,
                                                              const WriteCondition& condition) {
  auto versioning = SelectVersioning(db, record.bucket);
  if (!versioning) {
    return std::unexpected(std::move(versioning.error()));
  }
  auto current = SelectObject(db, record.bucket, record.key);
  if (!current) {
    return std::unexpected(std::move(current.error()));
  }
  if (condition.must_not_exist && *current) {
    return std::unexpected(Error{
        ErrorCode::kConditionFailed,
        fmt::format("{}/{} exists (must not exist)", record.bucket, record.key)});
  }
  if (condition.etag_equals) {
    if (!*current) {
      return std::unexpected(
          Error{ErrorCode::kConditionFailed,
                fmt::format("{}/{} does not exist (ETag required)", record.bucket, record.key)});
    }
    if ((*current)->record.etag != *condition.etag_equals) {
      return std::unexpected(Error{
          ErrorCode::kConditionFailed,
          fmt::format("{}/{} has ETag {}, not {}", record.bucket, record.key,
                      (*current)->record.etag, *condition.etag_equals)});
    }
  }
  record.delete_marker = false;
  record.version_id.clear();
  if (*versioning == Versioning::kEnabled) {
    auto id = NewVersionId();
    if (!id) {
      return std::unexpected(std::move(id.error()));
    }
    record.version_id = std::move(*id);
  }
  std::vector<std::string> files;
  const TimestampMs now = NowMs();
  if (*current) {
    StoredObject& old = **current;
    if (*versioning == Versioning::kUnversioned || old.record.version_id.empty()) {
      // Replaced: the null version (the only version of a never-versioned bucket) goes away.
      // In an Enabled bucket the null version stays, as a noncurrent version.
      if (*versioning != Versioning::kEnabled) {
        auto released = ReleaseData(db, old.data);
        if (!released) {
          return std::unexpected(std::move(released.error()));
        }
        if (!released->empty()) {
          files.push_back(std::move(*released));
        }
        return files;
      }
    }
    if (auto kept = InsertVersion(db, old.record, old.data, NextSeq(last_seq), now); !kept) {
      return std::unexpected(std::move(kept.error()));
    }
  } else if (*versioning != Versioning::kUnversioned) {
    if (auto marked = MarkLatestNoncurrent(db, record.bucket, record.key, now); !marked) {
      return std::unexpected(std::move(marked.error()));
    }
  }
  if (*versioning == Versioning::kSuspended) {
    if (auto removed = RemoveNullVersion(db, record.bucket, record.key, files); !removed) {
      return std::unexpected(std::move(removed.error()));
    }
  }
  return files;
}

std::expected<void, Error> SqliteStore::SetBucketVersioning(std::string_view bucket,
                                                            Versioning versioning) {
  if (versioning == Versioning::kUnversioned) {
    return std::unexpected(
        Error{ErrorCode::kInternal, "a bucket cannot go back to never versioned"});
  }
  std::lock_guard lock(state_->mu);
  auto stmt = state_->db->Prepare("UPDATE buckets SET versioning = ?2 WHERE name = ?1");
  if (!stmt) {
    return std::unexpected(std::move(stmt.error()));
  }
  stmt->BindText(1, bucket).BindText(2, versioning == Versioning::kEnabled ? "Enabled"
                                                                            : "Suspended");
  if (auto updated = stmt->Run(); !updated) {
    return updated;
  }
  if (state_->db->Changes() == 0) {
    return std::unexpected(
        Error{ErrorCode::kBucketNotFound, fmt::format("no bucket named {}", bucket)});
  }
  return {};
}

std::expected<DeleteOutcome, Error> SqliteStore::DeleteObject(std::string_view bucket,
                                                              std::string_view key,
                                                              const DeleteOptions& options) {
  DeleteOutcome outcome;
  std::vector<std::string> files;
  {
    std::lock_guard lock(state_->mu);
    Database& db = *state_->db;
    auto tx = Transaction::Begin(db);
    if (!tx) {
      return std::unexpected(std::move(tx.error()));
    }
    auto versioning = SelectVersioning(db, bucket);
    if (!versioning) {
      return std::unexpected(std::move(versioning.error()));
    }
    auto current = SelectObject(db, bucket, key);
    if (!current) {
      return std::unexpected(std::move(current.error()));
    }
    if (options.modified_at_most &&
        (!*current || (*current)->record.last_modified_ms > *options.modified_at_most)) {
      return outcome;
    }
    if ((options.expected_etag || options.expected_version_id) &&
        (!*current ||
         (options.expected_etag && (*current)->record.etag != *options.expected_etag) ||
         (options.expected_version_id &&
          (*current)->record.version_id != *options.expected_version_id))) {
      return outcome;
    }
    if (!*current && *versioning == Versioning::kUnversioned) {
      return outcome;
    }
    const TimestampMs now = NowMs();
    if (*current) {
      StoredObject& old = **current;
      if (auto deleted = DeleteCurrentRow(db, bucket, key); !deleted) {
        return std::unexpected(std::move(deleted.error()));
      }
      const bool keep = *versioning == Versioning::kEnabled ||
                        (*versioning == Versioning::kSuspended && !old.record.version_id.empty());
      if (keep) {
        if (auto kept = InsertVersion(db, old.record, old.data, NextSeq(state_->last_seq), now); !kept) {
          return std::unexpected(std::move(kept.error()));
        }
      } else {
        auto released = ReleaseData(db, old.data);
        if (!released) {
          return std::unexpected(std::move(released.error()));
        }
        files.push_back(std::move(*released));
        outcome.version_id = old.record.version_id;
        outcome.removed = std::move(old.record);
      }
    } else if (auto marked = MarkLatestNoncurrent(db, bucket, key, now); !marked) {
      return std::unexpected(std::move(marked.error()));
    }
    if (*versioning != Versioning::kUnversioned) {
      if (*versioning == Versioning::kSuspended) {
        if (auto removed = RemoveNullVersion(db, bucket, key, files); !removed) {
          return std::unexpected(std::move(removed.error()));
        }
      }
      ObjectRecord marker;
      marker.bucket = std::string(bucket);
      marker.key = std::string(key);
      marker.delete_marker = true;
      marker.last_modified_ms = now;
      marker.owner_account_id = options.owner_account_id;
      if (*versioning == Versioning::kEnabled) {
        auto id = NewVersionId();
        if (!id) {
          return std::unexpected(std::move(id.error()));
        }
        marker.version_id = std::move(*id);
      }
      if (auto added = InsertVersion(db, marker, DataRef{}, NextSeq(state_->last_seq), 0); !added) {
        return std::unexpected(std::move(added.error()));
      }
      outcome.delete_marker = true;
      outcome.version_id = marker.version_id;
    }
    if (auto committed = tx->Commit(); !committed) {
      return std::unexpected(std::move(committed.error()));
    }
  }
  state_->RemoveDataFiles(files);
  return outcome;
}

std::expected<DeleteOutcome, Error> SqliteStore::DeleteVersion(std::string_view bucket,
                                                               std::string_view key,
                                                               std::string_view version_id,
                                                               bool only_if_noncurrent) {
  DeleteOutcome outcome;
  std::vector<std::string> files;
  {
    std::lock_guard lock(state_->mu);
    Database& db = *state_->db;
    auto tx = Transaction::Begin(db);
    if (!tx) {
      return std::unexpected(std::move(tx.error()));
    }
    if (auto exists = RequireBucket(db, bucket); !exists) {
      return std::unexpected(std::move(exists.error()));
    }
    auto current = SelectObject(db, bucket, key);
    if (!current) {
      return std::unexpected(std::move(current.error()));
    }
    bool was_latest = false;
    if (*current && (*current)->record.version_id == version_id) {
      if (only_if_noncurrent) return outcome;
      if (auto deleted = DeleteCurrentRow(db, bucket, key); !deleted) {
        return std::unexpected(std::move(deleted.error()));
      }
      auto released = ReleaseData(db, (*current)->data);
      if (!released) {
        return std::unexpected(std::move(released.error()));
      }
      files.push_back(std::move(*released));
      outcome.removed = std::move((*current)->record);
      was_latest = true;
    } else {
      auto version = SelectVersionById(db, bucket, key, version_id);
      if (!version) {
        return std::unexpected(std::move(version.error()));
      }
      if (!*version) {
        return outcome;  // no such version: nothing to do (S3 answers 204)
      }
      if (only_if_noncurrent && !*current && (*version)->noncurrent_ms == 0) {
        return outcome;  // it became the latest version meanwhile
      }
      if (auto removed = RemoveVersion(db, **version, files); !removed) {
        return std::unexpected(std::move(removed.error()));
      }
      was_latest = !*current && (*version)->noncurrent_ms == 0;
      if ((*version)->stored.record.delete_marker) {
        outcome.delete_marker = true;
      } else {
        outcome.removed = std::move((*version)->stored.record);
      }
    }
    outcome.version_id = std::string(version_id);
    if (was_latest) {
      if (auto promoted = PromoteNewest(db, bucket, key); !promoted) {
        return std::unexpected(std::move(promoted.error()));
      }
    }
    if (auto committed = tx->Commit(); !committed) {
      return std::unexpected(std::move(committed.error()));
    }
  }
  state_->RemoveDataFiles(files);
  return outcome;
}

std::expected<ObjectRecord, Error> SqliteStore::HeadVersion(std::string_view bucket,
                                                            std::string_view key,
                                                            std::string_view version_id) {
  std::lock_guard lock(state_->mu);
  auto found = FindVersion(*state_->db, bucket, key, version_id);
  if (!found) {
    return std::unexpected(std::move(found.error()));
  }
  if (!*found) {
    return std::unexpected(NoSuchVersion(bucket, key, version_id));
  }
  return std::move((*found)->record);
}

std::expected<ObjectReader, Error> SqliteStore::OpenVersion(std::string_view bucket,
                                                            std::string_view key,
                                                            std::string_view version_id) {
  std::lock_guard lock(state_->mu);
  auto found = FindVersion(*state_->db, bucket, key, version_id);
  if (!found) {
    return std::unexpected(std::move(found.error()));
  }
  if (!*found) {
    return std::unexpected(NoSuchVersion(bucket, key, version_id));
  }
  return OpenStored(std::move(**found));
}

std::expected<std::optional<ObjectRecord>, Error> SqliteStore::LatestDeleteMarker(
    std::string_view bucket, std::string_view key) {
  std::lock_guard lock(state_->mu);
  Database& db = *state_->db;
  auto newest = SelectNewestVersion(db, bucket, key);
  if (!newest) {
    return std::unexpected(std::move(newest.error()));
  }
  if (!*newest || !(*newest)->stored.record.delete_marker || (*newest)->noncurrent_ms != 0) {
    return std::nullopt;
  }
  return std::move((*newest)->stored.record);
}

std::expected<VersionPage, Error> SqliteStore::ListVersions(
    std::string_view bucket, std::string_view prefix, std::string_view key_marker,
    std::optional<std::string_view> version_id_marker, size_t max_versions) {
  // One entry more than asked tells whether the page is truncated.
  const size_t limit = std::min<size_t>(max_versions, 1'000'000) + 1;
  VersionPage page;
  std::lock_guard lock(state_->mu);
  Database& db = *state_->db;
  if (auto exists = RequireBucket(db, bucket); !exists) {
    return std::unexpected(std::move(exists.error()));
  }
  auto add_version = [&](StoredVersion version) {
    VersionEntry entry{.record = std::move(version.stored.record)};
    entry.is_latest = version.noncurrent_ms == 0;
    entry.noncurrent_since_ms = version.noncurrent_ms;
    page.versions.push_back(std::move(entry));
  };

  // 1. With a version marker: the versions of key_marker older than the marker.
  std::string lower(prefix);
  if (!key_marker.empty() || version_id_marker) {
    std::string after(key_marker);
    after.push_back('\0');
    lower = std::max(lower, after);
  }
  if (version_id_marker && key_marker.starts_with(prefix)) {
    int64_t older_than = std::numeric_limits<int64_t>::max();
    auto current = SelectObject(db, bucket, key_marker);
    if (!current) {
      return std::unexpected(std::move(current.error()));
    }
    if (!*current || (*current)->record.version_id != *version_id_marker) {
      auto marker = SelectVersionById(db, bucket, key_marker, *version_id_marker);
      if (!marker) {
        return std::unexpected(std::move(marker.error()));
      }
      if (!*marker) {
        return std::unexpected(NoSuchVersion(bucket, key_marker, *version_id_marker));
      }
      older_than = (*marker)->seq;
    }
    auto stmt = db.Prepare("SELECT " LOGBUCKET_VERSION_COLUMNS
                           " FROM versions WHERE bucket = ?1 AND object_key = ?2 AND seq < ?3"
                           " ORDER BY seq DESC LIMIT ?4");
    if (!stmt) {
      return std::unexpected(std::move(stmt.error()));
    }
    stmt->BindText(1, bucket)
        .BindBlob(2, key_marker)
        .BindInt(3, older_than)
        .BindInt(4, static_cast<int64_t>(limit));
    while (true) {
      auto version = NextVersion(*stmt, bucket);
      if (!version) {
        return std::unexpected(std::move(version.error()));
      }
      if (!*version) {
        break;
      }
      add_version(std::move(**version));
    }
  }

  // 2. Keys in [lower, upper): current objects merged with rows of versions, the current
  //    object of a key first. Each side is read at most `remaining` rows deep: if one side runs
  //    out at that depth, the page is already full.
  const std::optional<std::string> upper = PrefixSuccessor(prefix);
  if (page.versions.size() < limit && (!upper || lower < *upper)) {
    const auto remaining = static_cast<int64_t>(limit - page.versions.size());
    auto objects = SelectObjectRange(db, bucket, lower, upper, remaining);
    if (!objects) {
      return std::unexpected(std::move(objects.error()));
    }
    auto stmt = upper ? db.Prepare("SELECT " LOGBUCKET_VERSION_COLUMNS
                                   " FROM versions WHERE bucket = ?1 AND object_key >= ?2"
                                   " AND object_key < ?3 ORDER BY object_key, seq DESC LIMIT ?4")
                      : db.Prepare("SELECT " LOGBUCKET_VERSION_COLUMNS
                                   " FROM versions WHERE bucket = ?1 AND object_key >= ?2"
                                   " ORDER BY object_key, seq DESC LIMIT ?4");
    if (!stmt) {
      return std::unexpected(std::move(stmt.error()));
    }
    stmt->BindText(1, bucket).BindBlob(2, lower).BindInt(4, remaining);
    if (upper) {
      stmt->BindBlob(3, *upper);
    }
    std::vector<StoredVersion> versions;
    while (true) {
      auto version = NextVersion(*stmt, bucket);
      if (!version) {
        return std::unexpected(std::move(version.error()));
      }
      if (!*version) {
        break;
      }
      versions.push_back(std::move(**version));
    }
    size_t i = 0;
    size_t j = 0;
    while (page.versions.size() < limit && (i < objects->size() || j < versions.size())) {
      const bool take_object =
          j == versions.size() ||
          (i < objects->size() && (*objects)[i].key <= versions[j].stored.record.key);
      if (take_object) {
        page.versions.push_back(VersionEntry{.record = std::move((*objects)[i++]), .is_latest = true});
      } else {
        add_version(std::move(versions[j++]));
      }
    }
  }
  if (page.versions.size() > max_versions || page.versions.size() == limit) {
    page.versions.resize(std::min(max_versions, limit - 1));
    page.truncated = true;
  }
  return page;
}

}  // namespace logbucket::storage
