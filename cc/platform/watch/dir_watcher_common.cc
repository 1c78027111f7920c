// What DirWatcher does the same on every OS: argument checks and polling
// (dir_watcher.cc and dir_watcher_win.cc hold the OS parts).
#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cc/base/error.h"
#include "cc/platform/watch/dir_watcher.h"

namespace ipckit {

DirWatcher::DirWatcher(DirWatcher&&) noexcept = default;
DirWatcher& DirWatcher::operator=(DirWatcher&&) noexcept = default;
DirWatcher::~DirWatcher() = default;

DirWatcher::DirWatcher(std::string dir, std::vector<std::string> names, DirWatcherOptions options)
    : dir_(std::move(dir)), names_(std::move(names)), options_(options) {
  options_.min_poll_interval = std::max(options_.min_poll_interval, absl::Microseconds(100));
  options_.max_poll_interval = std::max(options_.max_poll_interval, options_.min_poll_interval);
}

absl::Status DirWatcher::CheckNames(const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    if (name.empty() || name.find_first_of(std::string("/\\\0", 3)) != std::string::npos) {
      return InvalidArgumentError(absl::StrCat("DirWatcher: '", name, "' is not a plain file name"));
    }
  }
  return absl::OkStatus();
}

void DirWatcher::StartPolling() {
  inotify_fd_.reset();
  native_.reset();
  last_ = Snapshot();
  poll_interval_ = options_.min_poll_interval;
}

const char* DirWatcher::WakeReasonName(WakeReason reason) {
  switch (reason) {
    case WakeReason::kNone: return "none";
    case WakeReason::kChanged: return "changed";
    case WakeReason::kUnreadable: return "unreadable";
    case WakeReason::kOverflow: return "overflow";
    case WakeReason::kWatchLost: return "watch lost";
  }
  return "?";
}

std::string DirWatcher::Describe(const FileSignature& sig) {
  if (!sig.exists) {
    return sig.open_error == 0 ? "missing" : absl::StrCat("unreadable (error ", sig.open_error, ")");
  }
  return absl::StrCat("dev=", sig.dev, " ino=", sig.ino, " size=", sig.size, " mtime=", sig.mtime_ns,
                      " ctime=", sig.ctime_ns);
}

bool DirWatcher::TakeChange() {
  std::vector<FileSignature> now = Snapshot();
  if (now == last_) return false;
  Wake wake{WakeReason::kChanged, ""};
  for (size_t i = 0; i < now.size(); ++i) {
    if (now[i] == last_[i]) continue;
    if (now[i].open_error != 0) wake.reason = WakeReason::kUnreadable;
    absl::StrAppend(&wake.detail, wake.detail.empty() ? "" : "; ", names_[i], ": ", Describe(last_[i]), " -> ",
                    Describe(now[i]));
  }
  last_wake_ = std::move(wake);
  last_ = std::move(now);
  return true;
}

absl::StatusOr<bool> DirWatcher::WaitPolling(const Deadline& deadline) {
  for (;;) {
    if (TakeChange()) {
      poll_interval_ = options_.min_poll_interval;
      return true;
    }
    if (deadline.Expired()) return false;
    absl::SleepFor(std::min(poll_interval_, deadline.Remaining()));
    poll_interval_ = std::min(poll_interval_ * 2, options_.max_poll_interval);
  }
}

}  // namespace ipckit
