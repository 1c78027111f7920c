#include "cc/channel/ipc_channel.h"

#include <atomic>
#include <memory>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cc/base/error.h"
#include "cc/channel/allocation_probe.h"
#include "cc/platform/fs/file_ops.h"
#include "cc/platform/io/child_process.h"
#include "cc/platform/io/local_stream.h"
#include "cc/platform/process/process.h"
#include "gtest/gtest.h"

namespace ipckit {
namespace {

constexpr char kPeer[] = "cc/channel/channel_peer";

std::string UniqueName(absl::string_view tag) {
  return absl::StrCat("ipckit-ch-", tag, "-", platform::CurrentProcessId());
}

// Waits for the child and returns its wait status (or -1).
int Reap(pid_t pid) {
  absl::StatusOr<int> status = WaitChild(pid, absl::Seconds(20));
  EXPECT_TRUE(status.ok()) << status.status();
  return status.ok() ? *status : -1;
}

bool CleanExit(int status) { return ExitedWithCode(status, 0); }

// A server channel with one child peer connected as its current client.
struct Session {
  IpcChannel channel;
  pid_t pid;
};

absl::StatusOr<Session> StartWithPeer(absl::string_view tag, std::vector<std::string> args,
                                      ChannelOptions options = {}) {
  std::string name = UniqueName(tag);
  absl::StatusOr<IpcChannel> server = IpcChannel::Create(name, options);
  if (!server.ok()) return server.status();
  args.insert(args.begin() + 1, name);
  absl::StatusOr<pid_t> pid = SpawnChild(kPeer, args);
  if (!pid.ok()) return pid.status();
  absl::Status accepted = server->WaitForClient(absl::Seconds(10));
  if (!accepted.ok()) {
    WaitChild(*pid, absl::ZeroDuration()).IgnoreError();
    return accepted;
  }
  return Session{*std::move(server), *pid};
}

std::string Pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 7 + i / 256) & 0xff);
  return s;
}

TEST(IpcChannelTest, RoundTripsThroughAnEchoingProcess) {
  absl::StatusOr<Session> s = StartWithPeer("echo", {"echo"});
  ASSERT_TRUE(s.ok()) << s.status();
  std::vector<std::string> messages = {"", "hello", std::string("nul\0inside", 10),
                                       Pattern(1 << 20), ""};
  for (const std::string& m : messages) {
    ASSERT_TRUE(s->channel.Send(m, absl::Seconds(10)).ok());
    absl::StatusOr<std::string> back = s->channel.Recv(absl::Seconds(10));
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(back->size(), m.size());
    EXPECT_TRUE(*back == m);
  }
  // A burst: many frames in flight at once still come back one per Recv.
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(s->channel.Send(absl::StrCat("msg ", i)).ok());
  std::string got;
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(s->channel.RecvInto(&got, absl::Seconds(10)).ok());
    EXPECT_EQ(got, absl::StrCat("msg ", i));
  }
  s->channel.Disconnect();  // The echo peer sees peer_closed and exits 0.
  int status = Reap(s->pid);
  EXPECT_TRUE(CleanExit(status)) << DescribeWaitStatus(status);
}

TEST(IpcChannelTest, ClientOfAServerInAnotherProcess) {
  std::string name = UniqueName("client");
  absl::StatusOr<pid_t> pid = SpawnChild(kPeer, {"serve_echo", name});
  ASSERT_TRUE(pid.ok());
  absl::StatusOr<IpcChannel> client = IpcChannel::Connect(name, absl::Seconds(10));
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_FALSE(client->is_server());
  EXPECT_EQ(client->name(), name);
  ASSERT_TRUE(client->Send("{\"type\":\"greeting\"}").ok());
  absl::StatusOr<std::string> back = client->Recv(absl::Seconds(10));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, "{\"type\":\"greeting\"}");
  client->Disconnect();
  int status = Reap(*pid);
  EXPECT_TRUE(CleanExit(status)) << DescribeWaitStatus(status);
}

TEST(IpcChannelTest, OneServerPerNameAcrossProcesses) {
  std::string name = UniqueName("owner");
  absl::StatusOr<pid_t> pid = SpawnChild(kPeer, {"serve_echo", name});
  ASSERT_TRUE(pid.ok());
  // Connected: the other process serves the name (and has us as its client).
  absl::StatusOr<IpcChannel> client = IpcChannel::Connect(name, absl::Seconds(10));
  ASSERT_TRUE(client.ok()) << client.status();
  absl::Status second = IpcChannel::Create(name).status();
  EXPECT_EQ(ErrorClassOf(second), "in_use") << second;
  // The refused server took nothing from the live one.
  ASSERT_TRUE(client->Send("still yours", absl::Seconds(10)).ok());
  absl::StatusOr<std::string> back = client->Recv(absl::Seconds(10));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, "still yours");
  client->Disconnect();
  int status = Reap(*pid);
  EXPECT_TRUE(CleanExit(status)) << DescribeWaitStatus(status);
}

