#include "cc/file_channel/channel_info_format.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "cc/base/error.h"
#include "gtest/gtest.h"

namespace ipckit {
namespace {

TEST(ChannelInfo, ComposeValidates) {
  std::string text = ComposeChannelInfo(1732500000000);
  EXPECT_EQ(text, "{\"version\":\"1.0\",\"protocol\":\"file-ipc\",\"format_version\":2,\"created\":1732500000000}\n");
  EXPECT_TRUE(ValidateChannelInfo(text, "i").ok());
}

TEST(ChannelInfo, ValidationRules) {
  struct Case {
    const char* text;
    const char* error_class;  // "" for OK
  };
  const Case cases[] = {
      {R"({"version":"1.0","protocol":"file-ipc"})", ""},
      {R"({"version":"1.7","protocol":"file-ipc","created":"x","extra":{"a":[1]}})", ""},
      {R"({"version":"1","protocol":"file-ipc","format_version":1})", ""},
      {R"({"version":"2.0","protocol":"file-ipc"})", "unsupported_version"},
      {R"({"version":"10.0","protocol":"file-ipc"})", "unsupported_version"},
      {R"({"version":1.0,"protocol":"file-ipc"})", "unsupported_version"},
      {R"({"protocol":"file-ipc"})", "unsupported_version"},
      {R"({"version":"1.0","protocol":"socket-ipc"})", "unsupported_version"},
      {R"({"version":"1.0"})", "unsupported_version"},
      {R"({"version":"1.0","protocol":"file-ipc","format_version":2})", ""},
      {R"({"version":"1.0","protocol":"file-ipc","format_version":3})", "unsupported_version"},
      {R"({"version":"1.0","protocol":"file-ipc","format_version":"1"})", "corrupt"},
      {R"({"version":"1.0","protocol":"file-ipc","nested":{"protocol":"x"}})", ""},
      {R"(["file-ipc"])", "corrupt"},
      {"", "corrupt"},
      {"{\"version\":\"1.0\",\"proto", "corrupt"},
  };
  for (const Case& c : cases) {
    absl::Status s = ValidateChannelInfo(c.text, "/d/.channel_info");
    EXPECT_EQ(ErrorClassOf(s), c.error_class) << c.text << " => " << s;
    if (!s.ok()) {
      EXPECT_TRUE(absl::StrContains(s.message(), "/d/.channel_info"));
    }
  }
}

TEST(ReadChannelInfo, FormatVersionAndCreated) {
  auto v01 = ReadChannelInfo(R"({"version":"1.0","protocol":"file-ipc","created":7})", "i");
  ASSERT_TRUE(v01.ok()) << v01.status();
  EXPECT_EQ(v01->format_version, 0u);
  EXPECT_EQ(v01->created_ms, 7u);
  auto v2 = ReadChannelInfo(ComposeChannelInfo(9), "i");
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(v2->format_version, 2u);
  EXPECT_EQ(v2->created_ms, 9u);
  EXPECT_FALSE(ReadChannelInfo(R"({"version":"1.0","protocol":"file-ipc","created":"x"})", "i")->created_ms);
}

TEST(RaiseChannelInfo, OlderFormatsRaisedCurrentKeptNewerRefused) {
  // ipckit 0.1.12 writes this (pretty-printed, sorted, no newline at the end).
  const std::string v01 = "{\n  \"created\": 1796353012435,\n  \"protocol\": \"file-ipc\",\n  \"version\": \"1.0\"\n}";
  auto raised = RaiseChannelInfo(v01, 5, "i");
  ASSERT_TRUE(raised.ok()) << raised.status();
  EXPECT_EQ(*raised, ComposeChannelInfo(1796353012435));
  raised = RaiseChannelInfo(R"({"version":"1.3","protocol":"file-ipc","format_version":1})", 5, "i");
  ASSERT_TRUE(raised.ok()) << raised.status();
  EXPECT_EQ(*raised, ComposeChannelInfo(5)) << "no created: the current time";
  raised = RaiseChannelInfo(ComposeChannelInfo(9), 5, "i");
  ASSERT_TRUE(raised.ok()) << raised.status();
  EXPECT_FALSE(raised->has_value());
  auto newer = RaiseChannelInfo(R"({"version":"1.0","protocol":"file-ipc","format_version":3})", 5, "i");
  EXPECT_EQ(ErrorClassOf(newer.status()), "unsupported_version");
  EXPECT_TRUE(absl::StrContains(newer.status().message(), "format_version 3")) << newer.status();
  EXPECT_EQ(ErrorClassOf(RaiseChannelInfo("[]", 5, "i").status()), "corrupt");
}

}  // namespace
}  // namespace ipckit
