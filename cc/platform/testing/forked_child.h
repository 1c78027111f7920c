// Test helpers that need POSIX process calls, so tests outside cc/platform
// need not make them: a forked copy of the test process with byte channels
// both ways, and a scoped umask. POSIX only (Windows has no fork).
//
//   IPCKIT_ASSIGN_OR_RETURN(ForkedChild child, ForkedChild::Start([](ForkedChild& self) {
//     ... join a service ...
//     self.Send('j');                                   // "ready"
//     self.Receive(absl::InfiniteDuration());           // until killed or the parent ends
//     return 0;
//   }));
//   EXPECT_EQ(child.Receive(absl::Seconds(30)), 'j');
//   child.Kill();
#ifndef IPCKIT_CC_PLATFORM_TESTING_FORKED_CHILD_H_
#define IPCKIT_CC_PLATFORM_TESTING_FORKED_CHILD_H_

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cc/platform/unique_fd.h"

namespace ipckit {
namespace platform {

class ForkedChild {
 public:
  // Forks; the child runs `body(its own ForkedChild)` and exits with the
  // result at once (_exit: no atexit handlers, no test teardown). The parent
  // gets the child's pid and the other ends of the channels.
  static absl::StatusOr<ForkedChild> Start(const std::function<int(ForkedChild&)>& body);

  ForkedChild(ForkedChild&& other) noexcept
      : pid_(std::exchange(other.pid_, 0)),
        to_other_(std::move(other.to_other_)),
        from_other_(std::move(other.from_other_)) {}
  ForkedChild& operator=(ForkedChild&&) = delete;
  // The parent's copy kills and reaps a child still running.
  ~ForkedChild();

  // One byte to the other side; false if it is gone.
  bool Send(char byte);
  // The other side's next byte; 0 on end of stream (it exited) or after `timeout`.
  char Receive(absl::Duration timeout);
  // The read end of the channel from the other side, to wait on with poll-like APIs.
  int receive_fd() const { return from_other_.get(); }

  // In the parent: the child's pid.
  pid_t pid() const { return pid_; }
  // In the parent: SIGKILL and reap.
  void Kill();
  // In the parent: the child's wait status once it ends (WaitChild).
  absl::StatusOr<int> Wait(absl::Duration timeout);
  // Wait, and the CPU time (user + system) the child used: what a test of a
  // "waits without spinning" rule measures. Exact while no other child of
  // this process is reaped during the wait (the tests reap on one thread).
  struct End {
    int wait_status = 0;
    absl::Duration cpu;
  };
  absl::StatusOr<End> WaitWithCpuTime(absl::Duration timeout);

 private:
  ForkedChild(pid_t pid, UniqueFd to_other, UniqueFd from_other)
      : pid_(pid), to_other_(std::move(to_other)), from_other_(std::move(from_other)) {}

  pid_t pid_ = 0;  // 0 in the child, and once reaped
  UniqueFd to_other_;
  UniqueFd from_other_;
};

// In a forked child running as root: become `uid`/`gid` for good (setgid,
// then setuid), to act as another user. False if either call fails.
bool BecomeUser(uint32_t uid, uint32_t gid);

// Sets the process's umask to `mask` until destroyed, then restores it.
class ScopedUmask {
 public:
  explicit ScopedUmask(uint32_t mask);
  ~ScopedUmask();
  ScopedUmask(const ScopedUmask&) = delete;
  ScopedUmask& operator=(const ScopedUmask&) = delete;

 private:
  uint32_t old_;
};

}  // namespace platform
}  // namespace ipckit

#endif  // IPCKIT_CC_PLATFORM_TESTING_FORKED_CHILD_H_
