// process_test for Windows (process_test.cc is the POSIX one): liveness by
// process handle and creation time, with a real child process.
#include <windows.h>

#include <string>

#include "cc/platform/process/process.h"
#include "gtest/gtest.h"

namespace ipckit {
namespace platform {
namespace {

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
  STARTUPINFOW si{};
  si.cb = sizeof(si);
  PROCESS_INFORMATION pi{};
  std::wstring command = L"cmd.exe /c exit 7";
  ASSERT_TRUE(::CreateProcessW(nullptr, &command[0], nullptr, nullptr, FALSE, CREATE_NO_WINDOW, nullptr,
                               nullptr, &si, &pi))
      << ::GetLastError();
  ::CloseHandle(pi.hThread);
  const ProcessIdentity child{static_cast<uint32_t>(pi.dwProcessId), 0, ProcessStartTime(pi.dwProcessId)};
  ASSERT_EQ(::WaitForSingleObject(pi.hProcess, 30000), WAIT_OBJECT_0);
  DWORD code = 0;
  ASSERT_TRUE(::GetExitCodeProcess(pi.hProcess, &code));
  EXPECT_EQ(code, 7u);
  // Our handle keeps the exited process object: still dead.
  EXPECT_EQ(CheckLiveness(child), Liveness::kDead);
  EXPECT_EQ(CheckLiveness({child.pid, 0, 0}), Liveness::kDead);
  ::CloseHandle(pi.hProcess);
  // Gone, or its id reused by a process with another creation time.
  if (child.start_time != 0) EXPECT_EQ(CheckLiveness(child), Liveness::kDead);
}

}  // namespace
}  // namespace platform
}  // namespace ipckit
