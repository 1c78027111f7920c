#include "cc/platform/sync/wait_any.h"

#include <linux/futex.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <climits>
#include <thread>

#include "cc/base/error.h"
#include "cc/platform/sync/futex.h"
#include "cc/platform/sync/internal/futex_errno.h"

#ifndef SYS_futex_waitv
#define SYS_futex_waitv 449  // the same number on every architecture
#endif

namespace ipckit {
namespace platform {
namespace {

// struct futex_waitv of <linux/futex.h>, spelled out for older headers.
struct WaitvEntry {
  uint64_t val;
  uint64_t uaddr;
  uint32_t flags;
  uint32_t reserved;
};
constexpr uint32_t kFutex32 = 2;  // FUTEX_32: a 32-bit shared (not private) futex

// futex_waitv on `words`, with an absolute CLOCK_MONOTONIC deadline.
absl::Status WaitWords(absl::Span<const FutexWaitItem> words, absl::Duration timeout) {
  std::vector<WaitvEntry> v;
  v.reserve(words.size());
  for (const FutexWaitItem& w : words) {
    v.push_back({w.expected, reinterpret_cast<uintptr_t>(w.word), kFutex32, 0});
  }
  struct timespec now;
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  const struct timespec until = absl::ToTimespec(absl::DurationFromTimespec(now) + timeout);
  if (::syscall(SYS_futex_waitv, v.data(), v.size(), 0, &until, CLOCK_MONOTONIC) >= 0) {
    return absl::OkStatus();
  }
  return internal::FutexWaitErrno(errno, "futex_waitv (needs Linux 5.16 or later)");
}

// poll(2) timeout in ms, rounded up so that a sub-millisecond rest never
// turns into a busy loop of zero-length polls.
int PollMillis(absl::Duration timeout) {
  if (timeout == absl::InfiniteDuration()) return -1;
  const int64_t ms = absl::ToInt64Milliseconds(absl::Ceil(timeout, absl::Milliseconds(1)));
  return static_cast<int>(std::min<int64_t>(ms, INT_MAX));
}

absl::Status PollFds(std::vector<pollfd>& p, absl::Duration timeout) {
  const int n = ::poll(p.data(), p.size(), PollMillis(timeout));
  if (n > 0 || (n < 0 && errno == EINTR)) return absl::OkStatus();
  if (n == 0) return TimeoutError("poll");
  return ErrnoError(errno, "poll");
}

std::vector<pollfd> PollSet(absl::Span<const int> fds) {
  std::vector<pollfd> p;
  for (int fd : fds) p.push_back({fd, POLLIN, 0});
  return p;
}

}  // namespace

absl::Status WaitAny(absl::Span<const FutexWaitItem> words, absl::Span<const int> fds,
                     absl::Duration timeout) {
  if (words.size() > kMaxWaitWords) {
    return InvalidArgumentError("WaitAny: more than 127 futex words");
  }
  if (timeout <= absl::ZeroDuration()) return TimeoutError("wait");
  std::vector<pollfd> p = PollSet(fds);
  if (words.empty()) return PollFds(p, timeout);
  if (fds.empty()) return WaitWords(words, timeout);
  // Both: a helper sleeps on the words plus a cancel word and wakes our poll.
  const int efd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (efd < 0) return ErrnoError(errno, "eventfd");
  std::atomic<uint32_t> cancel{0};
  std::vector<FutexWaitItem> all(words.begin(), words.end());
  all.push_back({&cancel, 0});
  absl::Status helper_status;
  std::thread helper([&] {
    helper_status = WaitWords(all, timeout);
    if (!helper_status.ok()) return;  // its timeout is the poll's too
    const uint64_t one = 1;
    (void)!::write(efd, &one, sizeof one);
  });
  p.push_back({efd, POLLIN, 0});
  absl::Status polled = PollFds(p, timeout);
  cancel.store(1, std::memory_order_seq_cst);
  FutexWake(&cancel, INT_MAX);
  helper.join();
  ::close(efd);
  if (!helper_status.ok() && ErrorClassOf(helper_status) != kErrTimeout) return helper_status;
  // A word that changed woke the poll through the eventfd, so the poll's
  // result is the answer (the helper's own OK may be our cancel).
  return polled;
}

std::vector<bool> ReadableNow(absl::Span<const int> fds) {
  std::vector<pollfd> p = PollSet(fds);
  std::vector<bool> ready(fds.size(), false);
  if (p.empty() || ::poll(p.data(), p.size(), 0) <= 0) return ready;
  for (size_t i = 0; i < p.size(); ++i) ready[i] = p[i].revents != 0;
  return ready;
}

}  // namespace platform
}  // namespace ipckit
