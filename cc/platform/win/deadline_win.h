// A Deadline as the DWORD milliseconds that Win32 waits take.
//
//   ::WaitForSingleObject(event, platform::win::WaitMs(deadline));
#ifndef IPCKIT_CC_PLATFORM_WIN_DEADLINE_WIN_H_
#define IPCKIT_CC_PLATFORM_WIN_DEADLINE_WIN_H_

#include <windows.h>

#include <algorithm>
#include <cstdint>

#include "absl/time/time.h"
#include "cc/base/deadline.h"

namespace ipckit {
namespace platform {
namespace win {

// The time left, rounded up to whole milliseconds (so a wait never ends just
// before the deadline); INFINITE for a deadline that never passes.
inline DWORD WaitMs(const Deadline& deadline) {
  if (deadline.IsInfinite()) return INFINITE;
  const int64_t ms = absl::ToInt64Milliseconds(deadline.Remaining() + absl::Microseconds(999));
  return static_cast<DWORD>(std::min<int64_t>(ms, INFINITE - 1));
}

}  // namespace win
}  // namespace platform
}  // namespace ipckit

#endif  // IPCKIT_CC_PLATFORM_WIN_DEADLINE_WIN_H_
