// BridgeServer in this process with an injected clock: the connection
// deadlines are tested by moving time, not by waiting for it.
#include "cc/bridge/bridge_server.h"

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "cc/bridge/splice.h"
#include "absl/strings/escaping.h"
#include "cc/bridge/bridge_handler.h"
#include "cc/bridge/test_http_client.h"
#include "cc/platform/process/process.h"
#include "cc/testing/vector_files.h"
#include "gtest/gtest.h"

namespace ipckit::bridge {
namespace {

int Connect(uint16_t port) { return ConnectLoopback(port); }

std::string ReadToEnd(int fd) { return ReadUntilClosed(fd, absl::Seconds(20)); }

using Event = SseEvent;
using Stream = EventStream;

// A BridgeServer serving on its own thread until destroyed.
class ServedBridge {
 public:
  absl::Status Start(const std::string& dir, const BridgeOptions& options) {
    auto server = BridgeServer::Start(dir, options);
    if (!server.ok()) return server.status();
    server_ = std::move(*server);
    serving_ = std::thread([this] {
      while (!server_->stopped()) (void)server_->Serve();
    });
    return absl::OkStatus();
  }
  ~ServedBridge() {
    if (server_) server_->Stop();
    if (serving_.joinable()) serving_.join();
  }
  uint16_t port() const { return server_->port(); }
  const std::string& token() const { return server_->token(); }

 private:
  std::unique_ptr<BridgeServer> server_;
  std::thread serving_;
};

class FakeClockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat("/tmp/ipckit_bridge_server_test_", platform::CurrentProcessId());
    BridgeOptions options;
    options.require_token = false;
    options.head_timeout = absl::Seconds(10);
    options.allow_backend_writes = true;
    options.max_streams = 2;
    options.clock = [this] { return absl::FromUnixNanos(now_ns_.load()); };
    server_ = std::make_unique<ServedBridge>();
    absl::Status started = server_->Start(dir_, options);
    ASSERT_TRUE(started.ok()) << started;
  }

  void TearDown() override {
    server_.reset();
    std::string cmd = "rm -rf '" + dir_ + "'";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
  }

  void Advance(absl::Duration d) { now_ns_ += absl::ToInt64Nanoseconds(d); }

  // A request answered once the server has run its loop since anything the
  // test did before it (the loop handles a connection's close or a moved
  // clock before it accepts a new connection).
  void Sync() {
    auto fd = Connect(server_->port());
    ASSERT_TRUE(SendAll(fd, Head()));
    ASSERT_TRUE(absl::StartsWith(ReadToEnd(fd), "HTTP/1.1 200"));
    CloseConnection(fd);
  }

  std::string Post(const std::string& body) {
    auto fd = Connect(server_->port());
    EXPECT_TRUE(SendAll(fd, absl::StrCat("POST /v1/append/backend_to_frontend.json HTTP/1.1\r\n"
                                         "Host: 127.0.0.1:", server_->port(),
                                         "\r\nConnection: close\r\nContent-Type: application/json\r\n"
                                         "Content-Length: ", body.size(), "\r\n\r\n", body)));
    std::string response = ReadToEnd(fd);
    CloseConnection(fd);
    return response;
  }

