// The bridge over real HTTP: the server runs in a child process (bridge_peer
// serve), this test is the page, and FileChannel endpoints in this process or
// a third one are the backend.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cc/base/error.h"
#include "cc/bridge/splice.h"
#include "cc/bridge/test_http_client.h"
#include "cc/file_channel/channel_file_reader_io.h"
#include "cc/file_channel/file_channel.h"
#include "cc/file_channel/message.h"
#include "cc/platform/fs/file_ops.h"
#include "cc/platform/io/child_process.h"
#include "cc/platform/net/loopback_socket.h"
#include "cc/platform/process/process.h"
#include "cc/platform/testing/file_plant.h"
#include "cc/platform/testing/piped_process.h"
#include "gtest/gtest.h"

namespace ipckit {
namespace {

constexpr char kPeer[] = "cc/bridge/bridge_peer";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// bridge_peer with `args`, sharing this test's stdout; -1 if it cannot start.
pid_t Spawn(const std::vector<std::string>& args) {
  absl::StatusOr<pid_t> pid = SpawnChild(kPeer, args);
  EXPECT_TRUE(pid.ok()) << pid.status();
  return pid.ok() ? *pid : -1;
}

// How `pid` ended, as a shell reports it; -1 if it did not within 30 s.
int WaitExit(pid_t pid) {
  absl::StatusOr<int> status = WaitChild(pid, absl::Seconds(30));
  return status.ok() ? ExitCodeOf(*status) : -1;
}

using bridge::Exchange;
using bridge::HttpResult;
using bridge::SendAll;

int Connect(uint16_t port) { return bridge::ConnectLoopback(port); }

// Reads `fd` to EOF (or `timeout`) and parses the first response; closes fd.
HttpResult ReadResult(int fd, absl::Duration timeout) {
  HttpResult result = bridge::ParseResponse(bridge::ReadUntilClosed(fd, timeout));
  bridge::CloseConnection(fd);
  return result;
}

// Whether `fd` has something to read (data, EOF or a reset) within `timeout`.
bool Readable(int fd, absl::Duration timeout) {
  std::vector<SocketInterest> wait = {{fd, /*read=*/true}};
  absl::StatusOr<bool> waited = WaitForSockets(wait, timeout);
  return waited.ok() && wait[0].ready;
}

// Whether the peer closed `fd` (EOF or reset) within `timeout`.
bool ClosedByPeer(int fd, absl::Duration timeout) {
  if (!Readable(fd, timeout)) return false;
  char buf[4096];
  absl::StatusOr<Transfer> n = ReceiveSome(fd, buf, sizeof(buf));
  return !n.ok() || (n->bytes == 0 && !n->would_block);
}

class BridgeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int counter = 0;
    root_ = absl::StrCat("/tmp/ipckit_bridge_test_", platform::CurrentProcessId(), "_", counter++);
    dir_ = root_ + "/channel";
    ASSERT_TRUE(std::filesystem::create_directory(root_));
    std::filesystem::permissions(root_, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace);
  }

  void TearDown() override {
    StopServer();
    std::string cmd = "rm -rf '" + root_ + "'";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
  }

  // Starts bridge_peer serve on `dir_` and reads the URL it prints.
  void StartServer(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"serve", dir_};
    args.insert(args.end(), extra.begin(), extra.end());
    server_ = std::make_unique<platform::PipedProcess>(kPeer, args);
    ASSERT_GT(server_->pid(), 0);
    const std::string line = server_->ReadLine(absl::Seconds(10));
    absl::string_view rest = line;
    ASSERT_TRUE(absl::ConsumePrefix(&rest, "http://127.0.0.1:")) << line;
    size_t slash = rest.find('/');
    ASSERT_NE(slash, absl::string_view::npos) << line;
    uint32_t port = 0;
    ASSERT_TRUE(absl::SimpleAtoi(rest.substr(0, slash), &port) && port > 0 && port < 65536) << line;
    port_ = static_cast<uint16_t>(port);
    rest.remove_prefix(slash);
    token_.clear();
    if (absl::ConsumePrefix(&rest, "/?token=")) token_ = std::string(rest);
  }

  void StopServer() {
    if (server_ == nullptr) return;
    if (server_->pid() > 0) {
      server_->Terminate();
      EXPECT_EQ(ExitCodeOf(server_->Wait()), 0) << "the bridge must stop cleanly on SIGTERM";
    }
    server_.reset();
  }

  std::string Host() const { return absl::StrCat("127.0.0.1:", port_); }
  // The header that carries the token the bridge printed.
  std::string Auth() const { return absl::StrCat("Authorization: Bearer ", token_, "\r\n"); }

  HttpResult Get(const std::string& target, const std::string& extra_headers = "",
                 absl::Duration timeout = absl::Seconds(10)) {
    return Exchange(port_, absl::StrCat("GET ", target, " HTTP/1.1\r\nHost: ", Host(),
                                        "\r\nConnection: close\r\n", Auth(), extra_headers,
                                        "\r\n"),
                    timeout);
  }

  HttpResult Post(const std::string& target, const std::string& body,
                  const std::string& extra_headers = "Content-Type: application/json\r\n") {
    return Exchange(port_, absl::StrCat("POST ", target, " HTTP/1.1\r\nHost: ", Host(),
                                        "\r\nConnection: close\r\nContent-Length: ", body.size(),
                                        "\r\n", Auth(), extra_headers, "\r\n", body));
  }

  // A channel file with one request, as a page's BridgeFileChannel composes it.
  static std::string RequestBody(const std::string& id, const std::string& method) {
    return bridge::PageRequestFile(id, method, R"({"key":"user_info"})");
  }

  static uint64_t NowMs() { return static_cast<uint64_t>(absl::ToUnixMillis(absl::Now())); }

  std::string root_;
  std::string dir_;
  std::unique_ptr<platform::PipedProcess> server_;
  uint16_t port_ = 0;
  std::string token_;
};

