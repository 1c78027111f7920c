#include "cc/platform/fs/file_ops.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "cc/base/error.h"

namespace ipckit {
namespace {

FileStatus FromStat(const struct stat& st) {
  FileStatus out;
  if (S_ISREG(st.st_mode)) {
    out.type = FileStatus::Type::kRegular;
  } else if (S_ISDIR(st.st_mode)) {
    out.type = FileStatus::Type::kDirectory;
  } else if (S_ISLNK(st.st_mode)) {
    out.type = FileStatus::Type::kSymlink;
  } else if (S_ISSOCK(st.st_mode)) {
    out.type = FileStatus::Type::kSocket;
  }
  out.permissions = static_cast<uint32_t>(st.st_mode & 07777);
  out.owner = static_cast<uint32_t>(st.st_uid);
  out.device = static_cast<uint64_t>(st.st_dev);
  out.inode = static_cast<uint64_t>(st.st_ino);
  out.size = static_cast<uint64_t>(st.st_size);
  out.mtime_ns = int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
  return out;
}

}  // namespace

absl::StatusOr<FileStatus> StatOpenFile(const UniqueFd& fd, absl::string_view path) {
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return ErrnoError(errno, absl::StrCat("fstat '", path, "'"));
  return FromStat(st);
}

absl::StatusOr<FileStatus> StatPath(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return ErrnoError(errno, absl::StrCat("stat '", path, "'"));
  return FromStat(st);
}

absl::StatusOr<FileStatus> StatLink(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return ErrnoError(errno, absl::StrCat("lstat '", path, "'"));
  return FromStat(st);
}

absl::StatusOr<size_t> ReadFileSome(const UniqueFd& fd, char* buffer, size_t size, absl::string_view path) {
  for (;;) {
    ssize_t n = ::read(fd.get(), buffer, size);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno != EINTR) return ErrnoError(errno, absl::StrCat("read '", path, "'"));
  }
}

absl::Status WriteFileAll(const UniqueFd& fd, absl::string_view data, absl::string_view path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd.get(), data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, absl::StrCat("write '", path, "'"));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::Status SyncFile(const UniqueFd& fd, absl::string_view path) {
  if (::fsync(fd.get()) != 0) return ErrnoError(errno, absl::StrCat("fsync '", path, "'"));
  return absl::OkStatus();
}

absl::Status SyncDirectory(const std::string& dir) {
  UniqueFd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dfd.valid() || ::fsync(dfd.get()) != 0) return ErrnoError(errno, absl::StrCat("fsync directory '", dir, "'"));
  return absl::OkStatus();
}

absl::Status ReplaceByRename(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) {
    return ErrnoError(errno, absl::StrCat("rename '", from, "' to '", to, "'"));
  }
  return absl::OkStatus();
}

absl::Status RemoveFile(const std::string& path) {
  if (::unlink(path.c_str()) != 0) return ErrnoError(errno, absl::StrCat("remove '", path, "'"));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ListDirectory(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return ErrnoError(errno, absl::StrCat("open directory '", dir, "'"));
  std::vector<std::string> names;
  errno = 0;
  while (struct dirent* entry = ::readdir(d)) {
    absl::string_view name(entry->d_name);
    if (name != "." && name != "..") names.emplace_back(name);
  }
  const int err = errno;
  ::closedir(d);
  if (err != 0) return ErrnoError(err, absl::StrCat("read directory '", dir, "'"));
  return names;
}

absl::StatusOr<bool> LockFile(const UniqueFd& fd, bool wait, absl::string_view path) {
  for (;;) {
    if (::flock(fd.get(), wait ? LOCK_EX : LOCK_EX | LOCK_NB) == 0) break;
    if (errno == EINTR) continue;
    if (!wait && errno == EWOULDBLOCK) return false;
    return ErrnoError(errno, absl::StrCat("flock '", path, "'"));
  }
#if defined(F_OFD_SETLK)
  // And a write lock on kLockFileByte owned by the open file description, which is
  // what a Windows process under Wine sees: Wine carries LockFileEx out as a
  // POSIX record lock, which flock does not conflict with (spec/windows.md,
  // "Across Wine and Linux"). Taken second, so Linux ipckit processes queue
  // on the flock and only a Wine holder is ever waited for here. A read lock
  // when the file is open read-only (a write lock needs write access): it
  // still conflicts with LockFileEx's exclusive lock, and Linux processes
  // exclude each other by the flock.
  const int access = ::fcntl(fd.get(), F_GETFL);
  if (access < 0) return ErrnoError(errno, absl::StrCat("fcntl '", path, "'"));
  struct flock range = {};
  range.l_type = (access & O_ACCMODE) == O_RDONLY ? F_RDLCK : F_WRLCK;
  range.l_whence = SEEK_SET;
  range.l_start = static_cast<off_t>(kLockFileByte);
  range.l_len = 1;
  for (;;) {
    if (::fcntl(fd.get(), wait ? F_OFD_SETLKW : F_OFD_SETLK, &range) == 0) return true;
    const int err = errno;
    if (err == EINTR) continue;
    if (err == EINVAL) return true;  // a kernel before 3.15 has no OFD locks: flock alone, as before
    ::flock(fd.get(), LOCK_UN);  // all or nothing: no flock without the OFD lock
    if (!wait && (err == EAGAIN || err == EACCES)) return false;
    return ErrnoError(err, absl::StrCat("lock a byte of '", path, "'"));
  }
#else
  return true;
#endif
}

}  // namespace ipckit
