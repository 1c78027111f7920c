// File-system calls on paths and open files: status, whole reads and writes,
// durability, atomic replace, advisory locks and directory scans. The channel
// file protocol (cc/file_channel) is written on these alone, so another OS
// implements this header (and owned_file.h) and nothing above it changes.
//
//   IPCKIT_ASSIGN_OR_RETURN(ipckit::UniqueFd fd, ipckit::OpenOwnedRegularFile(tmp, ipckit::OwnedOpen::kCreateNew));
//   IPCKIT_RETURN_IF_ERROR(ipckit::WriteFileAll(fd, text, tmp));
//   IPCKIT_RETURN_IF_ERROR(ipckit::SyncFile(fd, tmp));
//   IPCKIT_RETURN_IF_ERROR(ipckit::ReplaceByRename(tmp, target));  // readers see old or new, never half
//
//   IPCKIT_ASSIGN_OR_RETURN(ipckit::FileStatus st, ipckit::StatOpenFile(fd, path));
//   if (st.SameFileAs(other)) { ... }  // device + inode (Windows: volume serial + file index)
//
// Errors carry the path and map the OS error through ErrnoError (not_found,
// permission_denied, io, ...). Nothing here waits except LockFile with
// `wait`; EINTR is retried inside.
#ifndef IPCKIT_CC_PLATFORM_FS_FILE_OPS_H_
#define IPCKIT_CC_PLATFORM_FS_FILE_OPS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cc/platform/unique_fd.h"

namespace ipckit {

// What stat(2) tells, in portable terms.
struct FileStatus {
  enum class Type { kRegular, kDirectory, kSymlink, kSocket, kOther };
  Type type = Type::kOther;
  uint32_t permissions = 0;  // the 07777 bits (Windows: 0600, or 0400 when read-only)
  uint32_t owner = 0;        // user id (compare with platform::CurrentUserId())
  uint64_t device = 0;
  uint64_t inode = 0;
  uint64_t size = 0;
  int64_t mtime_ns = 0;  // last modification, ns since the Unix epoch

  bool SameFileAs(const FileStatus& other) const { return device == other.device && inode == other.inode; }
};

// Status of an open file (fstat).
absl::StatusOr<FileStatus> StatOpenFile(const UniqueFd& fd, absl::string_view path);
// Status of `path`, following a symlink (stat) or not (lstat). not_found when
// it is missing.
absl::StatusOr<FileStatus> StatPath(const std::string& path);
absl::StatusOr<FileStatus> StatLink(const std::string& path);

// Reads up to `size` bytes at the file position: 0 at end of file.
absl::StatusOr<size_t> ReadFileSome(const UniqueFd& fd, char* buffer, size_t size, absl::string_view path);
// Writes all of `data` at the file position (a blocking file descriptor).
absl::Status WriteFileAll(const UniqueFd& fd, absl::string_view data, absl::string_view path);

// Flushes the file's data to the device (fsync; Windows: FlushFileBuffers,
// which needs a descriptor open for writing).
absl::Status SyncFile(const UniqueFd& fd, absl::string_view path);
// Makes renames and creations in `dir` durable (fsync of the directory; a
// no-op where the OS has no such call).
absl::Status SyncDirectory(const std::string& dir);

// Renames `from` over `to` in one step: a concurrent reader of `to` opens
// either the old file or the new one, never a missing or partial one. Both
// must be in the same directory. (Windows: MoveFileEx with
// MOVEFILE_REPLACE_EXISTING, retried while a reader holds `to` open.)
absl::Status ReplaceByRename(const std::string& from, const std::string& to);

// Deletes the file `path` (not a directory). not_found when it is missing.
absl::Status RemoveFile(const std::string& path);

// The names in `dir`, without "." and "..", in no particular order.
absl::StatusOr<std::vector<std::string>> ListDirectory(const std::string& dir);

// The byte LockFile locks on every OS, far past any lock file's data: Windows
// byte-range locks are mandatory, so a lock on the pid that .backend.lock
// carries would stop its readers, and its own writer's second handle.
inline constexpr uint64_t kLockFileByte = 0x7fffffff;

// An exclusive advisory lock on the open file (Linux: flock(2) plus an open
// file description lock on kLockFileByte, which Wine's LockFileEx sees;
// Windows: LockFileEx on kLockFileByte), released when the descriptor is
// closed or its process dies. The FileChannel's rule for taking, probing and
// waiting is spec/file_channel.md, "Locks"; js/src/node/channel_lock.js
// takes the same two locks in the same order.
// With `wait` it blocks until granted and returns true; without, it returns
// false at once when another descriptor holds it.
absl::StatusOr<bool> LockFile(const UniqueFd& fd, bool wait, absl::string_view path);

}  // namespace ipckit

#endif  // IPCKIT_CC_PLATFORM_FS_FILE_OPS_H_
