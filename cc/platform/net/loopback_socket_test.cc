// The loopback sockets on every OS (POSIX sockets and poll; Winsock and
// WSAPoll under Wine): listening, accepting, transfers in both directions,
// end of stream, errors, waking a wait from another thread, and that no
// socket leaks into child processes.
#include "cc/platform/net/loopback_socket.h"

#ifdef _WIN32
#include <winsock2.h>
#include <windows.h>
#else
#include <fcntl.h>
#endif

#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cc/base/error.h"
#include "gtest/gtest.h"

namespace ipckit {
namespace {

constexpr absl::Duration kBound = absl::Seconds(20);  // for a broken implementation only

bool Inheritable(SocketHandle s) {
#ifdef _WIN32
  DWORD flags = 0;
  EXPECT_TRUE(::GetHandleInformation(reinterpret_cast<HANDLE>(s), &flags));
  return (flags & HANDLE_FLAG_INHERIT) != 0;
#else
  return (::fcntl(s, F_GETFD) & FD_CLOEXEC) == 0;
#endif
}

// Waits for `s` to become readable (or writable).
void WaitFor(SocketHandle s, bool write) {
  std::vector<SocketInterest> wait = {{s, !write, write}};
  absl::StatusOr<bool> woke = WaitForSockets(wait, kBound);
  ASSERT_TRUE(woke.ok()) << woke.status();
  ASSERT_TRUE(wait[0].ready) << "not ready within " << kBound;
}

// Receives until `n` bytes arrived or the stream ended.
std::string ReceiveExactly(SocketHandle s, size_t n) {
  std::string in;
  char buf[4096];
  while (in.size() < n) {
    WaitFor(s, /*write=*/false);
    absl::StatusOr<Transfer> got = ReceiveSome(s, buf, sizeof(buf));
    EXPECT_TRUE(got.ok()) << got.status();
    if (!got.ok() || (got->bytes == 0 && !got->would_block)) break;
    in.append(buf, got->bytes);
  }
  return in;
}

void SendEverything(SocketHandle s, absl::string_view data) {
  while (!data.empty()) {
    absl::StatusOr<Transfer> sent = SendSome(s, data);
    ASSERT_TRUE(sent.ok()) << sent.status();
    if (sent->would_block) {
      WaitFor(s, /*write=*/true);
      continue;
    }
    data.remove_prefix(sent->bytes);
  }
}

// A listener and one accepted connection to it.
struct Pair {
  LoopbackListener listener;
  UniqueSocket client;
  UniqueSocket server;
};

Pair Connected() {
  absl::StatusOr<LoopbackListener> listener = LoopbackListener::Bind(0);
  EXPECT_TRUE(listener.ok()) << listener.status();
  absl::StatusOr<UniqueSocket> client = ConnectToLoopback(listener->port());
  EXPECT_TRUE(client.ok()) << client.status();
  WaitFor(listener->fd(), /*write=*/false);
  absl::StatusOr<UniqueSocket> server = listener->Accept();
  EXPECT_TRUE(server.ok()) << server.status();
  EXPECT_TRUE(server->valid());
  return Pair{std::move(*listener), std::move(*client), std::move(*server)};
}

TEST(LoopbackSocketTest, AcceptsAClientAndMovesBytesBothWays) {
  absl::StatusOr<LoopbackListener> listener = LoopbackListener::Bind(0);
  ASSERT_TRUE(listener.ok()) << listener.status();
  EXPECT_NE(listener->port(), 0);
  absl::StatusOr<UniqueSocket> none = listener->Accept();
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_FALSE(none->valid()) << "nothing was pending";

  Pair p = Connected();
  SendEverything(p.client.get(), "ping");
  EXPECT_EQ(ReceiveExactly(p.server.get(), 4), "ping");
  SendEverything(p.server.get(), "pong");
  EXPECT_EQ(ReceiveExactly(p.client.get(), 4), "pong");
}

TEST(LoopbackSocketTest, EmptyNonBlockingReceiveWouldBlockAndShutdownEndsTheStream) {
  Pair p = Connected();
  char buf[16];
  absl::StatusOr<Transfer> empty = ReceiveSome(p.server.get(), buf, sizeof(buf));
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_TRUE(empty->would_block);
  EXPECT_EQ(empty->bytes, 0u);

  // The server answers, shuts its write side and can still read the client.
  SendEverything(p.server.get(), "bye");
  ShutdownWrite(p.server.get());
  EXPECT_EQ(ReceiveExactly(p.client.get(), 100), "bye");  // then end of stream
  SendEverything(p.client.get(), "late");
  EXPECT_EQ(ReceiveExactly(p.server.get(), 4), "late");
}

TEST(LoopbackSocketTest, AMegabyteCrossesWithWouldBlockAndWaits) {
  Pair p = Connected();
  std::string data(1 << 20, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7 + (i >> 11));
  std::string received;
  std::thread reader([&] { received = ReceiveExactly(p.server.get(), data.size()); });
  SendEverything(p.client.get(), data);
  reader.join();
  EXPECT_TRUE(received == data) << "received " << received.size() << " bytes, not the ones sent";
}

TEST(LoopbackSocketTest, ATakenPortIsInUse) {
  absl::StatusOr<LoopbackListener> first = LoopbackListener::Bind(0);
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<LoopbackListener> second = LoopbackListener::Bind(first->port());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(ErrorClassOf(second.status()), kErrInUse) << second.status();
}

TEST(LoopbackSocketTest, ConnectingWhereNothingListensIsPeerClosed) {
  uint16_t port = 0;
  {
    absl::StatusOr<LoopbackListener> gone = LoopbackListener::Bind(0);
    ASSERT_TRUE(gone.ok()) << gone.status();
    port = gone->port();
  }
  absl::StatusOr<UniqueSocket> refused = ConnectToLoopback(port);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(ErrorClassOf(refused.status()), kErrPeerClosed) << refused.status();
}

TEST(LoopbackSocketTest, NoSocketIsInheritedByChildren) {
  Pair p = Connected();
  EXPECT_FALSE(Inheritable(p.listener.fd()));
  EXPECT_FALSE(Inheritable(p.server.get()));
  EXPECT_FALSE(Inheritable(p.client.get()));
  absl::StatusOr<WakePipe> wake = MakeWakePipe();
  ASSERT_TRUE(wake.ok()) << wake.status();
  EXPECT_FALSE(Inheritable(wake->read_end.get()));
  EXPECT_FALSE(Inheritable(wake->write_end.get()));
}

TEST(LoopbackSocketTest, AWaitTimesOutWithNothingReady) {
  Pair p = Connected();
  std::vector<SocketInterest> wait = {{p.server.get(), /*read=*/true}, {p.client.get(), true}};
  const absl::Time start = absl::Now();
  absl::StatusOr<bool> woke = WaitForSockets(wait, absl::Milliseconds(50));
  ASSERT_TRUE(woke.ok()) << woke.status();
  EXPECT_TRUE(*woke);
  EXPECT_FALSE(wait[0].ready);
  EXPECT_FALSE(wait[1].ready);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(49));  // the clock's rounding, not a sleep
}

TEST(LoopbackSocketTest, AWakeFromAnotherThreadEndsTheWaitAndDrainEmptiesIt) {
  absl::StatusOr<WakePipe> wake = MakeWakePipe();
  ASSERT_TRUE(wake.ok()) << wake.status();
  Pair p = Connected();
  // The connection waits for neither reading nor writing (errors only): a
  // wait set the server builds for connections busy elsewhere.
  std::vector<SocketInterest> wait = {{wake->read_end.get(), /*read=*/true}, {p.server.get()}};
  std::thread waker([&] { Wake(wake->write_end.get()); });
  absl::StatusOr<bool> woke = WaitForSockets(wait, kBound);
  waker.join();
  ASSERT_TRUE(woke.ok()) << woke.status();
  EXPECT_TRUE(wait[0].ready);
  EXPECT_FALSE(wait[1].ready);

  // Many wakes, one drain: nothing is left to wake the next wait.
  for (int i = 0; i < 1000; ++i) Wake(wake->write_end.get());
  WaitFor(wake->read_end.get(), /*write=*/false);
  DrainWakes(wake->read_end.get());
  std::vector<SocketInterest> again = {{wake->read_end.get(), /*read=*/true}};
  woke = WaitForSockets(again, absl::ZeroDuration());
  ASSERT_TRUE(woke.ok()) << woke.status();
  EXPECT_FALSE(again[0].ready);
}

#ifdef _WIN32
// Another user's socket, even with SO_REUSEADDR, cannot share the bridge's
// port and take its connections: the listener holds it with
// SO_EXCLUSIVEADDRUSE.
TEST(LoopbackSocketTest, NoOtherSocketCanBindTheListenersPort) {
  absl::StatusOr<LoopbackListener> listener = LoopbackListener::Bind(0);
  ASSERT_TRUE(listener.ok()) << listener.status();
  SOCKET thief = ::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  ASSERT_NE(thief, INVALID_SOCKET);
  BOOL one = TRUE;
  ASSERT_EQ(::setsockopt(thief, SOL_SOCKET, SO_REUSEADDR, reinterpret_cast<const char*>(&one),
                         sizeof(one)),
            0);
  for (u_long address : {u_long{INADDR_LOOPBACK}, u_long{INADDR_ANY}}) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = ::htons(listener->port());
    addr.sin_addr.s_addr = ::htonl(address);
    EXPECT_NE(::bind(thief, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0)
        << "bound the listener's port on " << address;
  }
  ::closesocket(thief);
}
#endif

}  // namespace
}  // namespace ipckit
