// Starting and reaping helper processes, for multi-process tests.
//
//   IPCKIT_ASSIGN_OR_RETURN(pid_t pid, ipckit::SpawnChild("cc/pipe/pipe_peer", {"write", "5"}));
//   IPCKIT_ASSIGN_OR_RETURN(int wait_status, ipckit::WaitChild(pid, absl::Seconds(10)));
//   bool clean = ipckit::ExitedWithCode(wait_status, 0);
//
// The child is started with posix_spawn: it inherits exactly the descriptors
// that are not close-on-exec, which is how tests hand it a pipe end. On
// Windows (CreateProcessW, ".exe" appended to `path`) it inherits the
// inheritable handles; there are no signals, so a killed child is ended with
// exit code 137 (128 + SIGKILL) and the "wait status" is the exit code.
#ifndef IPCKIT_CC_PLATFORM_IO_CHILD_PROCESS_H_
#define IPCKIT_CC_PLATFORM_IO_CHILD_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace ipckit {

// Runs `path` with argv[1..] = `args` and the current environment.
absl::StatusOr<pid_t> SpawnChild(const std::string& path, const std::vector<std::string>& args);

// Waits for `pid` to end and returns its wait status. After `timeout` the
// child is killed (SIGKILL), reaped, and a timeout error returned, so a test
// never hangs on a stuck child.
absl::StatusOr<int> WaitChild(pid_t pid, absl::Duration timeout);

// Whether the child exited normally (not killed) with exit code `code`.
bool ExitedWithCode(int wait_status, int code);

// The exit code, or 128 + the signal's number if a signal killed it (what a
// shell reports).
int ExitCodeOf(int wait_status);

// Whether the child was killed at once (SIGKILL: KillChild, CrashNow, a
// timed-out WaitChild, kill -9).
bool WasKilled(int wait_status);

// Kills `pid` at once (SIGKILL; Windows: TerminateProcess) and reaps it.
void KillChild(pid_t pid);

// "exit 3", "signal 9", for test failure messages.
std::string DescribeWaitStatus(int wait_status);

}  // namespace ipckit

#endif  // IPCKIT_CC_PLATFORM_IO_CHILD_PROCESS_H_
