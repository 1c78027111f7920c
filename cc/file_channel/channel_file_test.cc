#include "cc/file_channel/channel_file.h"

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <poll.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
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
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return out;
  while (struct dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") out.push_back(name);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

// Runs `attempt` (which returns an error class, "" for success) in a forked
// child, so that a wait that ignores its deadline cannot hang the test. The
// parent gives it `limit`; the child's CPU time comes from wait4(2).
struct ChildResult {
  bool finished = false;     // within `limit`
  std::string error_class;   // what `attempt` returned
  absl::Duration wall;       // fork to exit
  absl::Duration cpu;        // user + system time of the child
};

ChildResult RunInChild(const std::function<std::string()>& attempt, absl::Duration limit) {
  ChildResult result;
  int out[2];
  EXPECT_EQ(::pipe(out), 0);
  absl::Time start = absl::Now();
  pid_t child = ::fork();
  EXPECT_GE(child, 0);
  if (child == 0) {
    ::close(out[0]);
    std::string cls = attempt();
    (void)!::write(out[1], cls.data(), cls.size());
    ::_exit(0);
  }
  ::close(out[1]);
  struct pollfd pfd = {out[0], POLLIN, 0};
  int ready = ::poll(&pfd, 1, static_cast<int>(absl::ToInt64Milliseconds(limit)));
  result.finished = ready == 1;
  if (!result.finished) ::kill(child, SIGKILL);
  char buf[64];
  ssize_t n = result.finished ? ::read(out[0], buf, sizeof(buf)) : 0;
  if (n > 0) result.error_class.assign(buf, static_cast<size_t>(n));
  ::close(out[0]);
  int status = 0;
  struct rusage usage;
  EXPECT_EQ(::wait4(child, &status, 0, &usage), child);
  result.wall = absl::Now() - start;
  result.cpu = absl::DurationFromTimeval(usage.ru_utime) + absl::DurationFromTimeval(usage.ru_stime);
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

void MakeOld(const std::string& path) {
  struct timeval old_times[2] = {{::time(nullptr) - 10, 0}, {::time(nullptr) - 10, 0}};
  ASSERT_EQ(::utimes(path.c_str(), old_times), 0);
}

class ChannelFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ScratchPath("cf");
    ASSERT_EQ(::mkdir(dir_.c_str(), 0755), 0);
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
  mode_t old_umask = ::umask(0);
  ASSERT_TRUE(AppendToChannelFile(dir_, kBackendToFrontendFile, {Msg("a", 1)}, AppendOptions(), Deadline::Never()).ok());
  ::umask(old_umask);
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u) << "created under umask 0";
  ASSERT_EQ(::stat((dir_ + "/.lock").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // A 0.1 file readable by others loses those bits at the next write.
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  ASSERT_TRUE(AppendToChannelFile(dir_, kBackendToFrontendFile, {Msg("b", 2)}, AppendOptions(), Deadline::Never()).ok());
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // In a shared directory (opted in) the file keeps its mode.
  AppendOptions shared;
  shared.allow_shared_directory = true;
  ASSERT_EQ(::chmod(path.c_str(), 0640), 0);
  ASSERT_TRUE(AppendToChannelFile(dir_, kBackendToFrontendFile, {Msg("c", 3)}, shared, Deadline::Never()).ok());
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
}

TEST_F(ChannelFileTest, RemovesStaleTempFilesOnRequest) {
  pid_t dead = ::fork();
  ASSERT_GE(dead, 0);
  if (dead == 0) ::_exit(0);
  ASSERT_EQ(::waitpid(dead, nullptr, 0), dead);
  const std::string stale = absl::StrCat(".frontend_to_backend.json.tmp-", dead, "-abcd");
  const std::string own = absl::StrCat(".backend_to_frontend.json.tmp-", ::getpid(), "-1234");
  const std::string live = ".backend_to_frontend.json.tmp-1-2";  // pid 1 is alive: not stale
  for (const std::string& name : {stale, own, live, std::string("keep.txt")}) {
    ASSERT_TRUE(WriteFileInPlace(absl::StrCat(dir_, "/", name), "x"));
  }
  const std::string fifo = absl::StrCat(".channel_info.tmp-", dead, "-ff");  // not a file: left alone
  ASSERT_EQ(::mkfifo((dir_ + "/" + fifo).c_str(), 0600), 0);
  AppendOptions options;
  options.remove_stale_temps = true;
  ASSERT_TRUE(AppendToChannelFile(dir_, kFrontendToBackendFile, {Msg("a", 1)}, options, Deadline::Never()).ok());
  std::vector<std::string> want = {fifo, live, ".lock", "frontend_to_backend.json", "keep.txt"};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(DirEntries(dir_), want);
}

TEST_F(ChannelFileTest, LockExcludesOtherProcessesAndDiesWithThem) {
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // A separate process holds the lock until it is killed.
    auto lock = ChannelLock::Acquire(dir_, Deadline::Never());
    char c = lock.ok() ? 'y' : 'n';
    (void)!::write(ready[1], &c, 1);
    for (;;) ::pause();
  }
  ::close(ready[1]);
  char c = 0;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  ::close(ready[0]);
  ASSERT_EQ(c, 'y');

  absl::Time start = absl::Now();
  auto blocked = ChannelLock::Acquire(dir_, Deadline::After(absl::Milliseconds(100)));
  absl::Duration waited = absl::Now() - start;
  ASSERT_FALSE(blocked.ok());
  EXPECT_EQ(ErrorClassOf(blocked.status()), "timeout");
  EXPECT_GE(waited, absl::Milliseconds(95));
  EXPECT_LT(waited, absl::Seconds(2));

  // The kernel releases the lock of a dead holder: no stale lock.
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  ASSERT_EQ(::waitpid(child, nullptr, 0), child);
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
    EXPECT_EQ(ReadFileOrDie(lock_path), absl::StrCat(::getpid(), "\n"));
  }
  struct stat st;
  EXPECT_NE(::stat(lock_path.c_str(), &st), 0);  // removed on release
  ASSERT_TRUE(AppendToChannelFile(dir_, kFrontendToBackendFile, {Msg("a", 1)}, AppendOptions(), Deadline::Never()).ok());
  EXPECT_EQ(DirEntries(dir_), (std::vector<std::string>{".lock", "frontend_to_backend.json"}));
}

