#include "cc/platform/sync/futex.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>

#include "cc/base/error.h"
#include "cc/platform/sync/internal/futex_errno.h"

namespace ipckit {
namespace platform {
namespace {

long Futex(std::atomic<uint32_t>* word, int op, uint32_t value, const struct timespec* timeout) {
  return ::syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), op, value, timeout, nullptr, 0);
}

}  // namespace

absl::Status FutexWait(std::atomic<uint32_t>* word, uint32_t expected, absl::Duration timeout) {
  if (timeout <= absl::ZeroDuration()) return TimeoutError("futex wait");
  struct timespec ts;
  const struct timespec* ts_ptr = nullptr;
  if (timeout != absl::InfiniteDuration()) {
    ts = absl::ToTimespec(timeout);  // FUTEX_WAIT takes a relative timeout
    ts_ptr = &ts;
  }
  if (Futex(word, FUTEX_WAIT, expected, ts_ptr) == 0) return absl::OkStatus();
  return internal::FutexWaitErrno(errno, "futex wait");
}

int FutexWake(std::atomic<uint32_t>* word, int count) {
  long n = Futex(word, FUTEX_WAKE, static_cast<uint32_t>(count), nullptr);
  return n < 0 ? 0 : static_cast<int>(n);
}

}  // namespace platform
}  // namespace ipckit
