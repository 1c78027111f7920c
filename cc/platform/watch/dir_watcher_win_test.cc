// DirWatcher on Windows, under Wine: ReadDirectoryChangesW as the wake-up and
// file signatures as the judge, and the polling fallback (dir_watcher_test.cc
// is the POSIX test, with its inotify cases).
#include <cstdlib>
#include <iostream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cc/base/deadline.h"
#include "cc/base/error.h"
#include "cc/platform/fs/file_ops.h"
#include "cc/platform/fs/owned_file.h"
#include "cc/platform/watch/dir_watcher.h"
#include "cc/platform/win/test_util_win.h"
#include "gtest/gtest.h"

namespace ipckit {
namespace {

class DirWatcherWinTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    const char* base = std::getenv("TEST_TMPDIR");
    ASSERT_NE(base, nullptr);
    dir_ = absl::StrCat(base, "/", platform::win::UniqueTestName("watch"));
    ASSERT_TRUE(MakePrivateDirs(dir_).ok());
  }
  // Written as FileChannel writes: a temp file renamed over the target.
  void Replace(const char* name, const std::string& text) {
    const std::string tmp = absl::StrCat(dir_, "/.", name, ".tmp");
    absl::StatusOr<UniqueFd> fd = OpenOwnedRegularFile(tmp, kOpenWrite | kOpenCreate | kOpenTruncate);
    ASSERT_TRUE(fd.ok()) << fd.status();
    ASSERT_TRUE(WriteFileAll(*fd, text, tmp).ok());
    fd->reset();
    ASSERT_TRUE(ReplaceByRename(tmp, absl::StrCat(dir_, "/", name)).ok());
  }
  absl::StatusOr<DirWatcher> Open() {
    DirWatcherOptions options;
    options.force_polling = GetParam();
    return DirWatcher::Open(dir_, {"inbox.json"}, options);
  }
  std::string dir_;
};

// What woke the watcher last, for failure messages.
std::string WakeText(const DirWatcher& watcher) {
  return absl::StrCat(DirWatcher::WakeReasonName(watcher.last_wake().reason), ": ", watcher.last_wake().detail);
}

TEST_P(DirWatcherWinTest, WakesOnAWatchedFileOnly) {
  absl::StatusOr<DirWatcher> watcher = Open();
  ASSERT_TRUE(watcher.ok()) << watcher.status();
  EXPECT_EQ(watcher->polling(), GetParam());
  EXPECT_EQ(watcher->fd(), -1) << "no descriptor to poll on Windows";
  EXPECT_EQ(*watcher->Wait(Deadline::After(absl::Milliseconds(50))), false) << WakeText(*watcher);
  EXPECT_EQ(watcher->last_wake().reason, DirWatcher::WakeReason::kNone);

  // A change between Open (or the last Wait) and Wait is not lost.
  Replace("inbox.json", "[1]");
  ASSERT_EQ(*watcher->Wait(Deadline::After(absl::Seconds(10))), true);
  EXPECT_EQ(watcher->last_wake().reason, DirWatcher::WakeReason::kChanged) << WakeText(*watcher);
  EXPECT_EQ(watcher->last_wake().detail.rfind("inbox.json: missing -> dev=", 0), 0u) << WakeText(*watcher);
  EXPECT_EQ(*watcher->Wait(Deadline::After(absl::Milliseconds(50))), false) << "reported twice: "
                                                                              << WakeText(*watcher);

  // Another file in the directory wakes ReadDirectoryChangesW, not the
  // caller. The legal spurious wakes (inbox.json unreadable after the
  // retries, the watch failing) are allowed and shown; a changed signature
  // of the untouched inbox.json is the bug.
  Replace("other.json", "[2]");
  absl::StatusOr<bool> woke = watcher->Wait(Deadline::After(absl::Milliseconds(200)));
  ASSERT_TRUE(woke.ok()) << woke.status();
  if (*woke) {
    EXPECT_NE(watcher->last_wake().reason, DirWatcher::WakeReason::kChanged)
        << "replacing other.json woke the caller: " << WakeText(*watcher);
    std::cerr << "legal spurious wake: " << WakeText(*watcher) << "\n";
  }

  ASSERT_TRUE(RemoveFile(absl::StrCat(dir_, "/inbox.json")).ok());
  EXPECT_EQ(*watcher->Wait(Deadline::After(absl::Seconds(10))), true) << "removal not seen";
  EXPECT_EQ(watcher->last_wake().reason, DirWatcher::WakeReason::kChanged) << WakeText(*watcher);
  EXPECT_NE(watcher->last_wake().detail.find("-> missing"), std::string::npos) << WakeText(*watcher);
}

TEST_P(DirWatcherWinTest, RefusesBadArguments) {
  EXPECT_EQ(ErrorClassOf(DirWatcher::Open(dir_, {"a\\b"}).status()), kErrInvalidArgument);
  EXPECT_EQ(ErrorClassOf(DirWatcher::Open(absl::StrCat(dir_, "/missing"), {"x"}).status()), kErrNotFound);
}

INSTANTIATE_TEST_SUITE_P(KernelAndPolling, DirWatcherWinTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Polling" : "ReadDirectoryChangesW";
                         });

}  // namespace
}  // namespace ipckit
