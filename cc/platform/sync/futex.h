// Cross-process wait/wake on a 32-bit word in shared memory.
//
//   std::atomic<uint32_t>* word = ...;  // inside a MAP_SHARED mapping
//   uint32_t seen = word->load();
//   if (!ready()) {
//     absl::Status s = platform::FutexWait(word, seen, absl::Milliseconds(100));
//     // OK: woken, or the word no longer held `seen`; timeout: time ran out.
//   }
//   // elsewhere: word->fetch_add(1); platform::FutexWake(word, INT32_MAX);
//
// Linux: the futex system call without FUTEX_PRIVATE_FLAG, so waiters and
// wakers in different processes that map the same object meet. Callers keep
// the "is anyone asleep?" bookkeeping themselves (spec/shm_messaging.md,
// Waking) so that a wake with nobody asleep costs no system call.
// Windows: WaitOnAddress does not cross processes, so FutexWait polls the
// word (a short spin, then sleeps growing to 1 ms) and FutexWake does
// nothing (futex_win.cc, spec/windows.md "Zero-copy messaging").
#ifndef IPCKIT_CC_PLATFORM_SYNC_FUTEX_H_
#define IPCKIT_CC_PLATFORM_SYNC_FUTEX_H_

#include <atomic>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace ipckit {
namespace platform {

static_assert(sizeof(std::atomic<uint32_t>) == 4, "futex words are 32-bit");

// Sleeps while `*word == expected`, for at most `timeout` (InfiniteDuration:
// no limit). Returns OK when woken, when the word differs on entry, or on a
// signal (callers recheck their condition in a loop); timeout when the time
// ran out; io for anything the kernel refuses.
absl::Status FutexWait(std::atomic<uint32_t>* word, uint32_t expected, absl::Duration timeout);

// Wakes up to `count` waiters on `word`. Returns how many were woken.
int FutexWake(std::atomic<uint32_t>* word, int count);

}  // namespace platform
}  // namespace ipckit

#endif  // IPCKIT_CC_PLATFORM_SYNC_FUTEX_H_
