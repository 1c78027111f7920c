// The AnonymousPipe case that runs on POSIX only: a child that inherited
// the read end drops it and exits, and then no reader is left. Under Wine an
// inherited named-pipe server end keeps the pipe connected after the child
// has exited (a write still succeeds), which real Windows does not; the
// in-process case (anonymous_pipe_test.cc) runs on both.
#include <string>

#include "absl/strings/str_cat.h"
#include "cc/base/error.h"
#include "cc/pipe/anonymous_pipe.h"
#include "cc/platform/io/child_process.h"
#include "cc/platform/pipe/anon_pipe.h"
#include "gtest/gtest.h"

namespace ipckit {
namespace {

constexpr char kPeer[] = "cc/pipe/pipe_peer";

TEST(AnonymousPipeTest, WriteAfterTheChildDroppedTheReaderIsPeerClosedNotSigpipe) {
  absl::StatusOr<AnonymousPipe> pipe = AnonymousPipe::Create();
  ASSERT_TRUE(pipe.ok());
  ASSERT_TRUE(AnonymousPipe::SetInheritable(pipe->reader_fd(), true).ok());
  absl::StatusOr<pid_t> pid = SpawnChild(kPeer, {"drop", absl::StrCat(pipe->reader_fd())});
  ASSERT_TRUE(pid.ok()) << pid.status();
  pipe->CloseReader();
  absl::StatusOr<int> status = WaitChild(*pid, absl::Seconds(20));
  ASSERT_TRUE(status.ok());
  EXPECT_TRUE(ExitedWithCode(*status, 0)) << DescribeWaitStatus(*status);
  // No read end is open anywhere now. Default SIGPIPE would kill this test.
  absl::Status s = pipe->WriteAll("anyone?", absl::Seconds(5));
  EXPECT_EQ(ErrorClassOf(s), "peer_closed") << s;
  EXPECT_NE(s.message().find("write end"), absl::string_view::npos) << s;
  absl::StatusOr<size_t> n = pipe->Write("x");
  EXPECT_EQ(ErrorClassOf(n.status()), "peer_closed");
  EXPECT_FALSE(platform::BrokenPipeSignalPending());
}

}  // namespace
}  // namespace ipckit
