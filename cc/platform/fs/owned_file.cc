#include "cc/platform/fs/owned_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cc/base/error.h"

namespace ipckit {
namespace {

absl::Status Refused(const std::string& path, absl::string_view what) {
  return MakeError(absl::StatusCode::kPermissionDenied, kErrPermissionDenied,
                   absl::StrCat("'", path, "' ", what, ": refused"));
}

// What a non-regular file is, for error messages.
const char* KindOf(mode_t mode) {
  if (S_ISLNK(mode)) return "a symlink";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
  if (S_ISDIR(mode)) return "a directory";
  return "not a regular file";
}

// Accepts a regular file owned by the effective uid.
absl::Status CheckOwnedRegular(const std::string& path, const struct stat& st, bool allow_other_owner) {
  if (!S_ISREG(st.st_mode)) return Refused(path, absl::StrCat("is ", KindOf(st.st_mode)));
  if (!allow_other_owner && st.st_uid != ::geteuid()) {
    return Refused(path, absl::StrCat("is owned by uid ", st.st_uid, ", not by this user (uid ", ::geteuid(), ")"));
  }
  return absl::OkStatus();
}

// Explains a failed open: O_NOFOLLOW fails with ELOOP on a symlink, a FIFO
// with no reader fails a non-blocking write open with ENXIO, and so on.
absl::Status OpenFailed(const std::string& path, int err) {
  struct stat st;
  if (err != ENOENT && ::lstat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    return Refused(path, absl::StrCat("is ", KindOf(st.st_mode)));
  }
  return ErrnoError(err, absl::StrCat("open '", path, "'"));
}

// open(2)'s flags for OpenOwnedRegularFile's.
int PosixFlags(int open_flags) {
  int flags = (open_flags & kOpenReadWrite) ? O_RDWR : (open_flags & kOpenWrite) ? O_WRONLY : O_RDONLY;
  if (open_flags & kOpenCreate) flags |= O_CREAT;
  if (open_flags & kOpenExclusive) flags |= O_EXCL;
  if (open_flags & kOpenTruncate) flags |= O_TRUNC;
  return flags;
}

}  // namespace

absl::StatusOr<UniqueFd> OpenOwnedRegularFile(const std::string& path, int open_flags, uint32_t create_mode_bits,
                                              bool allow_other_owner) {
  const int flags = PosixFlags(open_flags);
  const mode_t create_mode = static_cast<mode_t>(create_mode_bits);
  const bool truncate = (flags & O_TRUNC) != 0;
  const int base = (flags & ~O_TRUNC) | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK;
  bool created = false;
  UniqueFd fd;
  if ((flags & O_CREAT) && !(flags & O_EXCL)) {
    // Create exclusively first, so we know whether the mode is ours to set.
    fd.reset(::open(path.c_str(), base | O_EXCL, create_mode));
    if (fd.valid()) {
      created = true;
    } else if (errno != EEXIST) {
      return OpenFailed(path, errno);
    } else {
      fd.reset(::open(path.c_str(), base & ~O_CREAT));
    }
  } else {
    fd.reset(::open(path.c_str(), base, create_mode));
    created = fd.valid() && (flags & O_CREAT);
  }
  if (!fd.valid()) return OpenFailed(path, errno);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return ErrnoError(errno, absl::StrCat("fstat '", path, "'"));
  if (absl::Status ok = CheckOwnedRegular(path, st, allow_other_owner); !ok.ok()) return ok;
  if (created && (st.st_mode & 07777) != create_mode && ::fchmod(fd.get(), create_mode) != 0) {
    return ErrnoError(errno, absl::StrCat("fchmod '", path, "'"));
  }
  if (truncate && ::ftruncate(fd.get(), 0) != 0) return ErrnoError(errno, absl::StrCat("truncate '", path, "'"));
  int fl = ::fcntl(fd.get(), F_GETFL);
  if (fl < 0 || ::fcntl(fd.get(), F_SETFL, fl & ~O_NONBLOCK) != 0) {
    return ErrnoError(errno, absl::StrCat("fcntl '", path, "'"));
  }
  return fd;
}

absl::Status CheckChannelDirectory(const std::string& dir, bool allow_shared) {
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) return ErrnoError(errno, absl::StrCat("stat '", dir, "'"));
  if (!S_ISDIR(st.st_mode)) return InvalidArgumentError(absl::StrCat("'", dir, "' is not a directory"));
  if (allow_shared) return absl::OkStatus();
  if (st.st_uid != ::geteuid()) {
    return Refused(dir, absl::StrCat("is owned by uid ", st.st_uid, ", not by this user (uid ", ::geteuid(),
                                     "); pass allow_shared_directory to use a shared channel directory"));
  }
  if (st.st_mode & (S_IWGRP | S_IWOTH)) {
    return Refused(dir, absl::StrCat("is writable by ", (st.st_mode & S_IWOTH) ? "others" : "its group",
                                     " (mode ",
                                     absl::StrFormat("%04o", st.st_mode & 07777), "); pass allow_shared_directory to use a shared channel directory"));
  }
  return absl::OkStatus();
}

absl::Status MakePrivateDirs(const std::string& dir) {
  for (size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos != dir.size() && dir[pos] != '/') continue;
    std::string prefix = dir.substr(0, pos);
    if (::mkdir(prefix.c_str(), 0700) == 0) {
      // The umask may have taken bits from 0700 (never added any): set it
      // exactly, on the directory we just made, not on whatever the name
      // points at by now.
      UniqueFd dfd(::open(prefix.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!dfd.valid() || ::fchmod(dfd.get(), 0700) != 0) {
        return ErrnoError(errno, absl::StrCat("set mode 0700 on '", prefix, "'"));
      }
      continue;
    }
    if (errno == EEXIST) continue;
    if (errno == ENOTDIR) {
      return InvalidArgumentError(absl::StrCat("a component of '", dir, "' is not a directory"));
    }
    return ErrnoError(errno, absl::StrCat("create directory '", prefix, "'"));
  }
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) return ErrnoError(errno, absl::StrCat("stat '", dir, "'"));
  if (!S_ISDIR(st.st_mode)) return InvalidArgumentError(absl::StrCat("'", dir, "' exists and is not a directory"));
  return absl::OkStatus();
}

}  // namespace ipckit
