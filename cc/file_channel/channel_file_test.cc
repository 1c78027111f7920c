#include "cc/file_channel/channel_file.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cc/base/deadline.h"
#include "cc/base/error.h"
#include "cc/file_channel/channel_info.h"
#include "cc/file_channel/message.h"
#include "cc/file_channel/test_util.h"
#include "cc/file_channel/uuid.h"
#include "cc/platform/fs/file_ops.h"
#include "cc/platform/process/process.h"
#include "cc/platform/testing/file_plant.h"
#include "cc/platform/testing/forked_child.h"
#include "gtest/gtest.h"

namespace ipckit {
namespace {

using ::ipckit::testing::ReadFileOrDie;
using ::ipckit::testing::RemoveTree;
using ::ipckit::testing::ScratchPath;
using ::ipckit::testing::WriteFileInPlace;

std::string Msg(absl::string_view id, uint64_t ts) {
  return absl::StrCat("{\"id\":\"", id, "\",\"timestamp\":", ts, ",\"type\":\"event\",\"payload\":null}");
}

std::vector<std::string> IdsOf(absl::string_view text) {
  auto scanned = ScanChannelFile(text, "t");
  EXPECT_TRUE(scanned.ok()) << scanned.status();
  std::vector<std::string> ids;
  if (scanned.ok()) {
    for (const auto& s : *scanned) ids.push_back(s.message.id);
  }
  return ids;
}

std::vector<std::string> DirEntries(const std::string& dir) {
  std::vector<std::string> out = ListDirectory(dir).value_or(std::vector<std::string>{});
  std::sort(out.begin(), out.end());
  return out;
}

// The pid of a process that has exited and been reaped.
uint32_t DeadPid() {
  absl::StatusOr<platform::ForkedChild> child = platform::ForkedChild::Start([](platform::ForkedChild&) { return 0; });
  EXPECT_TRUE(child.ok()) << child.status();
  if (!child.ok()) return 0;
  const uint32_t pid = static_cast<uint32_t>(child->pid());
  EXPECT_TRUE(child->Wait(absl::Seconds(30)).ok());
  return pid;
}

// Runs `attempt` (which returns an error class, "" for success) in a forked
// child, so that a wait that ignores its deadline cannot hang the test. The
// parent gives it `limit`; the child's CPU time comes from its rusage.
struct ChildResult {
  bool finished = false;     // within `limit`
  std::string error_class;   // what `attempt` returned
  absl::Duration wall;       // fork to exit
  absl::Duration cpu;        // user + system time of the child
};

ChildResult RunInChild(const std::function<std::string()>& attempt, absl::Duration limit) {
  ChildResult result;
  absl::Time start = absl::Now();
  absl::StatusOr<platform::ForkedChild> child = platform::ForkedChild::Start([&](platform::ForkedChild& self) {
    // The error class, then a newline: "finished" (error classes have none).
    for (char c : attempt() + "\n") self.Send(c);
    return 0;
  });
  EXPECT_TRUE(child.ok()) << child.status();
  if (!child.ok()) return result;
  const absl::Time deadline = start + limit;
  for (char c; (c = child->Receive(std::max(deadline - absl::Now(), absl::ZeroDuration()))) != 0;) {
    if (c == '\n') {
      result.finished = true;
      break;
    }
    result.error_class += c;
  }
  if (!result.finished) child->Kill();
  absl::StatusOr<platform::ForkedChild::End> end = child->WaitWithCpuTime(absl::Seconds(30));
  EXPECT_TRUE(end.ok()) << end.status();
  result.wall = absl::Now() - start;
  if (end.ok()) result.cpu = end->cpu;
  return result;
}

// `attempt` waits for a lock that is never released, with a 1 s deadline.
void ExpectOneSecondTimeoutWithLittleCpu(const std::function<std::string()>& attempt) {
  ChildResult r = RunInChild(attempt, absl::Seconds(10));
  std::printf("waited %s using %s of CPU\n", absl::FormatDuration(r.wall).c_str(), absl::FormatDuration(r.cpu).c_str());
  ASSERT_TRUE(r.finished);
  EXPECT_EQ(r.error_class, "timeout");
  EXPECT_GE(r.wall, absl::Milliseconds(990));
  EXPECT_LT(r.cpu, absl::Milliseconds(50)) << "CPU over a 1 s wait: " << r.cpu;
}

// Sets the modification time of `path` 10 s back.
void MakeOld(const std::string& path) {
  std::error_code error;
  std::filesystem::last_write_time(path, std::filesystem::file_time_type::clock::now() - std::chrono::seconds(10),
                                   error);
  ASSERT_FALSE(error) << path << ": " << error.message();
}

class ChannelFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ScratchPath("cf");
    ASSERT_TRUE(platform::MakeDirectory(dir_, 0755).ok());
  }
  void TearDown() override { RemoveTree(dir_); }
  std::string dir_;
};

