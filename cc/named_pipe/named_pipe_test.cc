#include "cc/named_pipe/named_pipe.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cc/base/error.h"
#include "cc/platform/fs/file_ops.h"
#include "cc/platform/io/child_process.h"
#include "cc/platform/io/local_stream.h"
#include "cc/platform/process/process.h"
#include "gtest/gtest.h"

namespace ipckit {
namespace {

constexpr char kPeer[] = "cc/named_pipe/named_pipe_peer";

std::string UniqueName(absl::string_view tag) {
  return absl::StrCat("ipckit-np-", tag, "-", platform::CurrentProcessId());
}

bool Exists(const std::string& path) { return StatLink(path).ok(); }

// POSIX: a socket file with a mode and an owner. Windows: a pipe name.
constexpr bool kSocketFile = platform::kLocalStreamKind == platform::LocalStreamKind::kUnixSocket;

// Where the server of `name` listens on this OS (spec/naming.md).
std::string AddressOf(const std::string& name) {
  return kSocketFile ? absl::StrCat("/tmp/", name, ".sock") : absl::StrCat("\\\\.\\pipe\\", name);
}

// Waits for a child and expects exit code 0.
void ExpectCleanExit(pid_t pid) {
  absl::StatusOr<int> status = WaitChild(pid, absl::Seconds(20));
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_TRUE(ExitedWithCode(*status, 0)) << DescribeWaitStatus(*status);
}

template <typename Stream>
absl::StatusOr<std::string> ReadLine(Stream& s) {
  std::string line;
  char c;
  for (;;) {
    absl::Status st = s.ReadExact(absl::MakeSpan(&c, 1), absl::Seconds(10));
    if (!st.ok()) return st;
    if (c == '\n') return line;
    line.push_back(c);
  }
}

TEST(NamedPipeTest, ServerHereClientInAnotherProcess) {
  std::string name = UniqueName("srv");
  absl::StatusOr<NamedPipe> server = NamedPipe::Create(name);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_TRUE(server->is_server());
  EXPECT_EQ(server->name(), name);
  EXPECT_EQ(server->path(), AddressOf(name));
  absl::StatusOr<pid_t> pid = SpawnChild(kPeer, {"client", name, "hello from client"});
  ASSERT_TRUE(pid.ok()) << pid.status();
  ASSERT_TRUE(server->WaitForClient(absl::Seconds(10)).ok());
  absl::StatusOr<std::string> line = ReadLine(*server);
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_EQ(*line, "hello from client");
  ASSERT_TRUE(server->WriteAll("reply:" + *line + "\n", absl::Seconds(10)).ok());
  ExpectCleanExit(*pid);
}

TEST(NamedPipeTest, ConnectWaitsForAServerThatStartsLater) {
  std::string name = UniqueName("late");
  absl::StatusOr<pid_t> pid = SpawnChild(kPeer, {"server", name, "400"});
  ASSERT_TRUE(pid.ok()) << pid.status();
  absl::Time start = absl::Now();
  absl::StatusOr<NamedPipe> client = NamedPipe::Connect(name, absl::Seconds(10));
  absl::Duration waited = absl::Now() - start;
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_FALSE(client->is_server());
  EXPECT_GE(waited, absl::Milliseconds(300));  // The server slept 400 ms before Create.
  ASSERT_TRUE(client->WriteAll("from parent\n", absl::Seconds(10)).ok());
  absl::StatusOr<std::string> reply = ReadLine(*client);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(*reply, "reply:from parent");
  client->Disconnect();
  ExpectCleanExit(*pid);
}

TEST(NamedPipeTest, SeveralClientsEachGetTheirOwnConnection) {
  std::string name = UniqueName("multi");
  absl::StatusOr<NamedPipe> server = NamedPipe::Create(name);
  ASSERT_TRUE(server.ok()) << server.status();
  std::vector<pid_t> pids;
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<pid_t> pid = SpawnChild(kPeer, {"client", name, absl::StrCat("client #", i)});
    ASSERT_TRUE(pid.ok());
    pids.push_back(*pid);
  }
  std::vector<NamedPipeConnection> conns;
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<NamedPipeConnection> conn = server->Accept(absl::Seconds(10));
    ASSERT_TRUE(conn.ok()) << conn.status();
    conns.push_back(*std::move(conn));
  }
  // Answer in reverse order: each reply must still reach the right process.
  std::vector<std::string> seen;
  for (int i = 2; i >= 0; --i) {
    absl::StatusOr<std::string> line = ReadLine(conns[i]);
    ASSERT_TRUE(line.ok()) << line.status();
    seen.push_back(*line);
    ASSERT_TRUE(conns[i].WriteAll("reply:" + *line + "\n", absl::Seconds(10)).ok());
  }
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, (std::vector<std::string>{"client #0", "client #1", "client #2"}));
  EXPECT_FALSE(server->is_connected());  // Accept leaves the current connection alone.
  for (pid_t pid : pids) ExpectCleanExit(pid);
}

