#include "storage/data_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

namespace logbucket::storage {

namespace {

namespace fs = std::filesystem;

constexpr size_t kCopyChunk = 1 << 20;

std::expected<void, Error> MakeDirectory(const fs::path& dir) {
  if (::mkdir(dir.c_str(), 0755) == 0 || errno == EEXIST) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) {
      return std::unexpected(ErrnoError("stat", dir, errno));
    }
    if (!S_ISDIR(st.st_mode)) {
      return std::unexpected(ErrnoError("mkdir", dir, ENOTDIR));
    }
    return {};
  }
  return std::unexpected(ErrnoError("mkdir", dir, errno));
}

struct DirCloser {
  void operator()(DIR* dir) const { ::closedir(dir); }
};

// Calls visit(name, d_type) for every entry of `dir` but "." and "..".
template <typename Visit>
std::expected<void, Error> ForEachEntry(const fs::path& dir, Visit visit) {
  std::unique_ptr<DIR, DirCloser> handle(::opendir(dir.c_str()));
  if (!handle) {
    return std::unexpected(ErrnoError("opendir", dir, errno));
  }
  while (true) {
    errno = 0;
    const dirent* entry = ::readdir(handle.get());
    if (entry == nullptr) {
      if (errno != 0) {
        return std::unexpected(ErrnoError("readdir", dir, errno));
      }
      return {};
    }
    const std::string_view name = entry->d_name;
    if (name == "." || name == "..") {
      continue;
    }
    if (auto visited = visit(name, entry->d_type); !visited) {
      return visited;
    }
  }
}

bool IsDirectory(const fs::path& path, unsigned char d_type) {
  if (d_type != DT_UNKNOWN) {
    return d_type == DT_DIR;
  }
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool IsFanOutName(std::string_view name) {
  return name.size() == 2 && std::isxdigit(static_cast<unsigned char>(name[0])) &&
         std::isxdigit(static_cast<unsigned char>(name[1]));
}

std::expected<void, Error> ReadWriteCopy(int in_fd, const fs::path& in_path, uint64_t offset,
                                         uint64_t length, int out_fd, const fs::path& out_path) {
  std::vector<char> buffer(kCopyChunk);
  while (length > 0) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(length, buffer.size()));
    const ssize_t got = ::pread(in_fd, buffer.data(), want, static_cast<off_t>(offset));
    if (got < 0) {
      if (errno == EINTR) {
        continue;
      }
      return std::unexpected(ErrnoError("read", in_path, errno));
    }
    if (got == 0) {
      return std::unexpected(
          Error{ErrorCode::kCorrupt,
                fmt::format("{} is shorter than its recorded size", in_path.string())});
    }
    if (auto written = WriteAll(out_fd, {buffer.data(), static_cast<size_t>(got)}, out_path);
        !written) {
      return written;
    }
    offset += static_cast<uint64_t>(got);
    length -= static_cast<uint64_t>(got);
  }
  return {};
}

}  // namespace

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = other.Release();
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

Error ErrnoError(std::string_view op, const fs::path& path, int err) {
  const ErrorCode code = (err == ENOSPC || err == EDQUOT) ? ErrorCode::kNoSpace : ErrorCode::kIo;
  return Error{code, fmt::format("{} {}: {}", op, path.string(), std::strerror(err))};
}

std::expected<std::string, Error> RandomHex(size_t bytes) {
  std::vector<unsigned char> raw(bytes);
  size_t filled = 0;
  while (filled < bytes) {
    const ssize_t got = ::getrandom(raw.data() + filled, bytes - filled, 0);
    if (got < 0) {
      if (errno == EINTR) {
        continue;
      }
      return std::unexpected(
          Error{ErrorCode::kInternal, fmt::format("getrandom: {}", std::strerror(errno))});
    }
    filled += static_cast<size_t>(got);
  }
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(bytes * 2);
  for (unsigned char byte : raw) {
    hex.push_back(kDigits[byte >> 4]);
    hex.push_back(kDigits[byte & 0xf]);
  }
  return hex;
}

