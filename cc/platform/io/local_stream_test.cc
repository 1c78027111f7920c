// LocalStream and LocalStreamListener, the same assertions on every OS
// (threads in one process; the API classes' tests add peer processes).
#include "cc/platform/io/local_stream.h"

#include <atomic>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/types/span.h"
#include "cc/base/error.h"
#include "cc/platform/process/process.h"
#include "gtest/gtest.h"

namespace ipckit {
namespace platform {
namespace {

constexpr bool kUnixSocket = kLocalStreamKind == LocalStreamKind::kUnixSocket;

std::string UniqueName(absl::string_view tag) {
  static std::atomic<int> counter{0};
  return absl::StrCat("ipckit-ls-", tag, "-", CurrentProcessId(), "-", counter++);
}

Deadline Soon() { return Deadline::After(absl::Seconds(10)); }

std::string Pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 13 + i / 509) & 0xff);
  return s;
}

// A listener and both ends of one connection.
struct Pair {
  LocalStreamListener listener;
  LocalStream server;
  LocalStream client;
};

absl::StatusOr<Pair> Connected(absl::string_view tag) {
  absl::StatusOr<std::string> address = LocalStreamAddress(UniqueName(tag));
  if (!address.ok()) return address.status();
  absl::StatusOr<LocalStreamListener> listener = LocalStreamListener::Listen(*address);
  if (!listener.ok()) return listener.status();
  absl::StatusOr<LocalStream> client = ConnectLocalStream(*address, Soon());
  if (!client.ok()) return client.status();
  absl::StatusOr<LocalStream> server = listener->Accept(Soon());
  if (!server.ok()) return server.status();
  return Pair{*std::move(listener), *std::move(server), *std::move(client)};
}

// Reads exactly n bytes from `stream` (test helper over ReadExact).
std::string ReadN(LocalStream& stream, size_t n) {
  std::string out(n, '\0');
  absl::Status s = stream.ReadExact(absl::MakeSpan(&out[0], n), Soon(), "reader");
  EXPECT_TRUE(s.ok()) << s;
  return out;
}

TEST(LocalStreamTest, AddressFollowsTheNamingRules) {
  if (kUnixSocket) {
    EXPECT_EQ(*LocalStreamAddress("jobs"), "/tmp/jobs.sock");
    EXPECT_EQ(*LocalStreamAddress("/run/app/x.sock"), "/run/app/x.sock");
  } else {
    EXPECT_EQ(*LocalStreamAddress("jobs"), "\\\\.\\pipe\\jobs");
    EXPECT_EQ(*LocalStreamAddress("\\\\.\\pipe\\jobs"), "\\\\.\\pipe\\jobs");  // as in 0.1
    EXPECT_EQ(ErrorClassOf(LocalStreamAddress("/run/app/x.sock").status()), "invalid_argument");
    EXPECT_EQ(ErrorClassOf(LocalStreamAddress("\\\\.\\pipe\\a/b").status()), "invalid_argument");
  }
  for (const char* bad : {"", "../x", "a/b", ".hidden"}) {
    EXPECT_EQ(ErrorClassOf(LocalStreamAddress(bad).status()), "invalid_argument") << bad;
  }
}

TEST(LocalStreamTest, EveryReadAndWriteBothWays) {
  absl::StatusOr<Pair> p = Connected("rw");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(p->client.is_open());
  EXPECT_TRUE(p->server.is_open());
  EXPECT_EQ(p->client.fd() >= 0, kUnixSocket);
  EXPECT_EQ(p->listener.fd() >= 0, kUnixSocket);

  ASSERT_TRUE(p->client.WriteAll("hello", Soon(), "client").ok());
  EXPECT_EQ(ReadN(p->server, 5), "hello");
  absl::StatusOr<size_t> n = p->server.WriteSome("back", Soon(), "server");
  ASSERT_TRUE(n.ok()) << n.status();
  ASSERT_GT(*n, 0u);
  char buf[16];
  absl::StatusOr<size_t> got = p->client.ReadSome(absl::MakeSpan(buf), Soon(), "client");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(std::string("back").substr(0, *got), std::string(buf, *got));
  // Empty buffers and empty data return at once.
  EXPECT_EQ(*p->client.ReadSome(absl::Span<char>(), Soon(), "client"), 0u);
  EXPECT_EQ(*p->client.WriteSome("", Soon(), "client"), 0u);
}