TEST_F(BridgeTest, InfoDescribesTheBridgeAndChannel) {
  StartServer();
  HttpResult r = Get("/v1/info");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("content-type"), "application/json");
  EXPECT_TRUE(absl::StrContains(r.body, R"("protocol":"ipckit-bridge")")) << r.body;
  EXPECT_TRUE(absl::StrContains(r.body, R"("bridge_version":1)")) << r.body;
  EXPECT_TRUE(absl::StrContains(r.body, R"("format_version":2)")) << r.body;
  EXPECT_TRUE(absl::StrContains(r.body, R"("protocol":"file-ipc")")) << "channel_info embedded: " << r.body;
  EXPECT_TRUE(absl::StrContains(r.body, R"("appendable":["frontend_to_backend.json"])")) << r.body;
  EXPECT_TRUE(absl::StrContains(r.body, R"("max_wait_ms":30000)")) << r.body;
  // The bridge created the channel.
  EXPECT_FALSE(ReadFile(dir_ + "/.channel_info").empty());
  // Wrong method on a known path.
  HttpResult post = Post("/v1/info", "[]");
  EXPECT_EQ(post.status, 405);
  EXPECT_TRUE(absl::StrContains(post.body, R"("error":"invalid_argument")")) << post.body;
}

TEST_F(BridgeTest, ReadsWithEtagAnd304) {
  StartServer();
  absl::StatusOr<FileChannel> backend = FileChannel::Backend(dir_);
  ASSERT_TRUE(backend.ok()) << backend.status();
  ASSERT_TRUE(backend->SendEvent("progress", R"({"done":1})").ok());

  HttpResult first = Get("/v1/files/backend_to_frontend.json");
  ASSERT_EQ(first.status, 200);
  EXPECT_EQ(first.body, ReadFile(dir_ + "/backend_to_frontend.json"));
  EXPECT_TRUE(absl::StrContains(first.body, R"("method":"progress")"));
  EXPECT_EQ(first.Header("cache-control"), "no-store");
  const std::string etag = first.Header("etag");
  ASSERT_FALSE(etag.empty());

  HttpResult same = Get("/v1/files/backend_to_frontend.json", "If-None-Match: " + etag + "\r\n");
  EXPECT_EQ(same.status, 304);
  EXPECT_EQ(same.Header("etag"), etag);
  EXPECT_TRUE(same.body.empty());
  EXPECT_EQ(same.Header("preference-applied"), "") << "no wait was asked for";

  ASSERT_TRUE(backend->SendEvent("progress", R"({"done":2})").ok());
  HttpResult changed = Get("/v1/files/backend_to_frontend.json", "If-None-Match: " + etag + "\r\n");
  EXPECT_EQ(changed.status, 200);
  EXPECT_NE(changed.Header("etag"), etag);
  EXPECT_TRUE(absl::StrContains(changed.body, R"({"done":2})"));

  // Nobody has written frontend_to_backend.json yet: an empty channel (the
  // backend's open created it, as ipckit 0.1 does).
  HttpResult missing = Get("/v1/files/frontend_to_backend.json");
  EXPECT_EQ(missing.status, 200);
  EXPECT_EQ(missing.body, "[]\n");
}

// The body and Ipckit-Splice header of a 226, applied to the base bytes.
std::string Rebuild(const std::string& base, const HttpResult& r) {
  std::vector<std::string> parts = absl::StrSplit(r.Header("ipckit-splice"), ' ');
  bridge::Splice s;
  if (parts.size() != 3 || !absl::SimpleAtoi(parts[0], &s.at) || !absl::SimpleAtoi(parts[1], &s.from) ||
      !absl::SimpleAtoi(parts[2], &s.to)) {
    ADD_FAILURE() << "bad Ipckit-Splice: '" << r.Header("ipckit-splice") << "'";
    return "";
  }
  s.body = r.body;
  absl::StatusOr<std::string> rebuilt = bridge::ApplySplice(base, s);
  EXPECT_TRUE(rebuilt.ok()) << rebuilt.status();
  return rebuilt.ok() ? *rebuilt : "";
}

TEST_F(BridgeTest, SplicesSendOnlyWhatChanged) {
  StartServer();
  absl::StatusOr<FileChannel> backend = FileChannel::Backend(dir_);
  ASSERT_TRUE(backend.ok()) << backend.status();
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(backend->SendEvent("tick", absl::StrCat("{\"i\":", i, "}")).ok());
  const std::string file = dir_ + "/backend_to_frontend.json";
  HttpResult first = Get("/v1/files/backend_to_frontend.json", "A-IM: ipckit-splice\r\n");
  ASSERT_EQ(first.status, 200) << "no base yet: the whole file";
  ASSERT_EQ(first.body, ReadFile(file));
  std::string have = first.body;
  std::string etag = first.Header("etag");

  // One more message: a 226 whose body is far smaller than the file, and
  // which rebuilds it byte for byte.
  ASSERT_TRUE(backend->SendEvent("tick", R"({"i":40})").ok());
  HttpResult delta = Get("/v1/files/backend_to_frontend.json",
                         absl::StrCat("If-None-Match: ", etag, "\r\nA-IM: ipckit-splice\r\n"));
  ASSERT_EQ(delta.status, 226) << delta.body;
  EXPECT_EQ(delta.Header("im"), "ipckit-splice");
  EXPECT_EQ(delta.Header("delta-base"), etag);
  EXPECT_LT(delta.body.size(), ReadFile(file).size() / 10);
  EXPECT_EQ(Rebuild(have, delta), ReadFile(file));
  have = Rebuild(have, delta);
  etag = delta.Header("etag");

  // A held GET woken by a write in another process answers with a splice too.
  pid_t writer = Spawn({"send-event", dir_, "woken", R"({"n":7})", "200"});
  ASSERT_GT(writer, 0);
  HttpResult woke = Get("/v1/files/backend_to_frontend.json",
                        absl::StrCat("If-None-Match: ", etag, "\r\nPrefer: wait=20\r\nA-IM: ipckit-splice\r\n"));
  EXPECT_EQ(WaitExit(writer), 0);
  ASSERT_EQ(woke.status, 226) << woke.body;
  EXPECT_EQ(woke.Header("preference-applied"), "wait=20");
  EXPECT_EQ(Rebuild(have, woke), ReadFile(file));
  EXPECT_TRUE(absl::StrContains(Rebuild(have, woke), R"({"n":7})"));

  // A base the bridge never sent, or no A-IM: the whole file, as before.
  HttpResult unknown = Get("/v1/files/backend_to_frontend.json",
                           "If-None-Match: \"1-2-3\"\r\nA-IM: ipckit-splice\r\n");
  EXPECT_EQ(unknown.status, 200);
  EXPECT_EQ(unknown.body, ReadFile(file));
  HttpResult plain = Get("/v1/files/backend_to_frontend.json", absl::StrCat("If-None-Match: ", etag, "\r\n"));
  EXPECT_EQ(plain.status, 200);
  EXPECT_EQ(plain.body, ReadFile(file));
}

