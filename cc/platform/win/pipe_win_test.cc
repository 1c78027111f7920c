#include "cc/platform/win/pipe_win.h"

#include <windows.h>

#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cc/base/deadline.h"
#include "cc/base/error.h"
#include "cc/platform/win/test_util_win.h"
#include "gtest/gtest.h"

namespace ipckit {
namespace platform {
namespace win {
namespace {

std::string UniqueName() { return UniqueTestName("pipe"); }

Deadline Soon() { return Deadline::After(absl::Seconds(20)); }

// A server end and a client end of one pipe instance (the listener closes,
// which leaves connected instances open).
void ConnectedPair(PipeEnd* server, PipeEnd* client) {
  const std::string name = UniqueName();
  absl::StatusOr<PipeListener> listener = PipeListener::Create(name);
  ASSERT_TRUE(listener.ok()) << listener.status();
  absl::StatusOr<PipeEnd> c = ConnectPipe(name, Soon());
  ASSERT_TRUE(c.ok()) << c.status();
  absl::StatusOr<PipeEnd> s = listener->Accept(Soon());
  ASSERT_TRUE(s.ok()) << s.status();
  *server = std::move(*s);
  *client = std::move(*c);
}

std::string ReadN(PipeEnd& end, size_t n) {
  std::string out;
  char buf[256];
  while (out.size() < n) {
    absl::StatusOr<size_t> got = end.ReadSome(absl::MakeSpan(buf, std::min(sizeof(buf), n - out.size())),
                                              Soon(), "test read");
    if (!got.ok() || *got == 0) break;
    out.append(buf, *got);
  }
  return out;
}

TEST(PipePathTest, PrefixesPlainNamesOnly) {
  EXPECT_EQ(PipePath("jobs"), L"\\\\.\\pipe\\jobs");
  EXPECT_EQ(PipePath("\\\\.\\pipe\\jobs"), L"\\\\.\\pipe\\jobs");
}

TEST(PipeTest, RoundTripBothWays) {
  const std::string name = UniqueName();
  absl::StatusOr<PipeListener> listener = PipeListener::Create(name);
  ASSERT_TRUE(listener.ok()) << listener.status();
  std::thread client([&] {
    absl::StatusOr<PipeEnd> end = ConnectPipe(name, Soon());
    ASSERT_TRUE(end.ok()) << end.status();
    ASSERT_TRUE(end->WriteAll("hello", Soon(), "client").ok());
    EXPECT_EQ(ReadN(*end, 5), "world");
  });
  absl::StatusOr<PipeEnd> server = listener->Accept(Soon());
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ(ReadN(*server, 5), "hello");
  ASSERT_TRUE(server->WriteAll("world", Soon(), "server").ok());
  client.join();
}

TEST(PipeTest, LargeWriteArrivesWhole) {
  const std::string name = UniqueName();
  absl::StatusOr<PipeListener> listener = PipeListener::Create(name);
  ASSERT_TRUE(listener.ok()) << listener.status();
  std::string big(1 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7);
  std::thread client([&] {
    absl::StatusOr<PipeEnd> end = ConnectPipe(name, Soon());
    ASSERT_TRUE(end.ok()) << end.status();
    // More than the pipe buffer: completes only as the server reads.
    EXPECT_TRUE(end->WriteAll(big, Soon(), "client").ok());
  });
  absl::StatusOr<PipeEnd> server = listener->Accept(Soon());
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_TRUE(ReadN(*server, big.size()) == big);
  client.join();
}

TEST(PipeTest, SecondServerForANameIsInUse) {
  const std::string name = UniqueName();
  absl::StatusOr<PipeListener> first = PipeListener::Create(name);
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<PipeListener> second = PipeListener::Create(name);
  EXPECT_EQ(ErrorClassOf(second.status()), kErrInUse) << second.status();
}

// The DACL as Create set it: this user and SYSTEM, Everyone only if allowed.
TEST(PipeSecurityTest, OnlyThisUserUnlessOtherUsersAreAllowed) {
  for (bool allow : {false, true}) {
    const std::string name = UniqueName();
    absl::StatusOr<PipeListener> listener = PipeListener::Create(name, allow);
    ASSERT_TRUE(listener.ok()) << listener.status();
    // The client checks that the server runs as this user: it does.
    absl::StatusOr<PipeEnd> client = ConnectPipe(name, Soon());
    ASSERT_TRUE(client.ok()) << client.status();
    absl::StatusOr<PipeEnd> server = listener->Accept(Soon());
    ASSERT_TRUE(server.ok()) << server.status();
    absl::StatusOr<std::string> dacl = PipeDaclOf(*server);
    ASSERT_TRUE(dacl.ok()) << dacl.status();
    EXPECT_NE(dacl->find("D:P"), std::string::npos) << *dacl;  // protected: nothing inherited
    EXPECT_NE(dacl->find(";;;SY)"), std::string::npos) << *dacl;
    EXPECT_NE(dacl->find(";;;S-1-5-"), std::string::npos) << *dacl;  // this user's SID
    EXPECT_EQ(dacl->find(";;;WD)") != std::string::npos, allow) << *dacl;
    ASSERT_TRUE(client->WriteAll("ok", Soon(), "client").ok());
    EXPECT_EQ(ReadN(*server, 2), "ok");
  }
}

TEST(PipeTest, ConnectWithoutServerIsNotFound) {
  absl::StatusOr<PipeEnd> end = ConnectPipe(UniqueName(), Soon());
  EXPECT_EQ(ErrorClassOf(end.status()), kErrNotFound) << end.status();
}

TEST(PipeTest, AcceptTimesOutAndTheListenerStaysUsable) {
  const std::string name = UniqueName();
  absl::StatusOr<PipeListener> listener = PipeListener::Create(name);
  ASSERT_TRUE(listener.ok()) << listener.status();
  const absl::Time start = absl::Now();
  absl::StatusOr<PipeEnd> none = listener->Accept(Deadline::After(absl::Milliseconds(100)));
  EXPECT_EQ(ErrorClassOf(none.status()), kErrTimeout) << none.status();
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(100));

