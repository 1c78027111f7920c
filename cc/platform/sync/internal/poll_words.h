// Windows' stand-in for a futex sleep: watch shared-memory words until one no
// longer holds its expected value, with a short spin and then sleeps that
// grow to kMaxPollSleep. FutexWait and WaitAny (the *_win.cc files) use it:
//
//   std::vector<FutexWaitItem> words = {{word, seen}};
//   absl::Status s = internal::PollWords(words, absl::Milliseconds(100), "futex wait");
//   // OK: a word changed; timeout: time ran out.
//
// Why polling: WaitOnAddress only meets waiters in the same process, and the
// words live in mappings shared between processes (spec/windows.md, Zero-copy
// messaging). Every waker in shm_msg changes the word before it wakes, so a
// poll sees every wake-up; FutexWake is a no-op.
#ifndef IPCKIT_CC_PLATFORM_SYNC_INTERNAL_POLL_WORDS_H_
#define IPCKIT_CC_PLATFORM_SYNC_INTERNAL_POLL_WORDS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "cc/platform/sync/wait_any.h"

namespace ipckit {
namespace platform {
namespace internal {

// How long a waiter only spins before it sleeps, and the longest single
// sleep: the worst added latency of a wake-up that finds the waiter asleep.
inline constexpr absl::Duration kPollSpinTime = absl::Microseconds(50);
inline constexpr absl::Duration kMaxPollSleep = absl::Milliseconds(1);

// OK as soon as some `words[i].word` differs from `words[i].expected` (also
// on entry), timeout (with `what`) once `timeout` has passed.
absl::Status PollWords(absl::Span<const FutexWaitItem> words, absl::Duration timeout,
                       absl::string_view what);

}  // namespace internal
}  // namespace platform
}  // namespace ipckit

#endif  // IPCKIT_CC_PLATFORM_SYNC_INTERNAL_POLL_WORDS_H_
