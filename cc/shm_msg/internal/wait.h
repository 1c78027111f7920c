// The one waiting loop of shm_msg: poll and/or sleep on a futex word until a
// condition holds, the deadline passes, or the peer changes.
//
//   IPCKIT_RETURN_IF_ERROR(internal::WaitUntil(
//       mode, &q.data_word, &q.data_sleepers, deadline,
//       [&] { return !queue.Empty(); }, [&] { return PublisherGone(); }));
//
// The sleeper protocol (count yourself in, bump the word, recheck, sleep on
// the value bumped to) is spec/shm_messaging.md's "Waking"; the waker's half
// is internal::Notify.
#ifndef IPCKIT_CC_SHM_MSG_INTERNAL_WAIT_H_
#define IPCKIT_CC_SHM_MSG_INTERNAL_WAIT_H_

#include <atomic>
#include <cstdint>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "cc/base/deadline.h"
#include "cc/shm_msg/wait_mode.h"

namespace ipckit {
namespace shm_msg {
namespace internal {

// How often a wait looks at the other side's liveness: a futex cannot see a
// process die.
inline constexpr absl::Duration kPeerCheckInterval = absl::Milliseconds(100);

// OK once `ready()` is true, or once `peer_changed()` (called at most every
// kPeerCheckInterval) is true: the caller re-examines the state. timeout at
// the deadline.
absl::Status WaitUntil(WaitMode mode, std::atomic<uint32_t>* word,
                       std::atomic<uint32_t>* sleepers, const Deadline& deadline,
                       absl::FunctionRef<bool()> ready, absl::FunctionRef<bool()> peer_changed);

// One waker's memory of its last wake on one word: the word's value right
// after it. While the word still moves only by this waker's own bumps, every
// sleeper has been woken already (or finds the word changed), so a further
// wake is skipped (spec/shm_messaging.md, "Waking").
struct WakeMemo {
  bool valid = false;
  uint32_t after = 0;
};

// The sleeper's half, once: count in on `sleepers`, bump `word`, recheck
// `ready`, sleep on the bumped value for at most `slice`, count out. OK when
// ready or woken (callers recheck), timeout when the slice ran out.
absl::Status SleepOnce(std::atomic<uint32_t>* word, std::atomic<uint32_t>* sleepers,
                       absl::Duration slice, absl::FunctionRef<bool()> ready);

// The waker's half: bump `word` and wake its sleepers, with no system call
// when nobody sleeps, nor when `memo` (optional; one per waker and word, used
// from one thread) shows that they have been woken since they last slept.
// Call after the guarded data is stored.
void Notify(std::atomic<uint32_t>* word, std::atomic<uint32_t>* sleepers,
            WakeMemo* memo = nullptr);

}  // namespace internal
}  // namespace shm_msg
}  // namespace ipckit

#endif  // IPCKIT_CC_SHM_MSG_INTERNAL_WAIT_H_
