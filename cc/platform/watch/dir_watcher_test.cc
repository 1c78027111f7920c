#include "cc/platform/watch/dir_watcher.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cc/base/deadline.h"
#include "cc/base/error.h"
#include "gtest/gtest.h"

extern char** environ;

namespace ipckit {
namespace {

class DirWatcherTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat("/tmp/ipckit_watch_test_", getpid(), "_",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    // Parameterized test names contain '/'.
    std::replace(dir_.begin() + 5, dir_.end(), '/', '_');
    ASSERT_EQ(::mkdir(dir_.c_str(), 0755), 0) << dir_;
  }
  void TearDown() override {
    std::string cmd = absl::StrCat("rm -rf '", dir_, "'");
    ASSERT_EQ(std::system(cmd.c_str()), 0);
  }

  DirWatcherOptions Options() const {
    DirWatcherOptions options;
    options.force_polling = GetParam();
    return options;
  }

  // Writes `name` the way channel writers do: temp file, then rename.
  void ReplaceFile(const std::string& name, const std::string& text) {
    std::string tmp = absl::StrCat(dir_, "/.tmp-", name);
    FILE* f = std::fopen(tmp.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs(text.c_str(), f);
    std::fclose(f);
    ASSERT_EQ(std::rename(tmp.c_str(), absl::StrCat(dir_, "/", name).c_str()), 0);
  }

  std::string dir_;
};

TEST_P(DirWatcherTest, TimesOutWhenNothingChanges) {
  auto watcher = DirWatcher::Open(dir_, {"inbox.json"}, Options());
  ASSERT_TRUE(watcher.ok()) << watcher.status();
  EXPECT_EQ(watcher->polling(), GetParam());
  absl::Time start = absl::Now();
  auto changed = watcher->Wait(Deadline::After(absl::Milliseconds(60)));
  absl::Duration elapsed = absl::Now() - start;
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_FALSE(*changed);
  EXPECT_GE(elapsed, absl::Milliseconds(55));
  EXPECT_LT(elapsed, absl::Seconds(2));
}

TEST_P(DirWatcherTest, ChangeBeforeWaitIsNotLost) {
  auto watcher = DirWatcher::Open(dir_, {"inbox.json"}, Options());
  ASSERT_TRUE(watcher.ok()) << watcher.status();
  ReplaceFile("inbox.json", "[]");
  auto changed = watcher->Wait(Deadline::After(absl::Seconds(5)));
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_TRUE(*changed);
  // What woke it names the file (an inotify event, or the signature change).
  EXPECT_EQ(watcher->last_wake().reason, DirWatcher::WakeReason::kChanged);
  EXPECT_NE(watcher->last_wake().detail.find("inbox.json"), std::string::npos) << watcher->last_wake().detail;
}

TEST_P(DirWatcherTest, OtherNamesDoNotWake) {
  auto watcher = DirWatcher::Open(dir_, {"inbox.json"}, Options());
  ASSERT_TRUE(watcher.ok()) << watcher.status();
  ReplaceFile("outbox.json", "[]");
  auto changed = watcher->Wait(Deadline::After(absl::Milliseconds(80)));
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_FALSE(*changed) << DirWatcher::WakeReasonName(watcher->last_wake().reason) << ": "
                         << watcher->last_wake().detail;
  EXPECT_EQ(watcher->last_wake().reason, DirWatcher::WakeReason::kNone);
}

// A watched name that stops being readable (here a symlink to itself: ELOOP,
// not ENOENT) reads as missing, a spurious wake that says so; inotify
// reports the new link's event as a change of the name instead.
TEST_P(DirWatcherTest, UnreadableFileIsASpuriousWakeThatSaysSo) {
  ReplaceFile("inbox.json", "[]");
  auto watcher = DirWatcher::Open(dir_, {"inbox.json"}, Options());
  ASSERT_TRUE(watcher.ok()) << watcher.status();
  const std::string path = absl::StrCat(dir_, "/inbox.json");
  ASSERT_EQ(::unlink(path.c_str()), 0);
  ASSERT_EQ(::symlink("inbox.json", path.c_str()), 0);
  auto changed = watcher->Wait(Deadline::After(absl::Seconds(5)));
  ASSERT_TRUE(changed.ok()) << changed.status();
  ASSERT_TRUE(*changed);
  if (GetParam()) {
    EXPECT_EQ(watcher->last_wake().reason, DirWatcher::WakeReason::kUnreadable);
    EXPECT_NE(watcher->last_wake().detail.find(absl::StrCat("-> unreadable (error ", ELOOP, ")")), std::string::npos)
        << watcher->last_wake().detail;
  } else {
    EXPECT_EQ(watcher->last_wake().reason, DirWatcher::WakeReason::kChanged) << watcher->last_wake().detail;
  }
  // Unreadable, then removed: a wake again (the caller may have read the
  // file after the first one).
  ASSERT_EQ(::unlink(path.c_str()), 0);
  changed = watcher->Wait(Deadline::After(absl::Seconds(5)));
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_TRUE(*changed) << "removal after an unreadable look not seen";
  EXPECT_EQ(watcher->last_wake().reason, DirWatcher::WakeReason::kChanged) << watcher->last_wake().detail;
}

TEST_P(DirWatcherTest, WakesOnWriteFromAnotherProcess) {
  auto watcher = DirWatcher::Open(dir_, {"inbox.json"}, Options());
  ASSERT_TRUE(watcher.ok()) << watcher.status();
  // A separate process writes the file in place after a short delay.
  std::string script = absl::StrCat("sleep 0.2; echo '[1]' > '", dir_, "/inbox.json'");
  const char* argv[] = {"/bin/sh", "-c", script.c_str(), nullptr};
  pid_t pid;
  ASSERT_EQ(posix_spawn(&pid, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), environ), 0);
  absl::Time start = absl::Now();
  bool saw = false;
  Deadline deadline = Deadline::After(absl::Seconds(10));
  while (!saw && !deadline.Expired()) {
    auto changed = watcher->Wait(deadline);
    ASSERT_TRUE(changed.ok()) << changed.status();
    struct stat st;
    saw = *changed && ::stat(absl::StrCat(dir_, "/inbox.json").c_str(), &st) == 0 && st.st_size > 0;
  }
  absl::Duration elapsed = absl::Now() - start;
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(saw);
  EXPECT_GE(elapsed, absl::Milliseconds(150));
  EXPECT_LT(elapsed, absl::Seconds(5));
}

TEST_P(DirWatcherTest, RemovedDirectoryWakesAndKeepsWorking) {
  std::string sub = absl::StrCat(dir_, "/sub");
  ASSERT_EQ(::mkdir(sub.c_str(), 0755), 0);
  auto watcher = DirWatcher::Open(sub, {"inbox.json"}, Options());
  ASSERT_TRUE(watcher.ok()) << watcher.status();
  ASSERT_EQ(::rmdir(sub.c_str()), 0);
  if (!GetParam()) {
    auto changed = watcher->Wait(Deadline::After(absl::Seconds(5)));
    ASSERT_TRUE(changed.ok()) << changed.status();
    EXPECT_TRUE(*changed);
    EXPECT_EQ(watcher->last_wake().reason, DirWatcher::WakeReason::kWatchLost);
    EXPECT_TRUE(watcher->polling());
  }
  // Recreating the directory and the file is seen by polling.
  ASSERT_EQ(::mkdir(sub.c_str(), 0755), 0);
  FILE* f = std::fopen(absl::StrCat(sub, "/inbox.json").c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fclose(f);
  auto changed = watcher->Wait(Deadline::After(absl::Seconds(5)));
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_TRUE(*changed);
}

TEST_P(DirWatcherTest, MissingDirectoryIsNotFound) {
  auto watcher = DirWatcher::Open(absl::StrCat(dir_, "/nope"), {"inbox.json"}, Options());
  ASSERT_FALSE(watcher.ok());
  EXPECT_EQ(ErrorClassOf(watcher.status()), "not_found");
  EXPECT_NE(watcher.status().message().find("/nope"), absl::string_view::npos);
}

TEST_P(DirWatcherTest, BadNameIsInvalidArgument) {
  auto watcher = DirWatcher::Open(dir_, {"a/b"}, Options());
  ASSERT_FALSE(watcher.ok());
  EXPECT_EQ(ErrorClassOf(watcher.status()), "invalid_argument");
}

INSTANTIATE_TEST_SUITE_P(InotifyAndPolling, DirWatcherTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Polling" : "Inotify"; });

}  // namespace
}  // namespace ipckit
