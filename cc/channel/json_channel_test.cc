#include "cc/channel/json_channel.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "cc/base/error.h"
#include "cc/json/json.h"
#include "cc/platform/io/child_process.h"
#include "cc/platform/process/process.h"
#include "gtest/gtest.h"

namespace ipckit {
namespace {

constexpr char kPeer[] = "cc/channel/channel_peer";

TEST(JsonChannelTest, JsonRoundTripsThroughAnEchoingProcess) {
  std::string name = absl::StrCat("ipckit-jch-", platform::CurrentProcessId());
  absl::StatusOr<IpcChannel> server = IpcChannel::Create(name);
  ASSERT_TRUE(server.ok()) << server.status();
  absl::StatusOr<pid_t> pid = SpawnChild(kPeer, {"echo", name});
  ASSERT_TRUE(pid.ok()) << pid.status();
  ASSERT_TRUE(server->WaitForClient(absl::Seconds(10)).ok());

  absl::StatusOr<rapidjson::Document> doc =
      json::Loads(R"({"type":"greeting","message":"h\u00e9llo \u2713","n":[1,2.5,-3]})");
  ASSERT_TRUE(doc.ok()) << doc.status();
  ASSERT_TRUE(SendJson(*server, *doc, absl::Seconds(10)).ok());
  absl::StatusOr<rapidjson::Document> back = RecvJson(*server, absl::Seconds(10));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(*back == *doc);
  EXPECT_STREQ((*back)["message"].GetString(), "h\xc3\xa9llo \xe2\x9c\x93");

  // The wire form is the compact UTF-8 text, one value per frame.
  ASSERT_TRUE(SendJson(*server, *doc).ok());
  absl::StatusOr<std::string> raw = server->Recv(absl::Seconds(10));
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(*raw, *json::Dumps(*doc));

  // A frame that is not JSON is invalid_argument, and only that frame is lost.
  ASSERT_TRUE(server->Send("{not json").ok());
  absl::StatusOr<rapidjson::Document> bad = RecvJson(*server, absl::Seconds(10));
  EXPECT_EQ(ErrorClassOf(bad.status()), "invalid_argument") << bad.status();
  EXPECT_NE(bad.status().message().find(server->path()), absl::string_view::npos);
  ASSERT_TRUE(SendJson(*server, *doc).ok());
  EXPECT_TRUE(RecvJson(*server, absl::Seconds(10)).ok());

  server->Disconnect();
  absl::StatusOr<int> status = WaitChild(*pid, absl::Seconds(20));
  ASSERT_TRUE(status.ok());
  EXPECT_TRUE(ExitedWithCode(*status, 0)) << DescribeWaitStatus(*status);
}

TEST(JsonChannelTest, OversizedJsonIsTooLargeOnSend) {
  std::string name = absl::StrCat("ipckit-jch-big-", platform::CurrentProcessId());
  ChannelOptions options;
  options.max_payload = 8;
  absl::StatusOr<IpcChannel> server = IpcChannel::Create(name, options);
  ASSERT_TRUE(server.ok());
  absl::StatusOr<IpcChannel> client = IpcChannel::Connect(name, absl::Seconds(5), options);
  ASSERT_TRUE(client.ok());
  absl::StatusOr<rapidjson::Document> doc = json::Loads(R"({"key":"longer than eight"})");
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(ErrorClassOf(SendJson(*client, *doc)), "too_large");
}

}  // namespace
}  // namespace ipckit
