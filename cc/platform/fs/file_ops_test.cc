#include "cc/platform/fs/file_ops.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "cc/base/error.h"
#include "cc/platform/fs/owned_file.h"
#include "gtest/gtest.h"

namespace ipckit {
namespace {

class FileOpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int n = 0;
    dir_ = absl::StrCat("/tmp/ipckit_file_ops_", ::getpid(), "_", n++);
    ASSERT_TRUE(MakePrivateDirs(dir_).ok());
  }
  void TearDown() override { ASSERT_EQ(std::system(absl::StrCat("rm -rf '", dir_, "'").c_str()), 0); }
  std::string Path(const char* name) const { return absl::StrCat(dir_, "/", name); }
  UniqueFd Create(const std::string& path, const std::string& text) {
    absl::StatusOr<UniqueFd> fd = OpenOwnedRegularFile(path, kOpenWrite | kOpenCreate | kOpenTruncate);
    EXPECT_TRUE(fd.ok()) << fd.status();
    EXPECT_TRUE(WriteFileAll(*fd, text, path).ok());
    return std::move(*fd);
  }
  std::string ReadAll(const std::string& path) {
    absl::StatusOr<UniqueFd> fd = OpenOwnedRegularFile(path, kOpenRead);
    EXPECT_TRUE(fd.ok()) << fd.status();
    std::string out;
    char buf[3];  // smaller than the files: several reads
    for (;;) {
      absl::StatusOr<size_t> n = ReadFileSome(*fd, buf, sizeof(buf), path);
      EXPECT_TRUE(n.ok()) << n.status();
      if (!n.ok() || *n == 0) return out;
      out.append(buf, *n);
    }
  }
  std::string dir_;
};

TEST_F(FileOpsTest, StatTellsTypeSizeOwnerAndIdentity) {
  UniqueFd fd = Create(Path("f"), "hello");
  absl::StatusOr<FileStatus> open = StatOpenFile(fd, Path("f"));
  absl::StatusOr<FileStatus> by_path = StatPath(Path("f"));
  ASSERT_TRUE(open.ok() && by_path.ok());
  EXPECT_EQ(open->type, FileStatus::Type::kRegular);
  EXPECT_EQ(open->size, 5u);
  EXPECT_EQ(open->permissions, 0600u);
  EXPECT_EQ(open->owner, static_cast<uint32_t>(::geteuid()));
  EXPECT_GT(open->mtime_ns, 0);
  EXPECT_TRUE(open->SameFileAs(*by_path));
  absl::StatusOr<FileStatus> dir = StatPath(dir_);
  ASSERT_TRUE(dir.ok());
  EXPECT_EQ(dir->type, FileStatus::Type::kDirectory);
  EXPECT_FALSE(dir->SameFileAs(*open));
  EXPECT_EQ(ErrorClassOf(StatPath(Path("missing")).status()), kErrNotFound);
}

TEST_F(FileOpsTest, StatLinkDoesNotFollow) {
  Create(Path("target"), "x");
  ASSERT_EQ(::symlink(Path("target").c_str(), Path("link").c_str()), 0);
  absl::StatusOr<FileStatus> link = StatLink(Path("link"));
  absl::StatusOr<FileStatus> followed = StatPath(Path("link"));
  ASSERT_TRUE(link.ok() && followed.ok());
  EXPECT_EQ(link->type, FileStatus::Type::kSymlink);
  EXPECT_EQ(followed->type, FileStatus::Type::kRegular);
}

TEST_F(FileOpsTest, ReplaceByRenameSwapsTheFileWhole) {
  Create(Path("target"), "old");
  UniqueFd reader = *OpenOwnedRegularFile(Path("target"), kOpenRead);
  absl::StatusOr<FileStatus> before = StatPath(Path("target"));
  Create(Path("tmp"), "new text");
  ASSERT_TRUE(ReplaceByRename(Path("tmp"), Path("target")).ok());
  EXPECT_EQ(ReadAll(Path("target")), "new text");
  EXPECT_EQ(ErrorClassOf(StatPath(Path("tmp")).status()), kErrNotFound);
  EXPECT_FALSE(StatPath(Path("target"))->SameFileAs(*before));
  // A reader that opened the old file keeps reading the old file.
  char buf[8];
  EXPECT_EQ(*ReadFileSome(reader, buf, sizeof(buf), "old"), 3u);
  EXPECT_EQ(std::string(buf, 3), "old");
  EXPECT_EQ(ErrorClassOf(ReplaceByRename(Path("gone"), Path("target"))), kErrNotFound);
}