TEST_F(ChannelFileTest, ReadMissingTooLargeAndPresent) {
  auto missing = ReadChannelFile(dir_ + "/none.json", 100);
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->exists);
  EXPECT_EQ(missing->text, "");
  ASSERT_TRUE(WriteFileInPlace(dir_ + "/f.json", "[1,2,3]"));
  auto present = ReadChannelFile(dir_ + "/f.json", 100);
  ASSERT_TRUE(present.ok());
  EXPECT_EQ(present->text, "[1,2,3]");
  auto too_big = ReadChannelFile(dir_ + "/f.json", 6);
  EXPECT_EQ(ErrorClassOf(too_big.status()), "too_large");
  EXPECT_TRUE(absl::StrContains(too_big.status().message(), "f.json"));
}

TEST_F(ChannelFileTest, AppendWritesAtomicallyAndLeavesNoTempFiles) {
  AppendOptions options;
  ASSERT_TRUE(AppendToChannelFile(dir_, kFrontendToBackendFile, {Msg("a", 1)}, options, Deadline::Never()).ok());
  ASSERT_TRUE(AppendToChannelFile(dir_, kFrontendToBackendFile, {Msg("b", 2)}, options, Deadline::Never()).ok());
  std::string path = absl::StrCat(dir_, "/", kFrontendToBackendFile);
  EXPECT_EQ(IdsOf(ReadFileOrDie(path)), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(DirEntries(dir_), (std::vector<std::string>{".lock", "frontend_to_backend.json"}));
  options.fsync = true;
  ASSERT_TRUE(AppendToChannelFile(dir_, kFrontendToBackendFile, {Msg("c", 3)}, options, Deadline::Never()).ok());
  EXPECT_EQ(IdsOf(ReadFileOrDie(path)).size(), 3u);
}

TEST_F(ChannelFileTest, CorruptFileIsNeverOverwritten) {
  std::string path = absl::StrCat(dir_, "/", kBackendToFrontendFile);
  const std::string half = "[\n" + Msg("a", 1) + ",\n{\"id\":\"b\",\"times";
  ASSERT_TRUE(WriteFileInPlace(path, half));
  auto s = AppendToChannelFile(dir_, kBackendToFrontendFile, {Msg("c", 3)}, AppendOptions(), Deadline::Never());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(ErrorClassOf(s), "corrupt");
  EXPECT_TRUE(absl::StrContains(s.message(), path)) << s.message();
  EXPECT_TRUE(absl::StrContains(s.message(), "byte")) << s.message();
  EXPECT_EQ(ReadFileOrDie(path), half);
  EXPECT_EQ(DirEntries(dir_), (std::vector<std::string>{".lock", "backend_to_frontend.json"}));
}

TEST_F(ChannelFileTest, PrivateFilesAre0600AndSharedKeepTheirMode) {
  std::string path = absl::StrCat(dir_, "/", kBackendToFrontendFile);
  {
    platform::ScopedUmask no_umask(0);
    ASSERT_TRUE(AppendToChannelFile(dir_, kBackendToFrontendFile, {Msg("a", 1)}, AppendOptions(), Deadline::Never()).ok());
  }
  ASSERT_TRUE(std::filesystem::is_regular_file(path));
  EXPECT_EQ(platform::ModeOf(path), 0600u) << "created under umask 0";
  ASSERT_TRUE(std::filesystem::is_regular_file(dir_ + "/.lock"));
  EXPECT_EQ(platform::ModeOf(dir_ + "/.lock"), 0600u);
  // A 0.1 file readable by others loses those bits at the next write.
  ASSERT_TRUE(platform::SetMode(path, 0644).ok());
  ASSERT_TRUE(AppendToChannelFile(dir_, kBackendToFrontendFile, {Msg("b", 2)}, AppendOptions(), Deadline::Never()).ok());
  EXPECT_EQ(platform::ModeOf(path), 0600u);
  // In a shared directory (opted in) the file keeps its mode.
  AppendOptions shared;
  shared.allow_shared_directory = true;
  ASSERT_TRUE(platform::SetMode(path, 0640).ok());
  ASSERT_TRUE(AppendToChannelFile(dir_, kBackendToFrontendFile, {Msg("c", 3)}, shared, Deadline::Never()).ok());
  EXPECT_EQ(platform::ModeOf(path), 0640u);
}

TEST_F(ChannelFileTest, RemovesStaleTempFilesOnRequest) {
  const uint32_t dead = DeadPid();
  ASSERT_NE(dead, 0u);
  const std::string stale = absl::StrCat(".frontend_to_backend.json.tmp-", dead, "-abcd");
  const std::string own = absl::StrCat(".backend_to_frontend.json.tmp-", platform::CurrentProcessId(), "-1234");
  const std::string live = ".backend_to_frontend.json.tmp-1-2";  // pid 1 is alive: not stale
  for (const std::string& name : {stale, own, live, std::string("keep.txt")}) {
    ASSERT_TRUE(WriteFileInPlace(absl::StrCat(dir_, "/", name), "x"));
  }
  const std::string fifo = absl::StrCat(".channel_info.tmp-", dead, "-ff");  // not a file: left alone
  ASSERT_TRUE(platform::MakeFifo(dir_ + "/" + fifo, 0600).ok());
  AppendOptions options;
  options.remove_stale_temps = true;
  ASSERT_TRUE(AppendToChannelFile(dir_, kFrontendToBackendFile, {Msg("a", 1)}, options, Deadline::Never()).ok());
  std::vector<std::string> want = {fifo, live, ".lock", "frontend_to_backend.json", "keep.txt"};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(DirEntries(dir_), want);
}

TEST_F(ChannelFileTest, LockExcludesOtherProcessesAndDiesWithThem) {
  absl::StatusOr<platform::ForkedChild> child = platform::ForkedChild::Start([&](platform::ForkedChild& self) {
    // A separate process holds the lock until it is killed.
    auto lock = ChannelLock::Acquire(dir_, Deadline::Never());
    self.Send(lock.ok() ? 'y' : 'n');
    self.Receive(absl::InfiniteDuration());  // nothing comes: held until killed
    return 0;
  });
  ASSERT_TRUE(child.ok()) << child.status();
  ASSERT_EQ(child->Receive(absl::Seconds(30)), 'y');

  absl::Time start = absl::Now();
  auto blocked = ChannelLock::Acquire(dir_, Deadline::After(absl::Milliseconds(100)));
  absl::Duration waited = absl::Now() - start;
  ASSERT_FALSE(blocked.ok());
  EXPECT_EQ(ErrorClassOf(blocked.status()), "timeout");
  EXPECT_GE(waited, absl::Milliseconds(95));
  EXPECT_LT(waited, absl::Seconds(2));

  // The kernel releases the lock of a dead holder: no stale lock.
  child->Kill();
  auto got = ChannelLock::Acquire(dir_, Deadline::After(absl::Seconds(5)));
  EXPECT_TRUE(got.ok()) << got.status();
}

TEST_F(ChannelFileTest, LockIsExclusiveBetweenOpenDescriptions) {
  auto first = ChannelLock::Acquire(dir_, Deadline::Never());
  ASSERT_TRUE(first.ok());
  auto second = ChannelLock::Acquire(dir_, Deadline::After(absl::Milliseconds(20)));
  EXPECT_EQ(ErrorClassOf(second.status()), "timeout");
  { ChannelLock released = std::move(*first); }
  auto third = ChannelLock::Acquire(dir_, Deadline::After(absl::Milliseconds(20)));
  EXPECT_TRUE(third.ok()) << third.status();
}

TEST_F(ChannelFileTest, Ipckit01LockIsTakenAndReleased) {
  const std::string lock_path = dir_ + "/frontend_to_backend.lock";
  EXPECT_EQ(Ipckit01FileLock::PathFor(dir_, kFrontendToBackendFile), lock_path);
  {
    auto lock = Ipckit01FileLock::Acquire(dir_, kFrontendToBackendFile, Deadline::Never());
    ASSERT_TRUE(lock.ok()) << lock.status();
    EXPECT_EQ(ReadFileOrDie(lock_path), absl::StrCat(platform::CurrentProcessId(), "\n"));
  }
  EXPECT_FALSE(std::filesystem::exists(lock_path));  // removed on release
  ASSERT_TRUE(AppendToChannelFile(dir_, kFrontendToBackendFile, {Msg("a", 1)}, AppendOptions(), Deadline::Never()).ok());
  EXPECT_EQ(DirEntries(dir_), (std::vector<std::string>{".lock", "frontend_to_backend.json"}));
}

TEST_F(ChannelFileTest, Ipckit01LockHeldByLiveWriterBlocks) {
  const std::string lock_path = dir_ + "/backend_to_frontend.lock";
  ASSERT_TRUE(WriteFileInPlace(lock_path, absl::StrCat(platform::CurrentProcessId(), "\n")));  // a live pid, fresh
  absl::Time start = absl::Now();
  auto s = AppendToChannelFile(dir_, kBackendToFrontendFile, {Msg("a", 1)}, AppendOptions(),
                               Deadline::After(absl::Milliseconds(100)));
  EXPECT_EQ(ErrorClassOf(s), "timeout") << s;
  EXPECT_TRUE(absl::StrContains(s.message(), lock_path)) << s;
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(95));
  EXPECT_EQ(ReadFileOrDie(lock_path), absl::StrCat(platform::CurrentProcessId(), "\n"));  // not ours to remove
  // Without the 0.1 lock the write goes through.
  AppendOptions no_legacy;
  no_legacy.ipckit01_lock = false;
  EXPECT_TRUE(AppendToChannelFile(dir_, kBackendToFrontendFile, {Msg("a", 1)}, no_legacy, Deadline::Never()).ok());
}

