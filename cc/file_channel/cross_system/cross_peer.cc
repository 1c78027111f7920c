// One side of a FileChannel shared by a Windows process (under Wine) and a
// Linux process on one directory, for cross_system_test.sh. The same source
// builds for both systems.
//
//   cross_peer serve <dir>          Backend. Prints "ready", then answers:
//                                   request "echo" -> event "tick" with the
//                                   payload, then the response with it;
//                                   event "ping" -> event "pong"; request
//                                   "quit" -> response "bye", exit 0.
//   cross_peer call <dir> <payload> Frontend. Sends event "ping", request
//                                   "echo" and request "quit"; prints
//                                   "response <json>", "event <name> <json>"
//                                   for what comes back, in order.
//   cross_peer hold-lock <dir>      Takes the channel lock (.lock), prints
//                                   "locked", holds it until the file
//                                   <dir>/release appears, prints "released".
//   cross_peer try-lock <dir> <ms>  Prints "locked" or "busy": whether the
//                                   channel lock is granted within <ms>.
//
// Every wait is bounded (30 s for messages). Exit code 0 on success, 2 on a
// channel error (printed to stderr), 64 on bad arguments.
#include <cstdio>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cc/base/deadline.h"
#include "cc/base/error.h"
#include "cc/file_channel/channel_file.h"
#include "cc/file_channel/file_channel.h"
#include "cc/platform/fs/file_ops.h"
#include "cc/platform/watch/dir_watcher.h"

namespace {

constexpr absl::Duration kMessageWait = absl::Seconds(30);

int Fail(const absl::Status& status, const char* what) {
  std::fprintf(stderr, "cross_peer: %s: %s [%s]\n", what, std::string(status.message()).c_str(),
               ipckit::ErrorClassOf(status).c_str());
  return 2;
}

void Say(const std::string& line) {
  std::fprintf(stdout, "%s\n", line.c_str());
  std::fflush(stdout);
}

int Serve(const std::string& dir) {
  auto channel = ipckit::FileChannel::Backend(dir);
  if (!channel.ok()) return Fail(channel.status(), "open backend");
  Say("ready");
  for (;;) {
    auto next = channel->RecvOne(kMessageWait);
    if (!next.ok()) return Fail(next.status(), "recv");
    if (!next->has_value()) return Fail(ipckit::TimeoutError("no message for 30 s"), "recv");
    const ipckit::FileMessage& m = **next;
    const std::string method = m.method.value_or("");
    absl::StatusOr<std::string> sent = std::string();
    if (m.type == ipckit::MessageType::kEvent && method == "ping") {
      sent = channel->SendEvent("pong", m.payload_json);
    } else if (m.type == ipckit::MessageType::kRequest && method == "echo") {
      sent = channel->SendEvent("tick", m.payload_json);
      if (sent.ok()) sent = channel->SendResponse(m.id, m.payload_json);
    } else if (m.type == ipckit::MessageType::kRequest && method == "quit") {
      sent = channel->SendResponse(m.id, "\"bye\"");
      return sent.ok() ? 0 : Fail(sent.status(), "send");
    }
    if (!sent.ok()) return Fail(sent.status(), "send");
  }
}

int Call(const std::string& dir, const std::string& payload) {
  auto channel = ipckit::FileChannel::Frontend(dir);
  if (!channel.ok()) return Fail(channel.status(), "open frontend");
  auto ping = channel->SendEvent("ping", payload);
  if (!ping.ok()) return Fail(ping.status(), "send ping");
  auto echo = channel->SendRequest("echo", payload);
  if (!echo.ok()) return Fail(echo.status(), "send echo");
  auto response = channel->WaitResponse(*echo, kMessageWait);
  if (!response.ok()) return Fail(response.status(), "wait echo");
  Say(absl::StrCat("response ", response->payload_json));
  for (int events = 0; events < 2; ++events) {  // "pong" and "tick", in the order the backend sent them
    auto next = channel->RecvOne(kMessageWait);
    if (!next.ok()) return Fail(next.status(), "recv");
    if (!next->has_value()) return Fail(ipckit::TimeoutError("no event for 30 s"), "recv");
    Say(absl::StrCat("event ", (*next)->method.value_or(""), " ", (*next)->payload_json));
  }
  auto quit = channel->SendRequest("quit", "null");
  if (!quit.ok()) return Fail(quit.status(), "send quit");
  auto bye = channel->WaitResponse(*quit, kMessageWait);
  if (!bye.ok()) return Fail(bye.status(), "wait quit");
  Say(absl::StrCat("response ", bye->payload_json));
  return 0;
}

int HoldLock(const std::string& dir) {
  // Watching before the lock is announced, so the release is not missed.
  auto watcher = ipckit::DirWatcher::Open(dir, {"release"});
  if (!watcher.ok()) return Fail(watcher.status(), "watch");
  auto lock = ipckit::ChannelLock::Acquire(dir, ipckit::Deadline::After(kMessageWait));
  if (!lock.ok()) return Fail(lock.status(), "lock");
  Say("locked");
  // (A file, not stdin: a Wine program's stdin on a FIFO, and children
  // inheriting its write end, made "until stdin closes" unreliable.)
  const ipckit::Deadline deadline = ipckit::Deadline::After(kMessageWait);
  while (!ipckit::StatPath(dir + "/release").ok()) {
    auto changed = watcher->Wait(deadline);
    if (!changed.ok()) return Fail(changed.status(), "wait for release");
    if (!*changed) return Fail(ipckit::TimeoutError("no release file for 30 s"), "hold");
  }
  Say("released");
  return 0;
}

int TryLock(const std::string& dir, int ms) {
  auto lock = ipckit::ChannelLock::Acquire(dir, ipckit::Deadline::After(absl::Milliseconds(ms)));
  if (lock.ok()) {
    Say("locked");
    return 0;
  }
  if (ipckit::ErrorClassOf(lock.status()) != ipckit::kErrTimeout) return Fail(lock.status(), "lock");
  Say("busy");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: cross_peer serve|call|hold-lock|try-lock <dir> ...\n");
    return 64;
  }
  const std::string mode = argv[1];
  const std::string dir = argv[2];
  int ms = 0;
  if (mode == "serve") return Serve(dir);
  if (mode == "call" && argc == 4) return Call(dir, argv[3]);
  if (mode == "hold-lock") return HoldLock(dir);
  if (mode == "try-lock" && argc == 4 && absl::SimpleAtoi(argv[3], &ms)) return TryLock(dir, ms);
  std::fprintf(stderr, "cross_peer: bad arguments\n");
  return 64;
}
