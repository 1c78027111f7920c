// A separate process on a FileChannel, for file_channel_test.
//
//   file_channel_peer serve <dir> [--polling] [--no-ipckit01-lock]
//       Backend. Answers requests until "quit": "echo" -> response with the
//       payload, "fail" -> error response, "emit" -> event "tick" with the
//       payload (then response null); event "ping" -> event "pong". Exits 3
//       after 30 s without messages.
//   file_channel_peer burst <dir> <writer> <count> [--polling] [--no-ipckit01-lock]
//       Frontend. Sends <count> events "burst" {"writer":W,"i":I} back to back.
//   file_channel_peer handle <dir> [--reader=NAME]
//       Frontend (named reader NAME, if given). Sends event "ready" once
//       open; answers each request "work" with {"i":<payload>,"pid":<its pid>};
//       exits 0 at event "quit", 3 after 30 s without messages.
//   Options: --ack-grace-ms=N sets the writer's ack_grace, --max-messages=N
//   its count bound.
//   file_channel_peer die-mid-write <dir>
//       Frontend. Sends one 64 KiB event with the file size limit at 4 KiB,
//       and SIGKILLs itself when the temp file reaches it: a writer killed
//       mid-write, at a known point. Exits 5 if it survives.
//
// Exit code 0 on success, 2 on a channel error (printed to stderr).
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cc/base/error.h"
#include "cc/file_channel/file_channel.h"
#include "cc/platform/process/control.h"
#include "cc/platform/process/process.h"

namespace {

int Fail(const absl::Status& status, const char* what) {
  std::fprintf(stderr, "file_channel_peer: %s: %s [%s]\n", what, std::string(status.message()).c_str(),
               ipckit::ErrorClassOf(status).c_str());
  return 2;
}

int Serve(const std::string& dir, const ipckit::FileChannelOptions& options) {
  auto channel = ipckit::FileChannel::Backend(dir, options);
  if (!channel.ok()) return Fail(channel.status(), "open backend");
  for (;;) {
    auto next = channel->RecvOne(absl::Seconds(30));
    if (!next.ok()) return Fail(next.status(), "recv");
    if (!next->has_value()) return 3;
    const ipckit::FileMessage& m = **next;
    const std::string method = m.method.value_or("");
    absl::StatusOr<std::string> sent = std::string();
    if (m.type == ipckit::MessageType::kEvent) {
      if (method == "ping") sent = channel->SendEvent("pong", m.payload_json);
    } else if (m.type == ipckit::MessageType::kRequest) {
      if (method == "echo") {
        sent = channel->SendResponse(m.id, m.payload_json);
      } else if (method == "fail") {
        sent = channel->SendError(m.id, absl::StrCat("failed: ", m.payload_json));
      } else if (method == "emit") {
        sent = channel->SendEvent("tick", m.payload_json);
        if (sent.ok()) sent = channel->SendResponse(m.id, "null");
      } else if (method == "quit") {
        sent = channel->SendResponse(m.id, "\"bye\"");
        if (!sent.ok()) return Fail(sent.status(), "send");
        return 0;
      } else {
        sent = channel->SendError(m.id, absl::StrCat("unknown method ", method));
      }
    }
    if (!sent.ok()) return Fail(sent.status(), "send");
  }
}

int Burst(const std::string& dir, int writer, int count, const ipckit::FileChannelOptions& options) {
  auto channel = ipckit::FileChannel::Frontend(dir, options);
  if (!channel.ok()) return Fail(channel.status(), "open frontend");
  for (int i = 0; i < count; ++i) {
    auto sent = channel->SendEvent("burst", absl::StrCat("{\"writer\":", writer, ",\"i\":", i, "}"));
    if (!sent.ok()) return Fail(sent.status(), "send");
  }
  return 0;
}

int Handle(const std::string& dir, const ipckit::FileChannelOptions& options) {
  auto channel = ipckit::FileChannel::Frontend(dir, options);
  if (!channel.ok()) return Fail(channel.status(), "open frontend");
  auto ready = channel->SendEvent("ready", absl::StrCat("\"", options.reader_name, "\""));
  if (!ready.ok()) return Fail(ready.status(), "send ready");
  const uint32_t pid = ipckit::platform::CurrentProcessId();
  for (;;) {
    auto next = channel->RecvOne(absl::Seconds(30));
    if (!next.ok()) return Fail(next.status(), "recv");
    if (!next->has_value()) return 3;
    const ipckit::FileMessage& m = **next;
    if (m.type == ipckit::MessageType::kEvent && m.method == "quit") return 0;
    if (m.type != ipckit::MessageType::kRequest || m.method != "work") continue;
    auto sent = channel->SendResponse(m.id, absl::StrCat("{\"i\":", m.payload_json, ",\"pid\":", pid, "}"));
    if (!sent.ok()) return Fail(sent.status(), "send");
  }
}

int DieMidWrite(const std::string& dir, const ipckit::FileChannelOptions& options) {
  auto channel = ipckit::FileChannel::Frontend(dir, options);  // creates the files while they are small
  if (!channel.ok()) return Fail(channel.status(), "open frontend");
  if (!ipckit::CrashOnFileSizeLimit(4096).ok()) return 2;
  auto sent = channel->SendEvent("big", absl::StrCat("\"", std::string(64 * 1024, 'x'), "\""));
  return sent.ok() ? 5 : Fail(sent.status(), "send");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: file_channel_peer serve|burst <dir> ...\n");
    return 64;
  }
  const std::string mode = argv[1];
  const std::string dir = argv[2];
  ipckit::FileChannelOptions options;
  for (int i = 3; i < argc; ++i) {
    if (std::string(argv[i]) == "--polling") options.force_polling = true;
    if (std::string(argv[i]) == "--no-ipckit01-lock") options.ipckit01_lock = false;
    if (absl::StartsWith(argv[i], "--reader=")) options.reader_name = std::string(argv[i]).substr(9);
    int64_t grace_ms = 0;
    if (absl::StartsWith(argv[i], "--ack-grace-ms=") && absl::SimpleAtoi(std::string(argv[i]).substr(15), &grace_ms)) {
      options.retention.ack_grace = absl::Milliseconds(grace_ms);
    }
    uint64_t max_messages = 0;
    if (absl::StartsWith(argv[i], "--max-messages=") &&
        absl::SimpleAtoi(std::string(argv[i]).substr(15), &max_messages)) {
      options.retention.max_messages = max_messages;
    }
  }
  if (mode == "serve") return Serve(dir, options);
  if (mode == "die-mid-write") return DieMidWrite(dir, options);
  if (mode == "handle") return Handle(dir, options);
  int writer = 0, count = 0;
  if (mode == "burst" && argc >= 5 && absl::SimpleAtoi(argv[3], &writer) && absl::SimpleAtoi(argv[4], &count)) {
    return Burst(dir, writer, count, options);
  }
  std::fprintf(stderr, "file_channel_peer: bad arguments\n");
  return 64;
}