DataLayout::DataLayout(fs::path data_dir)
    : data_dir_(std::move(data_dir)),
      objects_dir_(data_dir_ / "objects"),
      tmp_dir_(data_dir_ / "tmp") {}

fs::path DataLayout::DataPath(std::string_view id) const {
  return objects_dir_ / std::string(id.substr(0, 2)) / std::string(id);
}

std::expected<void, Error> DataLayout::CreateDirectories(bool fsync) const {
  std::error_code ec;
  fs::create_directories(data_dir_, ec);
  if (ec) {
    return std::unexpected(ErrnoError("mkdir", data_dir_, ec.value()));
  }
  for (const fs::path& dir : {objects_dir_, tmp_dir_}) {
    if (auto made = MakeDirectory(dir); !made) {
      return made;
    }
  }
  if (fsync) {
    for (const fs::path& dir : {data_dir_, objects_dir_}) {
      if (auto synced = SyncDirectory(dir); !synced) {
        return synced;
      }
    }
  }
  return {};
}

bool ReferencedIds::Parse(std::string_view hex, Id& out) {
  if (hex.size() != 32) {
    return false;
  }
  out = {0, 0};
  for (size_t i = 0; i < hex.size(); ++i) {
    const char c = hex[i];
    uint64_t digit = 0;
    if (c >= '0' && c <= '9') {
      digit = static_cast<uint64_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      digit = static_cast<uint64_t>(c - 'a' + 10);
    } else {
      return false;  // ids are lower-case hex; anything else names no data file
    }
    uint64_t& half = out[i / 16];
    half = (half << 4) | digit;
  }
  return true;
}

void ReferencedIds::Add(std::string_view id) {
  Id parsed;
  if (Parse(id, parsed)) {
    ids_.push_back(parsed);
  }
}

void ReferencedIds::Seal() { std::sort(ids_.begin(), ids_.end()); }

bool ReferencedIds::Contains(std::string_view id) const {
  Id parsed;
  return Parse(id, parsed) && std::binary_search(ids_.begin(), ids_.end(), parsed);
}

std::expected<uint64_t, Error> DataLayout::RemoveLeftovers(const ReferencedIds& referenced) const {
  auto temporary = RemoveTemporaryFiles();
  if (!temporary) {
    return temporary;
  }
  auto unreferenced = RemoveUnreferenced(referenced);
  if (!unreferenced) {
    return unreferenced;
  }
  return *temporary + *unreferenced;
}

std::expected<uint64_t, Error> DataLayout::RemoveTemporaryFiles() const {
  uint64_t removed = 0;
  auto remove = [&removed](const fs::path& path) -> std::expected<void, Error> {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return std::unexpected(ErrnoError("unlink", path, errno));
    }
    ++removed;
    return {};
  };
  // tmp/ holds only files of PendingWrites, which never outlive the store that made them.
  auto tmp_swept = ForEachEntry(tmp_dir_, [&](std::string_view name, unsigned char d_type) {
    const fs::path path = tmp_dir_ / std::string(name);
    if (IsDirectory(path, d_type)) {
      std::error_code ec;
      removed += fs::remove_all(path, ec);
      if (ec)
        return std::expected<void, Error>(std::unexpected(ErrnoError("remove", path, ec.value())));
      return std::expected<void, Error>();
    }
    return remove(path);
  });
  if (!tmp_swept) {
    return std::unexpected(std::move(tmp_swept.error()));
  }
  return removed;
}

std::expected<uint64_t, Error> DataLayout::RemoveUnreferenced(
    const ReferencedIds& referenced) const {
  uint64_t removed = 0;
  auto remove = [&removed](const fs::path& path) -> std::expected<void, Error> {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return std::unexpected(ErrnoError("unlink", path, errno));
    }
    ++removed;
    return {};
  };
  auto objects_swept =
      ForEachEntry(objects_dir_, [&](std::string_view dir_name, unsigned char dir_type) {
        const fs::path dir = objects_dir_ / std::string(dir_name);
        if (!IsDirectory(dir, dir_type)) {
          return remove(dir);
        }
        if (!IsFanOutName(dir_name)) {
          return std::expected<void, Error>();
        }
        return ForEachEntry(dir, [&](std::string_view name, unsigned char d_type) {
          const fs::path path = dir / std::string(name);
          if (IsDirectory(path, d_type)) {
            return std::expected<void, Error>();
          }
          // A referenced id is only valid in its own fan-out directory.
          if (name.substr(0, 2) == dir_name && referenced.Contains(name)) {
            return std::expected<void, Error>();
          }
          return remove(path);
        });
      });
  if (!objects_swept) {
    return std::unexpected(std::move(objects_swept.error()));
  }
  return removed;
}

