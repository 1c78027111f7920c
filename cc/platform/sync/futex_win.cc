#include "cc/platform/sync/futex.h"

#include "cc/base/error.h"
#include "cc/platform/sync/internal/poll_words.h"
#include "cc/platform/sync/wait_any.h"

namespace ipckit {
namespace platform {

// A poll, not a sleep on a kernel object (internal/poll_words.h says why).
absl::Status FutexWait(std::atomic<uint32_t>* word, uint32_t expected, absl::Duration timeout) {
  const FutexWaitItem item{word, expected};
  return internal::PollWords({&item, 1}, timeout, "futex wait");
}

// Nothing sleeps on the word: waiters poll it, and a waker changes the word
// before it calls this. Zero woken, as on Linux with nobody asleep.
int FutexWake(std::atomic<uint32_t>* /*word*/, int /*count*/) { return 0; }

}  // namespace platform
}  // namespace ipckit
