// SqliteStore: Logbucket's storage. Metadata (buckets, objects, multipart uploads, parts, bucket
// settings) lives in one SQLite database in WAL mode (<data_dir>/meta.db; one store per directory
// holds <data_dir>/LOCK), checkpointed by a thread of its own so that no commit waits for a
// checkpoint's fsyncs (wal_checkpointer.h). Object and part bytes up to
// Options::inline_limit live in that database (table blobs, written in the same transaction as
// their row); larger ones live in files named by an internal id under <data_dir>/objects/, never
// by the key, so any key is safe.
//
// Write protocol: a PendingWrite buffers bytes in memory up to the inline limit and moves them to
// a temporary file under <data_dir>/tmp/ when it grows past it. On commit, a file is renamed into
// objects/ before the metadata row is committed; in-memory bytes are inserted with the row. Either
// way the row's commit is the atomic switch: a crash at any point leaves the old object or the new
// one, never a partial one. Open() always removes tmp/; it looks for data files no row points to
// only when the previous store did not close cleanly (no <data_dir>/CLEAN marker, which the
// destructor writes and Open() removes).
//
// Storage offers primitives only: it knows nothing of HTTP, XML, SigV4 or S3 error codes, and
// it does not compute ETags or checksums (the caller passes them in the records).
//
// Thread-safety: every method of SqliteStore may be called from any thread concurrently. One
// SQLite connection serves them behind one mutex (a second one only checkpoints), except the
// lookups of OpenObject and HeadObject, which read through a pool of read-only connections
// (reader_pool.h); data file I/O (appending, concatenating parts, renaming, unlinking) runs
// outside that mutex.
// Versions: the current version of each key is in table objects (so unversioned work never
// touches versions); noncurrent versions and delete markers are in table versions
// (sqlite_store_versions.cc).
//
// PendingWrite and ObjectReader are single-owner values (use from one thread at a time).
#pragma once

#include <cstdint>
#include <expected>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/encryption.h"
#include "storage/error.h"
#include "storage/types.h"

namespace logbucket::storage {

class SqliteStore;
struct StoredObject;

// How SqliteStore::BeginWrite prepares a write.
struct WriteOptions {
  // Store the bytes encrypted (AES-256-CTR under a fresh data key; see storage/encryption.h).
  bool encrypt = false;
};

// Bytes being written: in memory up to the store's inline limit, then in a temporary file.
// Discarded (file removed) on destruction unless committed. An encrypting write holds only
// ciphertext, in memory as on disk; size() counts plaintext bytes (the same number).
class PendingWrite {
 public:
  PendingWrite(PendingWrite&& other) noexcept;
  PendingWrite& operator=(PendingWrite&& other) noexcept;
  PendingWrite(const PendingWrite&) = delete;
  PendingWrite& operator=(const PendingWrite&) = delete;
  ~PendingWrite();

  // Appends bytes at the end. kNoSpace when the disk is full, kIo otherwise.
  std::expected<void, Error> Append(std::string_view bytes);
  uint64_t size() const { return size_; }
  bool encrypted() const { return cipher_.has_value(); }

 private:
  friend class SqliteStore;
  PendingWrite(std::filesystem::path tmp_dir, uint64_t inline_limit, bool fsync);
  // True while the bytes are only in buffer_ (no file made yet).
  bool in_memory() const { return path_.empty(); }
  // Moves the buffered bytes into a new file under tmp_dir_.
  std::expected<void, Error> Spill();
  // Appends bytes exactly as they are to be stored (already encrypted when encrypting).
  std::expected<void, Error> AppendStored(std::string_view bytes);
  // Appends the plaintext of `length` bytes of the file `fd` (from offset 0): its bytes as they
  // are when `source` is nullptr, else their transform by `source` (the file is encrypted).
  // Spills first unless they fit in memory. Two files in clear are copied by the kernel
  // (copy_file_range); anything else is read, decrypted and appended (encrypted again when this
  // write encrypts).
  std::expected<void, Error> AppendFile(int fd, const std::filesystem::path& path, uint64_t length,
                                        CtrCipher* source = nullptr);
  // Makes this write encrypt under `key` (wrapped: `wrapped_key`): the bytes appended so far are
  // encrypted in place, and every later append is encrypted.
  std::expected<void, Error> StartEncryption(const DataKey& key, std::string wrapped_key);
  // Writes the encryption of these bytes into a committed record (clear: both fields empty).
  template <typename Record>
  void DescribeEncryption(Record& record) const {
    record.sse_algorithm = cipher_ ? std::string(kSseAes256) : std::string();
    record.sse_key = cipher_ ? wrapped_key_ : std::string();
  }
  // Closes and removes the file, if any. false when a file could not be removed.
  bool Discard();