  absl::StatusOr<PipeEnd> client = ConnectPipe(name, Soon());
  ASSERT_TRUE(client.ok()) << client.status();
  absl::StatusOr<PipeEnd> server = listener->Accept(Soon());
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_TRUE(client->WriteAll("x", Soon(), "client").ok());
  EXPECT_EQ(ReadN(*server, 1), "x");
}

TEST(PipeTest, ReadTimesOutWithoutLosingLaterData) {
  PipeEnd server, client;
  ASSERT_NO_FATAL_FAILURE(ConnectedPair(&server, &client));
  char buf[8];
  absl::StatusOr<size_t> n = server.ReadSome(absl::MakeSpan(buf), Deadline::After(absl::Milliseconds(50)), "r");
  EXPECT_EQ(ErrorClassOf(n.status()), kErrTimeout) << n.status();
  ASSERT_TRUE(client.WriteAll("late", Soon(), "client").ok());
  EXPECT_EQ(ReadN(server, 4), "late");
}

TEST(PipeTest, ClosedPeerIsEndOfStreamThenPeerClosed) {
  PipeEnd server, client;
  ASSERT_NO_FATAL_FAILURE(ConnectedPair(&server, &client));
  ASSERT_TRUE(client.WriteAll("bye", Soon(), "client").ok());
  client = PipeEnd();  // closes the client's end
  EXPECT_EQ(ReadN(server, 3), "bye");
  char buf[4];
  absl::StatusOr<size_t> eof = server.ReadSome(absl::MakeSpan(buf), Soon(), "r");
  ASSERT_TRUE(eof.ok()) << eof.status();
  EXPECT_EQ(*eof, 0u);
  EXPECT_EQ(ErrorClassOf(server.WriteAll("x", Soon(), "w")), kErrPeerClosed);
}

// A client may connect, write and close before the server reaches
// ConnectNamedPipe (the server was descheduled: seen beside a CPU hog in the
// conformance cell channel_close). Its instance then reports ERROR_NO_DATA;
// it is still that client's connection, with its bytes, as accept() gives it
// on POSIX.
TEST(PipeTest, ClientThatWroteAndClosedBeforeAcceptIsStillAccepted) {
  const std::string name = UniqueName();
  absl::StatusOr<PipeListener> listener = PipeListener::Create(name);
  ASSERT_TRUE(listener.ok()) << listener.status();
  {
    absl::StatusOr<PipeEnd> client = ConnectPipe(name, Soon());
    ASSERT_TRUE(client.ok()) << client.status();
    ASSERT_TRUE(client->WriteAll("last words", Soon(), "client").ok());
  }  // closes the client's end
  absl::StatusOr<PipeEnd> server = listener->Accept(Deadline::After(absl::Seconds(2)));
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ(ReadN(*server, 10), "last words");
  char buf[4];
  absl::StatusOr<size_t> eof = server->ReadSome(absl::MakeSpan(buf), Soon(), "r");
  ASSERT_TRUE(eof.ok()) << eof.status();
  EXPECT_EQ(*eof, 0u);

  // One that left without a word is a connection at end of stream; the
  // listener serves the next client as usual.
  ASSERT_TRUE(ConnectPipe(name, Soon()).ok());
  absl::StatusOr<PipeEnd> silent = listener->Accept(Deadline::After(absl::Seconds(2)));
  ASSERT_TRUE(silent.ok()) << silent.status();
  eof = silent->ReadSome(absl::MakeSpan(buf), Soon(), "r");
  ASSERT_TRUE(eof.ok()) << eof.status();
  EXPECT_EQ(*eof, 0u);
  absl::StatusOr<PipeEnd> next = ConnectPipe(name, Soon());
  ASSERT_TRUE(next.ok()) << next.status();
  absl::StatusOr<PipeEnd> served = listener->Accept(Soon());
  ASSERT_TRUE(served.ok()) << served.status();
  ASSERT_TRUE(next->WriteAll("y", Soon(), "client").ok());
  EXPECT_EQ(ReadN(*served, 1), "y");
}

TEST(PipeTest, ServesSeveralClients) {
  const std::string name = UniqueName();
  absl::StatusOr<PipeListener> listener = PipeListener::Create(name);
  ASSERT_TRUE(listener.ok()) << listener.status();
  for (char c : std::string("abc")) {
    absl::StatusOr<PipeEnd> client = ConnectPipe(name, Soon());
    ASSERT_TRUE(client.ok()) << client.status();
    absl::StatusOr<PipeEnd> server = listener->Accept(Soon());
    ASSERT_TRUE(server.ok()) << server.status();
    ASSERT_TRUE(client->WriteAll(std::string(1, c), Soon(), "client").ok());
    EXPECT_EQ(ReadN(*server, 1), std::string(1, c));
  }
}

TEST(PipeTest, RoundTripWithAnotherProcess) {
  const std::string name = UniqueName();
  absl::StatusOr<PipeListener> listener = PipeListener::Create(name);
  ASSERT_TRUE(listener.ok()) << listener.status();
  // The test's working directory is its runfiles root.
  absl::StatusOr<UniqueHandle> child =
      StartProcess(L"cc\\platform\\win\\pipe_win_peer.exe " + std::wstring(name.begin(), name.end()));
  ASSERT_TRUE(child.ok()) << child.status();
  absl::StatusOr<PipeEnd> server = listener->Accept(Soon());
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_TRUE(server->WriteAll("hello", Soon(), "server").ok());
  EXPECT_EQ(ReadN(*server, 5), "HELLO");
  // The peer exits: its end closes.
  char buf[4];
  absl::StatusOr<size_t> eof = server->ReadSome(absl::MakeSpan(buf), Soon(), "r");
  ASSERT_TRUE(eof.ok()) << eof.status();
  EXPECT_EQ(*eof, 0u);
  absl::StatusOr<uint32_t> code = WaitForExitCode(child->get(), absl::Seconds(30));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 0u);
}

std::wstring PeerCommand(const UniqueHandle& child_end, const wchar_t* mode) {
  return L"cc\\platform\\win\\anon_pipe_peer.exe " +
         std::to_wstring(reinterpret_cast<uintptr_t>(child_end.get())) + L" " + mode;
}

TEST(ChildPipeTest, OnlyTheChildsEndIsInheritable) {
  absl::StatusOr<ChildPipe> p = MakeChildPipe(PipeDirection::kFromChild);
  ASSERT_TRUE(p.ok()) << p.status();
  DWORD flags = 0;
  ASSERT_TRUE(::GetHandleInformation(p->ours.handle(), &flags));
  EXPECT_EQ(flags & HANDLE_FLAG_INHERIT, 0u);
  ASSERT_TRUE(::GetHandleInformation(p->child_end.get(), &flags));
  EXPECT_NE(flags & HANDLE_FLAG_INHERIT, 0u);
}

TEST(ChildPipeTest, ReadFromAChildUntilItExits) {
  absl::StatusOr<ChildPipe> p = MakeChildPipe(PipeDirection::kFromChild);
  ASSERT_TRUE(p.ok()) << p.status();
  absl::StatusOr<UniqueHandle> child = StartProcess(PeerCommand(p->child_end, L"write"), /*inherit=*/true);
  ASSERT_TRUE(child.ok()) << child.status();
  p->child_end.reset();  // only the child holds the writing end now
  EXPECT_EQ(ReadN(p->ours, 100), "hello from the child");  // stops at end of stream
  absl::StatusOr<uint32_t> code = WaitForExitCode(child->get(), absl::Seconds(30));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 0u);
}

TEST(ChildPipeTest, WriteToAChildThenClose) {
  absl::StatusOr<ChildPipe> p = MakeChildPipe(PipeDirection::kToChild);
  ASSERT_TRUE(p.ok()) << p.status();
  absl::StatusOr<UniqueHandle> child = StartProcess(PeerCommand(p->child_end, L"read"), /*inherit=*/true);
  ASSERT_TRUE(child.ok()) << child.status();
  p->child_end.reset();
  ASSERT_TRUE(p->ours.WriteAll("hello child", Soon(), "to child").ok());
  p->ours = PipeEnd();  // end of stream for the child
  absl::StatusOr<uint32_t> code = WaitForExitCode(child->get(), absl::Seconds(30));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 0u);
}

TEST(ChildPipeTest, ReadTimesOutWhileTheWriterIsSilent) {
  absl::StatusOr<ChildPipe> p = MakeChildPipe(PipeDirection::kFromChild);
  ASSERT_TRUE(p.ok()) << p.status();
  char buf[8];
  absl::StatusOr<size_t> n = p->ours.ReadSome(absl::MakeSpan(buf), Deadline::After(absl::Milliseconds(50)), "r");
  EXPECT_EQ(ErrorClassOf(n.status()), kErrTimeout) << n.status();
  DWORD written = 0;
  ASSERT_TRUE(::WriteFile(p->child_end.get(), "ok", 2, &written, nullptr));
  EXPECT_EQ(ReadN(p->ours, 2), "ok");
}

}  // namespace
}  // namespace win
}  // namespace platform
}  // namespace ipckit
