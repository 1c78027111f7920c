#include "cc/platform/io/fd_io.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "absl/time/clock.h"
#include "cc/base/error.h"
#include "gtest/gtest.h"

namespace ipckit {
namespace fd_io {
namespace {

bool SigpipePending() {
  sigset_t pending;
  sigemptyset(&pending);
  sigpending(&pending);
  return sigismember(&pending, SIGPIPE) == 1;
}

TEST(FdIoTest, PipeIsNonBlockingAndCloseOnExec) {
  absl::StatusOr<PipeFds> p = MakePipe();
  ASSERT_TRUE(p.ok()) << p.status();
  for (int fd : {p->reader.get(), p->writer.get()}) {
    EXPECT_TRUE(::fcntl(fd, F_GETFL) & O_NONBLOCK);
    EXPECT_TRUE(::fcntl(fd, F_GETFD) & FD_CLOEXEC);
  }
  EXPECT_TRUE(*AccessModeOf(p->reader.get()) == (AccessMode{/*read=*/true, /*write=*/false}));
  EXPECT_TRUE(*AccessModeOf(p->writer.get()) == (AccessMode{/*read=*/false, /*write=*/true}));
  ASSERT_TRUE(SetCloseOnExec(p->writer.get(), false).ok());
  EXPECT_FALSE(::fcntl(p->writer.get(), F_GETFD) & FD_CLOEXEC);
  ASSERT_TRUE(SetNonBlocking(p->reader.get(), false).ok());
  EXPECT_FALSE(::fcntl(p->reader.get(), F_GETFL) & O_NONBLOCK);
}

TEST(FdIoTest, AccessModeOfClosedFdIsInvalidArgument) {
  absl::StatusOr<PipeFds> p = MakePipe();
  ASSERT_TRUE(p.ok());
  int fd = p->reader.get();
  p->reader.reset();
  EXPECT_EQ(ErrorClassOf(AccessModeOf(fd).status()), "invalid_argument");
}

TEST(FdIoTest, ReadTimesOutAfterDeadline) {
  absl::StatusOr<PipeFds> p = MakePipe();
  ASSERT_TRUE(p.ok());
  char buf[8];
  absl::Time start = absl::Now();
  absl::StatusOr<size_t> n =
      ReadSome(p->reader.get(), absl::MakeSpan(buf), Deadline::After(absl::Milliseconds(100)),
               "test pipe");
  absl::Duration elapsed = absl::Now() - start;
  EXPECT_EQ(ErrorClassOf(n.status()), "timeout");
  EXPECT_NE(n.status().message().find("test pipe"), absl::string_view::npos);
  EXPECT_GE(elapsed, absl::Milliseconds(100));
  EXPECT_LT(elapsed, absl::Milliseconds(2100));
}

TEST(FdIoTest, EofAndExactReads) {
  absl::StatusOr<PipeFds> p = MakePipe();
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(WriteAll(p->writer.get(), FdKind::kPipe, "abcdefg", Deadline::Never(), "w").ok());
  p->writer.reset();
  char buf[5];
  ASSERT_TRUE(ReadExact(p->reader.get(), absl::MakeSpan(buf), Deadline::Never(), "r").ok());
  EXPECT_EQ(std::string(buf, 5), "abcde");
  absl::Status short_read = ReadExact(p->reader.get(), absl::MakeSpan(buf), Deadline::Never(), "r");
  EXPECT_EQ(ErrorClassOf(short_read), "truncated") << short_read;
  EXPECT_NE(short_read.message().find("after 2 of 5"), absl::string_view::npos) << short_read;
  EXPECT_EQ(ErrorClassOf(ReadExact(p->reader.get(), absl::MakeSpan(buf), Deadline::Never(), "r")),
            "peer_closed");
  EXPECT_EQ(*ReadSome(p->reader.get(), absl::MakeSpan(buf), Deadline::Never(), "r"), 0u);
}

TEST(FdIoTest, WriteAllTimesOutWhenPipeIsFullAndReportsProgress) {
  absl::StatusOr<PipeFds> p = MakePipe();
  ASSERT_TRUE(p.ok());
  std::string big(4 << 20, 'x');  // Far more than any pipe buffer.
  absl::Status s = WriteAll(p->writer.get(), FdKind::kPipe, big,
                            Deadline::After(absl::Milliseconds(50)), "full pipe");
  EXPECT_EQ(ErrorClassOf(s), "timeout") << s;
  EXPECT_NE(s.message().find("bytes were written"), absl::string_view::npos) << s;
  absl::StatusOr<size_t> n = WriteSome(p->writer.get(), FdKind::kPipe, "y",
                                       Deadline::After(absl::ZeroDuration()), "full pipe");
  EXPECT_EQ(ErrorClassOf(n.status()), "timeout");
}

TEST(FdIoTest, WriteToClosedPipeIsPeerClosedWithoutSigpipe) {
  absl::StatusOr<PipeFds> p = MakePipe();
  ASSERT_TRUE(p.ok());
  p->reader.reset();
  sigset_t before;
  pthread_sigmask(SIG_SETMASK, nullptr, &before);
  // Without the guard the default SIGPIPE action would end this test binary.
  absl::Status s =
      WriteAll(p->writer.get(), FdKind::kPipe, "data", Deadline::Never(), "lonely pipe");
  EXPECT_EQ(ErrorClassOf(s), "peer_closed") << s;
  EXPECT_NE(s.message().find("lonely pipe"), absl::string_view::npos);
  EXPECT_FALSE(SigpipePending());
  sigset_t after;
  pthread_sigmask(SIG_SETMASK, nullptr, &after);
  EXPECT_EQ(sigismember(&before, SIGPIPE), sigismember(&after, SIGPIPE));
}

TEST(FdIoTest, WriteVAllOnSocketSendsEverythingInOrder) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
  UniqueFd a(sv[0]), b(sv[1]);
  std::string head = "head", body = "-body";
  iovec iov[3] = {{head.data(), head.size()}, {nullptr, 0}, {body.data(), body.size()}};
  size_t written = 0;
  ASSERT_TRUE(WriteVAll(a.get(), FdKind::kSocket, absl::MakeSpan(iov), Deadline::Never(), "sock",
                        &written).ok());
  EXPECT_EQ(written, 9u);
  char buf[9];
  ASSERT_TRUE(ReadExact(b.get(), absl::MakeSpan(buf), Deadline::Never(), "sock").ok());
  EXPECT_EQ(std::string(buf, 9), "head-body");
  b.reset();
  EXPECT_EQ(ErrorClassOf(WriteAll(a.get(), FdKind::kSocket, "x", Deadline::Never(), "sock")),
            "peer_closed");
  EXPECT_FALSE(SigpipePending());
}

}  // namespace
}  // namespace fd_io
}  // namespace ipckit
