// Shared-memory objects: create, open, resize, stat, lock, unlink, list.
//
//   IPCKIT_ASSIGN_OR_RETURN(platform::ShmObject obj,
//                           platform::ShmCreateExclusive("/jobs", 0600, 4160));
//   IPCKIT_RETURN_IF_ERROR(platform::ResizeObject(obj, 4160));
//   IPCKIT_RETURN_IF_ERROR(platform::ShmUnlink("/jobs"));
//
// Object names are POSIX shm names ("/" + a plain name; see ShmObjectNameFor in
// cc/base/name.h). On POSIX an object is a shm_open descriptor and errors come
// from ErrnoError (ENOENT not_found, EEXIST in_use, EACCES permission_denied).
// On Windows (shm_object_win.cc, spec/windows.md) "/name" is the file mapping
// "Local\name", its lock a named mutex, and there is no unlink. This is the
// seam cc/shm and cc/shm_msg use instead of calling the OS directly; parts one
// OS lacks (listing, unlinking) say what they do there.
#ifndef IPCKIT_CC_PLATFORM_SHM_SHM_OBJECT_H_
#define IPCKIT_CC_PLATFORM_SHM_SHM_OBJECT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ipckit {
namespace platform {
namespace internal {
struct ShmObjectState;
}  // namespace internal

// An open shared-memory object, closed (and its lock released) on
// destruction: a descriptor on POSIX; on Windows the mapping's handle and its
// creation lock. Opaque outside cc/platform/shm.
class ShmObject {
 public:
  ShmObject();
  explicit ShmObject(std::unique_ptr<internal::ShmObjectState> state);
  ShmObject(ShmObject&& other) noexcept;
  ShmObject& operator=(ShmObject&& other) noexcept;
  ShmObject(const ShmObject&) = delete;
  ShmObject& operator=(const ShmObject&) = delete;
  ~ShmObject();

  bool valid() const { return state_ != nullptr; }
  // For cc/platform/shm's own files (internal/shm_object_state.h).
  internal::ShmObjectState& state() const { return *state_; }

 private:
  std::unique_ptr<internal::ShmObjectState> state_;
};

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
// the name exists. `size` is the size the caller will give it: POSIX creates
// the object empty (ResizeObject sizes it); Windows must size a mapping when
// it makes it, so there the object is `size` zero bytes at once, and it is
// born holding its lock (TryLockObject), which is taken before the mapping
// exists, so nobody ever sees a new object unlocked. No mode bits on Windows.
absl::StatusOr<ShmObject> ShmCreateExclusive(const std::string& object_name, uint32_t mode,
                                             uint64_t size);

// shm_open of an existing object. not_found if it does not exist.
absl::StatusOr<ShmObject> ShmOpen(const std::string& object_name, ShmAccess access);

// shm_unlink. not_found if the name does not exist. Windows has no unlink (a
// mapping lives while anyone holds it): OK without effect.
absl::Status ShmUnlink(const std::string& object_name);

// Removes `object_name` only if it still names the object `id`. in_use if the
// name now refers to another object; not_found if it is gone. Where the OS has
// no way to look a name up without opening it (not Linux), this is ShmUnlink.
absl::Status ShmUnlinkIfSame(const std::string& object_name, const ObjectId& id);

// Whether `object_name` still names the object `id`: OK if so, in_use if the
// name now refers to another object, not_found if it is gone. Where the OS has
// no way to look a name up without opening it (not Linux), OK.
absl::Status CheckNameRefersTo(const std::string& object_name, const ObjectId& id);

// flock(LOCK_EX or LOCK_SH | LOCK_NB): an advisory lock on the object that
// every descriptor of it sees, released when the holder closes its descriptor
// or dies. in_use if another open file description holds a conflicting lock.
// Windows: the named mutex "Local\ipckit-shm-{name}", whose one holder is
// exclusive either way; a holder that died leaves it abandoned, which counts
// as free (WAIT_ABANDONED). Taking it again while held is OK.
enum class ObjectLock { kShared, kExclusive };
absl::Status TryLockObject(ShmObject& object, ObjectLock kind);
// flock(LOCK_UN). Errors are ignored: closing the object unlocks too.
void UnlockObject(ShmObject& object);

// fchmod(mode). Windows: OK without effect (no mode bits; the session
// namespace Local\ keeps other users out).
absl::Status SetObjectMode(const ShmObject& object, uint32_t mode);

// ftruncate(size). Windows: the size is fixed at creation, so OK only for a
// size that fits it, unimplemented otherwise.
absl::Status ResizeObject(const ShmObject& object, uint64_t size);

// fstat. Windows: the mapping's size (an opener's in whole pages), mode 0600,
// no id, and as owner CurrentUserId() (0 there) if this user owns the mapping,
// kOtherUserId if another does (its owner SID; spec/windows.md, "Security").
absl::StatusOr<ObjectInfo> StatObject(const ShmObject& object);
inline constexpr uint32_t kOtherUserId = 0xFFFFFFFF;

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