TEST(NamedPipeTest, PeerClosedIsEofForReadAndPeerClosedForExactIo) {
  std::string name = UniqueName("eof");
  absl::StatusOr<NamedPipe> server = NamedPipe::Create(name);
  ASSERT_TRUE(server.ok());
  absl::StatusOr<pid_t> pid = SpawnChild(kPeer, {"connect_and_exit", name});
  ASSERT_TRUE(pid.ok());
  ASSERT_TRUE(server->WaitForClient(absl::Seconds(10)).ok());
  ExpectCleanExit(*pid);
  char buf[8];
  absl::StatusOr<size_t> n = server->Read(absl::MakeSpan(buf), absl::Seconds(10));
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 0u);
  EXPECT_EQ(ErrorClassOf(server->ReadExact(absl::MakeSpan(buf), absl::Seconds(10))), "peer_closed");
  absl::Status w = server->WriteAll("nobody listens", absl::Seconds(10));
  EXPECT_EQ(ErrorClassOf(w), "peer_closed") << w;  // And no SIGPIPE killed us.
  server->Disconnect();
  EXPECT_EQ(ErrorClassOf(server->Read(absl::MakeSpan(buf)).status()), "closed");
}

TEST(NamedPipeTest, ConnectTimesOutWhenNoServer) {
  std::string name = UniqueName("none");
  absl::Time start = absl::Now();
  absl::StatusOr<NamedPipe> client = NamedPipe::Connect(name, absl::Milliseconds(300));
  absl::Duration elapsed = absl::Now() - start;
  EXPECT_EQ(ErrorClassOf(client.status()), "timeout") << client.status();
  EXPECT_NE(client.status().message().find(AddressOf(name)), absl::string_view::npos)
      << client.status();
  EXPECT_GE(elapsed, absl::Milliseconds(300));
  EXPECT_LT(elapsed, absl::Milliseconds(2300));
}

TEST(NamedPipeTest, ZeroTimeoutConnectToNobodyIsNotFound) {
  std::string name = UniqueName("nobody");
  absl::StatusOr<NamedPipe> client = NamedPipe::Connect(name, absl::ZeroDuration());
  EXPECT_EQ(ErrorClassOf(client.status()), "not_found") << client.status();
  EXPECT_NE(client.status().message().find(AddressOf(name)), absl::string_view::npos)
      << client.status();
}

TEST(NamedPipeTest, AllowOtherUsersOpensTheSocketFile) {
  std::string name = UniqueName("open");
  NamedPipeOptions anyone;
  anyone.allow_other_users = true;
  absl::StatusOr<NamedPipe> server = NamedPipe::Create(name, anyone);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_TRUE(server->options().allow_other_users);
  if (kSocketFile) {
    absl::StatusOr<FileStatus> st = StatLink(server->path());
    ASSERT_TRUE(st.ok()) << st.status();
    EXPECT_EQ(st->permissions, 0666u);
  }
  // A same-user client passes either way.
  absl::StatusOr<NamedPipe> client = NamedPipe::Connect(name, absl::Seconds(5));
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_TRUE(server->WaitForClient(absl::Seconds(5)).ok());
}

// POSIX: the killed server's socket file stays and is reclaimed. Windows: the
// name dies with its server.
TEST(NamedPipeTest, NameOfAKilledServerIsFreeAgain) {
  std::string name = UniqueName("stale");
  absl::StatusOr<pid_t> pid = SpawnChild(kPeer, {"serve_until_killed", name});
  ASSERT_TRUE(pid.ok());
  {
    // Once connected, the server is up; then it dies the way a crash does.
    absl::StatusOr<NamedPipe> probe = NamedPipe::Connect(name, absl::Seconds(10));
    ASSERT_TRUE(probe.ok()) << probe.status();
    KillChild(*pid);
  }
  if (kSocketFile) {
    ASSERT_TRUE(Exists(AddressOf(name))) << "the dead server should have left its socket file";
  }
  absl::StatusOr<NamedPipe> server = NamedPipe::Create(name);
  ASSERT_TRUE(server.ok()) << server.status();
  absl::StatusOr<pid_t> client = SpawnChild(kPeer, {"client", name, "after reclaim"});
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE(server->WaitForClient(absl::Seconds(10)).ok());
  absl::StatusOr<std::string> line = ReadLine(*server);
  ASSERT_TRUE(line.ok()) << line.status();
  ASSERT_TRUE(server->WriteAll("reply:" + *line + "\n").ok());
  ExpectCleanExit(*client);
}