std::expected<void, Error> DataLayout::MoveIntoPlace(const fs::path& from, std::string_view id,
                                                     bool fsync) const {
  const fs::path target = DataPath(id);
  if (::rename(from.c_str(), target.c_str()) == 0) {
    return {};
  }
  if (errno != ENOENT) {
    return std::unexpected(ErrnoError("rename", from, errno));
  }
  // The fan-out directory does not exist yet: make it (durably when asked) and try again.
  if (auto made = MakeDirectory(target.parent_path()); !made) {
    return made;
  }
  if (fsync) {
    if (auto synced = SyncDirectory(objects_dir_); !synced) {
      return synced;
    }
  }
  return RenameFile(from, target);
}

std::expected<int, Error> CreateExclusive(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    return std::unexpected(ErrnoError("create", path, errno));
  }
  return fd;
}

std::expected<int, Error> OpenForReading(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    return fd;
  }
  const int err = errno;
  if (err == ENOENT) {
    return std::unexpected(
        Error{ErrorCode::kCorrupt, fmt::format("data file {} is missing", path.string())});
  }
  return std::unexpected(ErrnoError("open", path, err));
}

std::expected<void, Error> WriteAll(int fd, std::string_view bytes, const fs::path& path) {
  while (!bytes.empty()) {
    const ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0) {
      if (errno == EINTR) {
        continue;
      }
      return std::unexpected(ErrnoError("write", path, errno));
    }
    bytes.remove_prefix(static_cast<size_t>(written));
  }
  return {};
}

std::expected<void, Error> CopyFile(int in_fd, const fs::path& in_path, uint64_t length, int out_fd,
                                    const fs::path& out_path) {
  loff_t offset = 0;
  uint64_t left = length;
  while (left > 0) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(left, 1ULL << 30));
    const ssize_t copied = ::copy_file_range(in_fd, &offset, out_fd, nullptr, want, 0);
    if (copied < 0) {
      const int err = errno;
      if (err == EINTR) {
        continue;
      }
      if (err == EXDEV || err == ENOSYS || err == EOPNOTSUPP || err == EINVAL || err == EPERM ||
          err == ETXTBSY) {
        return ReadWriteCopy(in_fd, in_path, static_cast<uint64_t>(offset), left, out_fd, out_path);
      }
      return std::unexpected(ErrnoError("copy_file_range", out_path, err));
    }
    if (copied == 0) {
      return std::unexpected(
          Error{ErrorCode::kCorrupt,
                fmt::format("{} is shorter than its recorded size", in_path.string())});
    }
    left -= static_cast<uint64_t>(copied);
  }
  return {};
}

std::expected<void, Error> SyncFd(int fd, const fs::path& path) {
  if (::fsync(fd) != 0) {
    return std::unexpected(ErrnoError("fsync", path, errno));
  }
  return {};
}

std::expected<void, Error> SyncDirectory(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return std::unexpected(ErrnoError("open", dir, errno));
  }
  auto synced = SyncFd(fd, dir);
  ::close(fd);
  return synced;
}

std::expected<void, Error> RenameFile(const fs::path& from, const fs::path& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) {
    return std::unexpected(ErrnoError("rename", from, errno));
  }
  return {};
}

std::expected<void, Error> RemoveFile(const fs::path& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return std::unexpected(ErrnoError("unlink", path, errno));
  }
  return {};
}

std::expected<uint64_t, Error> FileSize(int fd, const fs::path& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    return std::unexpected(ErrnoError("fstat", path, errno));
  }
  return static_cast<uint64_t>(st.st_size);
}

}  // namespace logbucket::storage