TEST(LocalStreamTest, GatheredWriteArrivesInOrder) {
  absl::StatusOr<Pair> p = Connected("gather");
  ASSERT_TRUE(p.ok()) << p.status();
  // Larger than any pipe or socket buffer: the reader must drain meanwhile.
  const std::string big = Pattern(3 << 20);
  const absl::string_view parts[] = {"head", "", "middle", big};
  const size_t total = 4 + 6 + big.size();
  std::string received;
  std::thread reader([&] { received = ReadN(p->server, total); });
  size_t written = 0;
  absl::Status s = p->client.WriteAllGathered(parts, Soon(), "client", &written);
  reader.join();
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(written, total);
  EXPECT_TRUE(received == absl::StrCat("head", "middle", big));
  // A small gathered write (one system call on POSIX, one copy on Windows).
  const absl::string_view small[] = {"ab", "cd"};
  ASSERT_TRUE(p->client.WriteAllGathered(small, Soon(), "client", &written).ok());
  EXPECT_EQ(written, 4u);
  EXPECT_EQ(ReadN(p->server, 4), "abcd");
}

TEST(LocalStreamTest, TimeoutsLoseNothing) {
  absl::StatusOr<Pair> p = Connected("timeout");
  ASSERT_TRUE(p.ok()) << p.status();
  char buf[8];
  absl::Time start = absl::Now();
  absl::Status timed_out =
      p->server.ReadSome(absl::MakeSpan(buf), Deadline::After(absl::Milliseconds(100)), "server")
          .status();
  EXPECT_EQ(ErrorClassOf(timed_out), "timeout") << timed_out;
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(100));
  ASSERT_TRUE(p->client.WriteAll("later", Soon(), "client").ok());
  EXPECT_EQ(ReadN(p->server, 5), "later");
}

// What lets ChannelEndpoint keep a frame whole after a timed-out Send.
TEST(LocalStreamTest, TimedOutGatheredWriteTellsHowMuchWentOut) {
  absl::StatusOr<Pair> p = Connected("partial");
  ASSERT_TRUE(p.ok()) << p.status();
  const std::string big = Pattern(8 << 20);  // Far more than the buffers hold.
  const absl::string_view parts[] = {"HDR!", big};
  size_t written = 0;
  absl::Status s = p->client.WriteAllGathered(parts, Deadline::After(absl::Milliseconds(200)),
                                              "client", &written);
  ASSERT_EQ(ErrorClassOf(s), "timeout") << s;
  ASSERT_GT(written, 0u);
  ASSERT_LT(written, 4 + big.size());
  // The rest goes out after, and the reader sees the whole, in order.
  const std::string all = absl::StrCat("HDR!", big);
  std::string received;
  std::thread reader([&] { received = ReadN(p->server, all.size()); });
  ASSERT_TRUE(p->client.WriteAll(absl::string_view(all).substr(written), Soon(), "client").ok());
  reader.join();
  EXPECT_TRUE(received == all);
}

TEST(LocalStreamTest, PeerClosedAndTruncated) {
  absl::StatusOr<Pair> p = Connected("closed");
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_TRUE(p->client.WriteAll("abc", Soon(), "client").ok());
  p->client.Close();
  EXPECT_FALSE(p->client.is_open());
  EXPECT_EQ(p->client.fd(), -1);
  char buf[10];
  absl::Status cut = p->server.ReadExact(absl::MakeSpan(buf), Soon(), "server");
  EXPECT_EQ(ErrorClassOf(cut), "truncated") << cut;
  absl::StatusOr<size_t> eof = p->server.ReadSome(absl::MakeSpan(buf), Soon(), "server");
  ASSERT_TRUE(eof.ok()) << eof.status();
  EXPECT_EQ(*eof, 0u);
  EXPECT_EQ(ErrorClassOf(p->server.ReadExact(absl::MakeSpan(buf), Soon(), "server")),
            "peer_closed");
  absl::Status w = p->server.WriteAll("nobody", Soon(), "server");
  EXPECT_EQ(ErrorClassOf(w), "peer_closed") << w;  // and no SIGPIPE
  // A closed end refuses calls.
  EXPECT_EQ(ErrorClassOf(p->client.WriteAll("x", Soon(), "client")), "closed");
  EXPECT_EQ(ErrorClassOf(p->client.ReadSome(absl::MakeSpan(buf), Soon(), "client").status()),
            "closed");
}