  bool open_ = false;  // false once committed, discarded or moved from
  int fd_ = -1;        // the temporary file while being written (-1 in memory and once installed)
  std::filesystem::path tmp_dir_;
  std::filesystem::path path_;  // the file (in tmp/, then in objects/ once installed), or empty
  std::string buffer_;          // the bytes while in memory
  uint64_t size_ = 0;
  uint64_t inline_limit_ = 0;
  bool fsync_ = false;
  std::optional<CtrCipher> cipher_;  // set while encrypting
  std::string wrapped_key_;          // the data key of cipher_, wrapped
  std::string scratch_;              // ciphertext of the piece being appended
};

// An open object: its record and its bytes (an open data file, or a copy of the bytes of an object
// stored inline). Stays readable (same bytes) even if the object is replaced or deleted after
// OpenObject returned. An object stored encrypted reads as its plaintext.
class ObjectReader {
 public:
  ObjectReader(ObjectReader&& other) noexcept;
  ObjectReader& operator=(ObjectReader&& other) noexcept;
  ObjectReader(const ObjectReader&) = delete;
  ObjectReader& operator=(const ObjectReader&) = delete;
  ~ObjectReader();

  const ObjectRecord& record() const { return record_; }
  // Reads up to out.size() bytes at offset; returns the count (0 at the end).
  std::expected<size_t, Error> ReadAt(uint64_t offset, std::span<char> out) const;
  // The open file descriptor, owned by this reader (for sendfile-style streaming), or -1 for an
  // object stored inline in the database or stored encrypted (its file holds ciphertext):
  // callers must fall back to ReadAt then.
  int fd() const { return cipher_ ? -1 : fd_; }

 private:
  friend class SqliteStore;
  ObjectReader(int fd, ObjectRecord record, std::string bytes);
  // For a record stored encrypted: decrypts the inline bytes now, or keeps `key` to decrypt what
  // ReadAt reads from the file.
  std::expected<void, Error> Decrypt(const DataKey& key);

  int fd_ = -1;
  ObjectRecord record_;
  std::string bytes_;  // the content when fd_ < 0 (plaintext)
  // Decrypts file reads of an encrypted object. Mutable: ReadAt is const, and the reader is
  // single-owner, so the cipher's position is not shared.
  mutable std::optional<CtrCipher> cipher_;
};

// One page of ListUploads.
struct UploadPage {
  std::vector<UploadRecord> uploads;
  bool truncated = false;
};

// One page of ListParts.
struct PartPage {
  std::vector<PartRecord> parts;
  bool truncated = false;
};

class SqliteStore {
 public:
  // Objects and parts of at most this many bytes are stored in the database by default. Measured
  // on ext4 (2 cores, in-process, CPU per operation): a 4 KiB PUT costs 46 us inline against
  // 111 us and more through a file (ext4 inode allocation grows with churn), a GET 5 us against
  // 11; at 16 KiB inline still wins (PUT 92 us vs 140+, GET 11 vs 13); from 32 KiB inline GETs
  // cost more than file GETs (21 vs 12 us) and at 64 KiB inline PUTs do too (218 vs 141 us).
  static constexpr uint64_t kDefaultInlineLimit = 16 * 1024;

