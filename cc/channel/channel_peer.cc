// The other process of ipc_channel_test.
//
//   channel_peer echo <name> [delay_ms]     connect, (sleep,) echo every message until peer_closed
//   channel_peer serve_echo <name>          create a server, echo one client's messages
//   channel_peer send_and_exit <name> <msg> connect, send msg, exit cleanly
//   channel_peer send_sizes <name> <n>...   connect, send messages of n bytes each, wait for EOF
//   channel_peer half_frame <name>          raw: a frame "ready", then a header for 100
//                                           bytes and 10 of them; wait (the test kills us)
//   channel_peer raw_header <name> <len>    raw: a header announcing len, then wait for EOF
//   channel_peer split <name> <pause_ms>    raw: half of a 1000-byte frame, pause, the rest
//
// "raw" modes write bytes on a plain platform::LocalStream, bypassing the
// codec, to produce streams the library itself would never send. Builds for
// every OS.
// Exit codes: 0 ok, 2 bad usage, 3 an ipckit call failed.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/time/clock.h"
#include "cc/base/deadline.h"
#include "cc/base/error.h"
#include "cc/channel/frame.h"
#include "cc/channel/ipc_channel.h"
#include "cc/platform/io/local_stream.h"

namespace {

using ipckit::Deadline;
using ipckit::platform::LocalStream;

constexpr absl::Duration kPatience = absl::Seconds(10);

int Fail(const absl::Status& s) {
  std::fprintf(stderr, "channel_peer: %s\n", s.ToString().c_str());
  return 3;
}

// The payload of `split`: byte i is i % 251, so any misplaced byte shows.
std::string SplitPayload() {
  std::string p(1000, '\0');
  for (size_t i = 0; i < p.size(); ++i) p[i] = static_cast<char>(i % 251);
  return p;
}

int Echo(ipckit::IpcChannel& channel) {
  for (;;) {
    absl::StatusOr<std::string> msg = channel.Recv(kPatience);
    if (!msg.ok()) {
      return ipckit::ErrorClassOf(msg.status()) == "peer_closed" ? 0 : Fail(msg.status());
    }
    absl::Status s = channel.Send(*msg, kPatience);
    if (!s.ok()) return Fail(s);
  }
}

// Blocks until the other side closes (or the patience runs out).
void WaitForEof(LocalStream& stream) {
  char buf[256];
  Deadline deadline = Deadline::After(kPatience);
  for (;;) {
    absl::StatusOr<size_t> n = stream.ReadSome(absl::MakeSpan(buf), deadline, "peer");
    if (!n.ok() || *n == 0) return;
  }
}

absl::StatusOr<LocalStream> RawConnect(const std::string& name) {
  absl::StatusOr<std::string> address = ipckit::platform::LocalStreamAddress(name);
  if (!address.ok()) return address.status();
  return ipckit::platform::ConnectLocalStream(*address, Deadline::After(kPatience));
}

std::string Header(uint32_t length) {
  char h[ipckit::frame::kHeaderSize];
  ipckit::frame::EncodeHeader(length, h);
  return std::string(h, sizeof(h));
}

int Raw(const std::string& mode, const std::string& name, const std::vector<std::string>& args) {
  absl::StatusOr<LocalStream> stream = RawConnect(name);
  if (!stream.ok()) return Fail(stream.status());
  auto send_raw = [&](absl::string_view bytes) {
    return stream->WriteAll(bytes, Deadline::After(kPatience), "peer");
  };
  if (mode == "half_frame") {
    // One write: once the test has "ready", the half frame is in the stream.
    absl::Status s = send_raw(Header(5) + "ready" + Header(100) + std::string(10, 'h'));
    if (!s.ok()) return Fail(s);
    WaitForEof(*stream);
    return 0;
  }
  if (mode == "raw_header" && args.size() == 1) {
    uint32_t length = 0;
    if (!absl::SimpleAtoi(args[0], &length)) return 2;
    absl::Status s = send_raw(Header(length) + "payload that must never be read");
    if (!s.ok()) return Fail(s);
    WaitForEof(*stream);
    return 0;
  }
  if (mode == "split" && args.size() == 1) {
    int pause_ms = 0;
    if (!absl::SimpleAtoi(args[0], &pause_ms)) return 2;
    std::string frame = Header(1000) + SplitPayload();
    absl::Status s = send_raw(absl::string_view(frame).substr(0, 502));
    if (!s.ok()) return Fail(s);
    absl::SleepFor(absl::Milliseconds(pause_ms));
    s = send_raw(absl::string_view(frame).substr(502));
    if (!s.ok()) return Fail(s);
    WaitForEof(*stream);
    return 0;
  }
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  std::string mode = argv[1], name = argv[2];
  std::vector<std::string> args(argv + 3, argv + argc);
  if (mode == "echo") {
    int delay_ms = 0;
    if (!args.empty() && !absl::SimpleAtoi(args[0], &delay_ms)) return 2;
    absl::StatusOr<ipckit::IpcChannel> channel = ipckit::IpcChannel::Connect(name, kPatience);
    if (!channel.ok()) return Fail(channel.status());
    absl::SleepFor(absl::Milliseconds(delay_ms));
    return Echo(*channel);
  }
  if (mode == "serve_echo") {
    absl::StatusOr<ipckit::IpcChannel> channel = ipckit::IpcChannel::Create(name);
    if (!channel.ok()) return Fail(channel.status());
    absl::Status s = channel->WaitForClient(kPatience);
    if (!s.ok()) return Fail(s);
    return Echo(*channel);
  }
  if (mode == "send_and_exit" && args.size() == 1) {
    absl::StatusOr<ipckit::IpcChannel> channel = ipckit::IpcChannel::Connect(name, kPatience);
    if (!channel.ok()) return Fail(channel.status());
    absl::Status s = channel->Send(args[0], kPatience);
    return s.ok() ? 0 : Fail(s);
  }
  if (mode == "send_sizes") {
    absl::StatusOr<ipckit::IpcChannel> channel = ipckit::IpcChannel::Connect(name, kPatience);
    if (!channel.ok()) return Fail(channel.status());
    for (const std::string& arg : args) {
      size_t n = 0;
      if (!absl::SimpleAtoi(arg, &n)) return 2;
      absl::Status s = channel->Send(std::string(n, 's'), kPatience);
      if (!s.ok()) return Fail(s);
    }
    // Stay connected until the test hangs up, so it reads a live stream.
    absl::StatusOr<std::string> end = channel->Recv(kPatience);
    return ipckit::ErrorClassOf(end.status()) == "peer_closed" ? 0 : 3;
  }
  return Raw(mode, name, args);
}
