// process_test for Windows (process_test.cc is the POSIX one): liveness by
// process handle and creation time, with a real child process.
#include <windows.h>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cc/platform/process/process.h"
#include "cc/platform/win/test_util_win.h"
#include "cc/platform/win/unique_handle_win.h"
#include "gtest/gtest.h"

namespace ipckit {
namespace platform {
namespace {

using win::StartProcess;
using win::WaitForExitCode;

TEST(ProcessTest, KnowsItself) {
  const ProcessIdentity me = CurrentProcess();
  EXPECT_EQ(me.pid, static_cast<uint32_t>(::GetCurrentProcessId()));
  EXPECT_EQ(me.pid, CurrentProcessId());
  EXPECT_NE(me.start_time, 0u);
  EXPECT_EQ(me.pid_namespace, 0u);
  EXPECT_EQ(ProcessStartTime(me.pid), me.start_time);
  EXPECT_EQ(CheckLiveness(me), Liveness::kAlive);
  // A bare pid, as in a lock file, is judged by existence alone.
  EXPECT_EQ(CheckLiveness({me.pid, 0, 0}), Liveness::kAlive);
}

TEST(ProcessTest, UnknownIsNeverDead) {
  EXPECT_EQ(CheckLiveness({0, 0, 0}), Liveness::kUnknown);
  // Recorded inside a Linux pid namespace: means nothing here.
  EXPECT_EQ(CheckLiveness({CurrentProcessId(), 4026531836u, 0}), Liveness::kUnknown);
}

TEST(ProcessTest, ReusedPidIsDead) {
  ProcessIdentity me = CurrentProcess();
  me.start_time += 1;
  EXPECT_EQ(CheckLiveness(me), Liveness::kDead);
}

TEST(ProcessTest, ExitedChildIsDeadWhileHeldAndAfterClose) {
  absl::StatusOr<UniqueHandle> child = StartProcess(L"cmd.exe /c exit 7");
  ASSERT_TRUE(child.ok()) << child.status();
  const uint32_t pid = ::GetProcessId(child->get());
  const ProcessIdentity id{pid, 0, ProcessStartTime(pid)};
  absl::StatusOr<uint32_t> code = WaitForExitCode(child->get(), absl::Seconds(30));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 7u);
  // Our handle keeps the exited process object: still dead.
  EXPECT_EQ(CheckLiveness(id), Liveness::kDead);
  EXPECT_EQ(CheckLiveness({pid, 0, 0}), Liveness::kDead);
  child->reset();
  // Gone, or its id reused by a process with another creation time.
  EXPECT_NE(id.start_time, 0u);
  EXPECT_EQ(CheckLiveness(id), Liveness::kDead);
}

}  // namespace
}  // namespace platform
}  // namespace ipckit
