// The one reading of a failed futex wait's errno, shared by FutexWait and
// WaitAny:
//
//   if (syscall(SYS_futex, ...) != 0) return internal::FutexWaitErrno(errno, "futex wait");
#ifndef IPCKIT_CC_PLATFORM_SYNC_INTERNAL_FUTEX_ERRNO_H_
#define IPCKIT_CC_PLATFORM_SYNC_INTERNAL_FUTEX_ERRNO_H_

#include <cerrno>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "cc/base/error.h"

namespace ipckit {
namespace platform {
namespace internal {

// OK when the word changed before the sleep (EAGAIN) or a signal came
// (EINTR): callers recheck their condition. timeout at ETIMEDOUT, else io.
inline absl::Status FutexWaitErrno(int err, absl::string_view what) {
  switch (err) {
    case EAGAIN:
    case EINTR:
      return absl::OkStatus();
    case ETIMEDOUT:
      return TimeoutError(what);
    default:
      return ErrnoError(err, what);
  }
}

}  // namespace internal
}  // namespace platform
}  // namespace ipckit

#endif  // IPCKIT_CC_PLATFORM_SYNC_INTERNAL_FUTEX_ERRNO_H_
