// The bridge end to end on every OS it builds for (Linux; Windows under Wine,
// over Winsock): a BridgeServer serving on its own thread, raw HTTP clients
// on the test thread, and a FileChannel backend on the same directory. It
// covers what the Windows port changes: start and stop, the token, Origin
// and Host checks, and requests that read and append channel files, from
// this process and from client processes (bridge_client_peer). The
// POSIX-only tests (misbehaving raw clients, a server in another process
// stopped by a signal, directory modes) are in bridge_test.cc.
#include <cstdlib>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cc/bridge/bridge_server.h"
#include "cc/bridge/test_http_client.h"
#include "cc/file_channel/file_channel.h"
#include "cc/platform/io/child_process.h"
#include "cc/platform/process/process.h"
#include "gtest/gtest.h"

namespace ipckit::bridge {
namespace {

constexpr absl::Duration kBound = absl::Seconds(20);  // for a broken server only
constexpr char kPage[] = "http://127.0.0.1:3000";
constexpr char kClientPeer[] = "cc/bridge/bridge_client_peer";

// A directory no other test uses, under the test's TEST_TMPDIR (a Z: path
// under Wine); the bridge creates it.
std::string FreshDir(absl::string_view what) {
  static int counter = 0;
  const char* tmp = std::getenv("TEST_TMPDIR");
  return absl::StrCat(tmp != nullptr ? tmp : ".", "/bridge_", what, "_",
                      platform::CurrentProcessId(), "_", ++counter);
}

class BridgeLoopbackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = FreshDir("loopback");
    BridgeOptions options;
    options.allow_origins = {kPage};
    auto server = BridgeServer::Start(dir_, options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    serving_ = std::thread([this] { served_ = server_->Serve(); });
  }

  void TearDown() override { StopServer(); }

  void StopServer() {
    if (!server_) return;
    server_->Stop();
    serving_.join();
    EXPECT_TRUE(served_.ok()) << served_;
    server_.reset();
  }

  std::string Host() const { return absl::StrCat("127.0.0.1:", server_->port()); }
  std::string Auth() const { return absl::StrCat("Authorization: Bearer ", server_->token(), "\r\n"); }

  // One request with Host and "Connection: close"; `headers` end in \r\n.
  HttpResult Request(absl::string_view method, absl::string_view target, absl::string_view headers,
                     absl::string_view body = "") {
    std::string raw = absl::StrCat(method, " ", target, " HTTP/1.1\r\nHost: ", Host(),
                                   "\r\nConnection: close\r\n", headers);
    if (!body.empty()) absl::StrAppend(&raw, "Content-Type: application/json\r\nContent-Length: ", body.size(), "\r\n");
    absl::StrAppend(&raw, "\r\n", body);
    return Exchange(server_->port(), raw, kBound);
  }

  static std::string PageRequest(const std::string& id) {
    return PageRequestFile(id, "getData", R"({"from":"page"})");
  }

  std::string dir_;
  std::unique_ptr<BridgeServer> server_;
  std::thread serving_;
  absl::Status served_;
};

TEST_F(BridgeLoopbackTest, ServesInfoAndStopsWhenAsked) {
  EXPECT_TRUE(absl::StartsWith(server_->url(), absl::StrCat("http://127.0.0.1:", server_->port(),
                                                            "/?token=")));
  EXPECT_GE(server_->token().size(), kMinTokenChars);
  HttpResult info = Request("GET", "/v1/info", Auth());
  ASSERT_EQ(info.status, 200) << info.body;
  EXPECT_TRUE(absl::StrContains(info.body, R"("protocol":"ipckit-bridge")")) << info.body;
  EXPECT_TRUE(absl::StrContains(info.body, R"("appendable":["frontend_to_backend.json"])")) << info.body;

  const uint16_t port = server_->port();
  StopServer();  // Serve returned OK (checked there)
  EXPECT_EQ(Exchange(port, "GET /v1/info HTTP/1.1\r\n\r\n", kBound).status, 0)
      << "nothing listens once the server is gone";
}

TEST_F(BridgeLoopbackTest, EveryRequestButAPreflightNeedsTheToken) {
  HttpResult none = Request("GET", "/v1/files/backend_to_frontend.json", "");
  EXPECT_EQ(none.status, 401);
  EXPECT_TRUE(absl::StrContains(none.body, R"("error":"permission_denied")")) << none.body;
  EXPECT_TRUE(absl::StrContains(none.Header("www-authenticate"), "Bearer"));
  std::string wrong = server_->token();
  wrong[0] = wrong[0] == 'a' ? 'b' : 'a';
  EXPECT_EQ(Request("GET", "/v1/info", "Authorization: Bearer " + wrong + "\r\n").status, 401);
  EXPECT_EQ(Request("GET", "/v1/info?token=" + wrong, "").status, 401);
  EXPECT_EQ(Request("GET", "/v1/info?token=" + server_->token(), "").status, 200);

  HttpResult write = Request("POST", "/v1/append/frontend_to_backend.json", "", PageRequest("no-token"));
  EXPECT_EQ(write.status, 401);
  HttpResult preflight = Request("OPTIONS", "/v1/info",
                                 absl::StrCat("Origin: ", kPage,
                                              "\r\nAccess-Control-Request-Method: GET\r\n"
                                              "Access-Control-Request-Headers: authorization\r\n"));
  EXPECT_EQ(preflight.status, 204);
  EXPECT_EQ(preflight.Header("access-control-allow-origin"), kPage);
}

TEST_F(BridgeLoopbackTest, OnlyAllowedOriginsAndTheBridgesOwnHostGetIn) {
  const std::string path = "/v1/append/frontend_to_backend.json";
  HttpResult evil = Request("POST", path, Auth() + "Origin: http://evil.example\r\n", PageRequest("evil"));
  EXPECT_EQ(evil.status, 403);
  EXPECT_EQ(evil.Header("access-control-allow-origin"), "");
  EXPECT_EQ(Request("OPTIONS", path,
                    "Origin: http://evil.example\r\nAccess-Control-Request-Method: POST\r\n")
                .status,
            403);
  HttpResult page = Request("POST", path, Auth() + absl::StrCat("Origin: ", kPage, "\r\n"), PageRequest("page"));
  EXPECT_EQ(page.status, 200) << page.body;
  EXPECT_EQ(page.Header("access-control-allow-origin"), kPage);

  // DNS rebinding: a page whose host name resolves to 127.0.0.1 names
  // itself in Host.
  HttpResult rebound = Exchange(server_->port(),
                                "GET /v1/info HTTP/1.1\r\nHost: attacker.example\r\nConnection: close\r\n" +
                                    Auth() + "\r\n",
                                kBound);
  EXPECT_EQ(rebound.status, 403);

  // Only the allowed page's message reached the channel.
  absl::StatusOr<FileChannel> backend = FileChannel::Backend(dir_);
  ASSERT_TRUE(backend.ok()) << backend.status();
  absl::StatusOr<std::optional<FileMessage>> got = backend->RecvOne(kBound);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->id, "page");
  got = backend->RecvOne(absl::ZeroDuration());
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_FALSE(got->has_value()) << "also received " << (*got)->id;
}

