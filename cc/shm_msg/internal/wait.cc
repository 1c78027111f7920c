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

// Polls before a hybrid wait goes to sleep (a few tens of microseconds).
constexpr int kHybridSpins = 20000;
// Polls between two looks at the clock.
constexpr int kSpinsPerClockCheck = 256;

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

}  // namespace

void Notify(std::atomic<uint32_t>* word, std::atomic<uint32_t>* sleepers) {
  word->fetch_add(1, std::memory_order_seq_cst);
  if (sleepers->load(std::memory_order_seq_cst) != 0) platform::FutexWake(word, INT_MAX);
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
    for (int n = 1;; ++n) {
      if (ready()) return absl::OkStatus();
      CpuRelax();
      if (n % kSpinsPerClockCheck == 0) {
        const absl::Time now = absl::Now();
        if (deadline.Expired()) return TimeoutError("waiting for shared-memory messaging");
        if (time_to_check_peer(now) && peer_changed()) return absl::OkStatus();
      }
      if (mode == WaitMode::kHybrid && n >= kHybridSpins) break;
    }
  }
  while (true) {
    sleepers->fetch_add(1, std::memory_order_seq_cst);
    const uint32_t seen = word->load(std::memory_order_seq_cst);
    if (ready()) {
      sleepers->fetch_sub(1, std::memory_order_seq_cst);
      return absl::OkStatus();
    }
    const absl::Duration slice =
        std::min(deadline.Remaining(), std::max(next_peer_check - absl::Now(), absl::ZeroDuration()));
    absl::Status slept = slice > absl::ZeroDuration()
                             ? platform::FutexWait(word, seen, slice)
                             : TimeoutError("futex wait");
    sleepers->fetch_sub(1, std::memory_order_seq_cst);
    if (!slept.ok() && ErrorClassOf(slept) != kErrTimeout) return slept;
    if (ready()) return absl::OkStatus();
    if (deadline.Expired()) return TimeoutError("waiting for shared-memory messaging");
    if (time_to_check_peer(absl::Now()) && peer_changed()) return absl::OkStatus();
  }
}

}  // namespace internal
}  // namespace shm_msg
}  // namespace ipckit
