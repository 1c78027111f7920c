#include "cc/file_channel/channel_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <limits>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "cc/base/error.h"
#include "cc/base/status_macros.h"
#include "cc/file_channel/channel_file_format.h"
#include "cc/file_channel/uuid.h"

namespace ipckit {
namespace {

std::string PathIn(const std::string& dir, absl::string_view name) { return absl::StrCat(dir, "/", name); }

std::string TempPrefix(absl::string_view name) { return absl::StrCat(".", name, ".tmp-"); }

absl::Status WriteAll(int fd, absl::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, absl::StrCat("write '", path, "'"));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<FileSnapshot> ReadChannelFile(const std::string& path, size_t max_bytes) {
  FileSnapshot snapshot;
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return snapshot;  // not written yet: no messages
    return ErrnoError(errno, absl::StrCat("open '", path, "'"));
  }
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return ErrnoError(errno, absl::StrCat("fstat '", path, "'"));
  if (!S_ISREG(st.st_mode)) return InvalidArgumentError(absl::StrCat("'", path, "' is not a regular file"));
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    return TooLargeError(absl::StrCat("'", path, "' is ", st.st_size, " bytes, over the limit ", max_bytes));
  }
  snapshot.exists = true;
  snapshot.mode = st.st_mode & 07777;
  snapshot.inode = static_cast<uint64_t>(st.st_ino);
  snapshot.size = static_cast<uint64_t>(st.st_size);
  snapshot.mtime_ns = int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
  // Read to EOF rather than trusting st_size: a foreign writer may be
  // appending in place. One byte of slack detects growth past the limit.
  snapshot.text.resize(static_cast<size_t>(st.st_size) + 1);
  size_t got = 0;
  for (;;) {
    if (got == snapshot.text.size()) {
      if (snapshot.text.size() > max_bytes) {
        return TooLargeError(absl::StrCat("'", path, "' grew past the limit ", max_bytes, " bytes while being read"));
      }
      snapshot.text.resize(std::min(max_bytes + 1, snapshot.text.size() * 2 + 4096));
    }
    ssize_t n = ::read(fd.get(), &snapshot.text[got], snapshot.text.size() - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, absl::StrCat("read '", path, "'"));
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  if (got > max_bytes) {
    return TooLargeError(absl::StrCat("'", path, "' grew past the limit ", max_bytes, " bytes while being read"));
  }
  snapshot.text.resize(got);
  return snapshot;
}

absl::StatusOr<ChannelLock> ChannelLock::Acquire(const std::string& dir, const Deadline& deadline) {
  const std::string path = PathIn(dir, kLockFile);
  absl::Duration backoff = absl::Microseconds(50);
  for (;;) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, 0666));
    if (!fd.valid()) return ErrnoError(errno, absl::StrCat("open lock file '", path, "'"));
    for (;;) {
      // With no deadline the kernel queues us (no polling); with one we poll
      // with a short backoff because flock(2) itself has no timeout.
      int rc = ::flock(fd.get(), deadline.IsInfinite() ? LOCK_EX : LOCK_EX | LOCK_NB);
      if (rc == 0) break;
      if (errno == EINTR) continue;
      if (errno != EWOULDBLOCK) return ErrnoError(errno, absl::StrCat("flock '", path, "'"));
      if (deadline.Expired()) {
        return TimeoutError(absl::StrCat("lock '", path, "' is held by another writer past the timeout"));
      }
      absl::SleepFor(std::min(backoff, deadline.Remaining()));
      backoff = std::min(backoff * 2, absl::Milliseconds(2));
    }
    // If someone deleted or replaced .lock meanwhile, our lock is on an inode
    // other writers no longer open: start over on the current one.
    struct stat held, current;
    if (::fstat(fd.get(), &held) != 0) return ErrnoError(errno, absl::StrCat("fstat '", path, "'"));
    if (::stat(path.c_str(), &current) == 0 && current.st_dev == held.st_dev && current.st_ino == held.st_ino) {
      return ChannelLock(std::move(fd));
    }
    if (deadline.Expired()) return TimeoutError(absl::StrCat("lock '", path, "' kept being replaced"));
  }
}

std::string Ipckit01FileLock::PathFor(const std::string& dir, absl::string_view file_name) {
  absl::string_view stem = file_name;
  absl::ConsumeSuffix(&stem, ".json");
  return absl::StrCat(dir, "/", stem, ".lock");
}