TEST_F(BridgeTest, HangingGetIsWokenByAnotherProcessWrite) {
  // Open the channel first: opening creates both files, so the writer's own
  // open below changes nothing and only its event wakes the GET.
  ASSERT_TRUE(FileChannel::Backend(dir_).ok());
  StartServer();
  HttpResult first = Get("/v1/files/backend_to_frontend.json");
  ASSERT_EQ(first.status, 200);
  const std::string etag = first.Header("etag");

  // Nothing changes: held for the wait (1 s), then 304 with Preference-Applied.
  absl::Time start = absl::Now();
  HttpResult idle = Get("/v1/files/backend_to_frontend.json",
                        "If-None-Match: " + etag + "\r\nPrefer: wait=1\r\n");
  absl::Duration idle_took = absl::Now() - start;
  EXPECT_EQ(idle.status, 304);
  EXPECT_EQ(idle.Header("preference-applied"), "wait=1");
  EXPECT_GE(idle_took, absl::Milliseconds(900));

  // A third process (a FileChannel backend) writes 300 ms from now.
  pid_t writer = Spawn({"send-event", dir_, "woken", R"({"n":42})", "300"});
  ASSERT_GT(writer, 0);
  start = absl::Now();
  HttpResult woke = Get("/v1/files/backend_to_frontend.json",
                        "If-None-Match: " + etag + "\r\nPrefer: wait=20\r\n");
  absl::Duration took = absl::Now() - start;
  EXPECT_EQ(WaitExit(writer), 0);
  ASSERT_EQ(woke.status, 200) << woke.body;
  EXPECT_TRUE(absl::StrContains(woke.body, R"("method":"woken")")) << woke.body;
  EXPECT_TRUE(absl::StrContains(woke.body, R"({"n":42})")) << woke.body;
  EXPECT_EQ(woke.Header("preference-applied"), "wait=20");
  EXPECT_NE(woke.Header("etag"), etag);
  // Woken by the change, not by the 20 s wait running out (nor at once).
  EXPECT_GE(took, absl::Milliseconds(250));
  EXPECT_LT(took, absl::Seconds(3)) << "took " << took;
}

TEST_F(BridgeTest, AppendReachesTheBackend) {
  StartServer();
  const std::string id = absl::StrCat("req-", platform::CurrentProcessId());
  const std::string body = RequestBody(id, "getData");
  HttpResult r = Post("/v1/append/frontend_to_backend.json?timeout_ms=2000", body);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, R"({"appended":1})");

  absl::StatusOr<FileChannel> backend = FileChannel::Backend(dir_);
  ASSERT_TRUE(backend.ok()) << backend.status();
  absl::StatusOr<std::optional<FileMessage>> got = backend->RecvOne(absl::Seconds(5));
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->id, id);
  EXPECT_EQ((*got)->method, "getData");
  EXPECT_EQ((*got)->payload_json, R"({"key":"user_info"})");
  // Byte for byte: the message text in the file is the client's, with the
  // pos the writer stamps (FileChannel format 2) as its last field.
  std::string message_text(absl::StripSuffix(absl::StripPrefix(body, "[\n"), "\n]\n"));
  message_text = absl::StrCat(absl::StripSuffix(message_text, "}"), ",\"pos\":1}");
  EXPECT_TRUE(absl::StrContains(ReadFile(dir_ + "/frontend_to_backend.json"), message_text));

  // Clients may not write the backend's file.
  HttpResult backend_file = Post("/v1/append/backend_to_frontend.json", RequestBody("x", "m"));
  EXPECT_EQ(backend_file.status, 404);
}

TEST_F(BridgeTest, TraversalAndUnknownNamesReadNothing) {
  WriteFile(root_ + "/outside_secret.json", "TOP-SECRET-OUTSIDE");
  StartServer();
  WriteFile(dir_ + "/inside_secret.json", "TOP-SECRET-INSIDE");
  const std::vector<std::string> targets = {
      "/v1/files/../outside_secret.json",
      "/v1/files/%2e%2e/outside_secret.json",
      "/v1/files/%2E%2E%2Foutside_secret.json",
      "/v1/files/..%2foutside_secret.json",
      "/v1/files/.%2e/outside_secret.json",
      "/v1/files/" + root_ + "/outside_secret.json",
      "/v1/files//etc/passwd",
      "/etc/passwd",
      root_ + "/outside_secret.json",
      "/v1/files/inside_secret.json",
      "/v1/files/.lock",
      "/v1/files/backend_to_frontend.json/../inside_secret.json",
      "/v1/files/x%5cinside_secret.json",
      "/v1/files/x\\inside_secret.json",
      "/v1/files/inside_secret.json%00",
      "/v1/append/../inside_secret.json",
      "/v1/append/inside_secret.json",
      "/v1/../v1/files/inside_secret.json",
      absl::StrCat("http://127.0.0.1:", port_, "/v1/files/../outside_secret.json"),
  };
  for (const std::string& target : targets) {
    HttpResult r = Get(target);
    EXPECT_TRUE(r.status == 400 || r.status == 404) << target << ": " << r.status;
    EXPECT_TRUE(absl::StrContains(r.body, R"("error":"invalid_argument")") ||
                absl::StrContains(r.body, R"("error":"not_found")"))
        << target << ": " << r.body;
    EXPECT_FALSE(absl::StrContains(r.body, "TOP-SECRET")) << target;
  }
  EXPECT_EQ(Get("/v1/files/%2e%2e/x").status, 400);
  EXPECT_EQ(Get("/v1/files/inside_secret.json").status, 404);
  // Writes through a traversal target change nothing either.
  HttpResult w = Post("/v1/append/../inside_secret.json", RequestBody("t", "m"));
  EXPECT_EQ(w.status, 400);
  EXPECT_EQ(ReadFile(dir_ + "/inside_secret.json"), "TOP-SECRET-INSIDE");
}

