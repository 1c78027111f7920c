// POSIX shared-memory objects: create, open, resize, stat, unlink, list.
//
//   IPCKIT_ASSIGN_OR_RETURN(UniqueFd fd, platform::ShmCreateExclusive("/jobs", 0600));
//   IPCKIT_RETURN_IF_ERROR(platform::ResizeObject(fd.get(), 4160));
//   IPCKIT_RETURN_IF_ERROR(platform::ShmUnlink("/jobs"));
//
// Object names are POSIX shm names ("/" + a plain name; see ShmObjectNameFor in
// cc/base/name.h). Errors come from ErrnoError, so ENOENT is not_found, EEXIST
// in_use, EACCES permission_denied. This is the seam cc/shm uses instead of
// calling the OS directly; Linux-only parts (listing /dev/shm) say so.
#ifndef IPCKIT_CC_PLATFORM_SHM_SHM_OBJECT_H_
#define IPCKIT_CC_PLATFORM_SHM_SHM_OBJECT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cc/platform/unique_fd.h"

namespace ipckit {
namespace platform {

enum class ShmAccess { kReadOnly, kReadWrite };

// Which file object a descriptor or name refers to, to notice that a name was
// removed and reused by someone else.
struct ObjectId {
  uint64_t device = 0;
  uint64_t inode = 0;
  bool operator==(const ObjectId& o) const { return device == o.device && inode == o.inode; }
  bool operator!=(const ObjectId& o) const { return !(*this == o); }
};

struct ObjectInfo {
  uint64_t size = 0;
  uint32_t mode = 0;  // permission bits only (st_mode & 07777)
  uint32_t owner_uid = 0;
  ObjectId id;
};

// shm_open(O_RDWR | O_CREAT | O_EXCL), then fchmod(`mode`) so the umask cannot
// change the permissions. `mode` may include S_ISVTX (01000), which the
// SharedMemory creation protocol uses as a "not yet locked" mark. in_use if
// the name exists.
absl::StatusOr<UniqueFd> ShmCreateExclusive(const std::string& object_name, uint32_t mode);

// shm_open of an existing object. not_found if it does not exist.
absl::StatusOr<UniqueFd> ShmOpen(const std::string& object_name, ShmAccess access);

// shm_unlink. not_found if the name does not exist.
absl::Status ShmUnlink(const std::string& object_name);

// Removes `object_name` only if it still names the object `id`. in_use if the
// name now refers to another object; not_found if it is gone. Where the OS has
// no way to look a name up without opening it (not Linux), this is ShmUnlink.
absl::Status ShmUnlinkIfSame(const std::string& object_name, const ObjectId& id);

// Whether `object_name` still names the object `id`: OK if so, in_use if the
// name now refers to another object, not_found if it is gone. Where the OS has
// no way to look a name up without opening it (not Linux), OK.
absl::Status CheckNameRefersTo(const std::string& object_name, const ObjectId& id);

// flock(fd, LOCK_EX or LOCK_SH | LOCK_NB): an advisory lock on the object that
// every descriptor of it sees, released when the holder closes its descriptor
// or dies. in_use if another open file description holds a conflicting lock.
enum class ObjectLock { kShared, kExclusive };
absl::Status TryLockObject(int fd, ObjectLock kind);
// flock(fd, LOCK_UN). Errors are ignored: closing the descriptor unlocks too.
void UnlockObject(int fd);

// fchmod(fd, mode).
absl::Status SetObjectMode(int fd, uint32_t mode);

// ftruncate(fd, size).
absl::Status ResizeObject(int fd, uint64_t size);

// fstat(fd).
absl::StatusOr<ObjectInfo> StatObject(int fd);

// Names (without the leading '/') of the shm objects visible to this process:
// the regular files in /dev/shm. unimplemented where there is no such
// directory (macOS keeps shm objects in the kernel, unlisted).
absl::StatusOr<std::vector<std::string>> ListShmObjects();

// Bytes free for shm objects (statvfs of /dev/shm), or UINT64_MAX where that
// cannot be known.
uint64_t ShmBytesAvailable();

}  // namespace platform
}  // namespace ipckit

#endif  // IPCKIT_CC_PLATFORM_SHM_SHM_OBJECT_H_