TEST(IpcChannelTest, PeerKilledMidFrameIsTruncatedNotAHang) {
  absl::StatusOr<Session> s = StartWithPeer("killed", {"half_frame"});
  ASSERT_TRUE(s.ok()) << s.status();
  absl::StatusOr<std::string> ready = s->channel.Recv(absl::Seconds(10));
  ASSERT_TRUE(ready.ok()) << ready.status();
  EXPECT_EQ(*ready, "ready");
  // The peer wrote the half frame with "ready"; it dies the way a crash does.
  KillChild(s->pid);
  absl::Time start = absl::Now();
  absl::StatusOr<std::string> msg = s->channel.Recv(absl::Seconds(10));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_EQ(ErrorClassOf(msg.status()), "truncated") << msg.status();
  EXPECT_NE(msg.status().message().find("after 10 of 100 payload bytes"), absl::string_view::npos)
      << msg.status();
  EXPECT_EQ(ErrorClassOf(s->channel.Recv(absl::Seconds(1)).status()), "truncated");  // Final.
}

TEST(IpcChannelTest, PeerExitingCleanlyIsPeerClosedAfterItsMessages) {
  absl::StatusOr<Session> s = StartWithPeer("bye", {"send_and_exit", "last words"});
  ASSERT_TRUE(s.ok()) << s.status();
  int status = Reap(s->pid);
  EXPECT_TRUE(CleanExit(status)) << DescribeWaitStatus(status);
  absl::StatusOr<std::string> msg = s->channel.Recv(absl::Seconds(10));
  ASSERT_TRUE(msg.ok()) << msg.status();
  EXPECT_EQ(*msg, "last words");
  absl::Status end = s->channel.Recv(absl::Seconds(10)).status();
  EXPECT_EQ(ErrorClassOf(end), "peer_closed") << end;
  EXPECT_NE(end.message().find(s->channel.path()), absl::string_view::npos) << end;
  // Sending to the departed peer: peer_closed, and no SIGPIPE.
  EXPECT_EQ(ErrorClassOf(s->channel.Send("anyone?", absl::Seconds(5))), "peer_closed");
}

TEST(IpcChannelTest, OversizedSendIsRejectedBeforeAnythingIsSent) {
  absl::StatusOr<Session> s = StartWithPeer("bigsend", {"echo"});
  ASSERT_TRUE(s.ok()) << s.status();
  std::string too_big(frame::kDefaultMaxPayload + 1, 'x');
  absl::Status sent = s->channel.Send(too_big, absl::Seconds(10));
  EXPECT_EQ(ErrorClassOf(sent), "too_large") << sent;
  EXPECT_NE(sent.message().find("frame length 16777217 exceeds the limit 16777216"),
            absl::string_view::npos)
      << sent;
  // Nothing reached the stream: the next message is still framed correctly.
  ASSERT_TRUE(s->channel.Send("ok", absl::Seconds(10)).ok());
  absl::StatusOr<std::string> back = s->channel.Recv(absl::Seconds(10));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, "ok");
  s->channel.Disconnect();
  EXPECT_TRUE(CleanExit(Reap(s->pid)));
}

// Guards the next test against passing vacuously: the probe must be live here.
TEST(AllocationProbeTest, SeesAllocationsInThisBinary) {
  ::ipckit::testing::ResetLargestAllocation();
  std::unique_ptr<char[]> block(new char[3 << 20]);
  static_cast<volatile char*>(block.get())[0] = 1;  // Keeps the allocation observable.
  EXPECT_GE(::ipckit::testing::LargestAllocation(), size_t{3} << 20);
}

TEST(IpcChannelTest, OverLimitHeaderIsTooLargeWithoutAllocatingIt) {
  for (const std::string& announced : {absl::StrCat(frame::kDefaultMaxPayload + 1),
                                       std::string("4294967295")}) {
    absl::StatusOr<Session> s = StartWithPeer("bigrecv", {"raw_header", announced});
    ASSERT_TRUE(s.ok()) << s.status();
    ::ipckit::testing::ResetLargestAllocation();
    absl::StatusOr<std::string> msg = s->channel.Recv(absl::Seconds(10));
    size_t largest = ::ipckit::testing::LargestAllocation();
    EXPECT_EQ(ErrorClassOf(msg.status()), "too_large") << msg.status();
    EXPECT_NE(msg.status().message().find(absl::StrCat("frame length ", announced)),
              absl::string_view::npos)
        << msg.status();
    EXPECT_LT(largest, size_t{1} << 20) << "allocated for an over-limit frame";
    EXPECT_EQ(ErrorClassOf(s->channel.Recv(absl::Seconds(1)).status()), "too_large");  // Final.
    s->channel.Disconnect();
    EXPECT_TRUE(CleanExit(Reap(s->pid)));
  }
}