namespace {

// Whether the 0.1 lock file at `path` (now `st`) was left by a dead writer.
bool Ipckit01LockIsStale(const std::string& path, const struct stat& st) {
  absl::Time modified = absl::FromUnixSeconds(st.st_mtime);
  if (absl::Now() - modified > kIpckit01LockStaleAfter) return true;
  char buf[32] = {0};
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return false;
  ssize_t n = ::read(fd.get(), buf, sizeof(buf) - 1);
  int64_t pid = 0;
  if (n <= 0 || !absl::SimpleAtoi(absl::StripAsciiWhitespace(absl::string_view(buf, n)), &pid) || pid <= 0 ||
      pid > std::numeric_limits<pid_t>::max()) {
    return false;  // being written right now, or not a pid: only the age rule applies
  }
  return ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

}  // namespace

absl::StatusOr<Ipckit01FileLock> Ipckit01FileLock::Acquire(const std::string& dir, absl::string_view file_name,
                                                           const Deadline& deadline) {
  std::string path = PathFor(dir, file_name);
  absl::Duration backoff = absl::Microseconds(50);
  for (;;) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (fd.valid()) {
      std::string pid_line = absl::StrCat(::getpid(), "\n");
      absl::Status written = WriteAll(fd.get(), pid_line, path);
      struct stat st;
      if (written.ok() && ::fstat(fd.get(), &st) != 0) written = ErrnoError(errno, absl::StrCat("fstat '", path, "'"));
      if (!written.ok()) {
        ::unlink(path.c_str());
        return written;
      }
      return Ipckit01FileLock(std::move(path), st.st_dev, st.st_ino);
    }
    if (errno != EEXIST) return ErrnoError(errno, absl::StrCat("create lock file '", path, "'"));
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) continue;  // released meanwhile: try again
    if (Ipckit01LockIsStale(path, st)) {
      // Remove it only if it is still the file judged stale.
      struct stat again;
      if (::stat(path.c_str(), &again) == 0 && again.st_dev == st.st_dev && again.st_ino == st.st_ino) {
        ::unlink(path.c_str());
      }
      continue;
    }
    if (deadline.Expired()) {
      return TimeoutError(absl::StrCat("lock file '", path, "' (ipckit 0.1's) is held past the timeout"));
    }
    absl::SleepFor(std::min(backoff, deadline.Remaining()));
    backoff = std::min(backoff * 2, absl::Milliseconds(2));
  }
}

Ipckit01FileLock::Ipckit01FileLock(Ipckit01FileLock&& other) noexcept
    : path_(std::exchange(other.path_, std::string())), dev_(other.dev_), ino_(other.ino_) {}

Ipckit01FileLock::~Ipckit01FileLock() {
  if (path_.empty()) return;
  struct stat st;
  if (::stat(path_.c_str(), &st) == 0 && st.st_dev == dev_ && st.st_ino == ino_) ::unlink(path_.c_str());
}

absl::Status ReplaceFileAtomically(const std::string& dir, absl::string_view name, absl::string_view text,
                                   mode_t mode, bool fsync) {
  IPCKIT_ASSIGN_OR_RETURN(std::string tag, RandomHex(4));
  const std::string target = PathIn(dir, name);
  const std::string temp = PathIn(dir, absl::StrCat(TempPrefix(name), ::getpid(), "-", tag));
  UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666));
  if (!fd.valid()) return ErrnoError(errno, absl::StrCat("create temp file '", temp, "'"));
  absl::Status status = WriteAll(fd.get(), text, temp);
  // Keep the replaced file's permissions (e.g. group-writable channels).
  if (status.ok() && mode != 0 && ::fchmod(fd.get(), mode) != 0) {
    status = ErrnoError(errno, absl::StrCat("fchmod '", temp, "'"));
  }
  if (status.ok() && fsync && ::fsync(fd.get()) != 0) status = ErrnoError(errno, absl::StrCat("fsync '", temp, "'"));
  fd.reset();
  if (status.ok() && ::rename(temp.c_str(), target.c_str()) != 0) {
    status = ErrnoError(errno, absl::StrCat("rename '", temp, "' to '", target, "'"));
  }
  if (!status.ok()) {
    ::unlink(temp.c_str());
    return status;
  }
  if (fsync) {
    // Persist the rename itself.
    UniqueFd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dfd.valid() || ::fsync(dfd.get()) != 0) {
      return ErrnoError(errno, absl::StrCat("fsync directory '", dir, "'"));
    }
  }
  return absl::OkStatus();
}

void RemoveStaleTempFiles(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return;
  const std::string prefixes[] = {TempPrefix(kBackendToFrontendFile), TempPrefix(kFrontendToBackendFile),
                                  TempPrefix(kChannelInfoFile)};
  while (struct dirent* entry = ::readdir(d)) {
    absl::string_view entry_name(entry->d_name);
    for (const std::string& prefix : prefixes) {
      if (absl::StartsWith(entry_name, prefix)) {
        ::unlink(PathIn(dir, entry_name).c_str());  // best effort: a leftover only wastes space
        break;
      }
    }
  }
  ::closedir(d);
}

absl::Status AppendToChannelFile(const std::string& dir, absl::string_view name,
                                 const std::vector<std::string>& new_messages, const AppendOptions& options,
                                 const Deadline& deadline, ChannelFileIndex* index) {
  const std::string path = PathIn(dir, name);
  ChannelFileIndex scratch;
  if (index == nullptr) index = &scratch;
  IPCKIT_ASSIGN_OR_RETURN(ChannelLock lock, ChannelLock::Acquire(dir, deadline));
  std::optional<Ipckit01FileLock> ipckit01_lock;
  if (options.ipckit01_lock) {
    IPCKIT_ASSIGN_OR_RETURN(Ipckit01FileLock held, Ipckit01FileLock::Acquire(dir, name, deadline));
    ipckit01_lock.emplace(std::move(held));
  }
  if (options.remove_stale_temps) RemoveStaleTempFiles(dir);
  IPCKIT_ASSIGN_OR_RETURN(FileSnapshot current, ReadChannelFile(path, options.max_file_bytes));
  IPCKIT_ASSIGN_OR_RETURN(AppendResult result,
                          AppendToIndexedChannelText(*index, std::move(current.text), path, new_messages,
                                                     options.retention, NowUnixMs(), options.max_file_bytes));
  IPCKIT_RETURN_IF_ERROR(
      ReplaceFileAtomically(dir, name, result.text, current.exists ? current.mode : 0, options.fsync));
  return absl::OkStatus();
}

}  // namespace ipckit
