// A test helper process with pipes to its stdin and stdout, for tests that
// talk to a peer program line by line (POSIX: posix_spawn). Kept in
// cc/platform so the tests include no system headers.
//
//   platform::PipedProcess peer("cc/shm/shared_memory_peer", {"open", name});
//   EXPECT_EQ(peer.ReadLine(), "opened 4096 0 123");
//   peer.Send("exit");
//   EXPECT_TRUE(ExitedWithCode(peer.Wait(), 0));
#ifndef IPCKIT_CC_PLATFORM_TESTING_PIPED_PROCESS_H_
#define IPCKIT_CC_PLATFORM_TESTING_PIPED_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "cc/platform/unique_fd.h"

namespace ipckit {
namespace platform {

class PipedProcess {
 public:
  // Starts `path` (relative to the working directory) with `args`; on
  // failure pid() is -1 and the gtest failure says why.
  PipedProcess(const std::string& path, const std::vector<std::string>& args);
  PipedProcess(const PipedProcess&) = delete;
  PipedProcess& operator=(const PipedProcess&) = delete;
  // Kills and reaps a process still running.
  ~PipedProcess();

  pid_t pid() const { return pid_; }

  // The next line of output without the newline; "" on end of output or
  // after `timeout`.
  std::string ReadLine(absl::Duration timeout = absl::Seconds(10));
  // Writes `line` and a newline; a gtest failure if it cannot.
  void Send(const std::string& line);
  void CloseStdin() { to_child_.reset(); }
  // SIGKILL (the process dies at once; Wait() reaps it).
  void Kill();
  // SIGTERM: asks it to stop cleanly (Wait() then sees how it ended).
  void Terminate();
  // Waits for the process to end; its wait status (child_process.h reads it).
  int Wait(absl::Duration timeout = absl::Seconds(30));

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  UniqueFd to_child_;
  UniqueFd from_child_;
  std::string buffer_;
};

// chown of the shm object `object_name` ("/name"): what a test running as
// root does to make a segment another user's.
bool ChownShmObject(const std::string& object_name, uint32_t uid, uint32_t gid);

}  // namespace platform
}  // namespace ipckit

#endif  // IPCKIT_CC_PLATFORM_TESTING_PIPED_PROCESS_H_
