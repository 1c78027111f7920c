#include "cc/platform/fs/owned_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "cc/base/error.h"
#include "gtest/gtest.h"

namespace ipckit {
namespace {

constexpr uid_t kNobody = 65534;

class OwnedFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int n = 0;
    dir_ = absl::StrCat("/tmp/ipckit_owned_", ::getpid(), "_", n++);
    ASSERT_EQ(::mkdir(dir_.c_str(), 0700), 0);
  }
  void TearDown() override { ASSERT_EQ(std::system(absl::StrCat("rm -rf '", dir_, "'").c_str()), 0); }
  std::string Path(const char* name) const { return absl::StrCat(dir_, "/", name); }
  void Write(const std::string& path, const std::string& text) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
    ::close(fd);
  }
  std::string dir_;
};

mode_t ModeOf(const std::string& path) {
  struct stat st;
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

TEST_F(OwnedFileTest, OpensOwnRegularFile) {
  Write(Path("f"), "hello");
  auto fd = OpenOwnedRegularFile(Path("f"), kOpenRead);
  ASSERT_TRUE(fd.ok()) << fd.status();
  char buf[8] = {0};
  EXPECT_EQ(::read(fd->get(), buf, sizeof(buf)), 5);
  EXPECT_EQ(::fcntl(fd->get(), F_GETFL) & O_NONBLOCK, 0) << "O_NONBLOCK must be cleared";
  EXPECT_NE(::fcntl(fd->get(), F_GETFD) & FD_CLOEXEC, 0);
}

TEST_F(OwnedFileTest, MissingIsNotFound) {
  auto fd = OpenOwnedRegularFile(Path("nope"), kOpenRead);
  EXPECT_EQ(ErrorClassOf(fd.status()), kErrNotFound) << fd.status();
}

TEST_F(OwnedFileTest, SymlinkIsRefusedAndNotFollowed) {
  Write(Path("secret"), "private");
  ASSERT_EQ(::symlink(Path("secret").c_str(), Path("link").c_str()), 0);
  for (int flags : {kOpenRead, kOpenWrite | kOpenTruncate, kOpenWrite | kOpenCreate}) {
    auto fd = OpenOwnedRegularFile(Path("link"), flags);
    EXPECT_EQ(ErrorClassOf(fd.status()), kErrPermissionDenied) << fd.status();
    EXPECT_NE(fd.status().message().find("symlink"), absl::string_view::npos) << fd.status();
  }
  struct stat st;
  ASSERT_EQ(::stat(Path("secret").c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 7) << "the symlink's target was modified";
}

TEST_F(OwnedFileTest, FifoIsRefusedWithoutBlocking) {
  // No writer and no reader: a blocking open would hang here forever (the
  // test's own timeout is the deadline).
  ASSERT_EQ(::mkfifo(Path("fifo").c_str(), 0600), 0);
  for (int flags : {kOpenRead, kOpenWrite, kOpenReadWrite | kOpenCreate}) {
    auto fd = OpenOwnedRegularFile(Path("fifo"), flags);
    EXPECT_EQ(ErrorClassOf(fd.status()), kErrPermissionDenied) << fd.status();
    EXPECT_NE(fd.status().message().find("FIFO"), absl::string_view::npos) << fd.status();
  }
}

TEST_F(OwnedFileTest, DirectoryAndDeviceAreRefused) {
  ASSERT_EQ(::mkdir(Path("d").c_str(), 0700), 0);
  auto d = OpenOwnedRegularFile(Path("d"), kOpenRead);
  EXPECT_EQ(ErrorClassOf(d.status()), kErrPermissionDenied) << d.status();
  auto dev = OpenOwnedRegularFile("/dev/null", kOpenRead);
  EXPECT_EQ(ErrorClassOf(dev.status()), kErrPermissionDenied) << dev.status();
}

TEST_F(OwnedFileTest, OtherOwnerIsRefusedAndNotTruncated) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to chown a file to another user";
  Write(Path("theirs"), "theirs");
  ASSERT_EQ(::chown(Path("theirs").c_str(), kNobody, kNobody), 0);
  auto fd = OpenOwnedRegularFile(Path("theirs"), kOpenWrite | kOpenTruncate);
  EXPECT_EQ(ErrorClassOf(fd.status()), kErrPermissionDenied) << fd.status();
  EXPECT_NE(fd.status().message().find("uid 65534"), absl::string_view::npos) << fd.status();
  struct stat st;
  ASSERT_EQ(::stat(Path("theirs").c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 6);
}

TEST_F(OwnedFileTest, CreatedFileHasExactModeWhateverTheUmask) {
  mode_t old = ::umask(0);
  auto a = OpenOwnedRegularFile(Path("a"), kOpenWrite | kOpenCreate | kOpenExclusive);
  auto b = OpenOwnedRegularFile(Path("b"), kOpenWrite | kOpenCreate);
  ::umask(0277);  // would leave 0400
  auto c = OpenOwnedRegularFile(Path("c"), kOpenWrite | kOpenCreate);
  ::umask(old);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(ModeOf(Path("a")), 0600u);
  EXPECT_EQ(ModeOf(Path("b")), 0600u);
  EXPECT_EQ(ModeOf(Path("c")), 0600u);
}

TEST_F(OwnedFileTest, ExistingFileKeepsItsModeAndTruncatesWhenAsked) {
  Write(Path("f"), "old");
  ASSERT_EQ(::chmod(Path("f").c_str(), 0640), 0);
  auto fd = OpenOwnedRegularFile(Path("f"), kOpenWrite | kOpenCreate | kOpenTruncate);
  ASSERT_TRUE(fd.ok()) << fd.status();
  EXPECT_EQ(ModeOf(Path("f")), 0640u);
  struct stat st;
  ASSERT_EQ(::fstat(fd->get(), &st), 0);
  EXPECT_EQ(st.st_size, 0);
}

TEST_F(OwnedFileTest, MakePrivateDirsIs0700WhateverTheUmask) {
  mode_t old = ::umask(0);
  std::string deep = Path("x/y/z");
  absl::Status made = MakePrivateDirs(deep);
  ::umask(0277);
  absl::Status made2 = MakePrivateDirs(Path("p/q"));
  ::umask(old);
  ASSERT_TRUE(made.ok()) << made;
  ASSERT_TRUE(made2.ok()) << made2;
  for (const char* d : {"x", "x/y", "x/y/z", "p", "p/q"}) EXPECT_EQ(ModeOf(Path(d)), 0700u) << d;
  EXPECT_TRUE(MakePrivateDirs(deep).ok()) << "existing directories are fine";
  Write(Path("file"), "");
  EXPECT_EQ(ErrorClassOf(MakePrivateDirs(Path("file"))), kErrInvalidArgument);
  EXPECT_EQ(ErrorClassOf(MakePrivateDirs(Path("file/sub"))), kErrInvalidArgument);
}

TEST_F(OwnedFileTest, SharedDirectoryNeedsOptIn) {
  EXPECT_TRUE(CheckChannelDirectory(dir_, false).ok());
  for (mode_t mode : {0770, 0703, 0777 | S_ISVTX}) {
    ASSERT_EQ(::chmod(dir_.c_str(), mode), 0);
    absl::Status refused = CheckChannelDirectory(dir_, false);
    EXPECT_EQ(ErrorClassOf(refused), kErrPermissionDenied) << std::oct << mode << " " << refused;
    EXPECT_NE(refused.message().find("allow_shared_directory"), absl::string_view::npos) << refused;
    EXPECT_TRUE(CheckChannelDirectory(dir_, true).ok()) << std::oct << mode;
  }
  ASSERT_EQ(::chmod(dir_.c_str(), 0700), 0);
  Write(Path("f"), "");
  EXPECT_EQ(ErrorClassOf(CheckChannelDirectory(Path("f"), true)), kErrInvalidArgument);
}

TEST_F(OwnedFileTest, OtherUsersDirectoryNeedsOptIn) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to chown a directory to another user";
  ASSERT_EQ(::mkdir(Path("theirs").c_str(), 0700), 0);
  ASSERT_EQ(::chown(Path("theirs").c_str(), kNobody, kNobody), 0);
  EXPECT_EQ(ErrorClassOf(CheckChannelDirectory(Path("theirs"), false)), kErrPermissionDenied);
  EXPECT_TRUE(CheckChannelDirectory(Path("theirs"), true).ok());
}

}  // namespace
}  // namespace ipckit
