#include "cc/platform/process/process.h"

#include <sys/wait.h>
#include <unistd.h>

#include "gtest/gtest.h"

namespace ipckit {
namespace platform {
namespace {

TEST(ProcessTest, KnowsItself) {
  const ProcessIdentity me = CurrentProcess();
  EXPECT_EQ(me.pid, static_cast<uint32_t>(::getpid()));
#ifdef __linux__
  EXPECT_NE(me.start_time, 0u);
  EXPECT_NE(me.pid_namespace, 0u);
#endif
  EXPECT_EQ(CheckLiveness(me), Liveness::kAlive);
  EXPECT_EQ(CurrentUserId(), static_cast<uint32_t>(::geteuid()));
}

TEST(ProcessTest, UnknownIsNeverDead) {
  EXPECT_EQ(CheckLiveness({0, 0, 0}), Liveness::kUnknown);
  EXPECT_EQ(CheckLiveness({0xfffffff0u, 0, 0}), Liveness::kUnknown);
  const ProcessIdentity me = CurrentProcess();
  EXPECT_EQ(CheckLiveness({0x7ffffff0, me.pid_namespace + 1, 0}), Liveness::kUnknown);
}

#ifdef __linux__
TEST(ProcessTest, ReusedPidIsDead) {
  ProcessIdentity me = CurrentProcess();
  me.start_time += 1;
  EXPECT_EQ(CheckLiveness(me), Liveness::kDead);
}
#endif

TEST(ProcessTest, ExitedChildIsDeadBeforeAndAfterReaping) {
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) ::_exit(0);
  ProcessIdentity id{static_cast<uint32_t>(child), CurrentPidNamespace(), 0};
  // Until reaped it is a zombie: exited, so dead.
  for (int i = 0; i < 500 && CheckLiveness(id) != Liveness::kDead; ++i) ::usleep(2000);
  EXPECT_EQ(CheckLiveness(id), Liveness::kDead);
  ASSERT_EQ(::waitpid(child, nullptr, 0), child);
  EXPECT_EQ(CheckLiveness(id), Liveness::kDead);
}

}  // namespace
}  // namespace platform
}  // namespace ipckit