TEST_F(BridgeTest, CrossOriginWritesNeedTheAllowList) {
  const std::string page = "http://127.0.0.1:3000";
  StartServer({"--allow-origin", page});
  const std::string json = "Content-Type: application/json\r\n";
  const std::string path = "/v1/append/frontend_to_backend.json";

  HttpResult evil = Post(path, RequestBody("evil-1", "m"), json + "Origin: http://evil.example\r\n");
  EXPECT_EQ(evil.status, 403);
  EXPECT_TRUE(absl::StrContains(evil.body, R"("error":"permission_denied")")) << evil.body;
  EXPECT_EQ(evil.Header("access-control-allow-origin"), "");
  EXPECT_FALSE(absl::StrContains(ReadFile(dir_ + "/frontend_to_backend.json"), "evil-1"));

  HttpResult preflight_evil = Exchange(
      port_, absl::StrCat("OPTIONS ", path, " HTTP/1.1\r\nHost: ", Host(),
                          "\r\nConnection: close\r\nOrigin: http://evil.example\r\n"
                          "Access-Control-Request-Method: POST\r\n\r\n"));
  EXPECT_EQ(preflight_evil.status, 403);
  HttpResult preflight = Exchange(
      port_, absl::StrCat("OPTIONS ", path, " HTTP/1.1\r\nHost: ", Host(),
                          "\r\nConnection: close\r\nOrigin: ", page,
                          "\r\nAccess-Control-Request-Method: POST\r\n\r\n"));
  EXPECT_EQ(preflight.status, 204);
  EXPECT_EQ(preflight.Header("access-control-allow-origin"), page);
  EXPECT_TRUE(absl::StrContains(preflight.Header("access-control-allow-headers"), "Content-Type"));

  HttpResult allowed = Post(path, RequestBody("page-1", "m"), json + "Origin: " + page + "\r\n");
  EXPECT_EQ(allowed.status, 200) << allowed.body;
  EXPECT_EQ(allowed.Header("access-control-allow-origin"), page);
  HttpResult own = Post(path, RequestBody("own-1", "m"), json + "Origin: http://" + Host() + "\r\n");
  EXPECT_EQ(own.status, 200) << "the bridge's own origin may write: " << own.body;
  const std::string file = ReadFile(dir_ + "/frontend_to_backend.json");
  EXPECT_TRUE(absl::StrContains(file, "page-1"));
  EXPECT_TRUE(absl::StrContains(file, "own-1"));

  // DNS rebinding: a Host that is not the bridge's own address.
  HttpResult rebound = Exchange(port_, "GET /v1/info HTTP/1.1\r\nHost: attacker.example\r\n"
                                       "Connection: close\r\n" + Auth() + "\r\n");
  EXPECT_EQ(rebound.status, 403);
  HttpResult localhost = Exchange(port_, absl::StrCat("GET /v1/info HTTP/1.1\r\nHost: localhost:",
                                                      port_, "\r\nConnection: close\r\n", Auth(), "\r\n"));
  EXPECT_EQ(localhost.status, 200);
}

TEST_F(BridgeTest, OversizedAndMalformedBodiesAreRefused) {
  StartServer({"--max-file-bytes", "4096"});
  const std::string path = "/v1/append/frontend_to_backend.json";
  // Only the head is sent: the 413 arrives without the body being read.
  HttpResult big = Exchange(
      port_, absl::StrCat("POST ", path, " HTTP/1.1\r\nHost: ", Host(),
                          "\r\nContent-Type: application/json\r\nContent-Length: 50000000\r\n", Auth(), "\r\n"),
      absl::Seconds(5));
  EXPECT_EQ(big.status, 413);
  EXPECT_TRUE(absl::StrContains(big.body, R"("error":"too_large")")) << big.body;

  HttpResult chunked = Exchange(
      port_, absl::StrCat("POST ", path, " HTTP/1.1\r\nHost: ", Host(),
                          "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n", Auth(), "\r\n"
                          "2\r\n[]\r\n0\r\n\r\n"));
  EXPECT_EQ(chunked.status, 501);

  HttpResult corrupt = Post(path, R"([{"id":"z")");
  EXPECT_EQ(corrupt.status, 400);
  EXPECT_TRUE(absl::StrContains(corrupt.body, R"("error":"corrupt")")) << corrupt.body;
  HttpResult not_messages = Post(path, R"([1, 2])");
  EXPECT_EQ(not_messages.status, 400);
  EXPECT_TRUE(absl::StrContains(not_messages.body, R"("error":"corrupt")")) << not_messages.body;
  HttpResult empty = Post(path, "[]");
  EXPECT_EQ(empty.status, 400);
  EXPECT_TRUE(absl::StrContains(empty.body, R"("error":"invalid_argument")")) << empty.body;
  HttpResult plain = Post(path, RequestBody("p", "m"), "Content-Type: text/plain\r\n");
  EXPECT_EQ(plain.status, 415);
  EXPECT_TRUE(absl::StrContains(plain.body, R"("error":"invalid_argument")")) << plain.body;
  HttpResult bad_timeout = Post(path + "?timeout_ms=soon", RequestBody("q", "m"));
  EXPECT_EQ(bad_timeout.status, 400);
  HttpResult garbage = Exchange(port_, "NOT AN HTTP REQUEST\r\n\r\n");
  EXPECT_EQ(garbage.status, 400);
  HttpResult huge_head = Exchange(port_, absl::StrCat("GET /v1/info HTTP/1.1\r\nX: ",
                                                      std::string(20000, 'a'), "\r\n\r\n"));
  EXPECT_EQ(huge_head.status, 431);
  std::string many_headers = absl::StrCat("GET /v1/info HTTP/1.1\r\nHost: ", Host(), "\r\n");
  for (int i = 0; i < 100; ++i) many_headers += "X: y\r\n";
  EXPECT_EQ(Exchange(port_, many_headers + "\r\n").status, 431);
  // None of it reached the channel; a good request still works afterwards.
  EXPECT_EQ(ReadFile(dir_ + "/frontend_to_backend.json"), "");
  EXPECT_EQ(Post(path, RequestBody("ok-1", "m")).status, 200);
}

