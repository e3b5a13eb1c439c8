// Internal to storage: the on-disk layout of object bytes and the file operations on it.
//
// Layout under the data directory:
//   objects/<2 hex>/<32 hex>  data files, named by a random 128-bit id (never by a key); the
//                             first two hex digits fan the files out over 256 directories
//   tmp/<32 hex>              files being written (PendingWrite); anything here at start-up is a
//                             leftover of a crash
//
// Every function reports failures as Error values: kNoSpace for ENOSPC/EDQUOT, kIo otherwise,
// with a message naming the path. Thread-safety: free functions without shared state.
#pragma once

#include <array>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/error.h"

namespace logbucket::storage {

// Owns a file descriptor; closes it on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.Release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd();

  int get() const { return fd_; }
  int Release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_ = -1;
};

// Error for a failed system call `op` on `path` with the given errno.
Error ErrnoError(std::string_view op, const std::filesystem::path& path, int err);

// `bytes` random bytes from the kernel as lower-case hex (2 * bytes characters).
std::expected<std::string, Error> RandomHex(size_t bytes);

// The set of data ids that rows reference, for the start-up sweep. Ids are kept as 128-bit
// values in one sorted vector: with a million objects that is 16 MB in one allocation, where a
// hash set of strings costs a million node allocations (and seconds to build and free).
class ReferencedIds {
 public:
  // Ids that are not 32 hex digits are ignored: no data file can have such a name.
  void Add(std::string_view id);
  // Call once after the last Add and before Contains.
  void Seal();
  bool Contains(std::string_view id) const;
  size_t size() const { return ids_.size(); }

 private:
  using Id = std::array<uint64_t, 2>;
  static bool Parse(std::string_view hex, Id& out);
  std::vector<Id> ids_;
};

class DataLayout {
 public:
  explicit DataLayout(std::filesystem::path data_dir);

  const std::filesystem::path& data_dir() const { return data_dir_; }
  const std::filesystem::path& objects_dir() const { return objects_dir_; }
  const std::filesystem::path& tmp_dir() const { return tmp_dir_; }
  // objects/<first two characters of id>/<id>.
  std::filesystem::path DataPath(std::string_view id) const;

  // Creates data_dir, tmp/ and objects/. Fan-out directories are made on first use.
  std::expected<void, Error> CreateDirectories(bool fsync) const;
  // Renames `from` to DataPath(id), creating the fan-out directory if needed.
  std::expected<void, Error> MoveIntoPlace(const std::filesystem::path& from, std::string_view id,
                                           bool fsync) const;
  // Removes everything in tmp/. Returns the number of files removed.
  std::expected<uint64_t, Error> RemoveTemporaryFiles() const;
  // Removes every file under objects/ whose name is not in `referenced`: one pass over the 256
  // fan-out directories. Returns the number of files removed.
  std::expected<uint64_t, Error> RemoveUnreferenced(const ReferencedIds& referenced) const;
  // Both of the above.
  std::expected<uint64_t, Error> RemoveLeftovers(const ReferencedIds& referenced) const;

 private:
  std::filesystem::path data_dir_;
  std::filesystem::path objects_dir_;
  std::filesystem::path tmp_dir_;
};

// Opens a new file at `path` for writing and reading back (PendingWrite encrypts a file in
// place); fails if it exists. Returns the descriptor.
std::expected<int, Error> CreateExclusive(const std::filesystem::path& path);
// Opens `path` read-only. ENOENT becomes kCorrupt: a row names a file that is missing.
std::expected<int, Error> OpenForReading(const std::filesystem::path& path);
// Writes all of `bytes` at the current position.
std::expected<void, Error> WriteAll(int fd, std::string_view bytes,
                                    const std::filesystem::path& path);
// Appends `length` bytes of `in_fd` from offset 0 to `out_fd` at its current position, with
// copy_file_range and a read/write fallback where the kernel or file system refuses it.
std::expected<void, Error> CopyFile(int in_fd, const std::filesystem::path& in_path,
                                    uint64_t length, int out_fd,
                                    const std::filesystem::path& out_path);
std::expected<void, Error> SyncFd(int fd, const std::filesystem::path& path);
// fsyncs a directory so that a rename or creation in it is durable.
std::expected<void, Error> SyncDirectory(const std::filesystem::path& dir);
std::expected<void, Error> RenameFile(const std::filesystem::path& from,
                                      const std::filesystem::path& to);
// Removes a file; a missing file is not an error.
std::expected<void, Error> RemoveFile(const std::filesystem::path& path);
// Current size of an open file.
std::expected<uint64_t, Error> FileSize(int fd, const std::filesystem::path& path);

}  // namespace logbucket::storage
