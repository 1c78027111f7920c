// file_ops.h and owned_file.h on Windows, under Wine: the portable calls
// FileChannel makes, through the same API as on Linux (file_ops_test.cc and
// owned_file_test.cc test the POSIX-only rules: modes, owners, symlinks,
// FIFOs).
#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cc/base/error.h"
#include "cc/platform/fs/file_ops.h"
#include "cc/platform/fs/owned_file.h"
#include "cc/platform/win/test_util_win.h"
#include "gtest/gtest.h"

namespace ipckit {
namespace {

class FileOpsWinTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* base = std::getenv("TEST_TMPDIR");
    ASSERT_NE(base, nullptr);
    dir_ = absl::StrCat(base, "/", platform::win::UniqueTestName("fs"), "/channel");
    ASSERT_TRUE(MakePrivateDirs(dir_).ok());
  }
  std::string Path(const char* name) const { return absl::StrCat(dir_, "/", name); }
  void Write(const std::string& path, const std::string& text) {
    absl::StatusOr<UniqueFd> fd = OpenOwnedRegularFile(path, kOpenWrite | kOpenCreate | kOpenTruncate);
    ASSERT_TRUE(fd.ok()) << fd.status();
    ASSERT_TRUE(WriteFileAll(*fd, text, path).ok());
  }
  std::string Read(const std::string& path) {
    absl::StatusOr<UniqueFd> fd = OpenOwnedRegularFile(path, kOpenRead);
    if (!fd.ok()) return absl::StrCat("<", fd.status().ToString(), ">");
    std::string out;
    char buf[3];  // smaller than the files: several reads
    for (;;) {
      absl::StatusOr<size_t> n = ReadFileSome(*fd, buf, sizeof(buf), path);
      if (!n.ok()) return absl::StrCat("<", n.status().ToString(), ">");
      if (*n == 0) return out;
      out.append(buf, *n);
    }
  }
  std::string dir_;
};

TEST_F(FileOpsWinTest, OpenCreatesExclusivelyAndTellsMissingFiles) {
  absl::StatusOr<UniqueFd> missing = OpenOwnedRegularFile(Path("x.json"), kOpenRead);
  EXPECT_EQ(ErrorClassOf(missing.status()), kErrNotFound) << missing.status();
  absl::StatusOr<UniqueFd> created = OpenOwnedRegularFile(Path("x.json"), kOpenWrite | kOpenCreate | kOpenExclusive);
  ASSERT_TRUE(created.ok()) << created.status();
  absl::StatusOr<UniqueFd> again = OpenOwnedRegularFile(Path("x.json"), kOpenWrite | kOpenCreate | kOpenExclusive);
  EXPECT_EQ(ErrorClassOf(again.status()), kErrInUse) << again.status();
}

TEST_F(FileOpsWinTest, WritesReadsTruncatesAndStats) {
  Write(Path("a"), "hello world");
  EXPECT_EQ(Read(Path("a")), "hello world");
  absl::StatusOr<UniqueFd> fd = OpenOwnedRegularFile(Path("a"), kOpenRead);
  ASSERT_TRUE(fd.ok());
  absl::StatusOr<FileStatus> open_st = StatOpenFile(*fd, Path("a"));
  absl::StatusOr<FileStatus> path_st = StatPath(Path("a"));
  ASSERT_TRUE(open_st.ok() && path_st.ok());
  EXPECT_EQ(open_st->type, FileStatus::Type::kRegular);
  EXPECT_EQ(open_st->size, 11u);
  EXPECT_EQ(open_st->permissions, 0600u);
  EXPECT_TRUE(open_st->SameFileAs(*path_st));
  EXPECT_GT(open_st->mtime_ns, int64_t{1600000000} * 1000000000) << "write time not since the Unix epoch";
  Write(Path("b"), "other");
  EXPECT_FALSE(open_st->SameFileAs(*StatPath(Path("b"))));
  absl::StatusOr<FileStatus> dir_st = StatLink(dir_);
  ASSERT_TRUE(dir_st.ok());
  EXPECT_EQ(dir_st->type, FileStatus::Type::kDirectory);
  Write(Path("a"), "");  // kOpenTruncate
  EXPECT_EQ(Read(Path("a")), "");
  absl::StatusOr<UniqueFd> writer = OpenOwnedRegularFile(Path("a"), kOpenWrite);
  ASSERT_TRUE(writer.ok());
  EXPECT_TRUE(SyncFile(*writer, Path("a")).ok());
  EXPECT_TRUE(SyncDirectory(dir_).ok());
}

TEST_F(FileOpsWinTest, RefusesADirectoryAsAFile) {
  absl::StatusOr<UniqueFd> fd = OpenOwnedRegularFile(dir_, kOpenRead);
  EXPECT_EQ(ErrorClassOf(fd.status()), kErrPermissionDenied) << fd.status();
  EXPECT_EQ(ErrorClassOf(CheckChannelDirectory(Path("missing"), false)), kErrNotFound);
  Write(Path("f"), "x");
  EXPECT_EQ(ErrorClassOf(CheckChannelDirectory(Path("f"), false)), kErrInvalidArgument);
  EXPECT_EQ(ErrorClassOf(MakePrivateDirs(Path("f"))), kErrInvalidArgument);
  EXPECT_TRUE(CheckChannelDirectory(dir_, false).ok());
}

TEST_F(FileOpsWinTest, ReplaceListAndRemove) {
  Write(Path("target"), "old");
  Write(Path(".target.tmp-1"), "new");
  ASSERT_TRUE(ReplaceByRename(Path(".target.tmp-1"), Path("target")).ok());
  EXPECT_EQ(Read(Path("target")), "new");
  Write(Path("other"), "");
  absl::StatusOr<std::vector<std::string>> names = ListDirectory(dir_);
  ASSERT_TRUE(names.ok()) << names.status();
  std::sort(names->begin(), names->end());
  EXPECT_EQ(*names, (std::vector<std::string>{"other", "target"}));
  ASSERT_TRUE(RemoveFile(Path("other")).ok());
  EXPECT_EQ(ErrorClassOf(RemoveFile(Path("other"))), kErrNotFound);
  EXPECT_EQ(ErrorClassOf(ListDirectory(Path("missing")).status()), kErrNotFound);
}

TEST_F(FileOpsWinTest, LockFileExcludesAnotherHandleUntilClosed) {
  UniqueFd first = *OpenOwnedRegularFile(Path(".lock"), kOpenReadWrite | kOpenCreate);
  UniqueFd second = *OpenOwnedRegularFile(Path(".lock"), kOpenReadWrite | kOpenCreate);
  ASSERT_EQ(*LockFile(first, /*wait=*/false, ".lock"), true);
  EXPECT_EQ(*LockFile(second, /*wait=*/false, ".lock"), false) << "a second handle got the lock";
  // The lock is on kLockFileByte, not on the data: the holder's file stays
  // readable and writable through other handles (Windows locks are mandatory).
  Write(Path(".lock"), "1234\n");
  EXPECT_EQ(Read(Path(".lock")), "1234\n");
  first.reset();  // closing releases it
  EXPECT_EQ(*LockFile(second, /*wait=*/false, ".lock"), true);
}

}  // namespace
}  // namespace ipckit