  std::string OnDisk() const {
    std::ifstream in(dir_ + "/backend_to_frontend.json", std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  std::string Head() const {
    return absl::StrCat("GET /v1/info HTTP/1.1\r\nHost: 127.0.0.1:", server_->port(),
                        "\r\nConnection: close\r\n\r\n");
  }

  std::string dir_;
  std::atomic<int64_t> now_ns_{absl::ToUnixNanos(absl::FromUnixSeconds(1700000000))};
  std::unique_ptr<ServedBridge> server_;
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

// One channel file holding a message whose payload is `pad` bytes.
std::string MessageFile(const std::string& id, size_t pad, absl::string_view between = "") {
  return absl::StrCat(R"([{"id":")", id, R"(","timestamp":1,"type":"event",)", between,
                      R"("method":"m","payload":")", std::string(pad, 'x'), R"(","seq":1,"sender":"t"}])");
}

Stream OpenStream(uint16_t port, const std::string& extra_headers = "") {
  return OpenEventStream(port, "/v1/stream/backend_to_frontend.json", extra_headers);
}

// The file a "file" or "splice" event carries, given the client's copy.
std::string Rebuild(const Event& e, const std::string& have) {
  if (e.type == "file") {
    EXPECT_EQ(e.header, absl::StrCat(e.body.size()));
    return e.body;
  }
  EXPECT_EQ(e.type, "splice");
  std::vector<std::string> f = absl::StrSplit(e.header, absl::MaxSplits(' ', 4));
  Splice splice;
  size_t length = 0;
  EXPECT_EQ(f.size(), 5u);
  EXPECT_TRUE(absl::SimpleAtoi(f[0], &splice.at) && absl::SimpleAtoi(f[1], &splice.from) &&
              absl::SimpleAtoi(f[2], &splice.to) && absl::SimpleAtoi(f[3], &length));
  EXPECT_EQ(length, e.body.size());
  splice.body = e.body;
  absl::StatusOr<std::string> rebuilt = ApplySplice(have, splice);
  EXPECT_TRUE(rebuilt.ok()) << rebuilt.status();
  return rebuilt.value_or("");
}

TEST_F(FakeClockTest, AStreamSendsTheFileThenEachChangeAsASplice) {
  Stream s = OpenStream(server_->port());
  ASSERT_TRUE(absl::StartsWith(s.head, "HTTP/1.1 200")) << s.head;
  EXPECT_TRUE(absl::StrContains(s.head, "Content-Type: text/event-stream")) << s.head;
  EXPECT_FALSE(absl::StrContains(s.head, "Content-Length")) << s.head;
  Event first = s.NextEvent();
  EXPECT_EQ(first.type, "file");
  EXPECT_EQ(first.id, "\"missing\"");
  EXPECT_EQ(first.body, "");

  ASSERT_TRUE(absl::StrContains(Post(MessageFile("m-1", 1000)), R"({"appended":1})"));
  Event second = s.NextEvent();
  EXPECT_EQ(second.type, "file") << "no base worth splicing against";
  std::string have = Rebuild(second, "");
  EXPECT_EQ(have, OnDisk());

  ASSERT_TRUE(absl::StrContains(Post(MessageFile("m-2", 10)), R"({"appended":1})"));
  Event third = s.NextEvent();
  EXPECT_EQ(third.type, "splice");
  EXPECT_TRUE(absl::EndsWith(third.header, second.id)) << "against the version the client holds";
  EXPECT_LT(third.body.size(), 200u) << "only what changed";
  have = Rebuild(third, have);
  EXPECT_EQ(have, OnDisk());
  EXPECT_TRUE(absl::StrContains(have, "m-1") && absl::StrContains(have, "m-2"));
  CloseConnection(s.fd);
}

TEST_F(FakeClockTest, AReconnectWithLastEventIdGetsWhatChangedMeanwhile) {
  Stream s = OpenStream(server_->port());
  (void)s.NextEvent();
  ASSERT_TRUE(absl::StrContains(Post(MessageFile("m-1", 1000)), R"({"appended":1})"));
  Event held = s.NextEvent();
  const std::string have = Rebuild(held, "");
  CloseConnection(s.fd);
  Sync();  // its slot is free (two streams at most here)

  // Written while no stream is open.
  ASSERT_TRUE(absl::StrContains(Post(MessageFile("m-2", 10)), R"({"appended":1})"));
  ASSERT_TRUE(absl::StrContains(Post(MessageFile("m-3", 10)), R"({"appended":1})"));
  Stream again = OpenStream(server_->port(), absl::StrCat("Last-Event-ID: ", held.id, "\r\n"));
  Event caught_up = again.NextEvent();
  EXPECT_EQ(caught_up.type, "splice");
  const std::string now = Rebuild(caught_up, have);
  EXPECT_EQ(now, OnDisk());
  for (const char* id : {"m-1", "m-2", "m-3"}) EXPECT_TRUE(absl::StrContains(now, id)) << id;
  CloseConnection(again.fd);
  Sync();

  // Already up to date: nothing but heartbeats until the file changes.
  Stream current = OpenStream(server_->port(), absl::StrCat("Last-Event-ID: ", caught_up.id, "\r\n"));
  Sync();  // the server has set the stream's heartbeat time (after sending its head)
  Advance(absl::Seconds(16));
  Sync();
  EXPECT_EQ(current.NextBlock(), ":\n\n");
  CloseConnection(current.fd);
}

TEST_F(FakeClockTest, AFileWithACarriageReturnIsAnnouncedForAGet) {
  Stream s = OpenStream(server_->port());
  (void)s.NextEvent();
  ASSERT_TRUE(absl::StrContains(Post(MessageFile("m-1", 10, "\r\n")), R"({"appended":1})"));
  Event changed = s.NextEvent();
  EXPECT_EQ(changed.type, "changed");
  EXPECT_EQ(changed.id, "") << "the client does not hold it until it reads it";
  EXPECT_TRUE(absl::StartsWith(changed.header, "\"")) << changed.header;
  CloseConnection(s.fd);
}

TEST_F(FakeClockTest, StreamsAreCappedAndAClosedOneFreesItsSlot) {
  Stream a = OpenStream(server_->port());
  Stream b = OpenStream(server_->port());
  ASSERT_TRUE(absl::StartsWith(a.head, "HTTP/1.1 200"));
  ASSERT_TRUE(absl::StartsWith(b.head, "HTTP/1.1 200"));
  Stream refused = OpenStream(server_->port());
  EXPECT_TRUE(absl::StartsWith(refused.head, "HTTP/1.1 503")) << refused.head;
  EXPECT_TRUE(ReadUntil(refused.fd, "in_use", &refused.buffer, absl::Seconds(20))) << refused.buffer;
  CloseConnection(refused.fd);

  CloseConnection(a.fd);
  Sync();
  Stream c = OpenStream(server_->port());
  EXPECT_TRUE(absl::StartsWith(c.head, "HTTP/1.1 200")) << c.head;
  CloseConnection(b.fd);
  CloseConnection(c.fd);
}

TEST_F(FakeClockTest, AStreamWhoseClientDoesNotReadIsClosedAfterTheIdleTimeout) {
  Stream stuck = OpenStream(server_->port());
  Stream reader = OpenStream(server_->port());
  (void)reader.NextEvent();
  // Far more than the kernel buffers of a loopback connection hold.
  const std::string big = MessageFile("big", size_t{24} << 20);
  ASSERT_TRUE(absl::StrContains(Post(big), R"({"appended":1})"));
  // The reader has it all, so the server queued it for `stuck` too (same
  // loop pass, earlier in its list), where it cannot all be sent.
  EXPECT_EQ(Rebuild(reader.NextEvent(), "").size(), OnDisk().size());
  Stream refused = OpenStream(server_->port());
  EXPECT_TRUE(absl::StartsWith(refused.head, "HTTP/1.1 503")) << "both slots are taken";
  CloseConnection(refused.fd);

  Advance(absl::Seconds(61));
  Sync();
  Stream fresh = OpenStream(server_->port());
  EXPECT_TRUE(absl::StartsWith(fresh.head, "HTTP/1.1 200")) << "the stuck stream was closed: " << fresh.head;
  EXPECT_EQ(reader.NextBlock(), ":\n\n") << "the reading stream stays, with a heartbeat";
  CloseConnection(stuck.fd);
  CloseConnection(reader.fd);
  CloseConnection(fresh.fd);
}

TEST_F(FakeClockTest, AStreamIsRefusedToAPageOfAnotherOrigin) {
  Stream s = OpenStream(server_->port(), "Origin: http://elsewhere.example\r\n");
  EXPECT_TRUE(absl::StartsWith(s.head, "HTTP/1.1 403")) << s.head;
  EXPECT_FALSE(absl::StrContains(s.head, "Access-Control-Allow-Origin"));
  CloseConnection(s.fd);
  Stream own = OpenStream(server_->port(), absl::StrCat("Origin: http://127.0.0.1:", server_->port(), "\r\n"));
  EXPECT_TRUE(absl::StartsWith(own.head, "HTTP/1.1 200")) << own.head;
  CloseConnection(own.fd);
}

// A bridge with a token serving page files from web/ beside its channel.
class PageFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = absl::StrCat("/tmp/ipckit_bridge_pages_test_", platform::CurrentProcessId());
    namespace fs = std::filesystem;
    fs::create_directories(root_ + "/web/js");
    fs::create_directories(root_ + "/outside");
    fs::permissions(root_ + "/web", fs::perms::owner_all);
    fs::permissions(root_ + "/web/js", fs::perms::owner_all);
    std::ofstream(root_ + "/web/index.html") << "<!doctype html><p>page</p>";
    std::ofstream(root_ + "/web/js/app.js") << "console.log(1);";
    std::ofstream(root_ + "/web/.env") << "SECRET=1";
    std::ofstream(root_ + "/outside/secret.txt") << "SECRET=2";
    fs::create_symlink(root_ + "/outside/secret.txt", root_ + "/web/link.txt");
    fs::create_symlink(root_ + "/outside", root_ + "/web/linkdir");
    BridgeOptions options;
    options.token = std::string(32, 'k');
    options.static_dir = root_ + "/web";
    server_ = std::make_unique<ServedBridge>();
    absl::Status started = server_->Start(root_ + "/channel", options);
    ASSERT_TRUE(started.ok()) << started;
  }

  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(root_);
  }