TEST(IpcChannelTest, RecvTimeoutKeepsThePartialFrame) {
  absl::StatusOr<Session> s = StartWithPeer("split", {"split", "700"});
  ASSERT_TRUE(s.ok()) << s.status();
  absl::Time start = absl::Now();
  absl::StatusOr<std::string> first = s->channel.Recv(absl::Milliseconds(200));
  absl::Duration elapsed = absl::Now() - start;
  EXPECT_EQ(ErrorClassOf(first.status()), "timeout") << first.status();
  EXPECT_GE(elapsed, absl::Milliseconds(200));
  EXPECT_LT(elapsed, absl::Milliseconds(2200));
  absl::StatusOr<std::string> second = s->channel.Recv(absl::Seconds(10));
  ASSERT_TRUE(second.ok()) << second.status();
  std::string want(1000, '\0');
  for (size_t i = 0; i < want.size(); ++i) want[i] = static_cast<char>(i % 251);
  EXPECT_TRUE(*second == want) << "payload differs after a timed-out Recv";
  s->channel.Disconnect();
  EXPECT_TRUE(CleanExit(Reap(s->pid)));
}

TEST(IpcChannelTest, SendTimeoutMidFrameKeepsTheStreamFramed) {
  // The peer sleeps before reading, so a 4 MiB message cannot fit the socket
  // buffers in 100 ms: the Send times out after a partial write.
  absl::StatusOr<Session> s = StartWithPeer("slow", {"echo", "1000"});
  ASSERT_TRUE(s.ok()) << s.status();
  std::string big = Pattern(4 << 20);
  absl::Status sent = s->channel.Send(big, absl::Milliseconds(100));
  ASSERT_EQ(ErrorClassOf(sent), "timeout") << sent;
  ASSERT_TRUE(s->channel.has_pending_send()) << sent;
  // The next Send first completes the old frame, then sends its own.
  ASSERT_TRUE(s->channel.Send("after", absl::Seconds(10)).ok());
  EXPECT_FALSE(s->channel.has_pending_send());
  absl::StatusOr<std::string> back = s->channel.Recv(absl::Seconds(10));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(*back == big);
  back = s->channel.Recv(absl::Seconds(10));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, "after");
  s->channel.Disconnect();
  EXPECT_TRUE(CleanExit(Reap(s->pid)));
}

TEST(IpcChannelTest, MaxPayloadIsConfigurable) {
  ChannelOptions small;
  small.max_payload = 1024;
  absl::StatusOr<Session> s = StartWithPeer("max", {"send_sizes", "1024", "2000"}, small);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(ErrorClassOf(s->channel.Send(std::string(1025, 'x'))), "too_large");
  absl::StatusOr<std::string> ok = s->channel.Recv(absl::Seconds(10));
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->size(), 1024u);
  absl::Status over = s->channel.Recv(absl::Seconds(10)).status();
  EXPECT_EQ(ErrorClassOf(over), "too_large") << over;
  EXPECT_NE(over.message().find("frame length 2000 exceeds the limit 1024"),
            absl::string_view::npos)
      << over;
  s->channel.Disconnect();
  EXPECT_TRUE(CleanExit(Reap(s->pid)));
}

TEST(IpcChannelTest, AcceptServesSeveralClients) {
  std::string name = UniqueName("multi");
  absl::StatusOr<IpcChannel> server = IpcChannel::Create(name);
  ASSERT_TRUE(server.ok()) << server.status();
  std::vector<pid_t> pids;
  std::vector<ChannelEndpoint> endpoints;
  for (int i = 0; i < 2; ++i) {
    absl::StatusOr<pid_t> pid = SpawnChild(kPeer, {"echo", name});
    ASSERT_TRUE(pid.ok());
    pids.push_back(*pid);
    absl::StatusOr<ChannelEndpoint> endpoint = server->Accept(absl::Seconds(10));
    ASSERT_TRUE(endpoint.ok()) << endpoint.status();
    endpoints.push_back(*std::move(endpoint));
  }
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(endpoints[i].Send(absl::StrCat("to ", i)).ok());
  for (int i = 1; i >= 0; --i) {
    absl::StatusOr<std::string> back = endpoints[i].Recv(absl::Seconds(10));
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, absl::StrCat("to ", i));
  }
  EXPECT_EQ(ErrorClassOf(server->Send("x")), "closed");  // No current client.
  for (ChannelEndpoint& e : endpoints) e.Close();
  for (pid_t pid : pids) EXPECT_TRUE(CleanExit(Reap(pid)));
}

