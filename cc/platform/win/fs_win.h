// Windows file operations for FileChannel (spec/windows.md, "FileChannel"):
// byte-range locks that die with their holder, atomic replace that waits out
// readers holding the target open, and a directory watch with deadlines.
//
//   IPCKIT_ASSIGN_OR_RETURN(UniqueHandle lock, win::OpenShared(dir + "\\.lock", /*create=*/true));
//   IPCKIT_RETURN_IF_ERROR(win::LockExclusive(lock.get(), deadline, ".lock"));
//   IPCKIT_RETURN_IF_ERROR(win::ReplaceByMove(tmp, target, deadline));
//   IPCKIT_ASSIGN_OR_RETURN(win::DirWatch w, win::DirWatch::Open(dir));
//   IPCKIT_ASSIGN_OR_RETURN(bool changed, w.Wait(deadline));
//
// Paths are UTF-8 and may use '/' or '\'.
#ifndef IPCKIT_CC_PLATFORM_WIN_FS_WIN_H_
#define IPCKIT_CC_PLATFORM_WIN_FS_WIN_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cc/base/deadline.h"
#include "cc/platform/unique_fd.h"
#include "cc/platform/win/unique_handle_win.h"

namespace ipckit {
namespace platform {
namespace win {

// The portable file seam (cc/platform/fs, UniqueFd) carries a Windows file as
// a C runtime descriptor that owns the HANDLE: closing the UniqueFd closes the
// HANDLE. FdFromHandle takes ownership (closing `h` itself if the CRT has no
// descriptor left); HandleOf borrows.
absl::StatusOr<UniqueFd> FdFromHandle(UniqueHandle h, absl::string_view what);
HANDLE HandleOf(const UniqueFd& fd);

// Opens (or with `create`, creates) a file for reading and writing, sharing
// read, write and delete with everyone, so that holding it open never blocks
// another process's rename or delete.
absl::StatusOr<UniqueHandle> OpenShared(const std::string& path, bool create);

// LockFileEx(LOCKFILE_EXCLUSIVE_LOCK) on the byte at `offset`, retried with
// sleeps from 50 us doubling to 10 ms until the deadline (timeout then), as
// flock is on Linux. The OS drops the lock when the handle closes or the
// process dies.
absl::Status LockExclusive(HANDLE file, const Deadline& deadline, absl::string_view what, uint64_t offset = 0);
void Unlock(HANDLE file, uint64_t offset = 0);

// MoveFileExW(from, to, REPLACE_EXISTING | WRITE_THROUGH). While a reader
// holds `to` open without FILE_SHARE_DELETE the move fails with access denied
// or a sharing violation; it is retried, sleeping from 1 ms doubling to 50 ms,
// until the deadline, then in_use.
absl::Status ReplaceByMove(const std::string& from, const std::string& to, const Deadline& deadline);

// Changes to the entries of one directory (not recursive): ReadDirectoryChangesW
// for names, sizes and write times.
class DirWatch {
 public:
  static absl::StatusOr<DirWatch> Open(const std::string& dir);

  DirWatch() = default;
  DirWatch(DirWatch&&) = default;
  DirWatch& operator=(DirWatch&&) = default;
  ~DirWatch();

  // True once something in the directory changed since the last Wait (or
  // since Open); false at the deadline. A notification overflow counts as a
  // change (rescan everything).
  absl::StatusOr<bool> Wait(const Deadline& deadline);

 private:
  absl::Status Arm();

  std::string dir_;
  UniqueHandle handle_;
  UniqueHandle event_;
  std::vector<char> buffer_;
  std::unique_ptr<OVERLAPPED> overlapped_;  // stable while a read is pending
  bool armed_ = false;
};

}  // namespace win
}  // namespace platform
}  // namespace ipckit

#endif  // IPCKIT_CC_PLATFORM_WIN_FS_WIN_H_