TEST(LocalStreamTest, OneServerPerName) {
  absl::StatusOr<std::string> address = LocalStreamAddress(UniqueName("owner"));
  ASSERT_TRUE(address.ok());
  {
    absl::StatusOr<LocalStreamListener> first = LocalStreamListener::Listen(*address);
    ASSERT_TRUE(first.ok()) << first.status();
    absl::Status second = LocalStreamListener::Listen(*address).status();
    EXPECT_EQ(ErrorClassOf(second), "in_use") << second;
    // Moving the listener keeps the name.
    LocalStreamListener moved = *std::move(first);
    EXPECT_EQ(ErrorClassOf(LocalStreamListener::Listen(*address).status()), "in_use");
  }
  // Gone with its owner: the name is free again.
  absl::StatusOr<LocalStreamListener> again = LocalStreamListener::Listen(*address);
  EXPECT_TRUE(again.ok()) << again.status();
}

TEST(LocalStreamTest, ConnectWithoutAServer) {
  absl::StatusOr<std::string> address = LocalStreamAddress(UniqueName("nobody"));
  ASSERT_TRUE(address.ok());
  absl::Status now = ConnectLocalStream(*address, Deadline::After(absl::ZeroDuration())).status();
  EXPECT_EQ(ErrorClassOf(now), "not_found") << now;
  absl::Time start = absl::Now();
  absl::Status later = ConnectLocalStream(*address, Deadline::After(absl::Milliseconds(100))).status();
  EXPECT_EQ(ErrorClassOf(later), "timeout") << later;
  EXPECT_NE(later.message().find(*address), absl::string_view::npos) << later;
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(100));
}

TEST(LocalStreamTest, ConnectWaitsForAServerThatComesLater) {
  absl::StatusOr<std::string> address = LocalStreamAddress(UniqueName("late"));
  ASSERT_TRUE(address.ok());
  absl::StatusOr<LocalStream> client = absl::UnknownError("not run");
  std::atomic<bool> connecting{false};
  std::thread connector([&] {
    connecting = true;
    client = ConnectLocalStream(*address, Soon());
  });
  while (!connecting) std::this_thread::yield();
  absl::StatusOr<LocalStreamListener> listener = LocalStreamListener::Listen(*address);
  ASSERT_TRUE(listener.ok()) << listener.status();
  absl::StatusOr<LocalStream> server = listener->Accept(Soon());
  connector.join();
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_TRUE(client.ok()) << client.status();
  ASSERT_TRUE(client->WriteAll("hi", Soon(), "client").ok());
  EXPECT_EQ(ReadN(*server, 2), "hi");
}

TEST(LocalStreamTest, AcceptTimesOutAndStaysUsable) {
  absl::StatusOr<std::string> address = LocalStreamAddress(UniqueName("accept"));
  ASSERT_TRUE(address.ok());
  absl::StatusOr<LocalStreamListener> listener = LocalStreamListener::Listen(*address);
  ASSERT_TRUE(listener.ok()) << listener.status();
  absl::Status none = listener->Accept(Deadline::After(absl::Milliseconds(50))).status();
  EXPECT_EQ(ErrorClassOf(none), "timeout") << none;
  for (int i = 0; i < 3; ++i) {  // Several clients, one by one.
    absl::StatusOr<LocalStream> client = ConnectLocalStream(*address, Soon());
    ASSERT_TRUE(client.ok()) << client.status();
    absl::StatusOr<LocalStream> server = listener->Accept(Soon());
    ASSERT_TRUE(server.ok()) << server.status();
    ASSERT_TRUE(client->WriteAll(absl::StrCat(i), Soon(), "client").ok());
    EXPECT_EQ(ReadN(*server, 1), absl::StrCat(i));
  }
}

}  // namespace
}  // namespace platform
}  // namespace ipckit
