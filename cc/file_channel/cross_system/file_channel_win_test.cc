// FileChannel on Windows, under Wine, in one process: the behaviour the
// Linux file_channel_test checks that does not depend on POSIX files
// (modes, owners, symlinks, fork). Two processes: cross_system_test.sh.
#include <cstdlib>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cc/base/deadline.h"
#include "cc/base/error.h"
#include "cc/file_channel/channel_file.h"
#include "cc/file_channel/file_channel.h"
#include "gtest/gtest.h"

namespace ipckit {
namespace {

class FileChannelWinTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    const char* base = std::getenv("TEST_TMPDIR");
    ASSERT_NE(base, nullptr);
    static int n = 0;  // TEST_TMPDIR is this test binary's own
    dir_ = absl::StrCat(base, "/channel-", n++);
    options_.force_polling = GetParam();
  }
  std::string dir_;
  FileChannelOptions options_;
};

TEST_P(FileChannelWinTest, RequestResponseAndEventsBothWays) {
  absl::StatusOr<FileChannel> backend = FileChannel::Backend(dir_, options_);
  ASSERT_TRUE(backend.ok()) << backend.status();
  absl::StatusOr<FileChannel> frontend = FileChannel::Frontend(dir_, options_);
  ASSERT_TRUE(frontend.ok()) << frontend.status();

  absl::StatusOr<std::string> id = frontend->SendRequest("echo", R"({"text":"hi"})");
  ASSERT_TRUE(id.ok()) << id.status();
  absl::StatusOr<std::optional<FileMessage>> request = backend->RecvOne(absl::Seconds(10));
  ASSERT_TRUE(request.ok() && request->has_value()) << request.status();
  EXPECT_EQ((*request)->type, MessageType::kRequest);
  EXPECT_EQ((*request)->method, "echo");
  ASSERT_TRUE(backend->SendEvent("tick", "1").ok());
  ASSERT_TRUE(backend->SendResponse((*request)->id, (*request)->payload_json).ok());

  absl::StatusOr<FileMessage> response = frontend->WaitResponse(*id, absl::Seconds(10));
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->payload_json, R"({"text":"hi"})");
  absl::StatusOr<std::optional<FileMessage>> event = frontend->RecvOne(absl::Seconds(10));
  ASSERT_TRUE(event.ok() && event->has_value()) << event.status();
  EXPECT_EQ((*event)->method, "tick") << "the event waited behind the response";
}

TEST_P(FileChannelWinTest, AWaiterWakesForAWriteFromAnotherThread) {
  absl::StatusOr<FileChannel> backend = FileChannel::Backend(dir_, options_);
  absl::StatusOr<FileChannel> frontend = FileChannel::Frontend(dir_, options_);
  ASSERT_TRUE(backend.ok() && frontend.ok());
  EXPECT_EQ(ErrorClassOf(frontend->WaitForMessages(absl::Milliseconds(100))), kErrTimeout);
  EXPECT_EQ(frontend->polling(), GetParam()) << "the watch, armed by the wait";
  absl::Status sent;
  std::thread writer([&] { sent = backend->SendEvent("later", "2").status(); });
  absl::StatusOr<std::optional<FileMessage>> event = frontend->RecvOne(absl::Seconds(10));
  writer.join();
  ASSERT_TRUE(sent.ok()) << sent;
  ASSERT_TRUE(event.ok() && event->has_value()) << event.status();
  EXPECT_EQ((*event)->method, "later");
}

TEST_P(FileChannelWinTest, ASendWaitsForTheChannelLockAndClearEmpties) {
  absl::StatusOr<FileChannel> frontend = FileChannel::Frontend(dir_, options_);
  ASSERT_TRUE(frontend.ok()) << frontend.status();
  {
    absl::StatusOr<ChannelLock> held = ChannelLock::Acquire(dir_, Deadline::After(absl::Seconds(5)));
    ASSERT_TRUE(held.ok()) << held.status();
    absl::StatusOr<std::string> blocked = frontend->SendEvent("x", "null", absl::Milliseconds(100));
    EXPECT_EQ(ErrorClassOf(blocked.status()), kErrTimeout) << blocked.status();
  }
  ASSERT_TRUE(frontend->SendEvent("x", "null", absl::Seconds(5)).ok());
  absl::StatusOr<FileChannel> backend = FileChannel::Backend(dir_, options_);
  ASSERT_TRUE(backend.ok());
  absl::Status cleared = frontend->Clear(absl::Seconds(5));
  ASSERT_TRUE(cleared.ok()) << cleared;
  absl::StatusOr<std::vector<FileMessage>> left = backend->Recv();
  ASSERT_TRUE(left.ok()) << left.status();
  EXPECT_TRUE(left->empty()) << left->size() << " messages survived Clear";
}

INSTANTIATE_TEST_SUITE_P(WatchAndPolling, FileChannelWinTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Polling" : "ReadDirectoryChangesW";
                         });

}  // namespace
}  // namespace ipckit