TEST_F(BridgeTest, CorruptTargetFileIsAConflictAndIsKept) {
  StartServer();
  WriteFile(dir_ + "/frontend_to_backend.json", "[{\"id\": broken");
  HttpResult r = Post("/v1/append/frontend_to_backend.json", RequestBody("c-1", "m"));
  EXPECT_EQ(r.status, 409);
  EXPECT_TRUE(absl::StrContains(r.body, R"("error":"corrupt")")) << r.body;
  EXPECT_EQ(ReadFile(dir_ + "/frontend_to_backend.json"), "[{\"id\": broken");
}

TEST_F(BridgeTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  StartServer();
  const std::string one = absl::StrCat("GET /v1/info HTTP/1.1\r\nHost: ", Host(), "\r\n", Auth(), "\r\n");
  const std::string last = absl::StrCat("GET /v1/files/.channel_info HTTP/1.1\r\nHost: ", Host(),
                                        "\r\nConnection: close\r\n", Auth(), "\r\n");
  HttpResult r = Exchange(port_, one + one + last);
  // Exchange parses the first response; the rest must follow on the same stream.
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(absl::StrContains(r.body, "HTTP/1.1 200 OK")) << r.body;
  EXPECT_TRUE(absl::StrContains(r.body, R"("protocol":"file-ipc")")) << r.body;
}

TEST_F(BridgeTest, EveryRequestButAPreflightNeedsTheToken) {
  const std::string page = "http://127.0.0.1:3000";
  StartServer({"--allow-origin", page});
  // 128 bits at least, printed in the URL.
  EXPECT_GE(token_.size(), 32u) << token_;
  EXPECT_EQ(token_.find_first_not_of("0123456789abcdef"), std::string::npos) << token_;
  const std::string head = absl::StrCat("GET /v1/files/backend_to_frontend.json HTTP/1.1\r\nHost: ",
                                        Host(), "\r\nConnection: close\r\n");
  HttpResult none = Exchange(port_, head + "\r\n");
  EXPECT_EQ(none.status, 401);
  EXPECT_TRUE(absl::StrContains(none.body, R"("error":"permission_denied")")) << none.body;
  EXPECT_TRUE(absl::StrContains(none.Header("www-authenticate"), "Bearer"));
  std::string wrong = token_;
  wrong[0] = wrong[0] == 'a' ? 'b' : 'a';
  EXPECT_EQ(Exchange(port_, head + "Authorization: Bearer " + wrong + "\r\n\r\n").status, 401);
  EXPECT_EQ(Exchange(port_, head + "Authorization: Bearer " + token_ + "x\r\n\r\n").status, 401);
  EXPECT_EQ(Exchange(port_, head + "Authorization: Basic " + token_ + "\r\n\r\n").status, 401);
  EXPECT_EQ(Exchange(port_, head + Auth() + "\r\n").status, 200);
  // The token in the query: the URL the bridge printed works as it is.
  EXPECT_EQ(Exchange(port_, absl::StrCat("GET /v1/info?token=", token_, " HTTP/1.1\r\nHost: ", Host(),
                                         "\r\nConnection: close\r\n\r\n"))
                .status,
            200);
  EXPECT_EQ(Exchange(port_, absl::StrCat("GET /v1/info?token=", wrong, " HTTP/1.1\r\nHost: ", Host(),
                                         "\r\nConnection: close\r\n\r\n"))
                .status,
            401);
  // Writes too: nothing reaches the channel without the token.
  const std::string body = RequestBody("no-token-1", "m");
  HttpResult write = Exchange(
      port_, absl::StrCat("POST /v1/append/frontend_to_backend.json HTTP/1.1\r\nHost: ", Host(),
                          "\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ",
                          body.size(), "\r\n\r\n", body));
  EXPECT_EQ(write.status, 401);
  EXPECT_FALSE(absl::StrContains(ReadFile(dir_ + "/frontend_to_backend.json"), "no-token-1"));
  // A preflight carries no credentials, and needs none; it allows the header.
  HttpResult preflight = Exchange(
      port_, absl::StrCat("OPTIONS /v1/info HTTP/1.1\r\nHost: ", Host(),
                          "\r\nConnection: close\r\nOrigin: ", page,
                          "\r\nAccess-Control-Request-Method: GET\r\n"
                          "Access-Control-Request-Headers: authorization\r\n\r\n"));
  EXPECT_EQ(preflight.status, 204);
  EXPECT_TRUE(absl::StrContains(preflight.Header("access-control-allow-headers"), "Authorization"));
}

TEST_F(BridgeTest, NoTokenOnlyWhenAskedFor) {
  StartServer({"--no-token"});
  EXPECT_EQ(token_, "");
  EXPECT_EQ(Exchange(port_, absl::StrCat("GET /v1/info HTTP/1.1\r\nHost: ", Host(),
                                         "\r\nConnection: close\r\n\r\n"))
                .status,
            200);
}

