#include "cc/platform/sync/internal/poll_words.h"

#include <windows.h>

#include <algorithm>

#include "cc/base/deadline.h"
#include "cc/base/error.h"

#ifndef CREATE_WAITABLE_TIMER_HIGH_RESOLUTION
#define CREATE_WAITABLE_TIMER_HIGH_RESOLUTION 0x00000002
#endif

namespace ipckit {
namespace platform {
namespace internal {
namespace {

bool AnyChanged(absl::Span<const FutexWaitItem> words) {
  for (const FutexWaitItem& w : words) {
    if (w.word->load(std::memory_order_seq_cst) != w.expected) return true;
  }
  return false;
}

// One waitable timer per thread. A high-resolution timer (Windows 10 1803+)
// sleeps for the time asked; a plain one, or Sleep, rounds up to the system
// tick (15.6 ms by default), which only makes wake-ups later, never lost.
class ThreadTimer {
 public:
  ThreadTimer() {
    timer_ = ::CreateWaitableTimerExW(nullptr, nullptr, CREATE_WAITABLE_TIMER_HIGH_RESOLUTION,
                                      TIMER_ALL_ACCESS);
    if (timer_ == nullptr) timer_ = ::CreateWaitableTimerExW(nullptr, nullptr, 0, TIMER_ALL_ACCESS);
  }
  ~ThreadTimer() {
    if (timer_ != nullptr) ::CloseHandle(timer_);
  }
  ThreadTimer(const ThreadTimer&) = delete;
  ThreadTimer& operator=(const ThreadTimer&) = delete;

  void Sleep(absl::Duration d) {
    LARGE_INTEGER due;
    // Relative due times are negative, in 100 ns units; at least one unit.
    due.QuadPart = -std::max<int64_t>(1, absl::ToInt64Nanoseconds(d) / 100);
    if (timer_ == nullptr || !::SetWaitableTimer(timer_, &due, 0, nullptr, nullptr, FALSE)) {
      ::Sleep(static_cast<DWORD>(absl::ToInt64Milliseconds(absl::Ceil(d, absl::Milliseconds(1)))));
      return;
    }
    ::WaitForSingleObject(timer_, INFINITE);
  }

 private:
  HANDLE timer_ = nullptr;
};

}  // namespace

absl::Status PollWords(absl::Span<const FutexWaitItem> words, absl::Duration timeout,
                       absl::string_view what) {
  if (AnyChanged(words)) return absl::OkStatus();
  if (timeout <= absl::ZeroDuration()) return TimeoutError(what);
  const Deadline deadline = Deadline::After(timeout);
  const absl::Time stop_spinning = absl::Now() + kPollSpinTime;
  while (absl::Now() < stop_spinning) {
    if (AnyChanged(words)) return absl::OkStatus();
    ::YieldProcessor();
  }
  thread_local ThreadTimer timer;
  absl::Duration step = absl::Microseconds(50);
  while (true) {
    if (AnyChanged(words)) return absl::OkStatus();
    const absl::Duration left = deadline.Remaining();
    if (left <= absl::ZeroDuration()) return TimeoutError(what);
    timer.Sleep(std::min(step, left));
    step = std::min(step * 2, kMaxPollSleep);
  }
}

}  // namespace internal
}  // namespace platform
}  // namespace ipckit
