#include "cc/file_channel/channel_file.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cc/base/error.h"
#include "cc/base/status_macros.h"
#include "cc/file_channel/channel_file_format.h"
#include "cc/file_channel/uuid.h"
#include "cc/platform/fs/file_ops.h"
#include "cc/platform/fs/owned_file.h"
#include "cc/platform/process/process.h"
#include "cc/platform/watch/dir_watcher.h"

namespace ipckit {
namespace {

std::string PathIn(const std::string& dir, absl::string_view name) { return absl::StrCat(dir, "/", name); }

std::string TempPrefix(absl::string_view name) { return absl::StrCat(".", name, ".tmp-"); }

constexpr uint32_t kPrivateFileMode = 0600;
// In a shared directory (opted in), new files are the group's too.
constexpr uint32_t kSharedFileMode = 0660;
uint32_t NewFileMode(bool allow_shared) { return allow_shared ? kSharedFileMode : kPrivateFileMode; }

// LockFile has no timeout, so a timed wait polls, backing off to this.
constexpr absl::Duration kMaxFlockBackoff = absl::Milliseconds(10);
// A 0.1 lock's release wakes its waiters through the directory watch; this
// bounds only the re-checks for a holder's death, which sends no event.
constexpr absl::Duration kMaxIpckit01Backoff = absl::Milliseconds(100);

}  // namespace

absl::StatusOr<FileSnapshot> ReadChannelFile(const std::string& path, size_t max_bytes, bool allow_other_owner) {
  FileSnapshot snapshot;
  absl::StatusOr<UniqueFd> opened = OpenOwnedRegularFile(path, kOpenRead, kPrivateFileMode, allow_other_owner);
  if (ErrorClassOf(opened.status()) == kErrNotFound) return snapshot;  // not written yet: no messages
  IPCKIT_RETURN_IF_ERROR(opened.status());
  UniqueFd fd = std::move(*opened);
  IPCKIT_ASSIGN_OR_RETURN(FileStatus st, StatOpenFile(fd, path));
  if (st.size > max_bytes) {
    return TooLargeError(absl::StrCat("'", path, "' is ", st.size, " bytes, over the limit ", max_bytes));
  }
  snapshot.exists = true;
  snapshot.mode = st.permissions;
  snapshot.inode = st.inode;
  snapshot.size = st.size;
  snapshot.mtime_ns = st.mtime_ns;
  // Read to EOF rather than trusting st_size: a foreign writer may be
  // appending in place. One byte of slack detects growth past the limit.
  snapshot.text.resize(static_cast<size_t>(st.size) + 1);
  size_t got = 0;
  for (;;) {
    if (got == snapshot.text.size()) {
      if (snapshot.text.size() > max_bytes) {
        return TooLargeError(absl::StrCat("'", path, "' grew past the limit ", max_bytes, " bytes while being read"));
      }
      snapshot.text.resize(std::min(max_bytes + 1, snapshot.text.size() * 2 + 4096));
    }
    IPCKIT_ASSIGN_OR_RETURN(size_t n, ReadFileSome(fd, &snapshot.text[got], snapshot.text.size() - got, path));
    if (n == 0) break;
    got += n;
  }
  if (got > max_bytes) {
    return TooLargeError(absl::StrCat("'", path, "' grew past the limit ", max_bytes, " bytes while being read"));
  }
  snapshot.text.resize(got);
  return snapshot;
}

absl::StatusOr<ChannelLock> ChannelLock::Acquire(const std::string& dir, const Deadline& deadline, bool allow_shared) {
  const std::string path = PathIn(dir, kLockFile);
  absl::Duration backoff = absl::Microseconds(50);
  for (;;) {
    IPCKIT_ASSIGN_OR_RETURN(UniqueFd fd,
                            OpenOwnedRegularFile(path, kOpenReadWrite | kOpenCreate, NewFileMode(allow_shared), allow_shared));
    for (;;) {
      // With no deadline the kernel queues us (no polling); with one we poll
      // with a short backoff because LockFile itself has no timeout.
      IPCKIT_ASSIGN_OR_RETURN(bool locked, LockFile(fd, /*wait=*/deadline.IsInfinite(), path));
      if (locked) break;
      if (deadline.Expired()) {
        return TimeoutError(absl::StrCat("lock '", path, "' is held by another writer past the timeout"));
      }
      absl::SleepFor(std::min(backoff, deadline.Remaining()));
      backoff = std::min(backoff * 2, kMaxFlockBackoff);
    }
    // If someone deleted or replaced .lock meanwhile, our lock is on an inode
    // other writers no longer open: start over on the current one.
    IPCKIT_ASSIGN_OR_RETURN(FileStatus held, StatOpenFile(fd, path));
    absl::StatusOr<FileStatus> current = StatPath(path);
    if (current.ok() && current->SameFileAs(held)) return ChannelLock(std::move(fd));
    if (deadline.Expired()) return TimeoutError(absl::StrCat("lock '", path, "' kept being replaced"));
  }
}

std::string Ipckit01FileLock::PathFor(const std::string& dir, absl::string_view file_name) {
  return PathIn(dir, Ipckit01LockFileName(file_name));
}

namespace {

// The pid that `text` spells, or 0 if it spells none (lock files and temp file
// names carry their writer's pid).
uint32_t ParsePid(absl::string_view text) {
  int64_t pid = 0;
  if (!absl::SimpleAtoi(text, &pid) || pid <= 0 || pid > std::numeric_limits<int32_t>::max()) return 0;
  return static_cast<uint32_t>(pid);
}

// Whether no process has `pid` (a zombie counts as none: it writes nothing).
bool ProcessIsGone(uint32_t pid) {
  return platform::CheckLiveness(platform::ProcessIdentity{pid}) == platform::Liveness::kDead;
}

// When `st` was last modified, to the second: 0.1 judges lock age by whole
// seconds (st_mtime).
absl::Time ModifiedSecond(const FileStatus& st) {
  return absl::FromUnixSeconds(absl::ToUnixSeconds(absl::FromUnixNanos(st.mtime_ns)));
}

// Whether the 0.1 lock file at `path` (now `st`) was left by a dead writer:
// older than 0.1's limit, or naming a pid that is not a live process.
bool Ipckit01LockIsStale(const std::string& path, const FileStatus& st, bool allow_other_owner) {
  absl::Time modified = ModifiedSecond(st);
  if (absl::Now() - modified > kIpckit01LockStaleAfter) return true;
  absl::StatusOr<UniqueFd> fd = OpenOwnedRegularFile(path, kOpenRead, kPrivateFileMode, allow_other_owner);
  if (!fd.ok()) return false;  // released meanwhile, or not readable: only the age rule applies
  char buf[32] = {0};
  absl::StatusOr<size_t> n = ReadFileSome(*fd, buf, sizeof(buf) - 1, path);
  uint32_t pid = !n.ok() || *n == 0 ? 0 : ParsePid(absl::StripAsciiWhitespace(absl::string_view(buf, *n)));
  if (pid == 0) return false;  // being written right now, or not a pid: only the age rule applies
  return ProcessIsGone(pid);
}

// How long a waiter for a live 0.1 lock sleeps before it looks again when no
// file event wakes it: a holder's death sends no event, and a lock turns stale
// by age at a known time.
absl::Duration NextIpckit01Look(const FileStatus& st, absl::Duration* backoff) {
  absl::Duration until_stale =
      ModifiedSecond(st) + kIpckit01LockStaleAfter + absl::Seconds(1) - absl::Now();
  absl::Duration wait = std::max(std::min(*backoff, until_stale), absl::Milliseconds(1));
  *backoff = std::min(*backoff * 2, kMaxIpckit01Backoff);
  return wait;
}

}  // namespace

absl::StatusOr<Ipckit01FileLock> Ipckit01FileLock::Acquire(const std::string& dir, absl::string_view file_name,
                                                           const Deadline& deadline, bool allow_shared) {
  std::string path = PathFor(dir, file_name);
  std::string lock_name = path.substr(dir.size() + 1);
  std::optional<DirWatcher> watcher;  // opened at the first contention
  absl::Duration backoff = absl::Milliseconds(1);
  for (;;) {
    absl::StatusOr<UniqueFd> created =
        OpenOwnedRegularFile(path, kOpenWrite | kOpenCreate | kOpenExclusive, NewFileMode(allow_shared), allow_shared);
    if (created.ok()) {
      UniqueFd fd = std::move(*created);
      std::string pid_line = absl::StrCat(platform::CurrentProcessId(), "\n");
      absl::Status written = WriteFileAll(fd, pid_line, path);
      absl::StatusOr<FileStatus> st = written.ok() ? StatOpenFile(fd, path) : absl::StatusOr<FileStatus>(written);
      if (!st.ok()) {
        RemoveFile(path).IgnoreError();
        return st.status();
      }
      return Ipckit01FileLock(std::move(path), *st);
    }
    // A directory, symlink or FIFO under the lock's name is no lock:
    // permission_denied from the open, at once.
    if (ErrorClassOf(created.status()) != kErrInUse) return created.status();
    if (!watcher) {
      // Armed before the next look, so a release after it is not missed.
      IPCKIT_ASSIGN_OR_RETURN(DirWatcher opened, DirWatcher::Open(dir, {lock_name}));
      watcher.emplace(std::move(opened));
    }
    absl::StatusOr<FileStatus> st = StatLink(path);
    if (!st.ok()) continue;  // released meanwhile: try again
    if (Ipckit01LockIsStale(path, *st, allow_shared)) {
      // Remove it only if it is still the file judged stale.
      absl::StatusOr<FileStatus> again = StatLink(path);
      absl::Status removed = again.ok() && again->SameFileAs(*st) ? RemoveFile(path) : absl::OkStatus();
      if (!removed.ok() && ErrorClassOf(removed) != kErrNotFound) {
        // It will never go away by our hand (another user's file in a sticky
        // directory, say): waiting for it would wait forever.
        return MakeError(absl::StatusCode::kPermissionDenied, kErrPermissionDenied,
                         absl::StrCat("stale lock file '", path, "' (ipckit 0.1's, owner uid ", st->owner,
                                      ") cannot be removed: ", removed.message()));
      }
      continue;
    }
    if (deadline.Expired()) {
      return TimeoutError(absl::StrCat("lock file '", path, "' (ipckit 0.1's) is held past the timeout"));
    }
    absl::Duration look = NextIpckit01Look(*st, &backoff);
    Deadline wake = deadline.Remaining() < look ? deadline : Deadline::After(look);
    IPCKIT_RETURN_IF_ERROR(watcher->Wait(wake).status());
  }
}

Ipckit01FileLock::Ipckit01FileLock(Ipckit01FileLock&& other) noexcept
    : path_(std::exchange(other.path_, std::string())), file_(other.file_) {}

Ipckit01FileLock::~Ipckit01FileLock() {
  if (path_.empty()) return;
  absl::StatusOr<FileStatus> st = StatPath(path_);
  if (st.ok() && st->SameFileAs(file_)) RemoveFile(path_).IgnoreError();
}

absl::Status ReplaceFileAtomically(const std::string& dir, absl::string_view name, absl::string_view text,
                                   uint32_t mode, bool fsync, bool allow_shared) {
  IPCKIT_ASSIGN_OR_RETURN(std::string tag, RandomHex(4));
  const std::string target = PathIn(dir, name);
  const std::string temp = PathIn(dir, absl::StrCat(TempPrefix(name), platform::CurrentProcessId(), "-", tag));
  // Created with its final mode: never readable by others, even briefly.
  if (mode == 0) mode = NewFileMode(allow_shared);
  if (!allow_shared) mode &= kPrivateFileMode;
  IPCKIT_ASSIGN_OR_RETURN(UniqueFd fd,
                          OpenOwnedRegularFile(temp, kOpenWrite | kOpenCreate | kOpenExclusive, mode, allow_shared));
  absl::Status status = WriteFileAll(fd, text, temp);
  if (status.ok() && fsync) status = SyncFile(fd, temp);
  fd.reset();
  if (status.ok()) status = ReplaceByRename(temp, target);
  if (!status.ok()) {
    RemoveFile(temp).IgnoreError();
    return status;
  }
  // Persist the rename itself.
  if (fsync) return SyncDirectory(dir);
  return absl::OkStatus();
}

void RemoveStaleTempFiles(const std::string& dir) {
  absl::StatusOr<std::vector<std::string>> entries = ListDirectory(dir);
  if (!entries.ok()) return;
  const std::string prefixes[] = {TempPrefix(kBackendToFrontendFile), TempPrefix(kFrontendToBackendFile),
                                  TempPrefix(kChannelInfoFile)};
  const uint32_t self = platform::CurrentProcessId();
  const uint32_t user = platform::CurrentUserId();
  for (const std::string& entry : *entries) {
    absl::string_view entry_name(entry);
    for (const std::string& prefix : prefixes) {
      if (!absl::StartsWith(entry_name, prefix)) continue;
      // ".<name>.tmp-<pid>-<hex>": stale when <pid> is not a live process.
      // (This process's own are stale too: the caller holds the lock, so it
      // writes none right now.)
      absl::string_view rest = entry_name.substr(prefix.size());
      uint32_t pid = ParsePid(rest.substr(0, rest.find('-')));
      if (pid == 0 || (pid != self && !ProcessIsGone(pid))) break;
      // Ours only: a regular file (not followed) of this user.
      const std::string path = PathIn(dir, entry_name);
      absl::StatusOr<FileStatus> st = StatLink(path);
      if (st.ok() && st->type == FileStatus::Type::kRegular && st->owner == user) {
        RemoveFile(path).IgnoreError();  // best effort: a leftover only wastes space
      }
      break;
    }
  }
}

absl::Status AppendToChannelFile(const std::string& dir, absl::string_view name,
                                 const std::vector<std::string>& new_messages, const AppendOptions& options,
                                 const Deadline& deadline, ChannelFileIndex* index) {
  const std::string path = PathIn(dir, name);
  ChannelFileIndex scratch;
  if (index == nullptr) index = &scratch;
  const bool shared = options.allow_shared_directory;
  IPCKIT_ASSIGN_OR_RETURN(ChannelLock lock, ChannelLock::Acquire(dir, deadline, shared));
  std::optional<Ipckit01FileLock> ipckit01_lock;
  if (options.ipckit01_lock) {
    IPCKIT_ASSIGN_OR_RETURN(Ipckit01FileLock held, Ipckit01FileLock::Acquire(dir, name, deadline, shared));
    ipckit01_lock.emplace(std::move(held));
  }
  if (options.remove_stale_temps) RemoveStaleTempFiles(dir);
  IPCKIT_ASSIGN_OR_RETURN(FileSnapshot current, ReadChannelFile(path, options.max_file_bytes, shared));
  const std::vector<uint64_t> positions =
      options.reader_positions ? options.reader_positions() : std::vector<uint64_t>();
  IPCKIT_ASSIGN_OR_RETURN(AppendResult result,
                          AppendToIndexedChannelText(*index, std::move(current.text), path, new_messages,
                                                     options.retention, NowUnixMs(), options.max_file_bytes,
                                                     positions));
  IPCKIT_RETURN_IF_ERROR(
      ReplaceFileAtomically(dir, name, result.text, current.exists ? current.mode : 0, options.fsync, shared));
  return absl::OkStatus();
}

absl::Status EmptyChannelFiles(const std::string& dir, const std::vector<absl::string_view>& names,
                               const AppendOptions& options, const Deadline& deadline) {
  const bool shared = options.allow_shared_directory;
  IPCKIT_ASSIGN_OR_RETURN(ChannelLock lock, ChannelLock::Acquire(dir, deadline, shared));
  // Every lock before any change: a timeout leaves both files as they were.
  std::vector<Ipckit01FileLock> ipckit01_locks;
  for (absl::string_view name : names) {
    if (!options.ipckit01_lock) break;
    IPCKIT_ASSIGN_OR_RETURN(Ipckit01FileLock held, Ipckit01FileLock::Acquire(dir, name, deadline, shared));
    ipckit01_locks.push_back(std::move(held));
  }
  for (absl::string_view name : names) {
    uint32_t mode = 0;
    const std::string path = PathIn(dir, name);
    absl::StatusOr<UniqueFd> current = OpenOwnedRegularFile(path, kOpenRead, kPrivateFileMode, shared);
    if (current.ok()) {
      absl::StatusOr<FileStatus> st = StatOpenFile(*current, path);
      if (st.ok()) mode = st->permissions;
      current->reset();  // closed before the replace: Wine refuses to rename over an open file
    } else if (ErrorClassOf(current.status()) != kErrNotFound) {
      return current.status();
    }
    IPCKIT_RETURN_IF_ERROR(ReplaceFileAtomically(dir, name, ComposeChannelFile({}), mode, options.fsync, shared));
  }
  return absl::OkStatus();
}

}  // namespace ipckit
