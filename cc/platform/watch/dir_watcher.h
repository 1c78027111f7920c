// Wakes a waiter when named files in one directory may have changed.
//
//   IPCKIT_ASSIGN_OR_RETURN(ipckit::DirWatcher watcher, ipckit::DirWatcher::Open(dir, {"inbox.json"}));
//   while (!InboxHasNews()) IPCKIT_ASSIGN_OR_RETURN(bool changed, watcher.Wait(deadline));
//   // (stop on changed == false: the deadline passed)
//
// On Linux this is inotify on the directory (IN_MOVED_TO | IN_CLOSE_WRITE |
// IN_CREATE | IN_DELETE | IN_MOVED_FROM, filtered by file name), so a file
// replaced by rename(2), closed after writing or removed (a lock file
// released) wakes the waiter at once. Where inotify is unavailable (other
// OSes, the per-user instance or watch limit reached, or forced by options) it
// falls back to polling the files' stat signature with a backoff of
// 1 ms .. 20 ms. On Windows (dir_watcher_win.cc) ReadDirectoryChangesW on the
// directory wakes the waiter and the stat signatures say whether a watched
// file changed; fd() is -1 there. Wait() may return true spuriously: callers always re-check the
// file. Events are queued from Open() on, so "check, then Wait" never loses a
// change that happens between the two.
#ifndef IPCKIT_CC_PLATFORM_WATCH_DIR_WATCHER_H_
#define IPCKIT_CC_PLATFORM_WATCH_DIR_WATCHER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cc/base/deadline.h"
#include "cc/platform/unique_fd.h"

namespace ipckit {

struct DirWatcherOptions {
  // Skip inotify and poll (for tests and for file systems where inotify does
  // not see other hosts' writes, e.g. NFS).
  bool force_polling = false;
  absl::Duration min_poll_interval = absl::Milliseconds(1);
  absl::Duration max_poll_interval = absl::Milliseconds(20);
};

class DirWatcher {
 public:
  // Starts watching `names` (plain file names, no '/') inside directory `dir`.
  // not_found if `dir` does not exist; invalid_argument for a bad name.
  static absl::StatusOr<DirWatcher> Open(absl::string_view dir,
                                         std::vector<std::string> names,
                                         DirWatcherOptions options = {});

  DirWatcher(DirWatcher&&) noexcept;
  DirWatcher& operator=(DirWatcher&&) noexcept;
  ~DirWatcher();

  // Blocks until a watched file may have changed (true) or `deadline` passes
  // (false). Errors only for failing system calls.
  absl::StatusOr<bool> Wait(const Deadline& deadline);

  // Why the last Wait() returned true, for diagnostics and tests. Only
  // kChanged says a watched file changed; the others are the legal spurious
  // wakes the caller's re-check absorbs. A ReadDirectoryChangesW or inotify
  // overflow is not one on Windows (the signatures are compared again) but
  // is on Linux (kOverflow). kNone after a Wait that returned false.
  enum class WakeReason { kNone, kChanged, kUnreadable, kOverflow, kWatchLost };
  struct Wake {
    WakeReason reason = WakeReason::kNone;
    // kChanged / kUnreadable: "<name>: <old signature> -> <new>" per changed
    // file; kWatchLost: the error; kOverflow: empty.
    std::string detail;
  };
  const Wake& last_wake() const { return last_wake_; }
  static const char* WakeReasonName(WakeReason reason);

  // True when polling rather than using kernel notification.
  bool polling() const { return !inotify_fd_.valid() && native_ == nullptr; }

  // The inotify descriptor (-1 while polling), for an event loop that waits
  // itself: it is readable when a change is queued; Wait() with an expired
  // deadline then consumes the queued events without blocking. It can turn
  // -1 after any Wait (the directory went away), so re-read it each time.
  int fd() const { return inotify_fd_.get(); }

 private:
  // What stat(2) says about one watched file; any difference means "changed".
  struct FileSignature {
    bool exists = false;
    uint64_t dev = 0;
    uint64_t ino = 0;
    uint64_t size = 0;
    int64_t mtime_ns = 0;
    int64_t ctime_ns = 0;
    // Why a file that is not "not found" reads as missing (errno or Win32
    // error after the retries); 0 otherwise. Unreadable and not found differ
    // (which error does not): after the wake for "unreadable" the caller
    // may still have read the file, so its removal must wake again.
    uint32_t open_error = 0;
    bool operator==(const FileSignature& o) const {
      return exists == o.exists && dev == o.dev && ino == o.ino && size == o.size &&
             mtime_ns == o.mtime_ns && ctime_ns == o.ctime_ns && (open_error != 0) == (o.open_error != 0);
    }
  };

  DirWatcher(std::string dir, std::vector<std::string> names, DirWatcherOptions options);

  // Checks `names` are plain file names.
  static absl::Status CheckNames(const std::vector<std::string>& names);
  std::vector<FileSignature> Snapshot() const;
  // Takes a snapshot; if it differs from last_, records the wake (kChanged or
  // kUnreadable, with the differences), makes it last_ and returns true.
  bool TakeChange();
  // One signature as text, for last_wake().detail.
  static std::string Describe(const FileSignature& sig);
  void StartPolling();
  absl::StatusOr<bool> WaitInotify(const Deadline& deadline);
  absl::StatusOr<bool> WaitPolling(const Deadline& deadline);
  // Drains queued inotify events; true if any concerns a watched name.
  absl::StatusOr<bool> DrainEvents();

  std::string dir_;
  std::vector<std::string> names_;
  DirWatcherOptions options_;
  UniqueFd inotify_fd_;
  // Windows: the ReadDirectoryChangesW watch (dir_watcher_win.cc); null
  // elsewhere and while polling.
  struct NativeWatch;
  struct NativeWatchDeleter {
    void operator()(NativeWatch* watch) const;
  };
  std::unique_ptr<NativeWatch, NativeWatchDeleter> native_;
  std::vector<FileSignature> last_;  // polling mode: signatures at the last report
  absl::Duration poll_interval_;
  Wake last_wake_;
};

}  // namespace ipckit

#endif  // IPCKIT_CC_PLATFORM_WATCH_DIR_WATCHER_H_