  struct Options {
    std::filesystem::path data_dir;
    // true: fsync data files and use synchronous=FULL, so acknowledged writes survive power
    // loss. false (default): writes survive a process crash (kill -9), not a power cut.
    bool fsync = false;
    // Largest object or part kept in the database rather than in a data file; 0 keeps every
    // object in a file.
    uint64_t inline_limit = kDefaultInlineLimit;
    // WAL checkpoints (settable for tests): the checkpoint thread copies the WAL into meta.db
    // each time it grew by wal_checkpoint_pages; a commit that takes it to wal_limit_pages
    // checkpoints itself, so the WAL file stays bounded under any load.
    int wal_checkpoint_pages = 1000;
    int wal_limit_pages = 4096;
    // Read-only connections that serve the lookups of OpenObject and HeadObject without the
    // store's mutex (reader_pool.h), each with a page cache of reader_cache_kib; 0 connections
    // sends those lookups through the writer's connection too.
    int reader_connections = 2;
    int reader_cache_kib = 8 * 1024;
  };

  // Opens (creating or upgrading if needed) the store in options.data_dir and removes crash
  // leftovers: tmp/ always, unreferenced data files when the last store did not close cleanly.
  // Fails with kIo and a message naming the path when the directory is unusable, or when another
  // open store (in this process or another) holds the directory (<data_dir>/LOCK is flock'ed).
  static std::expected<std::unique_ptr<SqliteStore>, Error> Open(const Options& options);

  // Closes the database and, unless a data file could not be removed while open, writes the
  // clean-shutdown marker that lets the next Open() skip the sweep of objects/. Every
  // PendingWrite and ObjectReader may outlive the store.
  ~SqliteStore();
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  // Object writes committed so far and the transactions that held them (concurrent writes share
  // one: group commit), and WAL checkpoints run by the checkpoint thread and (when it fell behind)
  // inside a commit, for /_logbucket/status.
  struct CommitStats {
    uint64_t transactions = 0;
    uint64_t writes = 0;
    uint64_t background_checkpoints = 0;
    uint64_t commit_checkpoints = 0;
  };
  CommitStats commit_stats() const;

  // --- Buckets -------------------------------------------------------------------------------
  // kBucketExists when the name is taken (by anyone). created_ms 0 means now.
  std::expected<void, Error> CreateBucket(const BucketRecord& bucket);
  std::expected<BucketRecord, Error> GetBucket(std::string_view name);
  // All buckets, ordered by name.
  std::expected<std::vector<BucketRecord>, Error> ListBuckets();
  // kBucketNotEmpty while objects remain. Aborts the bucket's multipart uploads and removes its
  // settings.
  std::expected<void, Error> DeleteBucket(std::string_view name);

  // Sets BucketRecord::versioning ("Enabled" or "Suspended"; a bucket cannot return to never
  // versioned). kBucketNotFound.
  std::expected<void, Error> SetBucketVersioning(std::string_view bucket, Versioning state);

  // --- Bucket settings: opaque named documents ("logging", "policy", "acl", "ownership"...) ---
  std::expected<void, Error> PutBucketSetting(std::string_view bucket, std::string_view name,
                                              std::string_view value);
  // nullopt when the bucket exists but has no such setting; kBucketNotFound when no bucket.
  std::expected<std::optional<std::string>, Error> GetBucketSetting(std::string_view bucket,
                                                                    std::string_view name);
  // Succeeds when the setting was absent.
  std::expected<void, Error> DeleteBucketSetting(std::string_view bucket, std::string_view name);
  // (bucket, value) of every bucket that has the named setting, ordered by bucket name.
  std::expected<std::vector<std::pair<std::string, std::string>>, Error> ListBucketSettings(
      std::string_view name);