TEST_F(BridgeTest, HeadIsRefusedWithAllowAndNoBody) {
  StartServer();
  for (const char* target : {"/v1/info", "/v1/files/backend_to_frontend.json"}) {
    HttpResult r = Exchange(port_, absl::StrCat("HEAD ", target, " HTTP/1.1\r\nHost: ", Host(),
                                                "\r\nConnection: close\r\n", Auth(), "\r\n"));
    EXPECT_EQ(r.status, 405) << target;
    EXPECT_EQ(r.Header("allow"), "GET") << target;
    EXPECT_EQ(r.body, "") << target;
  }
  HttpResult put = Exchange(port_, absl::StrCat("PUT /v1/append/frontend_to_backend.json HTTP/1.1\r\n"
                                                "Host: ", Host(), "\r\nConnection: close\r\n", Auth(),
                                                "Content-Length: 0\r\n\r\n"));
  EXPECT_EQ(put.status, 405);
  EXPECT_EQ(put.Header("allow"), "POST");
}

TEST_F(BridgeTest, DuplicateHostIsRefused) {
  StartServer();
  HttpResult r = Exchange(port_, absl::StrCat("GET /v1/info HTTP/1.1\r\nHost: ", Host(), "\r\nHost: ",
                                              "attacker.example\r\nConnection: close\r\n", Auth(), "\r\n"));
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(absl::StrContains(r.body, R"("error":"invalid_argument")")) << r.body;
  HttpResult same = Exchange(port_, absl::StrCat("GET /v1/info HTTP/1.1\r\nHost: ", Host(), "\r\nHost: ",
                                                 Host(), "\r\nConnection: close\r\n", Auth(), "\r\n"));
  EXPECT_EQ(same.status, 400);
}

TEST_F(BridgeTest, CorruptChannelInfoIsCorrupt) {
  StartServer();
  WriteFile(dir_ + "/.channel_info", "{not json");
  HttpResult r = Get("/v1/info");
  EXPECT_EQ(r.status, 409);
  EXPECT_TRUE(absl::StrContains(r.body, R"("error":"corrupt")")) << r.body;
}

TEST_F(BridgeTest, SlowClientsCannotLockOthersOut) {
  constexpr int kCap = 8;
  StartServer({"--max-connections", absl::StrCat(kCap)});
  // kCap connections that trickle a request head a byte at a time.
  std::vector<int> slow;
  const std::string head = absl::StrCat("GET /v1/info HTTP/1.1\r\nHost: ", Host(), "\r\n");
  for (int i = 0; i < kCap; ++i) {
    int fd = Connect(port_);
    ASSERT_GE(fd, 0);
    slow.push_back(fd);
  }
  for (size_t byte = 0; byte < 4; ++byte) {
    for (int fd : slow) ASSERT_TRUE(SendAll(fd, head.substr(byte, 1)));
  }
  // Every slot is taken by an incomplete request; a real one is answered.
  for (int round = 0; round < 3; ++round) {
    HttpResult r = Get("/v1/info");
    EXPECT_EQ(r.status, 200) << "round " << round;
  }
  // ... because the oldest incomplete connections made room.
  EXPECT_TRUE(ClosedByPeer(slow[0], absl::Seconds(10)));
  for (int fd : slow) bridge::CloseConnection(fd);
}

TEST_F(BridgeTest, GetIsAnsweredWhileAnAppendWaitsForTheLock) {
  StartServer();
  // Another process holds the channel lock until its stdin closes.
  platform::PipedProcess holder(kPeer, {"hold-lock", dir_});
  ASSERT_GT(holder.pid(), 0);
  ASSERT_EQ(holder.ReadLine(absl::Seconds(10)), "held");

  // The append waits for that lock (up to 30 s)...
  const std::string body = RequestBody("waits-1", "m");
  int post = Connect(port_);
  ASSERT_GE(post, 0);
  ASSERT_TRUE(SendAll(post, absl::StrCat("POST /v1/append/frontend_to_backend.json?timeout_ms=30000 "
                                         "HTTP/1.1\r\nHost: ", Host(), "\r\nConnection: close\r\n",
                                         Auth(), "Content-Type: application/json\r\nContent-Length: ",
                                         body.size(), "\r\n\r\n", body)));
  // ... and meanwhile reads are answered: the lock is still held, so this
  // cannot pass by the append finishing first.
  for (int i = 0; i < 3; ++i) {
    HttpResult r = Get("/v1/info", "", absl::Seconds(10));
    EXPECT_EQ(r.status, 200) << "a GET must not wait for another request's lock";
  }
  EXPECT_FALSE(Readable(post, absl::ZeroDuration()))
      << "the append cannot have finished with the lock held";
  // Released: the append completes.
  holder.CloseStdin();
  EXPECT_EQ(ExitCodeOf(holder.Wait()), 0);
  HttpResult appended = ReadResult(post, absl::Seconds(20));
  EXPECT_EQ(appended.status, 200) << appended.body;
  EXPECT_TRUE(absl::StrContains(ReadFile(dir_ + "/frontend_to_backend.json"), "waits-1"));
}