// What an event loop (ipckit.aio) relies on: the descriptors to wait on, and
// zero-timeout calls that never wait, keep partial state and say when more
// whole messages are buffered.
TEST(IpcChannelTest, ZeroTimeoutCallsForEventLoops) {
  absl::StatusOr<IpcChannel> server = IpcChannel::Create(UniqueName("loop"));
  ASSERT_TRUE(server.ok()) << server.status();
  // Descriptors to poll exist on POSIX only; Windows reports -1 for both.
  const bool pollable = platform::kLocalStreamKind == platform::LocalStreamKind::kUnixSocket;
  EXPECT_EQ(server->listener_fd() >= 0, pollable);
  EXPECT_EQ(server->fd(), -1);  // no client yet
  EXPECT_EQ(ErrorClassOf(server->Accept(absl::ZeroDuration()).status()), "timeout");
  absl::StatusOr<IpcChannel> client = IpcChannel::Connect(server->name(), absl::Seconds(5));
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_EQ(client->listener_fd(), -1);
  EXPECT_EQ(client->fd() >= 0, pollable);
  // The client is in the backlog: a zero-timeout wait takes it.
  ASSERT_TRUE(server->WaitForClient(absl::ZeroDuration()).ok());
  EXPECT_EQ(server->fd() >= 0, pollable);
  std::string got;
  EXPECT_EQ(ErrorClassOf(server->RecvInto(&got, absl::ZeroDuration())), "timeout");
  EXPECT_FALSE(server->has_buffered_message());
  for (const char* m : {"one", "two", "three"}) ASSERT_TRUE(client->Send(m, absl::Seconds(5)).ok());
  // One read brings in all three; the rest are then taken without reading.
  for (const char* want : {"one", "two", "three"}) {
    ASSERT_TRUE(server->RecvInto(&got, absl::ZeroDuration()).ok());
    EXPECT_EQ(got, want);
    EXPECT_EQ(server->has_buffered_message(), std::string(want) != "three");
  }
  EXPECT_EQ(ErrorClassOf(server->RecvInto(&got, absl::ZeroDuration())), "timeout");
  client->Disconnect();
  EXPECT_EQ(ErrorClassOf(server->RecvInto(&got, absl::ZeroDuration())), "peer_closed");
  EXPECT_FALSE(server->has_buffered_message());
}

TEST(IpcChannelTest, NamingRulesMatchNamedPipe) {
  EXPECT_EQ(ErrorClassOf(IpcChannel::Create("../x").status()), "invalid_argument");
  EXPECT_EQ(ErrorClassOf(IpcChannel::Create("").status()), "invalid_argument");
  std::string name = UniqueName("naming");
  // A socket file (POSIX) or a pipe name (Windows): the transport's own
  // rules are tested in named_pipe_test and cc/platform/io.
  const bool socket_file = platform::kLocalStreamKind == platform::LocalStreamKind::kUnixSocket;
  const std::string path = socket_file ? absl::StrCat("/tmp/", name, ".sock")
                                       : absl::StrCat("\\\\.\\pipe\\", name);
  {
    absl::StatusOr<IpcChannel> server = IpcChannel::Create(name);
    ASSERT_TRUE(server.ok());
    EXPECT_EQ(server->path(), path);
    if (socket_file) {
      absl::StatusOr<FileStatus> st = StatLink(path);
      ASSERT_TRUE(st.ok()) << st.status();
      EXPECT_EQ(st->type, FileStatus::Type::kSocket);
      EXPECT_EQ(st->permissions, 0600u);
    }
    EXPECT_EQ(ErrorClassOf(IpcChannel::Create(name).status()), "in_use");
    absl::Time start = absl::Now();
    absl::StatusOr<IpcChannel> client = IpcChannel::Connect(name, absl::Seconds(5));
    ASSERT_TRUE(client.ok());
    EXPECT_EQ(ErrorClassOf(client->WaitForClient(absl::ZeroDuration())), "invalid_argument");
    absl::Status timed_out = client->Recv(absl::Milliseconds(100)).status();
    EXPECT_EQ(ErrorClassOf(timed_out), "timeout");
    EXPECT_GE(absl::Now() - start, absl::Milliseconds(100));
  }
  if (socket_file) {
    EXPECT_EQ(ErrorClassOf(StatLink(path).status()), "not_found");
  }
  EXPECT_EQ(ErrorClassOf(IpcChannel::Connect(name, absl::Milliseconds(50)).status()), "timeout");
}

}  // namespace
}  // namespace ipckit
