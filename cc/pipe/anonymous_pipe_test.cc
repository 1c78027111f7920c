#include "cc/pipe/anonymous_pipe.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cc/base/error.h"
#include "cc/platform/io/child_process.h"
#include "cc/platform/pipe/anon_pipe.h"
#include "gtest/gtest.h"

namespace ipckit {
namespace {

constexpr char kPeer[] = "cc/pipe/pipe_peer";

bool ExitedCleanly(int wait_status) { return ExitedWithCode(wait_status, 0); }

// Reads until EOF (Read returning 0).
absl::StatusOr<std::string> ReadToEof(AnonymousPipe& pipe) {
  std::string data;
  char buf[8192];
  for (;;) {
    absl::StatusOr<size_t> n = pipe.Read(absl::MakeSpan(buf), absl::Seconds(10));
    if (!n.ok()) return n.status();
    if (*n == 0) return data;
    data.append(buf, *n);
  }
}

TEST(AnonymousPipeTest, InProcessRoundTrip) {
  absl::StatusOr<AnonymousPipe> pipe = AnonymousPipe::Create();
  ASSERT_TRUE(pipe.ok()) << pipe.status();
  ASSERT_TRUE(pipe->WriteAll("Hello from parent!").ok());
  char buf[64];
  absl::StatusOr<size_t> n = pipe->Read(absl::MakeSpan(buf));
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(std::string(buf, *n), "Hello from parent!");
}

TEST(AnonymousPipeTest, ExecdChildEchoesOverInheritedFds) {
  absl::StatusOr<AnonymousPipe> to_child = AnonymousPipe::Create();
  absl::StatusOr<AnonymousPipe> from_child = AnonymousPipe::Create();
  ASSERT_TRUE(to_child.ok() && from_child.ok());
  ASSERT_TRUE(AnonymousPipe::SetInheritable(to_child->reader_fd(), true).ok());
  ASSERT_TRUE(AnonymousPipe::SetInheritable(from_child->writer_fd(), true).ok());
  absl::StatusOr<pid_t> pid =
      SpawnChild(kPeer, {"echo", absl::StrCat(to_child->reader_fd()),
                         absl::StrCat(from_child->writer_fd())});
  ASSERT_TRUE(pid.ok()) << pid.status();
  // The child has its copies; ours would keep both pipes from reaching EOF.
  to_child->CloseReader();
  from_child->CloseWriter();

  // Bigger than a pipe buffer, so writes wait for the child to drain.
  std::string message(300 * 1024, '\0');
  for (size_t i = 0; i < message.size(); ++i) message[i] = static_cast<char>('a' + i % 26);
  ASSERT_TRUE(to_child->WriteAll(message, absl::Seconds(10)).ok());
  to_child->CloseWriter();  // The child's read loop ends only on this EOF.

  absl::StatusOr<std::string> echoed = ReadToEof(*from_child);
  ASSERT_TRUE(echoed.ok()) << echoed.status();
  EXPECT_EQ(*echoed, "echo:" + message);
  absl::StatusOr<int> status = WaitChild(*pid, absl::Seconds(20));
  ASSERT_TRUE(status.ok());
  EXPECT_TRUE(ExitedCleanly(*status)) << DescribeWaitStatus(*status);
}

TEST(AnonymousPipeTest, ReadSeesEofOnceTheChildsWriterIsClosed) {
  absl::StatusOr<AnonymousPipe> pipe = AnonymousPipe::Create();
  ASSERT_TRUE(pipe.ok());
  ASSERT_TRUE(AnonymousPipe::SetInheritable(pipe->writer_fd(), true).ok());
  absl::StatusOr<pid_t> pid =
      SpawnChild(kPeer, {"write", absl::StrCat(pipe->writer_fd()), "hello"});
  ASSERT_TRUE(pid.ok());
  pipe->CloseWriter();
  absl::StatusOr<std::string> data = ReadToEof(*pipe);
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(*data, "hello");
  char buf[4];
  EXPECT_EQ(*pipe->Read(absl::MakeSpan(buf), absl::ZeroDuration()), 0u);  // EOF stays EOF.
  absl::StatusOr<int> status = WaitChild(*pid, absl::Seconds(20));
  ASSERT_TRUE(status.ok());
  EXPECT_TRUE(ExitedCleanly(*status)) << DescribeWaitStatus(*status);
}

TEST(AnonymousPipeTest, ReadExactAfterPartialDataIsTruncated) {
  absl::StatusOr<AnonymousPipe> pipe = AnonymousPipe::Create();
  ASSERT_TRUE(pipe.ok());
  ASSERT_TRUE(AnonymousPipe::SetInheritable(pipe->writer_fd(), true).ok());
  absl::StatusOr<pid_t> pid =
      SpawnChild(kPeer, {"partial", absl::StrCat(pipe->writer_fd()), "abc"});
  ASSERT_TRUE(pid.ok());
  pipe->CloseWriter();
  char buf[10];
  absl::Status s = pipe->ReadExact(absl::MakeSpan(buf), absl::Seconds(10));
  EXPECT_EQ(ErrorClassOf(s), "truncated") << s;
  EXPECT_NE(s.message().find("after 3 of 10"), absl::string_view::npos) << s;
  EXPECT_EQ(ErrorClassOf(pipe->ReadExact(absl::MakeSpan(buf), absl::Seconds(10))), "peer_closed");
  absl::StatusOr<int> status = WaitChild(*pid, absl::Seconds(20));
  ASSERT_TRUE(status.ok());
}

TEST(AnonymousPipeTest, WriteAfterTheReaderIsClosedHereIsPeerClosed) {
  absl::StatusOr<AnonymousPipe> pipe = AnonymousPipe::Create();
  ASSERT_TRUE(pipe.ok());
  pipe->CloseReader();
  absl::Status s = pipe->WriteAll("anyone?", absl::Seconds(5));
  EXPECT_EQ(ErrorClassOf(s), "peer_closed") << s;
}

TEST(AnonymousPipeTest, ReadTimeoutIsHonoured) {
  absl::StatusOr<AnonymousPipe> pipe = AnonymousPipe::Create();
  ASSERT_TRUE(pipe.ok());
  char buf[16];
  absl::Time start = absl::Now();
  absl::StatusOr<size_t> n = pipe->Read(absl::MakeSpan(buf), absl::Milliseconds(200));
  absl::Duration elapsed = absl::Now() - start;
  EXPECT_EQ(ErrorClassOf(n.status()), "timeout") << n.status();
  EXPECT_GE(elapsed, absl::Milliseconds(200));
  EXPECT_LT(elapsed, absl::Milliseconds(2200));
}

TEST(AnonymousPipeTest, ClosedAndTakenEndsAreReported) {
  absl::StatusOr<AnonymousPipe> pipe = AnonymousPipe::Create();
  ASSERT_TRUE(pipe.ok());
  platform::AnonPipeEnd reader = pipe->TakeReader();
  EXPECT_TRUE(reader.valid());
  EXPECT_EQ(pipe->reader_fd(), -1);
  char buf[1];
  EXPECT_EQ(ErrorClassOf(pipe->Read(absl::MakeSpan(buf)).status()), "closed");
  pipe->CloseWriter();
  EXPECT_EQ(ErrorClassOf(pipe->WriteAll("x")), "closed");
  EXPECT_EQ(pipe->writer_fd(), -1);
}

TEST(AnonymousPipeTest, FromFdsValidatesBeforeAdopting) {
  absl::StatusOr<AnonymousPipe> pipe = AnonymousPipe::Create();
  ASSERT_TRUE(pipe.ok());
  int r = pipe->reader_fd(), w = pipe->writer_fd();
  // Swapped ends, a closed fd, the same fd twice.
  EXPECT_EQ(ErrorClassOf(AnonymousPipe::FromFds(w, -1).status()), "invalid_argument");
  EXPECT_EQ(ErrorClassOf(AnonymousPipe::FromFds(-1, r).status()), "invalid_argument");
  EXPECT_EQ(ErrorClassOf(AnonymousPipe::FromFds(r, r).status()), "invalid_argument");
  EXPECT_EQ(ErrorClassOf(AnonymousPipe::FromFds(987, -1).status()), "invalid_argument");
  // The failed calls left the descriptors open and ours.
  EXPECT_TRUE(platform::IsAnonPipeInheritable(r).ok());
  EXPECT_TRUE(platform::IsAnonPipeInheritable(w).ok());
  // Adopting clears inheritability again.
  platform::AnonPipeEnd reader = pipe->TakeReader(), writer = pipe->TakeWriter();
  const int rn = reader.release(), wn = writer.release();
  ASSERT_TRUE(AnonymousPipe::SetInheritable(wn, true).ok());
  EXPECT_TRUE(*platform::IsAnonPipeInheritable(wn));
  absl::StatusOr<AnonymousPipe> adopted = AnonymousPipe::FromFds(rn, wn);
  ASSERT_TRUE(adopted.ok()) << adopted.status();
  EXPECT_FALSE(*platform::IsAnonPipeInheritable(wn));
  ASSERT_TRUE(adopted->WriteAll("ok").ok());
  char buf[2];
  ASSERT_TRUE(adopted->ReadExact(absl::MakeSpan(buf), absl::Seconds(1)).ok());
  EXPECT_EQ(std::string(buf, 2), "ok");
}

}  // namespace
}  // namespace ipckit
