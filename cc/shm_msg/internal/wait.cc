#include "cc/shm_msg/internal/wait.h"

#include <algorithm>
#include <climits>

#include "absl/time/clock.h"
#include "cc/base/error.h"
#include "cc/platform/sync/futex.h"

namespace ipckit {
namespace shm_msg {
namespace internal {
namespace {

// How long a hybrid wait polls before it goes to sleep. Bounded by time, not
// by a count of polls: a pause costs from ~10 to ~140 cycles by CPU, and on a
// loaded machine every microsecond spun is taken from the peer that would
// make the condition true.
constexpr absl::Duration kHybridSpinTime = absl::Microseconds(20);
// Polls between two looks at the clock.
constexpr int kSpinsPerClockCheck = 64;

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

}  // namespace

void Notify(std::atomic<uint32_t>* word, std::atomic<uint32_t>* sleepers, WakeMemo* memo) {
  const uint32_t before = word->fetch_add(1, std::memory_order_seq_cst);
  if (memo != nullptr && memo->valid && before == memo->after) {
    // Nobody bumped the word since our last wake: no one went to sleep since.
    memo->after = before + 1;
    return;
  }
  if (sleepers->load(std::memory_order_seq_cst) == 0) return;
  platform::FutexWake(word, INT_MAX);
  if (memo != nullptr) *memo = WakeMemo{true, before + 1};
}

absl::Status SleepOnce(std::atomic<uint32_t>* word, std::atomic<uint32_t>* sleepers,
                       absl::Duration slice, absl::FunctionRef<bool()> ready) {
  sleepers->fetch_add(1, std::memory_order_seq_cst);
  // Bump the word rather than only read it: a waker's WakeMemo then sees
  // that someone may have gone to sleep since its last wake.
  const uint32_t seen = word->fetch_add(1, std::memory_order_seq_cst) + 1;
  absl::Status slept = absl::OkStatus();
  if (!ready()) {
    slept = slice > absl::ZeroDuration() ? platform::FutexWait(word, seen, slice)
                                         : TimeoutError("futex wait");
  }
  sleepers->fetch_sub(1, std::memory_order_seq_cst);
  return slept;
}

absl::Status WaitUntil(WaitMode mode, std::atomic<uint32_t>* word,
                       std::atomic<uint32_t>* sleepers, const Deadline& deadline,
                       absl::FunctionRef<bool()> ready, absl::FunctionRef<bool()> peer_changed) {
  if (ready()) return absl::OkStatus();
  absl::Time next_peer_check = absl::Now() + kPeerCheckInterval;
  auto time_to_check_peer = [&](absl::Time now) {
    if (now < next_peer_check) return false;
    next_peer_check = now + kPeerCheckInterval;
    return true;
  };
  if (mode != WaitMode::kBlocking) {
    const absl::Time stop_spinning = absl::Now() + kHybridSpinTime;
    for (int n = 1;; ++n) {
      if (ready()) return absl::OkStatus();
      CpuRelax();
      if (n % kSpinsPerClockCheck == 0) {
        const absl::Time now = absl::Now();
        if (deadline.Expired()) return TimeoutError("waiting for shared-memory messaging");
        if (time_to_check_peer(now) && peer_changed()) return absl::OkStatus();
        if (mode == WaitMode::kHybrid && now >= stop_spinning) break;
      }
    }
  }
  while (true) {
    const absl::Duration slice =
        std::min(deadline.Remaining(), std::max(next_peer_check - absl::Now(), absl::ZeroDuration()));
    absl::Status slept = SleepOnce(word, sleepers, slice, ready);
    if (!slept.ok() && ErrorClassOf(slept) != kErrTimeout) return slept;
    if (ready()) return absl::OkStatus();
    if (deadline.Expired()) return TimeoutError("waiting for shared-memory messaging");
    if (time_to_check_peer(absl::Now()) && peer_changed()) return absl::OkStatus();
  }
}

}  // namespace internal
}  // namespace shm_msg
}  // namespace ipckit
