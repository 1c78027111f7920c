#include "cc/platform/process/control.h"

#include <signal.h>

#include <atomic>
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace ipckit {
namespace {

std::atomic<int> g_stops{0};

TEST(ControlTest, StopRequestsCallTheHandler) {
  ASSERT_TRUE(OnStopRequest([] { g_stops.fetch_add(1); }).ok());
  ASSERT_EQ(::raise(SIGINT), 0);
  EXPECT_EQ(g_stops.load(), 1);
  ASSERT_EQ(::raise(SIGTERM), 0);
  EXPECT_EQ(g_stops.load(), 2) << "the process would have died instead";
}

TEST(ControlTest, CrashNowKillsWithoutCleanup) {
  // Output still buffered in stdio would be flushed by a normal exit.
  EXPECT_EXIT(
      {
        std::printf("unflushed");
        CrashNow();
      },
      ::testing::KilledBySignal(SIGKILL), "");
}

TEST(ControlTest, WritingPastTheFileSizeLimitCrashes) {
  const std::string path = absl::StrCat(::testing::TempDir(), "/control_test_big");
  EXPECT_EXIT(
      {
        if (!CrashOnFileSizeLimit(4096).ok()) std::_Exit(2);
        std::FILE* f = std::fopen(path.c_str(), "w");
        if (f == nullptr) std::_Exit(3);
        std::string block(1024, 'x');
        for (int i = 0; i < 8; ++i) std::fwrite(block.data(), 1, block.size(), f);
        std::fclose(f);  // the write past 4096 bytes happens here at the latest
        std::_Exit(4);
      },
      ::testing::KilledBySignal(SIGKILL), "");
  std::remove(path.c_str());
}

TEST(ControlTest, OsDescriptionNamesTheSystem) {
  std::string os = OsDescription();
#ifdef __linux__
  EXPECT_EQ(os.rfind("Linux ", 0), 0u) << os;
#endif
  EXPECT_NE(os, "unknown");
}

}  // namespace
}  // namespace ipckit