  // --- Objects -------------------------------------------------------------------------------
  std::expected<PendingWrite, Error> BeginWrite(const WriteOptions& options = {});
  // Makes `data` encrypting (see WriteOptions::encrypt) if it is not already: the bytes appended
  // so far are encrypted in place (one read and write of them), later ones as they come.
  std::expected<void, Error> EncryptWrite(PendingWrite& data);
  // Makes `data` the content of record.bucket/record.key as its new current version. The
  // bucket's versioning state decides what happens to the previous current version (replaced, or
  // kept as a noncurrent version) and the version id (storage chooses it and returns it in the
  // record: "" for the null version).
  // record.size is set from data.size(), record.sse_algorithm and sse_key from data's encryption;
  // last_modified_ms 0 means now. kBucketNotFound, kConditionFailed (condition checked in the
  // same transaction; an etag_equals condition on a missing key also fails with it), kNoSpace,
  // kIo. On failure nothing changes and the data is discarded before this returns.
  std::expected<ObjectRecord, Error> CommitObject(PendingWrite data, ObjectRecord record,
                                                  const WriteCondition& condition = {});
  // kObjectNotFound, or kBucketNotFound when the bucket itself is missing (likewise for
  // OpenObject, DeleteObject and ListObjects).
  std::expected<ObjectRecord, Error> HeadObject(std::string_view bucket, std::string_view key);
  std::expected<ObjectReader, Error> OpenObject(std::string_view bucket, std::string_view key);
  // A delete that names no version: in a never-versioned bucket removes the current object (if
  // any); in an Enabled bucket makes the current version noncurrent and adds a delete marker; in a
  // Suspended bucket adds a null delete marker, removing a previous null version for good.
  // kBucketNotFound.
  std::expected<DeleteOutcome, Error> DeleteObject(std::string_view bucket, std::string_view key,
                                                   const DeleteOptions& options = {});
  // Removes one version for good ("" is the null version): an object version or a delete
  // marker. When it was the latest, the next newest version becomes the latest (an object
  // version becomes current again). An empty outcome when no such version exists.
  // With only_if_noncurrent, nothing happens (an empty outcome) when that version is the latest
  // (lifecycle expiry of a version found noncurrent that became current again meanwhile).
  std::expected<DeleteOutcome, Error> DeleteVersion(std::string_view bucket, std::string_view key,
                                                    std::string_view version_id,
                                                    bool only_if_noncurrent = false);
  // One version by id ("" is the null version); a delete marker comes back with
  // record.delete_marker set (OpenVersion then has no bytes). kObjectNotFound when the key has no
  // such version.
  std::expected<ObjectRecord, Error> HeadVersion(std::string_view bucket, std::string_view key,
                                                 std::string_view version_id);
  std::expected<ObjectReader, Error> OpenVersion(std::string_view bucket, std::string_view key,
                                                 std::string_view version_id);
  // The delete marker that is the latest version of bucket/key, if there is one (what S3 reports
  // with a 404 for a GET that names no version).
  std::expected<std::optional<ObjectRecord>, Error> LatestDeleteMarker(std::string_view bucket,
                                                                       std::string_view key);
  // Versions (objects and delete markers) of keys that start with `prefix`, ordered by key then
  // newest first, at most max_versions. Starts after (key_marker, version_id_marker): with an
  // empty version_id_marker, after every version of key_marker; with one, after that version of
  // key_marker (nullopt version marker = none given; "" names the null version). kObjectNotFound
  // when version_id_marker names no version of key_marker.
  std::expected<VersionPage, Error> ListVersions(std::string_view bucket, std::string_view prefix,
                                                 std::string_view key_marker,
                                                 std::optional<std::string_view> version_id_marker,
                                                 size_t max_versions);
  // Replaces the ACL document of the current object at bucket/key, leaving its bytes and other
  // metadata as they are; returns the updated record. kObjectNotFound / kBucketNotFound.
  std::expected<ObjectRecord, Error> SetObjectAcl(std::string_view bucket, std::string_view key,
                                                  std::string_view acl);
  // Keys that start with `prefix` and sort after `start_after` (strictly), in UTF-8 byte order,
  // at most max_keys of them. Callers implement delimiters on top of this (seek past a common
  // prefix by calling again with start_after = prefix + "\xff"...).
  std::expected<ObjectPage, Error> ListObjects(std::string_view bucket, std::string_view prefix,
                                               std::string_view start_after, size_t max_keys);