TEST(NamedPipeTest, LiveServerIsInUseForAnotherProcess) {
  std::string name = UniqueName("live");
  absl::StatusOr<NamedPipe> server = NamedPipe::Create(name);
  ASSERT_TRUE(server.ok());
  absl::StatusOr<pid_t> pid = SpawnChild(kPeer, {"expect_in_use", name});
  ASSERT_TRUE(pid.ok());
  ExpectCleanExit(*pid);
  // The probe connection the other process made is not a client to serve;
  // the original server still works for a real one.
  absl::StatusOr<pid_t> client = SpawnChild(kPeer, {"client", name, "still mine"});
  ASSERT_TRUE(client.ok());
  for (;;) {
    ASSERT_TRUE(server->WaitForClient(absl::Seconds(10)).ok());
    absl::StatusOr<std::string> line = ReadLine(*server);
    if (!line.ok()) continue;  // The in_use probe: connected and hung up.
    EXPECT_EQ(*line, "still mine");
    ASSERT_TRUE(server->WriteAll("reply:" + *line + "\n").ok());
    break;
  }
  ExpectCleanExit(*client);
}

TEST(NamedPipeTest, BadNamesAreInvalidArgument) {
  for (const std::string& bad :
       {std::string(""), std::string("../x"), std::string(65, 'n'), std::string("a/b"),
        std::string(".hidden"), "/" + std::string(200, 'p')}) {
    EXPECT_EQ(ErrorClassOf(NamedPipe::Create(bad).status()), "invalid_argument") << bad;
    EXPECT_EQ(ErrorClassOf(NamedPipe::Connect(bad, absl::ZeroDuration()).status()),
              "invalid_argument")
        << bad;
  }
}

TEST(NamedPipeTest, SocketFileIsPrivateAndRemovedWithTheServer) {
  if (!kSocketFile) GTEST_SKIP() << "a named pipe has no file";
  std::string name = UniqueName("mode");
  std::string path = absl::StrCat("/tmp/", name, ".sock");
  {
    absl::StatusOr<NamedPipe> server = NamedPipe::Create(name);
    ASSERT_TRUE(server.ok());
    absl::StatusOr<FileStatus> st = StatLink(path);
    ASSERT_TRUE(st.ok()) << st.status();
    EXPECT_EQ(st->type, FileStatus::Type::kSocket);
    EXPECT_EQ(st->permissions, 0600u);
    NamedPipe moved = *std::move(server);
    EXPECT_TRUE(Exists(path));
  }
  EXPECT_FALSE(Exists(path));
}

// A socket path (POSIX) or a full pipe path (Windows, as ipckit 0.1).
TEST(NamedPipeTest, FullPathNamesAreUsedAsIs) {
  const std::string path =
      kSocketFile ? absl::StrCat("/tmp/ipckit-np-abs-", platform::CurrentProcessId(), ".socket")
                  : absl::StrCat("\\\\.\\pipe\\ipckit-np-abs-", platform::CurrentProcessId());
  absl::StatusOr<NamedPipe> server = NamedPipe::Create(path);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ(server->path(), path);
  if (kSocketFile) {
    EXPECT_TRUE(Exists(path));
  }
  absl::StatusOr<pid_t> pid = SpawnChild(kPeer, {"client", path, "abs"});
  ASSERT_TRUE(pid.ok());
  ASSERT_TRUE(server->WaitForClient(absl::Seconds(10)).ok());
  absl::StatusOr<std::string> line = ReadLine(*server);
  ASSERT_TRUE(line.ok());
  ASSERT_TRUE(server->WriteAll("reply:" + *line + "\n").ok());
  ExpectCleanExit(*pid);
}

TEST(NamedPipeTest, ClientCannotAccept) {
  std::string name = UniqueName("role");
  absl::StatusOr<NamedPipe> server = NamedPipe::Create(name);
  ASSERT_TRUE(server.ok());
  absl::StatusOr<NamedPipe> client = NamedPipe::Connect(name, absl::Seconds(5));
  ASSERT_TRUE(client.ok());
  EXPECT_EQ(ErrorClassOf(client->WaitForClient(absl::ZeroDuration())), "invalid_argument");
  EXPECT_EQ(ErrorClassOf(server->WriteAll("x")), "closed");  // No client accepted yet.
  // The client's connection is already queued, so even a zero timeout accepts it.
  EXPECT_TRUE(server->WaitForClient(absl::ZeroDuration()).ok());
  ASSERT_TRUE(client->WriteAll("x").ok());
  char c;
  ASSERT_TRUE(server->ReadExact(absl::MakeSpan(&c, 1), absl::Seconds(5)).ok());
  EXPECT_EQ(c, 'x');
}

}  // namespace
}  // namespace ipckit
