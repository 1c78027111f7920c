#include "cc/bridge/http_message.h"

#include <string>

#include "absl/strings/match.h"
#include "cc/base/error.h"
#include "gtest/gtest.h"

namespace ipckit::bridge {
namespace {

TEST(HttpMessageTest, ParsesARequestHead) {
  const std::string head =
      "GET /v1/files/x.json?a=1 HTTP/1.1\r\nHost: 127.0.0.1:80\r\nIf-None-Match:  \"e\" \r\n\r\n";
  ASSERT_EQ(FindHeadEnd(head + "body"), head.size());
  absl::StatusOr<HttpRequest> r = ParseRequestHead(head);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->method, "GET");
  EXPECT_EQ(r->target, "/v1/files/x.json?a=1");
  EXPECT_EQ(r->Header("if-none-match").value_or(""), "\"e\"");
  EXPECT_EQ(r->Header("host").value_or(""), "127.0.0.1:80");
  EXPECT_TRUE(r->KeepAlive());
  EXPECT_EQ(ContentLengthOf(*r).value_or(99), 0u);
}

TEST(HttpMessageTest, IncompleteHeadNeedsMore) {
  EXPECT_EQ(FindHeadEnd("GET / HTTP/1.1\r\nHost: x\r\n"), absl::string_view::npos);
}

TEST(HttpMessageTest, ConnectionRules) {
  EXPECT_FALSE(ParseRequestHead("GET / HTTP/1.1\r\nConnection: close\r\n")->KeepAlive());
  EXPECT_FALSE(ParseRequestHead("GET / HTTP/1.0\r\n")->KeepAlive());
  EXPECT_TRUE(ParseRequestHead("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n")->KeepAlive());
}

TEST(HttpMessageTest, RefusesMalformedHeads) {
  for (const char* bad : {"", "GET /\r\n", "GET / HTTP/2\r\n", "GET  / HTTP/1.1\r\n",
                          "G(T / HTTP/1.1\r\n", "GET / HTTP/1.1\r\nNoColon\r\n",
                          "GET / HTTP/1.1\r\n folded: x\r\n", "GET /\x01 HTTP/1.1\r\n",
                          "GET / HTTP/1.1\r\nX: a\x01z\r\n"}) {
    absl::StatusOr<HttpRequest> r = ParseRequestHead(bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(ErrorClassOf(r.status()), kErrInvalidArgument) << bad;
  }
  std::string many = "GET / HTTP/1.1\r\n";
  for (size_t i = 0; i <= kMaxRequestHeaders; ++i) many += "X: y\r\n";
  EXPECT_EQ(ErrorClassOf(ParseRequestHead(many).status()), kErrTooLarge);
}

TEST(HttpMessageTest, ContentLength) {
  auto length = [](const char* head) { return ContentLengthOf(*ParseRequestHead(head)); };
  EXPECT_EQ(*length("POST / HTTP/1.1\r\nContent-Length: 12\r\n"), 12u);
  EXPECT_EQ(*length("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n"), 5u);
  for (const char* bad : {"POST / HTTP/1.1\r\nContent-Length: -1\r\n",
                          "POST / HTTP/1.1\r\nContent-Length: 1e3\r\n",
                          "POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n",
                          "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n"}) {
    EXPECT_EQ(ErrorClassOf(length(bad).status()), kErrInvalidArgument) << bad;
  }
}

TEST(HttpMessageTest, ComposesResponses) {
  std::string r = ComposeResponse(200, {{"ETag", "\"1\""}}, "{}", true);
  EXPECT_EQ(r, "HTTP/1.1 200 OK\r\nETag: \"1\"\r\nContent-Length: 2\r\n\r\n{}");
  std::string not_modified = ComposeResponse(304, {}, "", false);
  EXPECT_EQ(not_modified, "HTTP/1.1 304 Not Modified\r\nConnection: close\r\n\r\n");
}

}  // namespace
}  // namespace ipckit::bridge