  // --- Multipart uploads ---------------------------------------------------------------------
  // Creates an upload; storage chooses upload_id (URL-safe, unique) and initiated_ms when empty/0.
  // kBucketNotFound.
  std::expected<UploadRecord, Error> CreateUpload(UploadRecord upload);
  // kUploadNotFound unless upload_id exists for exactly this bucket and key.
  std::expected<UploadRecord, Error> GetUpload(std::string_view bucket, std::string_view key,
                                               std::string_view upload_id);
  // Stores `data` as part record.part_number of the upload, replacing a previous part of that
  // number. record.size is set from data.size(), record.sse_* from data's encryption (callers
  // encrypt the parts of an upload whose sse_algorithm is set); last_modified_ms 0 means now.
  // kUploadNotFound.
  std::expected<PartRecord, Error> CommitPart(std::string_view upload_id, PendingWrite data,
                                              PartRecord record);
  // Parts with number > after_part, ascending, at most max_parts. kUploadNotFound.
  std::expected<PartPage, Error> ListParts(std::string_view upload_id, uint32_t after_part,
                                           size_t max_parts);
  // Uploads of the bucket whose key starts with prefix, ordered by (key, initiated, upload id),
  // after (key_marker, upload_id_marker) as S3 defines the markers, at most max_uploads.
  std::expected<UploadPage, Error> ListUploads(std::string_view bucket, std::string_view prefix,
                                               std::string_view key_marker,
                                               std::string_view upload_id_marker,
                                               size_t max_uploads);
  // Concatenates the named parts, in the given order, into the object upload.bucket/upload.key
  // (replacing any current object), then removes the upload and all its parts, in one commit.
  // record.size, record.part_sizes and record.parts_count are set by storage (bucket and key
  // from the upload; last_modified_ms 0 means now). The parts are read as they are when the call
  // starts. When the upload's sse_algorithm is set, the object is encrypted under a new data key
  // (each part is decrypted and encrypted again); otherwise clear part files are concatenated by
  // the kernel (copy_file_range). record.sse_* are set by storage. With `expected_etags` (one
  // per part number), a part whose ETag is not the expected one when it is read is
  // kPartNotFound: the bytes concatenated are exactly those of the parts the caller validated,
  // even if an UploadPart replaces one meanwhile. kUploadNotFound, kPartNotFound,
  // kConditionFailed.
  std::expected<ObjectRecord, Error> CompleteUpload(
      std::string_view upload_id, const std::vector<uint32_t>& part_numbers, ObjectRecord record,
      const WriteCondition& condition = {}, const std::vector<std::string>& expected_etags = {});
  std::expected<void, Error> AbortUpload(std::string_view upload_id);

  // --- Whole store ---------------------------------------------------------------------------
  // Removes every bucket, object, upload and setting (admin reset).
  std::expected<void, Error> Reset();

  const std::filesystem::path& data_dir() const;

 private:
  struct State;
  explicit SqliteStore(std::unique_ptr<State> state);
  // A reader over a row just read under the lock (called with State::mu held).
  std::expected<ObjectReader, Error> OpenStored(StoredObject stored);
  // OpenObject through a reader connection: nullopt when the store has none, or when the row
  // named a data file that a replace removed after the row was read (the caller asks again under
  // the lock).
  std::optional<std::expected<ObjectReader, Error>> OpenThroughReader(std::string_view bucket,
                                                                      std::string_view key);
  // `reader` ready to read plaintext: when its record is stored encrypted, its data key unwrapped
  // and handed to it. kCorrupt when the key does not unwrap, kIo when the master key is unusable.
  std::expected<ObjectReader, Error> Decrypting(ObjectReader reader);
  // The data key wrapped in `wrapped` (a record's sse_key). Errors as Decrypting.
  std::expected<DataKey, Error> UnwrapKey(std::string_view wrapped);
  // One part being concatenated by CompleteUpload (sqlite_store_uploads.cc).
  struct PartSource;
  // Appends the part's plaintext to `data` (which encrypts it again when it encrypts).
  std::expected<void, Error> AppendPart(PendingWrite& data, PartSource& source);
  std::unique_ptr<State> state_;
  // The master key, loaded on first use (declared after state_: initialised from data_dir()).
  KeyRingLoader keys_{data_dir()};
};

}  // namespace logbucket::storage
