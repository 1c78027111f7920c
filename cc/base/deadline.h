// A point in time by which a blocking call must return.
//
//   ipckit::Deadline deadline = ipckit::Deadline::After(absl::Seconds(5));
//   while (!ready()) {
//     if (deadline.Expired()) return ipckit::TimeoutError("waiting for ready");
//   }
//
// Blocking calls take an absl::Duration timeout; absl::InfiniteDuration() waits
// forever. Turning the timeout into a Deadline once at the top keeps loops that
// retry (EINTR, partial reads) from restarting the clock.
#ifndef IPCKIT_CC_BASE_DEADLINE_H_
#define IPCKIT_CC_BASE_DEADLINE_H_

#include <algorithm>
#include <cstdint>
#include <limits>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace ipckit {

class Deadline {
 public:
  // A deadline `timeout` from now. Negative timeouts are treated as zero.
  static Deadline After(absl::Duration timeout) {
    if (timeout == absl::InfiniteDuration()) return Never();
    return Deadline(absl::Now() + std::max(timeout, absl::ZeroDuration()));
  }
  static Deadline Never() { return Deadline(absl::InfiniteFuture()); }

  bool IsInfinite() const { return when_ == absl::InfiniteFuture(); }
  bool Expired() const { return !IsInfinite() && absl::Now() >= when_; }
  absl::Time when() const { return when_; }

  // Time left, never negative; InfiniteDuration() for Never().
  absl::Duration Remaining() const {
    if (IsInfinite()) return absl::InfiniteDuration();
    return std::max(when_ - absl::Now(), absl::ZeroDuration());
  }

  // Milliseconds for poll(2): -1 for infinite, rounded up so that a call does
  // not return a hair before the deadline and spin.
  int PollTimeoutMs() const {
    if (IsInfinite()) return -1;
    int64_t ms = absl::ToInt64Milliseconds(Remaining() + absl::Microseconds(999));
    return static_cast<int>(std::min<int64_t>(ms, std::numeric_limits<int>::max()));
  }

 private:
  explicit Deadline(absl::Time when) : when_(when) {}
  absl::Time when_;
};

}  // namespace ipckit

#endif  // IPCKIT_CC_BASE_DEADLINE_H_