TEST_F(BridgeTest, RequestBodiesAreBoundedInTotal) {
  StartServer({"--max-file-bytes", "4096", "--max-total-body-bytes", "1000"});
  const std::string body = RequestBody("budget-1", "m");
  ASSERT_LT(body.size(), 1000u);
  const std::string path = "/v1/append/frontend_to_backend.json";
  auto head = [&](size_t length) {
    return absl::StrCat("POST ", path, " HTTP/1.1\r\nHost: ", Host(), "\r\nConnection: close\r\n", Auth(),
                        "Content-Type: application/json\r\nContent-Length: ", length, "\r\n\r\n");
  };
  // One connection announces 800 bytes and sends them slowly: they are held
  // for it. A second one's 800 would pass the total: refused at once.
  const size_t first_length = 800;
  std::string padded = body + std::string(first_length - body.size(), ' ');
  int first = Connect(port_);
  ASSERT_GE(first, 0);
  ASSERT_TRUE(SendAll(first, head(first_length)));
  ASSERT_TRUE(SendAll(first, padded.substr(0, 10)));
  // The first head is read before the second arrives, whatever the order of
  // polls: the server reads connections in accept order.
  HttpResult second = Exchange(port_, head(first_length) + padded, absl::Seconds(10));
  EXPECT_EQ(second.status, 503) << second.body;
  EXPECT_TRUE(absl::StrContains(second.body, R"("error":"too_large")")) << second.body;
  ASSERT_TRUE(SendAll(first, padded.substr(10)));
  HttpResult first_result = ReadResult(first, absl::Seconds(10));
  EXPECT_EQ(first_result.status, 200) << first_result.body;
  // Released: the next body fits again.
  EXPECT_EQ(Post(path, RequestBody("budget-2", "m")).status, 200);
}

TEST_F(BridgeTest, SymlinkOutOfTheChannelIsRefusedAndNotSent) {
  StartServer();
  const std::string secret = root_ + "/private_secret.json";
  WriteFile(secret, "[\"TOP-SECRET-PRIVATE\"]\n");
  std::filesystem::permissions(secret, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                               std::filesystem::perm_options::replace);
  const std::string link = dir_ + "/backend_to_frontend.json";
  std::filesystem::remove(link);
  std::filesystem::create_symlink(secret, link);
  HttpResult r = Get("/v1/files/backend_to_frontend.json");
  EXPECT_EQ(r.status, 403);
  EXPECT_TRUE(absl::StrContains(r.body, R"("error":"permission_denied")")) << r.body;
  EXPECT_FALSE(absl::StrContains(r.body, "TOP-SECRET")) << r.body;
  HttpResult held = Get("/v1/files/backend_to_frontend.json",
                        "If-None-Match: \"1-2-3\"\r\nPrefer: wait=1\r\n");
  EXPECT_EQ(held.status, 403);
  EXPECT_FALSE(absl::StrContains(held.body, "TOP-SECRET")) << held.body;
  // A FIFO is refused at once, never waited on.
  const std::string fifo = dir_ + "/frontend_to_backend.json";
  std::filesystem::remove(fifo);
  ASSERT_TRUE(platform::MakeFifo(fifo, 0600).ok());
  HttpResult f = Get("/v1/files/frontend_to_backend.json", "", absl::Seconds(10));
  EXPECT_EQ(f.status, 403) << f.body;
}

// ---- named readers held for pages (spec/bridge.md, "Named readers") ----

// A page's stream under a reader name, and the session its reader event gave.
struct PageReader {
  bridge::EventStream stream;
  bridge::SseEvent reader_event;
  std::string session;
};

std::string JsonField(const std::string& json, const std::string& key) {
  const std::string marker = absl::StrCat("\"", key, "\":");
  const size_t at = json.find(marker);
  if (at == std::string::npos) return "";
  const size_t begin = at + marker.size();
  return json.substr(begin, json.find_first_of(",}", begin) - begin);
}

class NamedReaderTest : public BridgeTest {
 protected:
  PageReader OpenReader(const std::string& name) {
    PageReader r;
    r.stream = bridge::OpenEventStream(port_, "/v1/stream/backend_to_frontend.json?reader=" + name, Auth());
    if (!absl::StartsWith(r.stream.head, "HTTP/1.1 200")) return r;
    r.reader_event = r.stream.NextEvent();
    r.session = JsonField(r.reader_event.header, "session");
    return r;
  }

  HttpResult Claim(const PageReader& r, const std::string& name, const std::string& id) {
    return Post(absl::StrCat("/v1/claim/backend_to_frontend.json?reader=", name, "&session=", r.session),
                absl::StrCat("{\"id\":\"", id, "\"}"));
  }

  // Waits (bounded) until the bridge has seen the stream of reader `name`
  // close and released its lock.
  bool WaitReleased(const std::string& name) {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (NamedReaderIsOpen(dir_, "backend_to_frontend", name, false)) {
      if (absl::Now() > deadline) return false;
      absl::SleepFor(absl::Milliseconds(5));
    }
    return true;
  }
};