TEST_F(ChannelFileTest, StaleIpckit01LocksAreRemoved) {
  const std::string lock_path = dir_ + "/backend_to_frontend.lock";
  // Left by a process that has exited.
  const uint32_t child = DeadPid();
  ASSERT_NE(child, 0u);
  ASSERT_TRUE(WriteFileInPlace(lock_path, absl::StrCat(child, "\n")));
  auto dead = Ipckit01FileLock::Acquire(dir_, kBackendToFrontendFile, Deadline::After(absl::Seconds(2)));
  ASSERT_TRUE(dead.ok()) << dead.status();
  EXPECT_EQ(ReadFileOrDie(lock_path), absl::StrCat(platform::CurrentProcessId(), "\n"));
  { Ipckit01FileLock released = std::move(*dead); }

  // Older than 5 s (ipckit 0.1's rule), even with a live pid in it.
  ASSERT_TRUE(WriteFileInPlace(lock_path, absl::StrCat(platform::CurrentProcessId(), "\n")));
  MakeOld(lock_path);
  auto old = Ipckit01FileLock::Acquire(dir_, kBackendToFrontendFile, Deadline::After(absl::Seconds(2)));
  EXPECT_TRUE(old.ok()) << old.status();
}

// Issue 9 defect 1: a stale 0.1 lock that cannot be removed made the write
// spin at full CPU and ignore its deadline.
TEST_F(ChannelFileTest, Ipckit01LockThatIsADirectoryFailsFastWithoutSpinning) {
  const std::string lock_path = dir_ + "/backend_to_frontend.lock";
  ASSERT_TRUE(platform::MakeDirectory(lock_path, 0700).ok());
  MakeOld(lock_path);  // judged stale by 0.1's age rule, but unlink(2) cannot remove it
  for (Deadline deadline : {Deadline::After(absl::Milliseconds(500)), Deadline::Never()}) {
    ChildResult r = RunInChild(
        [&] {
          return ErrorClassOf(AppendToChannelFile(dir_, kBackendToFrontendFile, {Msg("a", 1)}, AppendOptions(),
                                                  deadline));
        },
        absl::Seconds(10));
    ASSERT_TRUE(r.finished) << "the write ignored its deadline";
    EXPECT_EQ(r.error_class, "permission_denied");
    EXPECT_LT(r.cpu, absl::Milliseconds(200)) << "CPU while waiting: " << r.cpu;
  }
  EXPECT_TRUE(std::filesystem::is_directory(lock_path));  // left alone
}

