#include "cc/platform/io/unix_socket.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cc/base/error.h"
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

}  // namespace
}  // namespace uds
}  // namespace ipckit