TEST_F(BridgeLoopbackTest, ABackendAndAPageTalkThroughTheBridge) {
  absl::StatusOr<FileChannel> backend = FileChannel::Backend(dir_);
  ASSERT_TRUE(backend.ok()) << backend.status();
  ASSERT_TRUE(backend->SendEvent("ready", R"({"n":1})").ok());
  const std::string file = "/v1/files/backend_to_frontend.json";
  HttpResult first = Request("GET", file, Auth());
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_TRUE(absl::StrContains(first.body, R"("method":"ready")")) << first.body;
  const std::string etag = first.Header("etag");
  ASSERT_FALSE(etag.empty());
  EXPECT_EQ(Request("GET", file, Auth() + "If-None-Match: " + etag + "\r\n").status, 304);

  // A hanging GET for the next version, and a backend write from another
  // thread: whichever comes first, the answer is the new version (held and
  // woken by the directory watch, or at once if the write came first).
  std::thread writer([&] { EXPECT_TRUE(backend->SendEvent("next", R"({"n":2})").ok()); });
  HttpResult next = Request("GET", file, Auth() + "If-None-Match: " + etag + "\r\nPrefer: wait=20\r\n");
  writer.join();
  ASSERT_EQ(next.status, 200) << next.body;
  EXPECT_TRUE(absl::StrContains(next.body, R"("method":"next")")) << next.body;
  EXPECT_NE(next.Header("etag"), etag);

  // The page's request reaches the backend, byte for byte as sent.
  HttpResult append = Request("POST", "/v1/append/frontend_to_backend.json?timeout_ms=5000", Auth(),
                              PageRequest("page-1"));
  ASSERT_EQ(append.status, 200) << append.body;
  EXPECT_EQ(append.body, R"({"appended":1})");
  absl::StatusOr<std::optional<FileMessage>> got = backend->RecvOne(kBound);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->id, "page-1");
  EXPECT_EQ((*got)->payload_json, R"({"from":"page"})");
}

// Two client processes append at once, each over its own connection: the
// backend receives both messages.
TEST_F(BridgeLoopbackTest, ClientsInOtherProcessesAppendAtOnce) {
  std::vector<pid_t> peers;
  for (const char* id : {"peer-a", "peer-b"}) {
    absl::StatusOr<pid_t> pid =
        SpawnChild(kClientPeer, {"append", absl::StrCat(server_->port()), server_->token(), id});
    ASSERT_TRUE(pid.ok()) << pid.status();
    peers.push_back(*pid);
  }
  for (pid_t pid : peers) {
    absl::StatusOr<int> status = WaitChild(pid, kBound);
    ASSERT_TRUE(status.ok()) << status.status();
    EXPECT_TRUE(ExitedWithCode(*status, 0)) << DescribeWaitStatus(*status);
  }
  absl::StatusOr<FileChannel> backend = FileChannel::Backend(dir_);
  ASSERT_TRUE(backend.ok()) << backend.status();
  std::set<std::string> ids;
  for (int i = 0; i < 2; ++i) {
    absl::StatusOr<std::optional<FileMessage>> got = backend->RecvOne(kBound);
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_TRUE(got->has_value());
    EXPECT_EQ((*got)->method, "fromPeer");
    ids.insert((*got)->id);
  }
  EXPECT_EQ(ids, (std::set<std::string>{"peer-a", "peer-b"}));
}

}  // namespace
}  // namespace ipckit::bridge
