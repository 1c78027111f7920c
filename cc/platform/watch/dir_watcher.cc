#include "cc/platform/watch/dir_watcher.h"

#include <poll.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "cc/base/error.h"
#include "cc/base/status_macros.h"

#if defined(__linux__)
#include <sys/inotify.h>
#define IPCKIT_HAVE_INOTIFY 1
#endif

namespace ipckit {
namespace {

int64_t ToNanos(const struct timespec& ts) {
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

}  // namespace

absl::StatusOr<DirWatcher> DirWatcher::Open(absl::string_view dir,
                                            std::vector<std::string> names,
                                            DirWatcherOptions options) {
  if (dir.empty()) return InvalidArgumentError("DirWatcher: empty directory path");
  IPCKIT_RETURN_IF_ERROR(CheckNames(names));
  std::string dir_path(dir);
  struct stat st;
  if (::stat(dir_path.c_str(), &st) != 0) {
    return ErrnoError(errno, absl::StrCat("DirWatcher: stat '", dir_path, "'"));
  }
  if (!S_ISDIR(st.st_mode)) {
    return InvalidArgumentError(absl::StrCat("DirWatcher: '", dir_path, "' is not a directory"));
  }
  DirWatcher watcher(std::move(dir_path), std::move(names), options);
#if defined(IPCKIT_HAVE_INOTIFY)
  if (!options.force_polling) {
    UniqueFd fd(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
    if (fd.valid()) {
      int wd = ::inotify_add_watch(
          fd.get(), watcher.dir_.c_str(),
          IN_MOVED_TO | IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_DELETE_SELF | IN_MOVE_SELF |
              IN_ONLYDIR);
      if (wd >= 0) {
        watcher.inotify_fd_ = std::move(fd);
      } else if (errno != ENOSPC && errno != ENOMEM) {
        // ENOSPC is the per-user watch limit: fall back to polling. Anything
        // else (EACCES, ENOENT) is the caller's problem.
        return ErrnoError(errno, absl::StrCat("DirWatcher: inotify_add_watch '", watcher.dir_, "'"));
      }
    }
    // inotify_init1 failing (EMFILE: per-user instance limit) also means polling.
  }
#endif
  if (watcher.polling()) watcher.StartPolling();
  return watcher;
}

std::vector<DirWatcher::FileSignature> DirWatcher::Snapshot() const {
  std::vector<FileSignature> out(names_.size());
  for (size_t i = 0; i < names_.size(); ++i) {
    std::string path = absl::StrCat(dir_, "/", names_[i]);
    struct stat st;
    FileSignature& sig = out[i];
    if (::stat(path.c_str(), &st) != 0) {  // missing (or unreadable): "does not exist"
      if (errno != ENOENT && errno != ENOTDIR) sig.open_error = static_cast<uint32_t>(errno);
      continue;
    }
    sig.exists = true;
    sig.dev = st.st_dev;
    sig.ino = st.st_ino;
    sig.size = st.st_size;
#if defined(__APPLE__)
    sig.mtime_ns = ToNanos(st.st_mtimespec);
    sig.ctime_ns = ToNanos(st.st_ctimespec);
#else
    sig.mtime_ns = ToNanos(st.st_mtim);
    sig.ctime_ns = ToNanos(st.st_ctim);
#endif
  }
  return out;
}

absl::StatusOr<bool> DirWatcher::Wait(const Deadline& deadline) {
  last_wake_ = Wake{};
  if (polling()) return WaitPolling(deadline);
  return WaitInotify(deadline);
}

absl::StatusOr<bool> DirWatcher::WaitInotify(const Deadline& deadline) {
#if defined(IPCKIT_HAVE_INOTIFY)
  for (;;) {
    // Events already queued (from before this call) count: that is what makes
    // "check, then wait" race-free.
    absl::StatusOr<bool> changed = DrainEvents();
    if (!changed.ok()) return changed.status();
    if (*changed) return true;
    if (polling()) return true;  // the directory went away: let the caller re-check
    struct pollfd pfd = {inotify_fd_.get(), POLLIN, 0};
    int n = ::poll(&pfd, 1, deadline.PollTimeoutMs());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, absl::StrCat("DirWatcher: poll on inotify for '", dir_, "'"));
    }
    if (n == 0 && deadline.Expired()) return false;
  }
#else
  return WaitPolling(deadline);
#endif
}

absl::StatusOr<bool> DirWatcher::DrainEvents() {
#if defined(IPCKIT_HAVE_INOTIFY)
  bool changed = false;
  bool overflow = false;
  bool lost_watch = false;
  std::string names;
  alignas(struct inotify_event) char buffer[8192];
  for (;;) {
    ssize_t n = ::read(inotify_fd_.get(), buffer, sizeof(buffer));
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      return ErrnoError(errno, absl::StrCat("DirWatcher: read inotify for '", dir_, "'"));
    }
    if (n == 0) break;
    for (ssize_t off = 0; off + static_cast<ssize_t>(sizeof(struct inotify_event)) <= n;) {
      const auto* event = reinterpret_cast<const struct inotify_event*>(buffer + off);
      off += sizeof(struct inotify_event) + event->len;
      if (event->mask & IN_Q_OVERFLOW) overflow = true;  // events were dropped: assume anything
      if (event->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) lost_watch = true;
      if (event->len == 0) continue;
      absl::string_view name(event->name, strnlen(event->name, event->len));
      if (std::find(names_.begin(), names_.end(), name) != names_.end()) {
        changed = true;
        absl::StrAppend(&names, names.empty() ? "" : ", ", "inotify event for ", name);
      }
    }
  }
  if (lost_watch) {
    // The directory was removed or renamed; inotify will say nothing more.
    StartPolling();
    last_wake_ = Wake{WakeReason::kWatchLost, "the directory was removed or renamed"};
    return true;
  }
  if (changed) last_wake_ = Wake{WakeReason::kChanged, std::move(names)};
  else if (overflow) last_wake_ = Wake{WakeReason::kOverflow, ""};
  return changed || overflow;
#else
  return false;
#endif
}

// No native watch outside Windows.
struct DirWatcher::NativeWatch {};
void DirWatcher::NativeWatchDeleter::operator()(NativeWatch* watch) const { delete watch; }

}  // namespace ipckit
