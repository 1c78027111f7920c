#include "cc/platform/io/unix_socket.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>

#include <cstdio>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cc/base/error.h"
#include "cc/platform/io/child_process.h"
#include "cc/platform/io/fd_io.h"
#include "gtest/gtest.h"

namespace ipckit {
namespace uds {
namespace {

std::string TestPath(absl::string_view tag) {
  return absl::StrCat("/tmp/ipckit-uds-", tag, "-", ::getpid(), ".sock");
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

TEST(UnixSocketTest, ListenConnectAcceptAndCleanup) {
  std::string path = TestPath("basic");
  {
    absl::StatusOr<UnixListener> server = UnixListener::Listen(path);
    ASSERT_TRUE(server.ok()) << server.status();
    struct stat st;
    ASSERT_EQ(::lstat(path.c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0600);
    absl::StatusOr<UniqueFd> client = ConnectUnix(path, Deadline::After(absl::Seconds(5)));
    ASSERT_TRUE(client.ok()) << client.status();
    absl::StatusOr<UniqueFd> conn = server->Accept(Deadline::After(absl::Seconds(5)));
    ASSERT_TRUE(conn.ok()) << conn.status();
    ASSERT_TRUE(
        fd_io::WriteAll(client->get(), fd_io::FdKind::kSocket, "ping", Deadline::Never(), "c")
            .ok());
    char buf[4];
    ASSERT_TRUE(fd_io::ReadExact(conn->get(), absl::MakeSpan(buf), Deadline::Never(), "s").ok());
    EXPECT_EQ(std::string(buf, 4), "ping");
    // Moving the listener must not remove the file early.
    UnixListener moved = std::move(*server);
    EXPECT_TRUE(Exists(path));
  }
  EXPECT_FALSE(Exists(path));
}

TEST(UnixSocketTest, AcceptTimesOut) {
  std::string path = TestPath("accept-timeout");
  absl::StatusOr<UnixListener> server = UnixListener::Listen(path);
  ASSERT_TRUE(server.ok()) << server.status();
  absl::Time start = absl::Now();
  absl::StatusOr<UniqueFd> conn = server->Accept(Deadline::After(absl::Milliseconds(80)));
  EXPECT_EQ(ErrorClassOf(conn.status()), "timeout");
  EXPECT_NE(conn.status().message().find(path), absl::string_view::npos);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(80));
}

TEST(UnixSocketTest, LiveServerIsNotStolen) {
  std::string path = TestPath("live");
  absl::StatusOr<UnixListener> first = UnixListener::Listen(path);
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<UnixListener> second = UnixListener::Listen(path);
  EXPECT_EQ(ErrorClassOf(second.status()), "in_use");
  EXPECT_NE(second.status().message().find(absl::StrCat(path, " is in use by a live server")),
            absl::string_view::npos)
      << second.status();
  EXPECT_TRUE(ConnectUnix(path, Deadline::After(absl::Seconds(2))).ok());
}

TEST(UnixSocketTest, StaleSocketFileIsReclaimed) {
  std::string path = TestPath("stale");
  // A bound socket whose descriptor is closed leaves exactly what a crashed
  // server leaves: a socket file nobody listens on.
  {
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM, 0));
    sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, path.c_str());
    ASSERT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  }
  ASSERT_TRUE(Exists(path));
  absl::StatusOr<UnixListener> server = UnixListener::Listen(path);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_TRUE(ConnectUnix(path, Deadline::After(absl::Seconds(2))).ok());
}

TEST(UnixSocketTest, RegularFileIsNeverReplaced) {
  std::string path = TestPath("regular");
  std::FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs("precious", f);
  std::fclose(f);
  absl::StatusOr<UnixListener> server = UnixListener::Listen(path);
  EXPECT_EQ(ErrorClassOf(server.status()), "in_use");
  EXPECT_NE(server.status().message().find("not a socket"), absl::string_view::npos);
  struct stat st;
  ASSERT_EQ(::lstat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_size, 8);
  ::unlink(path.c_str());
}

TEST(UnixSocketTest, ReplacedFileIsNotRemovedByTheOldOwner) {
  std::string path = TestPath("replaced");
  absl::StatusOr<UnixListener> old_server = UnixListener::Listen(path);
  ASSERT_TRUE(old_server.ok());
  ASSERT_EQ(::unlink(path.c_str()), 0);
  absl::StatusOr<UnixListener> new_server = UnixListener::Listen(path);
  ASSERT_TRUE(new_server.ok()) << new_server.status();
  *old_server = std::move(*new_server);  // Destroys the old listener's state.
  EXPECT_TRUE(Exists(path));
  EXPECT_TRUE(ConnectUnix(path, Deadline::After(absl::Seconds(2))).ok());
}

TEST(UnixSocketTest, ConnectTimesOutNamingThePath) {
  std::string path = TestPath("nobody");
  absl::Time start = absl::Now();
  absl::StatusOr<UniqueFd> c = ConnectUnix(path, Deadline::After(absl::Milliseconds(150)));
  absl::Duration elapsed = absl::Now() - start;
  EXPECT_EQ(ErrorClassOf(c.status()), "timeout");
  EXPECT_NE(c.status().message().find(path), absl::string_view::npos) << c.status();
  EXPECT_GE(elapsed, absl::Milliseconds(150));
  EXPECT_LT(elapsed, absl::Milliseconds(2150));
}

TEST(UnixSocketTest, OverlongPathIsInvalidArgument) {
  std::string path = "/tmp/" + std::string(200, 'x');
  EXPECT_EQ(ErrorClassOf(UnixListener::Listen(path).status()), "invalid_argument");
  EXPECT_EQ(ErrorClassOf(ConnectUnix(path, Deadline::Never()).status()), "invalid_argument");
}

// --- Peers of another user (spec/naming.md, "Who may connect") ---
// The tests run as root on CI: a forked child setuid()s to `nobody` and plays
// the other user. The child reports through its exit status, and says it is
// listening by writing one byte to a pipe, so nothing races.

constexpr uid_t kNobody = 65534;

const PeerAccess kAnyUser = {/*allow_other_users=*/true};

// Forks a child that becomes uid `kNobody` and exits with `body`'s result.
// `body` gets the write end of a pipe and writes one byte to it once it is
// ready (e.g. listening); returns the child's pid after that byte, or -1 if
// the child failed first.
pid_t StartAsNobody(const std::function<int(int ready)>& body) {
  int fds[2];
  if (::pipe(fds) != 0) return -1;
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    if (::setgid(kNobody) != 0 || ::setuid(kNobody) != 0) ::_exit(90);
    ::_exit(body(fds[1]));
  }
  ::close(fds[1]);
  UniqueFd ready(fds[0]);
  char byte;
  if (pid < 0 || !fd_io::ReadExact(ready.get(), absl::MakeSpan(&byte, 1),
                                   Deadline::After(absl::Seconds(30)), "ready")
                      .ok()) {
    return -1;
  }
  return pid;
}