TEST_F(NamedReaderTest, EachRequestIsClaimedForOnePageAndReofferedWhenItsStreamDrops) {
  StartServer();
  absl::StatusOr<FileChannel> backend = FileChannel::Backend(dir_);
  ASSERT_TRUE(backend.ok()) << backend.status();
  std::vector<std::string> ids;
  for (int i = 0; i < 6; ++i) {
    absl::StatusOr<std::string> id = backend->SendRequest("work", absl::StrCat("{\"n\":", i, "}"));
    ASSERT_TRUE(id.ok()) << id.status();
    ids.push_back(*id);
  }
  const std::string all = absl::StrCat("[\"", absl::StrJoin(ids, "\",\""), "\"]");
  // Page A's stream offers it the requests, claimed for it before they are
  // sent (a "claims" event, then the file); page B's stream then offers them
  // as another's.
  PageReader a = OpenReader("tabA");
  ASSERT_EQ(a.reader_event.type, "reader") << a.stream.head;
  EXPECT_EQ(JsonField(a.reader_event.header, "reader"), "\"tabA\"");
  bridge::SseEvent a_claims = a.stream.NextEvent();
  EXPECT_EQ(a_claims.type, "claims");
  EXPECT_EQ(a_claims.header, absl::StrCat("{\"mine\":", all, ",\"others\":[]}"));
  EXPECT_EQ(a.stream.NextEvent().type, "file");
  PageReader b = OpenReader("tabB");
  ASSERT_EQ(b.reader_event.type, "reader") << b.stream.head;
  EXPECT_NE(a.session, b.session);
  bridge::SseEvent b_claims = b.stream.NextEvent();
  EXPECT_EQ(b_claims.header, absl::StrCat("{\"mine\":[],\"others\":", all, "}"));

  // Asked again (a page whose stream could not claim, or a reloaded page),
  // the answer is the same: yes for A, no for B.
  for (const std::string& id : ids) {
    EXPECT_EQ(Claim(a, "tabA", id).body, R"({"claimed":true})") << id;
    HttpResult other = Claim(b, "tabB", id);
    ASSERT_EQ(other.status, 200) << other.body;
    EXPECT_EQ(other.body, R"({"claimed":false})") << id;
  }

  // A name is one page's at a time: a second stream under it is refused.
  bridge::EventStream twice =
      bridge::OpenEventStream(port_, "/v1/stream/backend_to_frontend.json?reader=tabA", Auth());
  EXPECT_TRUE(absl::StartsWith(twice.head, "HTTP/1.1 409")) << twice.head;
  EXPECT_TRUE(absl::StrContains(twice.buffer, R"("error":"in_use")")) << twice.buffer;
  bridge::CloseConnection(twice.fd);

  // Page A goes away having answered ids[3] only: page B may take the others
  // over (C2), but not ids[3].
  absl::StatusOr<FileChannel> answerer = FileChannel::Frontend(dir_);
  ASSERT_TRUE(answerer.ok()) << answerer.status();
  ASSERT_TRUE(answerer->SendResponse(ids[3], "null").ok());
  bridge::CloseConnection(a.stream.fd);
  ASSERT_TRUE(WaitReleased("tabA"));
  EXPECT_EQ(Claim(b, "tabB", ids[1]).body, R"({"claimed":true})") << "re-offered when its page's stream dropped";
  EXPECT_EQ(Claim(b, "tabB", ids[3]).body, R"({"claimed":false})") << "answered already";
  EXPECT_EQ(Claim(a, "tabA", ids[5]).status, 409) << "a closed stream's session claims nothing";
  bridge::CloseConnection(b.stream.fd);
}

TEST_F(NamedReaderTest, APageResumesFromTheCursorItAcknowledged) {
  StartServer();
  absl::StatusOr<FileChannel> backend = FileChannel::Backend(dir_);
  ASSERT_TRUE(backend.ok()) << backend.status();
  ASSERT_TRUE(backend->SendEvent("before", "1").ok());
  PageReader a = OpenReader("tabA");
  ASSERT_EQ(a.reader_event.type, "reader") << a.stream.head;
  // A new reader starts just before the file's first message (rule R4).
  EXPECT_EQ(JsonField(a.reader_event.header, "pos"), "0");
  bridge::SseEvent file = a.stream.NextEvent();
  EXPECT_EQ(file.type, "file");
  EXPECT_TRUE(absl::StrContains(file.body, "\"before\""));
  ASSERT_TRUE(backend->SendEvent("second", "2").ok());

  const std::string cursor_target =
      absl::StrCat("/v1/cursor/backend_to_frontend.json?reader=tabA&session=", a.session);
  HttpResult acked = Post(cursor_target, R"({"pos":2,"ids":[],"updated":0})");
  ASSERT_EQ(acked.status, 200) << acked.body;
  EXPECT_TRUE(absl::StrContains(ReadFile(dir_ + "/.reader.backend_to_frontend.tabA.json"), "{\"pos\":2,"));
  EXPECT_EQ(Post(cursor_target, R"({"pos":"x"})").status, 400);

  // A page's answer may carry its cursor: saved with the append.
  HttpResult with_cursor =
      Post(absl::StrCat("/v1/append/frontend_to_backend.json?reader=tabA&session=", a.session, "&cursor=3"),
           RequestBody("r-1", "m"));
  ASSERT_EQ(with_cursor.status, 200) << with_cursor.body;
  EXPECT_EQ(with_cursor.body, R"({"appended":1,"cursor_saved":true})");
  EXPECT_TRUE(absl::StrContains(ReadFile(dir_ + "/.reader.backend_to_frontend.tabA.json"), "{\"pos\":3,"));
  ASSERT_EQ(Post(cursor_target, R"({"pos":2,"ids":[],"updated":0})").status, 200);

  // Reloaded: the old stream ends, a new one resumes where the page acknowledged.
  bridge::CloseConnection(a.stream.fd);
  ASSERT_TRUE(WaitReleased("tabA"));
  PageReader again = OpenReader("tabA");
  ASSERT_EQ(again.reader_event.type, "reader") << again.stream.head;
  EXPECT_EQ(JsonField(again.reader_event.header, "pos"), "2");
  EXPECT_NE(again.session, a.session);
  // The old page's late acknowledgement is refused: it cannot move the new page's cursor.
  EXPECT_EQ(Post(cursor_target, R"({"pos":1,"ids":[],"updated":0})").status, 409);
  HttpResult stale =
      Post(absl::StrCat("/v1/append/frontend_to_backend.json?reader=tabA&session=", a.session, "&cursor=1"),
           RequestBody("r-2", "m"));
  EXPECT_EQ(stale.body, R"({"appended":1,"cursor_saved":false})") << "the answer stands, the old cursor does not";
  // A name another process holds is in use.
  FileChannelOptions named;
  named.reader_name = "native";
  absl::StatusOr<FileChannel> native = FileChannel::Frontend(dir_, named);
  ASSERT_TRUE(native.ok()) << native.status();
  bridge::EventStream taken =
      bridge::OpenEventStream(port_, "/v1/stream/backend_to_frontend.json?reader=native", Auth());
  EXPECT_TRUE(absl::StartsWith(taken.head, "HTTP/1.1 409")) << taken.head;
  bridge::CloseConnection(taken.fd);
  bridge::EventStream bad =
      bridge::OpenEventStream(port_, "/v1/stream/backend_to_frontend.json?reader=no/slash", Auth());
  EXPECT_TRUE(absl::StartsWith(bad.head, "HTTP/1.1 400")) << bad.head;
  bridge::CloseConnection(bad.fd);
  bridge::CloseConnection(again.stream.fd);
}

}  // namespace
}  // namespace ipckit
