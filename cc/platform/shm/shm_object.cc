#include "cc/platform/shm/shm_object.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <limits>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cc/base/error.h"
#include "cc/platform/shm/internal/shm_object_state.h"

namespace ipckit {
namespace platform {
namespace {

// Where Linux (glibc and musl) keeps POSIX shm objects as files.
constexpr char kShmDir[] = "/dev/shm";

ObjectInfo InfoFromStat(const struct stat& st) {
  ObjectInfo info;
  info.size = static_cast<uint64_t>(st.st_size);
  info.mode = static_cast<uint32_t>(st.st_mode & 07777);
  info.owner_uid = static_cast<uint32_t>(st.st_uid);
  info.id.device = static_cast<uint64_t>(st.st_dev);
  info.id.inode = static_cast<uint64_t>(st.st_ino);
  return info;
}

int Fd(const ShmObject& object) { return object.state().fd.get(); }

ShmObject Wrap(UniqueFd fd) {
  auto state = std::make_unique<internal::ShmObjectState>();
  state->fd = std::move(fd);
  return ShmObject(std::move(state));
}

}  // namespace

absl::StatusOr<ShmObject> ShmCreateExclusive(const std::string& object_name, uint32_t mode,
                                             uint64_t /*size: ResizeObject sets it*/) {
  UniqueFd fd(::shm_open(object_name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
                         static_cast<mode_t>(mode)));
  if (!fd.valid()) return ErrnoError(errno, absl::StrCat("shm_open(", object_name, ", O_EXCL)"));
  if (::fchmod(fd.get(), static_cast<mode_t>(mode)) != 0) {
    int err = errno;
    ::shm_unlink(object_name.c_str());
    return ErrnoError(err, absl::StrCat("fchmod(", object_name, ")"));
  }
  return Wrap(std::move(fd));
}

absl::StatusOr<ShmObject> ShmOpen(const std::string& object_name, ShmAccess access) {
  const int flags = (access == ShmAccess::kReadWrite ? O_RDWR : O_RDONLY) | O_CLOEXEC;
  UniqueFd fd(::shm_open(object_name.c_str(), flags, 0));
  if (!fd.valid()) return ErrnoError(errno, absl::StrCat("shm_open(", object_name, ")"));
  return Wrap(std::move(fd));
}

absl::Status ShmUnlink(const std::string& object_name) {
  if (::shm_unlink(object_name.c_str()) != 0) {
    return ErrnoError(errno, absl::StrCat("shm_unlink(", object_name, ")"));
  }
  return absl::OkStatus();
}

absl::Status CheckNameRefersTo(const std::string& object_name, const ObjectId& id) {
#ifdef __linux__
  // object_name is "/name"; its file is /dev/shm/name. lstat, so a symlink
  // planted in the world-writable directory never matches.
  struct stat st;
  const std::string path = absl::StrCat(kShmDir, object_name);
  if (::lstat(path.c_str(), &st) != 0) return ErrnoError(errno, absl::StrCat("lstat(", path, ")"));
  if (InfoFromStat(st).id != id) {
    return InUseError(absl::StrCat("shm object ", object_name, " now refers to a different segment"));
  }
#endif
  return absl::OkStatus();
}

absl::Status ShmUnlinkIfSame(const std::string& object_name, const ObjectId& id) {
  absl::Status same = CheckNameRefersTo(object_name, id);
  if (!same.ok()) {
    if (ErrorClassOf(same) != kErrInUse) return same;
    return InUseError(absl::StrCat(same.message(), "; not removed"));
  }
  return ShmUnlink(object_name);
}

absl::Status TryLockObject(ShmObject& object, ObjectLock kind) {
  const int fd = Fd(object);
  const int op = (kind == ObjectLock::kExclusive ? LOCK_EX : LOCK_SH) | LOCK_NB;
  int rc;
  do {
    rc = ::flock(fd, op);
  } while (rc != 0 && errno == EINTR);
  if (rc == 0) return absl::OkStatus();
  if (errno == EWOULDBLOCK) return InUseError("shm object is locked by another process");
  return ErrnoError(errno, "flock(shm object)");
}

void UnlockObject(ShmObject& object) { (void)::flock(Fd(object), LOCK_UN); }

absl::Status SetObjectMode(const ShmObject& object, uint32_t mode) {
  if (::fchmod(Fd(object), static_cast<mode_t>(mode)) != 0) return ErrnoError(errno, "fchmod(shm object)");
  return absl::OkStatus();
}

absl::Status ResizeObject(const ShmObject& object, uint64_t size) {
  if (size > static_cast<uint64_t>(std::numeric_limits<off_t>::max())) {
    return InvalidArgumentError(absl::StrCat("object size ", size, " does not fit in off_t"));
  }
  int rc;
  do {
    rc = ::ftruncate(Fd(object), static_cast<off_t>(size));
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) return ErrnoError(errno, absl::StrCat("ftruncate(", size, ")"));
  return absl::OkStatus();
}

absl::StatusOr<ObjectInfo> StatObject(const ShmObject& object) {
  struct stat st;
  if (::fstat(Fd(object), &st) != 0) return ErrnoError(errno, "fstat(shm object)");
  return InfoFromStat(st);
}

absl::StatusOr<std::vector<std::string>> ListShmObjects() {
#ifdef __linux__
  DIR* dir = ::opendir(kShmDir);
  if (dir == nullptr) return ErrnoError(errno, absl::StrCat("opendir(", kShmDir, ")"));
  std::vector<std::string> names;
  errno = 0;
  while (struct dirent* entry = ::readdir(dir)) {
    // DT_UNKNOWN: the file system did not say; callers check what they open.
    if (entry->d_type != DT_REG && entry->d_type != DT_UNKNOWN) continue;
    if (entry->d_name[0] == '.') continue;
    names.emplace_back(entry->d_name);
  }
  const int err = errno;
  ::closedir(dir);
  if (err != 0) return ErrnoError(err, absl::StrCat("readdir(", kShmDir, ")"));
  return names;
#else
  return absl::UnimplementedError("listing shm objects needs /dev/shm (Linux)");
#endif
}

uint64_t ShmBytesAvailable() {
#ifdef __linux__
  struct statvfs vfs;
  if (::statvfs(kShmDir, &vfs) == 0) {
    return static_cast<uint64_t>(vfs.f_bavail) * static_cast<uint64_t>(vfs.f_frsize);
  }
#endif
  return std::numeric_limits<uint64_t>::max();
}

}  // namespace platform
}  // namespace ipckit