TEST_F(ChannelFileTest, StaleIpckit01LockWeMayNotRemoveIsPermissionDenied) {
  if (platform::CurrentUserId() != 0) GTEST_SKIP() << "needs root to play two users";
  // A sticky world-writable directory (like /tmp) and another user's stale
  // lock in it: the writer, running as nobody, may not unlink it.
  ASSERT_TRUE(platform::SetMode(dir_, 01777).ok());
  const std::string lock_path = dir_ + "/backend_to_frontend.lock";
  ASSERT_TRUE(WriteFileInPlace(lock_path, "1\n"));
  ASSERT_TRUE(platform::ChownPath(lock_path, 65533, 65533).ok());
  MakeOld(lock_path);
  ChildResult r = RunInChild(
      [&]() -> std::string {
        if (!platform::BecomeUser(65534, 65534)) return "setuid failed";
        AppendOptions options;
        options.allow_shared_directory = true;  // the directory is shared on purpose here
        return ErrorClassOf(
            AppendToChannelFile(dir_, kBackendToFrontendFile, {Msg("a", 1)}, options, Deadline::Never()));
      },
      absl::Seconds(10));
  ASSERT_TRUE(r.finished) << "the write spun past any deadline";
  EXPECT_EQ(r.error_class, "permission_denied");
  EXPECT_LT(r.cpu, absl::Milliseconds(200)) << r.cpu;
}