int ExitCode(pid_t pid) {
  absl::StatusOr<int> status = WaitChild(pid, absl::Seconds(30));
  if (!status.ok() || !WIFEXITED(*status)) return -1;
  return WEXITSTATUS(*status);
}

// An impostor server run by another user: accepts one client (any user),
// sends a forged reply, and exits with the number of bytes it received
// before the client hung up (capped at 100).
int ImpostorServer(const std::string& path, int ready) {
  absl::StatusOr<UnixListener> server = UnixListener::Listen(path, kAnyUser);
  if (!server.ok()) return 101;
  if (::write(ready, "r", 1) != 1) return 102;
  absl::StatusOr<UniqueFd> conn = server->Accept(Deadline::After(absl::Seconds(20)));
  if (!conn.ok()) return 103;
  fd_io::WriteAll(conn->get(), fd_io::FdKind::kSocket, "forged", Deadline::After(absl::Seconds(5)),
                  "impostor")
      .IgnoreError();
  size_t received = 0;
  char buf[64];
  for (;;) {
    absl::StatusOr<size_t> n = fd_io::ReadSome(conn->get(), absl::MakeSpan(buf),
                                               Deadline::After(absl::Seconds(20)), "impostor");
    if (!n.ok() || *n == 0) break;
    received += *n;
  }
  return static_cast<int>(std::min<size_t>(received, 100));
}

class OtherUserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) {
      GTEST_SKIP() << "needs root: a child must setuid() to uid 65534 to act as another user";
    }
  }
};

TEST_F(OtherUserTest, ClientRefusesAServerOfAnotherUser) {
  std::string path = TestPath("impostor");
  pid_t pid = StartAsNobody([&](int ready) { return ImpostorServer(path, ready); });
  ASSERT_GT(pid, 0);
  absl::StatusOr<UniqueFd> client = ConnectUnix(path, Deadline::After(absl::Seconds(5)));
  EXPECT_EQ(ErrorClassOf(client.status()), "permission_denied") << client.status();
  EXPECT_NE(client.status().message().find("uid 65534"), absl::string_view::npos)
      << client.status();
  // The refused client sent nothing, and so never saw the forged reply either.
  EXPECT_EQ(ExitCode(pid), 0);
  ::unlink(path.c_str());
}

