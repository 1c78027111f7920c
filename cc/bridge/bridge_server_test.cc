// BridgeServer in this process with an injected clock: the connection
// deadlines are tested by moving time, not by waiting for it.
#include "cc/bridge/bridge_server.h"

#include <atomic>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cc/bridge/test_http_client.h"
#include "cc/platform/process/process.h"
#include "gtest/gtest.h"

namespace ipckit::bridge {
namespace {

int Connect(uint16_t port) { return ConnectLoopback(port); }

std::string ReadToEnd(int fd) { return ReadUntilClosed(fd, absl::Seconds(20)); }

class FakeClockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat("/tmp/ipckit_bridge_server_test_", platform::CurrentProcessId());
    BridgeOptions options;
    options.require_token = false;
    options.head_timeout = absl::Seconds(10);
    options.clock = [this] { return absl::FromUnixNanos(now_ns_.load()); };
    auto server = BridgeServer::Start(dir_, options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    serving_ = std::thread([this] {
      while (!server_->stopped()) (void)server_->Serve();
    });
  }

  void TearDown() override {
    if (server_) server_->Stop();
    if (serving_.joinable()) serving_.join();
    server_.reset();
    std::string cmd = "rm -rf '" + dir_ + "'";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
  }

  void Advance(absl::Duration d) { now_ns_ += absl::ToInt64Nanoseconds(d); }
  std::string Head() const {
    return absl::StrCat("GET /v1/info HTTP/1.1\r\nHost: 127.0.0.1:", server_->port(),
                        "\r\nConnection: close\r\n\r\n");
  }

  std::string dir_;
  std::atomic<int64_t> now_ns_{absl::ToUnixNanos(absl::FromUnixSeconds(1700000000))};
  std::unique_ptr<BridgeServer> server_;
  std::thread serving_;
};

TEST_F(FakeClockTest, HeadDeadlineCountsFromTheConnectionStartNotTheLastByte) {
  const std::string head = Head();
  int late = Connect(server_->port());
  int timely = Connect(server_->port());
  ASSERT_GE(late, 0);
  ASSERT_GE(timely, 0);
  ASSERT_TRUE(SendAll(late, head.substr(0, 1)));
  ASSERT_TRUE(SendAll(timely, head.substr(0, 1)));
  // Accepted at the start: a request on a later connection is answered only
  // after the server accepted every connection queued before it.
  int sync = Connect(server_->port());
  ASSERT_TRUE(SendAll(sync, head));
  ASSERT_TRUE(absl::StartsWith(ReadToEnd(sync), "HTTP/1.1 200"));
  CloseConnection(sync);
  // A byte every 6 s would keep an idle timer of 10 s from ever firing.
  Advance(absl::Seconds(6));
  ASSERT_TRUE(SendAll(late, head.substr(1, 1)));
  ASSERT_TRUE(SendAll(timely, head.substr(1, 1)));
  Advance(absl::Milliseconds(3900));  // 9.9 s after the start
  ASSERT_TRUE(SendAll(timely, head.substr(2)));
  EXPECT_TRUE(absl::StartsWith(ReadToEnd(timely), "HTTP/1.1 200")) << "complete in time: answered";
  Advance(absl::Seconds(1));  // 10.9 s
  ASSERT_TRUE(SendAll(late, head.substr(2)));
  EXPECT_EQ(ReadToEnd(late), "") << "complete too late: closed unanswered";
  CloseConnection(late);
  CloseConnection(timely);
  // A new connection has its own 10 s.
  int fresh = Connect(server_->port());
  ASSERT_TRUE(SendAll(fresh, head));
  EXPECT_TRUE(absl::StartsWith(ReadToEnd(fresh), "HTTP/1.1 200"));
  CloseConnection(fresh);
}

TEST_F(FakeClockTest, AppendsRunOnTheWorkerAndAnswerThroughTheLoop) {
  const std::string body =
      R"([{"id":"w-1","timestamp":1,"type":"event","method":"m","payload":null,"seq":1,"sender":"t"}])";
  for (int i = 0; i < 3; ++i) {
    int fd = Connect(server_->port());
    ASSERT_TRUE(SendAll(fd, absl::StrCat("POST /v1/append/frontend_to_backend.json HTTP/1.1\r\n"
                                         "Host: 127.0.0.1:", server_->port(),
                                         "\r\nConnection: close\r\nContent-Type: application/json\r\n"
                                         "Content-Length: ", body.size(), "\r\n\r\n", body)));
    const std::string response = ReadToEnd(fd);
    CloseConnection(fd);
    EXPECT_TRUE(absl::StartsWith(response, "HTTP/1.1 200")) << response;
    EXPECT_TRUE(absl::StrContains(response, R"({"appended":1})")) << response;
  }
}

}  // namespace
}  // namespace ipckit::bridge