  HttpResult Get(const std::string& target, const std::string& headers = "") {
    return Exchange(server_->port(), absl::StrCat("GET ", target, " HTTP/1.1\r\nHost: 127.0.0.1:", server_->port(),
                                                  "\r\nConnection: close\r\n", headers, "\r\n"),
                    absl::Seconds(20));
  }

  std::string root_;
  std::unique_ptr<ServedBridge> server_;
};

TEST_F(PageFilesTest, ThePrintedUrlServesTheIndexAndItsCookieTheSubresources) {
  HttpResult index = Get(absl::StrCat("/?token=", server_->token()));
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.body, "<!doctype html><p>page</p>");
  EXPECT_EQ(index.Header("content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(index.Header("x-content-type-options"), "nosniff");
  EXPECT_EQ(index.Header("referrer-policy"), "no-referrer");
  EXPECT_EQ(index.Header("access-control-allow-origin"), "") << "same origin: no CORS";
  const std::string cookie = index.Header("set-cookie");
  EXPECT_TRUE(absl::StrContains(cookie, "HttpOnly") && absl::StrContains(cookie, "SameSite=Strict")) << cookie;
  const std::string pair = cookie.substr(0, cookie.find(';'));

  HttpResult script = Get("/js/app.js", absl::StrCat("Cookie: other=1; ", pair, "\r\n"));
  EXPECT_EQ(script.status, 200);
  EXPECT_EQ(script.body, "console.log(1);");
  EXPECT_EQ(script.Header("content-type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(Get("/js/app.js").status, 401) << "no token, no cookie";
  EXPECT_EQ(Get("/js/app.js", absl::StrCat("Cookie: ipckit_bridge_", server_->port(), "=", std::string(32, 'x'), "\r\n"))
                .status,
            401);
  // The cookie is for page files only: the channel needs the token itself.
  EXPECT_EQ(Get("/v1/info", absl::StrCat("Cookie: ", pair, "\r\n")).status, 401);
  EXPECT_EQ(Get("/v1/info", absl::StrCat("Authorization: Bearer ", server_->token(), "\r\n")).status, 200);
}

TEST_F(PageFilesTest, NothingOutsideTheDirectoryNorHiddenIsServed) {
  const std::string auth = absl::StrCat("Authorization: Bearer ", server_->token(), "\r\n");
  for (const char* target : {"/../outside/secret.txt", "/js/../../outside/secret.txt", "/%2e%2e/outside/secret.txt",
                             "/js%2f..%2f..%2foutside/secret.txt", "/.env", "/js//app.js", "/js/./app.js",
                             "/link.txt", "/linkdir/secret.txt", "/js", "/missing.html"}) {
    HttpResult r = Get(target, auth);
    EXPECT_TRUE(r.status == 400 || r.status == 403 || r.status == 404) << target << ": " << r.status;
    EXPECT_FALSE(absl::StrContains(r.body, "SECRET")) << target;
  }
  EXPECT_EQ(Get("/link.txt", auth).status, 403) << "a symlink to a file outside";
  EXPECT_EQ(Get("/linkdir/secret.txt", auth).status, 403) << "a symlinked directory";
  std::filesystem::permissions(root_ + "/web/js", std::filesystem::perms::group_write, std::filesystem::perm_options::add);
  EXPECT_EQ(Get("/js/app.js", auth).status, 403) << "a directory others may write";
}

// The event encoding pinned by the shared vectors (conformance/vectors/bridge/
// sse_event.json), which the JS client's parser reads back (vectors.test.mjs).
TEST(SseEvent, SharedVectors) {
  int checked = 0;
  for (const ipckit::testing::VectorFile& file : ipckit::testing::LoadVectorFiles("bridge")) {
    for (const auto& c : file.doc["cases"].GetArray()) {
      if (std::string(c["op"].GetString()) != "bridge_sse_event") continue;
      const rapidjson::Value& in = c["input"];
      const std::string event = ComposeSseEvent(in["type"].GetString(), in["id"].GetString(), in["header"].GetString(),
                                                absl::HexStringToBytes(in["body_hex"].GetString()));
      EXPECT_EQ(absl::BytesToHexString(event), c["expect"]["hex"].GetString()) << c["name"].GetString();
      ++checked;
    }
  }
  EXPECT_GE(checked, 6);
}

}  // namespace
}  // namespace ipckit::bridge