TEST_F(ChannelFileTest, Ipckit01LockHolderThatNeverLetsGoTimesOutWithLittleCpu) {
  const std::string lock_path = dir_ + "/backend_to_frontend.lock";
  ASSERT_TRUE(WriteFileInPlace(lock_path, absl::StrCat(platform::CurrentProcessId(), "\n")));  // live and fresh
  ExpectOneSecondTimeoutWithLittleCpu([&] {
    return ErrorClassOf(AppendToChannelFile(dir_, kBackendToFrontendFile, {Msg("a", 1)}, AppendOptions(),
                                            Deadline::After(absl::Seconds(1))));
  });
}

TEST_F(ChannelFileTest, ChannelLockHolderThatNeverLetsGoTimesOutWithLittleCpu) {
  auto held = ChannelLock::Acquire(dir_, Deadline::Never());
  ASSERT_TRUE(held.ok()) << held.status();
  // The child's own open file description contends with ours (flock(2)).
  ExpectOneSecondTimeoutWithLittleCpu(
      [&] { return ErrorClassOf(ChannelLock::Acquire(dir_, Deadline::After(absl::Seconds(1))).status()); });
}

TEST_F(ChannelFileTest, ChannelLockThatIsADirectoryIsRefused) {
  ASSERT_TRUE(platform::MakeDirectory(dir_ + "/.lock", 0700).ok());
  ChildResult r = RunInChild(
      [&] { return ErrorClassOf(ChannelLock::Acquire(dir_, Deadline::After(absl::Seconds(1))).status()); },
      absl::Seconds(10));
  ASSERT_TRUE(r.finished);
  EXPECT_EQ(r.error_class, "permission_denied");
}

TEST_F(ChannelFileTest, EnsureChannelInfoCreatesThenValidates) {
  ASSERT_TRUE(EnsureChannelInfo(dir_, Deadline::After(absl::Seconds(5))).ok());
  std::string path = dir_ + "/.channel_info";
  std::string first = ReadFileOrDie(path);
  EXPECT_TRUE(absl::StartsWith(first, "{\"version\":\"1.0\",\"protocol\":\"file-ipc\",\"format_version\":2,"));
  ASSERT_TRUE(EnsureChannelInfo(dir_, Deadline::After(absl::Seconds(5))).ok());
  EXPECT_EQ(ReadFileOrDie(path), first);  // not rewritten
  ASSERT_TRUE(WriteFileInPlace(path, R"({"version":"2.0","protocol":"file-ipc"})"));
  EXPECT_EQ(ErrorClassOf(EnsureChannelInfo(dir_, Deadline::After(absl::Seconds(5)))), "unsupported_version");
}

TEST(Uuid, ShapeAndUniqueness) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    auto id = NewUuidV4();
    ASSERT_TRUE(id.ok());
    ASSERT_EQ(id->size(), 36u);
    EXPECT_EQ((*id)[8], '-');
    EXPECT_EQ((*id)[13], '-');
    EXPECT_EQ((*id)[14], '4');
    EXPECT_TRUE(absl::StrContains("89ab", std::string(1, (*id)[19]))) << *id;
    EXPECT_TRUE(seen.insert(*id).second);
  }
  EXPECT_EQ(RandomHex(4)->size(), 8u);
}

}  // namespace
}  // namespace ipckit
