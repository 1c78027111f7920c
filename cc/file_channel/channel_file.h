// The channel file protocol: safe reads, the directory lock, atomic replace,
// and the append-with-retention step every writer performs.
//
//   ipckit::AppendOptions options;  // retention 1000 messages / 60 s, no fsync
//   IPCKIT_RETURN_IF_ERROR(ipckit::AppendToChannelFile(dir, ipckit::kFrontendToBackendFile,
//                                                      {message_text}, options, deadline));
//
// Writers serialize on an exclusive lock of <dir>/.lock (LockFile: flock(2)),
// read the current file, refuse to touch it if it is corrupt (nothing is ever
// discarded), append, prune old messages, write a temp file and rename it
// over the target, so readers always see a complete file and never need the
// lock. See spec/file_channel.md.
// These are the OS parts; the file names, RetentionPolicy and the pure
// AppendToChannelText live in channel_file_format.h (included here).
#ifndef IPCKIT_CC_FILE_CHANNEL_CHANNEL_FILE_H_
#define IPCKIT_CC_FILE_CHANNEL_CHANNEL_FILE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cc/base/deadline.h"
#include "cc/file_channel/channel_file_format.h"
#include "cc/file_channel/file_index.h"
#include "cc/platform/fs/file_ops.h"
#include "cc/platform/unique_fd.h"

namespace ipckit {

struct AppendOptions {
  RetentionPolicy retention;
  // A write that would make the file larger than this fails (too_large)
  // instead of dropping unread messages.
  size_t max_file_bytes = kDefaultMaxFileBytes;
  // fsync the temp file and the directory: survives power loss, costs ms.
  // Without it a write survives any process crash, but not a kernel crash.
  bool fsync = false;
  // Also delete temp files of writers that died mid-write (a directory scan;
  // FileChannel asks for it on every write).
  bool remove_stale_temps = false;
  // Also take ipckit 0.1's per-file lock (Ipckit01FileLock), so that 0.1
  // writers of the same file are excluded too. Off only if no 0.1 writer can
  // be present.
  bool ipckit01_lock = true;
  // Accept files and locks of other users in the directory (the caller opted
  // in to a shared directory: FileChannelOptions::allow_shared_directory).
  bool allow_shared_directory = false;
  // Called under the lock: the cursor positions of the file's named readers
  // (format 2, rules W2/W3; ReadReaderPositions). Empty: none are registered.
  std::function<std::vector<uint64_t>()> reader_positions;
};

// A file's content at one moment. A missing file reads as exists == false
// and empty text.
struct FileSnapshot {
  std::string text;
  bool exists = false;
  uint32_t mode = 0;  // permission bits, when it exists
  // The opened file as StatOpenFile saw it. Writers replace files by rename, so
  // these name the version that `text` was read from.
  uint64_t inode = 0;
  uint64_t size = 0;  // st_size when opened
  int64_t mtime_ns = 0;
};

// Reads `path` whole. too_large if it holds more than `max_bytes`;
// permission_denied, without reading or blocking, if it is not a regular file
// of this user (a symlink, FIFO, device, directory; another user's file
// unless `allow_other_owner`): OpenOwnedRegularFile's rules.
absl::StatusOr<FileSnapshot> ReadChannelFile(const std::string& path, size_t max_bytes,
                                             bool allow_other_owner = false);

// The writers' mutual exclusion: an exclusive LockFile on <dir>/.lock, by the
// rule of spec/file_channel.md, "Locks" (which the Node helper,
// js/src/node/channel_lock.js, follows too). The kernel drops it when the
// holder exits or dies, so there are no stale locks.
class ChannelLock {
 public:
  // Blocks until the lock is held or `deadline` passes (timeout). A timed
  // wait polls LockFile with a backoff of 50 us doubling to 10 ms.
  // permission_denied if .lock is not a regular file of this user (another
  // user's is accepted with `allow_shared`).
  static absl::StatusOr<ChannelLock> Acquire(const std::string& dir, const Deadline& deadline,
                                             bool allow_shared = false);