TEST_F(FileOpsTest, RemoveFileAndSync) {
  UniqueFd fd = Create(Path("f"), "data");
  EXPECT_TRUE(SyncFile(fd, Path("f")).ok());
  EXPECT_TRUE(SyncDirectory(dir_).ok());
  EXPECT_TRUE(RemoveFile(Path("f")).ok());
  EXPECT_EQ(ErrorClassOf(RemoveFile(Path("f"))), kErrNotFound);
  EXPECT_EQ(ErrorClassOf(SyncDirectory(Path("nope"))), kErrNotFound);
}

TEST_F(FileOpsTest, ListDirectoryNamesEveryEntryButDots) {
  Create(Path("a"), "");
  Create(Path(".hidden"), "");
  ASSERT_TRUE(MakePrivateDirs(Path("sub")).ok());
  absl::StatusOr<std::vector<std::string>> names = ListDirectory(dir_);
  ASSERT_TRUE(names.ok()) << names.status();
  std::sort(names->begin(), names->end());
  EXPECT_EQ(*names, (std::vector<std::string>{".hidden", "a", "sub"}));
  EXPECT_EQ(ErrorClassOf(ListDirectory(Path("nope")).status()), kErrNotFound);
}

TEST_F(FileOpsTest, LockFileExcludesAnotherDescriptorUntilClosed) {
  Create(Path("lock"), "");
  UniqueFd first = *OpenOwnedRegularFile(Path("lock"), kOpenRead);
  UniqueFd second = *OpenOwnedRegularFile(Path("lock"), kOpenRead);
  ASSERT_EQ(*LockFile(first, /*wait=*/false, "lock"), true);
  EXPECT_EQ(*LockFile(second, /*wait=*/false, "lock"), false) << "a second open file description got the lock";
  first.reset();  // closing releases it
  EXPECT_EQ(*LockFile(second, /*wait=*/false, "lock"), true);
  EXPECT_EQ(*LockFile(second, /*wait=*/true, "lock"), true) << "re-locking a held lock must not block";
}

#if defined(F_OFD_SETLK)
// A Windows process under Wine locks with LockFileEx, which Wine carries out
// as a POSIX record lock in the wineserver; flock alone would not
// see it (spec/windows.md, "Across Wine and Linux"). Record locks of one
// process do not conflict with each other, so the stand-in for Wine here is a
// record lock and the check is LockFile's OFD lock, which conflicts with it.
TEST_F(FileOpsTest, LockFileExcludesARecordLockOnItsByteBothWays) {
  Create(Path("lock"), "");
  UniqueFd wine = *OpenOwnedRegularFile(Path("lock"), kOpenReadWrite);
  UniqueFd ours = *OpenOwnedRegularFile(Path("lock"), kOpenReadWrite);
  struct flock range = {};
  range.l_type = F_WRLCK;
  range.l_whence = SEEK_SET;
  range.l_start = static_cast<off_t>(kLockFileByte);
  range.l_len = 1;
  ASSERT_EQ(::fcntl(wine.get(), F_SETLK, &range), 0);
  EXPECT_EQ(*LockFile(ours, /*wait=*/false, "lock"), false) << "granted beside a record lock on its byte";
  // Refused as a whole: the flock taken first was let go.
  UniqueFd third = *OpenOwnedRegularFile(Path("lock"), kOpenRead);
  EXPECT_EQ(::flock(third.get(), LOCK_EX | LOCK_NB), 0) << "a refused LockFile kept its flock";
  ::flock(third.get(), LOCK_UN);

  range.l_type = F_UNLCK;
  ASSERT_EQ(::fcntl(wine.get(), F_SETLK, &range), 0);
  ASSERT_EQ(*LockFile(ours, /*wait=*/false, "lock"), true);
  range.l_type = F_WRLCK;
  EXPECT_EQ(::fcntl(wine.get(), F_SETLK, &range), -1) << "Wine's record lock was granted while LockFile held";
}
#endif

}  // namespace
}  // namespace ipckit
