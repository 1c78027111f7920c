// One sleep on several things at once: futex words in shared memory and file
// descriptors, with a timeout. The wait-set of shm_msg is built on it.
//
//   std::vector<platform::FutexWaitItem> words = {{&q.data_word, seen}};
//   int fds[] = {sock};
//   absl::Status s = platform::WaitAny(words, fds, absl::Milliseconds(100));
//   // OK: something may be ready (callers recheck); timeout: time ran out.
//
// Linux: futex_waitv(2) (Linux 5.16+) for the words, poll(2) for the fds;
// with both, a helper thread sleeps on the words for the length of the call
// and wakes the poll through an eventfd. Windows: the words are polled like
// FutexWait's, and fds are refused as unimplemented (wait_any_win.cc).
#ifndef IPCKIT_CC_PLATFORM_SYNC_WAIT_ANY_H_
#define IPCKIT_CC_PLATFORM_SYNC_WAIT_ANY_H_

#include <atomic>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace ipckit {
namespace platform {

// A futex word to sleep on while it holds `expected`.
struct FutexWaitItem {
  std::atomic<uint32_t>* word;
  uint32_t expected;
};

// The most words one WaitAny takes (futex_waitv's limit, less one for the
// helper thread's cancel word).
inline constexpr size_t kMaxWaitWords = 127;

// Sleeps until a word no longer holds its expected value or is woken, an fd
// is readable (or hung up, or in error), or `timeout` passes. OK on any of
// the first (spurious wake-ups included: callers recheck), timeout at the
// end, invalid_argument over kMaxWaitWords, io if the kernel refuses
// (futex_waitv needs Linux 5.16).
absl::Status WaitAny(absl::Span<const FutexWaitItem> words, absl::Span<const int> fds,
                     absl::Duration timeout);

// Whether each of `fds` is readable (or hung up, or in error) now; no wait.
std::vector<bool> ReadableNow(absl::Span<const int> fds);

}  // namespace platform
}  // namespace ipckit

#endif  // IPCKIT_CC_PLATFORM_SYNC_WAIT_ANY_H_