TEST_F(OtherUserTest, ClientOptInTalksToAServerOfAnotherUser) {
  std::string path = TestPath("optin");
  pid_t pid = StartAsNobody([&](int ready) { return ImpostorServer(path, ready); });
  ASSERT_GT(pid, 0);
  absl::StatusOr<UniqueFd> client = ConnectUnix(path, Deadline::After(absl::Seconds(5)), kAnyUser);
  ASSERT_TRUE(client.ok()) << client.status();
  char reply[6];
  ASSERT_TRUE(fd_io::ReadExact(client->get(), absl::MakeSpan(reply),
                               Deadline::After(absl::Seconds(10)), "c")
                  .ok());
  EXPECT_EQ(std::string(reply, 6), "forged");
  ASSERT_TRUE(fd_io::WriteAll(client->get(), fd_io::FdKind::kSocket, "hello",
                              Deadline::After(absl::Seconds(5)), "c")
                  .ok());
  client->reset();
  EXPECT_EQ(ExitCode(pid), 5);
  ::unlink(path.c_str());
}

// A server run by `nobody` with the default policy, accepting one client:
// exits 0 if Accept refused it as another user, 1 if it accepted it.
int StrictServer(const std::string& path, int ready) {
  absl::StatusOr<UnixListener> server = UnixListener::Listen(path);
  if (!server.ok()) return 101;
  if (::write(ready, "r", 1) != 1) return 102;
  absl::StatusOr<UniqueFd> conn = server->Accept(Deadline::After(absl::Seconds(20)));
  if (conn.ok()) return 1;
  return ErrorClassOf(conn.status()) == "permission_denied" ? 0 : 103;
}

TEST_F(OtherUserTest, ServerRefusesAClientOfAnotherUser) {
  std::string path = TestPath("strict");
  pid_t pid = StartAsNobody([&](int ready) { return StrictServer(path, ready); });
  ASSERT_GT(pid, 0);
  // Root can connect to nobody's 0600 socket; this client opts in so that
  // only the server's check is under test.
  absl::StatusOr<UniqueFd> client = ConnectUnix(path, Deadline::After(absl::Seconds(5)), kAnyUser);
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_EQ(ExitCode(pid), 0);
  // The server closed us without a byte.
  char buf[8];
  absl::StatusOr<size_t> n =
      fd_io::ReadSome(client->get(), absl::MakeSpan(buf), Deadline::After(absl::Seconds(10)), "c");
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 0u);
}

TEST_F(OtherUserTest, ServerOptInAcceptsAClientOfAnotherUser) {
  std::string path = TestPath("open");
  absl::StatusOr<UnixListener> server = UnixListener::Listen(path, kAnyUser);
  ASSERT_TRUE(server.ok()) << server.status();
  struct stat st;
  ASSERT_EQ(::lstat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0666);
  pid_t pid = StartAsNobody([&](int ready) {
    if (::write(ready, "r", 1) != 1) return 100;
    absl::StatusOr<UniqueFd> c = ConnectUnix(path, Deadline::After(absl::Seconds(10)), kAnyUser);
    if (!c.ok()) return 101;
    return fd_io::WriteAll(c->get(), fd_io::FdKind::kSocket, "hi", Deadline::Never(), "c").ok()
               ? 0
               : 102;
  });
  ASSERT_GT(pid, 0);
  absl::StatusOr<UniqueFd> conn = server->Accept(Deadline::After(absl::Seconds(20)));
  ASSERT_TRUE(conn.ok()) << conn.status();
  char buf[2];
  EXPECT_TRUE(
      fd_io::ReadExact(conn->get(), absl::MakeSpan(buf), Deadline::After(absl::Seconds(10)), "s")
          .ok());
  EXPECT_EQ(ExitCode(pid), 0);
}

TEST_F(OtherUserTest, CreateReportsASocketFileOfAnotherUser) {
  std::string path = TestPath("squatted");
  // The other user binds the path and exits: a socket file it owns, that
  // nobody listens on. Our server must neither unlink nor take it.
  pid_t pid = StartAsNobody([&](int ready) {
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM, 0));
    sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, path.c_str());
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return 101;
    return ::write(ready, "r", 1) == 1 ? 0 : 102;
  });
  ASSERT_GT(pid, 0);
  ASSERT_EQ(ExitCode(pid), 0);
  absl::StatusOr<UnixListener> server = UnixListener::Listen(path);
  EXPECT_EQ(ErrorClassOf(server.status()), "permission_denied") << server.status();
  EXPECT_NE(server.status().message().find("uid 65534"), absl::string_view::npos)
      << server.status();
  struct stat st;
  ASSERT_EQ(::lstat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, kNobody);
  ::unlink(path.c_str());
}

TEST(UnixSocketTest, ZeroTimeoutConnectToNobodyIsNotFound) {
  std::string path = TestPath("absent");
  absl::StatusOr<UniqueFd> c = ConnectUnix(path, Deadline::After(absl::ZeroDuration()));
  EXPECT_EQ(ErrorClassOf(c.status()), "not_found") << c.status();
  EXPECT_NE(c.status().message().find(path), absl::string_view::npos) << c.status();
}

}  // namespace
}  // namespace uds
}  // namespace ipckit