TEST_F(ChannelFileTest, Ipckit01LockHeldByLiveWriterBlocks) {
  const std::string lock_path = dir_ + "/backend_to_frontend.lock";
  ASSERT_TRUE(WriteFileInPlace(lock_path, absl::StrCat(::getpid(), "\n")));  // a live pid, fresh
  absl::Time start = absl::Now();
  auto s = AppendToChannelFile(dir_, kBackendToFrontendFile, {Msg("a", 1)}, AppendOptions(),
                               Deadline::After(absl::Milliseconds(100)));
  EXPECT_EQ(ErrorClassOf(s), "timeout") << s;
  EXPECT_TRUE(absl::StrContains(s.message(), lock_path)) << s;
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(95));
  EXPECT_EQ(ReadFileOrDie(lock_path), absl::StrCat(::getpid(), "\n"));  // not ours to remove
  // Without the 0.1 lock the write goes through.
  AppendOptions no_legacy;
  no_legacy.ipckit01_lock = false;
  EXPECT_TRUE(AppendToChannelFile(dir_, kBackendToFrontendFile, {Msg("a", 1)}, no_legacy, Deadline::Never()).ok());
}

TEST_F(ChannelFileTest, StaleIpckit01LocksAreRemoved) {
  const std::string lock_path = dir_ + "/backend_to_frontend.lock";
  // Left by a process that has exited.
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) ::_exit(0);
  ASSERT_EQ(::waitpid(child, nullptr, 0), child);
  ASSERT_TRUE(WriteFileInPlace(lock_path, absl::StrCat(child, "\n")));
  auto dead = Ipckit01FileLock::Acquire(dir_, kBackendToFrontendFile, Deadline::After(absl::Seconds(2)));
  ASSERT_TRUE(dead.ok()) << dead.status();
  EXPECT_EQ(ReadFileOrDie(lock_path), absl::StrCat(::getpid(), "\n"));
  { Ipckit01FileLock released = std::move(*dead); }

  // Older than 5 s (ipckit 0.1's rule), even with a live pid in it.
  ASSERT_TRUE(WriteFileInPlace(lock_path, absl::StrCat(::getpid(), "\n")));
  struct timeval old_times[2] = {{::time(nullptr) - 10, 0}, {::time(nullptr) - 10, 0}};
  ASSERT_EQ(::utimes(lock_path.c_str(), old_times), 0);
  auto old = Ipckit01FileLock::Acquire(dir_, kBackendToFrontendFile, Deadline::After(absl::Seconds(2)));
  EXPECT_TRUE(old.ok()) << old.status();
}

// Issue 9 defect 1: a stale 0.1 lock that cannot be removed made the write
// spin at full CPU and ignore its deadline.
TEST_F(ChannelFileTest, Ipckit01LockThatIsADirectoryFailsFastWithoutSpinning) {
  const std::string lock_path = dir_ + "/backend_to_frontend.lock";
  ASSERT_EQ(::mkdir(lock_path.c_str(), 0700), 0);
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
  struct stat st;
  EXPECT_EQ(::stat(lock_path.c_str(), &st), 0);  // left alone
}

TEST_F(ChannelFileTest, StaleIpckit01LockWeMayNotRemoveIsPermissionDenied) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to play two users";
  // A sticky world-writable directory (like /tmp) and another user's stale
  // lock in it: the writer, running as nobody, may not unlink it.
  ASSERT_EQ(::chmod(dir_.c_str(), 01777), 0);
  const std::string lock_path = dir_ + "/backend_to_frontend.lock";
  ASSERT_TRUE(WriteFileInPlace(lock_path, "1\n"));
  ASSERT_EQ(::chown(lock_path.c_str(), 65533, 65533), 0);
  MakeOld(lock_path);
  ChildResult r = RunInChild(
      [&]() -> std::string {
        if (::setgid(65534) != 0 || ::setuid(65534) != 0) return "setuid failed";
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
  ASSERT_TRUE(WriteFileInPlace(lock_path, absl::StrCat(::getpid(), "\n")));  // live and fresh
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
  ASSERT_EQ(::mkdir((dir_ + "/.lock").c_str(), 0700), 0);
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
