#include "cc/platform/sync/wait_any.h"

#include "cc/base/error.h"
#include "cc/platform/sync/internal/poll_words.h"

namespace ipckit {
namespace platform {

// Words only: an `int` fd on Windows is a C runtime descriptor, which has no
// readiness wait that also covers sockets, so fds are refused (spec/windows.md).
absl::Status WaitAny(absl::Span<const FutexWaitItem> words, absl::Span<const int> fds,
                     absl::Duration timeout) {
  if (words.size() > kMaxWaitWords) {
    return InvalidArgumentError("WaitAny: more than 127 futex words");
  }
  if (!fds.empty()) {
    return absl::UnimplementedError("WaitAny: waiting on file descriptors is Linux only");
  }
  if (timeout <= absl::ZeroDuration()) return TimeoutError("wait");
  return internal::PollWords(words, timeout, "wait");
}

// No fd is ever ready here: WaitAny refuses fds on Windows.
std::vector<bool> ReadableNow(absl::Span<const int> fds) {
  return std::vector<bool>(fds.size(), false);
}

}  // namespace platform
}  // namespace ipckit