  ChannelLock(ChannelLock&&) = default;
  ChannelLock& operator=(ChannelLock&&) = default;
  ~ChannelLock() = default;  // closing the descriptor releases the lock

 private:
  explicit ChannelLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

// ipckit 0.1's lock on one channel file: "<stem>.lock" next to it (e.g.
// frontend_to_backend.lock), created with O_EXCL, holding "<pid>\n", deleted
// after the write. A lock file is stale, and is removed, when the pid in it is
// not a live process or it is older than kIpckit01LockStaleAfter (0.1's own
// rule). Format-1 writers take it inside the ChannelLock, so only 0.1 writers
// ever contend for it. A waiter sleeps on a watch of the directory (a release
// wakes it), looking again at least every 100 ms for a dead holder; it never
// spins. A stale lock that cannot be removed (another user's in a sticky
// directory), or a directory, symlink or FIFO under the lock's name, is
// permission_denied at once: no wait could end it.
inline constexpr absl::Duration kIpckit01LockStaleAfter = absl::Seconds(5);

class Ipckit01FileLock {
 public:
  static absl::StatusOr<Ipckit01FileLock> Acquire(const std::string& dir, absl::string_view file_name,
                                                  const Deadline& deadline, bool allow_shared = false);
  Ipckit01FileLock(Ipckit01FileLock&& other) noexcept;
  Ipckit01FileLock& operator=(Ipckit01FileLock&&) = delete;
  ~Ipckit01FileLock();  // deletes the lock file if it is still ours

  // "<dir>/<stem>.lock" for the channel file `file_name` ("x.json" -> "x.lock").
  static std::string PathFor(const std::string& dir, absl::string_view file_name);

 private:
  Ipckit01FileLock(std::string path, FileStatus file) : path_(std::move(path)), file_(file) {}
  std::string path_;  // empty once moved from
  FileStatus file_;   // the lock file this holder created
};

// Writes `text` as <dir>/<name> atomically: temp file ".<name>.tmp-<pid>-<hex>"
// in the same directory, optional fsync, ReplaceByRename over the target. The temp
// file is created with permissions `mode` (0: 0600, or 0660 when
// `allow_shared`), limited to 0600 unless `allow_shared`, whatever the umask.
// The temp file is removed on failure. Call with the ChannelLock held.
absl::Status ReplaceFileAtomically(const std::string& dir, absl::string_view name,
                                   absl::string_view text, uint32_t mode, bool fsync,
                                   bool allow_shared = false);

// Removes temp files that writers which died mid-write left in `dir`: ours
// (regular files of this user, named by ReplaceFileAtomically) whose writer
// pid is no live process. Call with the ChannelLock held (then no live
// writer of this process has one either).
void RemoveStaleTempFiles(const std::string& dir);

// The whole write protocol for <dir>/<name>: lock (ChannelLock, then
// Ipckit01FileLock), read, AppendToChannelText, ReplaceFileAtomically, unlock. `deadline` bounds the wait for the lock.
// `index`, if given, is this writer's memory of the file from its previous
// write, so that only what others appended since is parsed; it is left
// describing the file as it is afterwards.
absl::Status AppendToChannelFile(const std::string& dir, absl::string_view name,
                                 const std::vector<std::string>& new_messages,
                                 const AppendOptions& options, const Deadline& deadline,
                                 ChannelFileIndex* index = nullptr);

// Replaces each of `names` in `dir` with an empty channel ("[]"), under the
// same locks as an append (options: ipckit01_lock, allow_shared_directory,
// fsync), whatever the files held: ipckit 0.1's clear(). Each keeps its mode
// (within AppendOptions' rules); a missing one is created. All locks are
// taken before any file changes, so a timeout changes nothing.
absl::Status EmptyChannelFiles(const std::string& dir, const std::vector<absl::string_view>& names,
                               const AppendOptions& options, const Deadline& deadline);

}  // namespace ipckit

#endif  // IPCKIT_CC_FILE_CHANNEL_CHANNEL_FILE_H_
