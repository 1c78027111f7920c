// bridge_test's second and third processes.
//
//   bridge_peer serve DIR [--allow-origin O]... [--max-file-bytes N] [--max-wait-ms N]
//                         [--token T | --no-token] [--max-connections N]
//                         [--max-total-body-bytes N]
//       runs the bridge; prints its URL on one line; SIGTERM stops it (exit 0)
//   bridge_peer hold-lock DIR
//       takes the channel lock, prints "held", keeps it until stdin closes
//   bridge_peer send-event DIR NAME PAYLOAD_JSON DELAY_MS
//       after DELAY_MS, sends one event as the channel's backend
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cc/base/error.h"
#include "cc/bridge/bridge_server.h"
#include "cc/base/deadline.h"
#include "cc/file_channel/channel_file.h"
#include "cc/file_channel/file_channel.h"
#include "cc/platform/process/control.h"

namespace {

ipckit::bridge::BridgeServer* g_server = nullptr;

void OnSignal() {
  if (g_server != nullptr) g_server->Stop();
}

int Fail(const absl::Status& s) {
  std::cerr << "bridge_peer: " << s.message() << " [" << ipckit::ErrorClassOf(s) << "]\n";
  return 1;
}

int Serve(const std::vector<std::string>& args) {
  ipckit::bridge::BridgeOptions options;
  for (size_t i = 1; i < args.size(); i += 2) {
    uint64_t n = 0;
    if (args[i] == "--no-token") {
      options.require_token = false;
      --i;  // takes no value
    } else if (i + 1 >= args.size()) {
      std::cerr << "bridge_peer: " << args[i] << " needs a value\n";
      return 2;
    } else if (args[i] == "--token") {
      options.token = args[i + 1];
    } else if (args[i] == "--max-connections" && absl::SimpleAtoi(args[i + 1], &n)) {
      options.max_connections = n;
    } else if (args[i] == "--max-total-body-bytes" && absl::SimpleAtoi(args[i + 1], &n)) {
      options.max_total_body_bytes = n;
    } else if (args[i] == "--allow-origin") {
      options.allow_origins.push_back(args[i + 1]);
    } else if (args[i] == "--max-file-bytes" && absl::SimpleAtoi(args[i + 1], &n)) {
      options.max_file_bytes = n;
    } else if (args[i] == "--max-wait-ms" && absl::SimpleAtoi(args[i + 1], &n)) {
      options.max_wait = absl::Milliseconds(n);
    } else {
      std::cerr << "bridge_peer: bad option " << args[i] << "\n";
      return 2;
    }
  }
  auto server = ipckit::bridge::BridgeServer::Start(args[0], options);
  if (!server.ok()) return Fail(server.status());
  g_server = server->get();
  if (absl::Status s = ipckit::OnStopRequest(OnSignal); !s.ok()) return Fail(s);
  std::printf("%s\n", (*server)->url().c_str());
  std::fflush(stdout);
  absl::Status s;
  do {
    s = (*server)->Serve();
  } while (ipckit::ErrorClassOf(s) == ipckit::kErrTimeout && !(*server)->stopped());
  g_server = nullptr;
  return s.ok() ? 0 : Fail(s);
}

int HoldLock(const std::vector<std::string>& args) {
  if (args.size() != 1) return 2;
  auto lock = ipckit::ChannelLock::Acquire(args[0], ipckit::Deadline::After(absl::Seconds(10)));
  if (!lock.ok()) return Fail(lock.status());
  std::printf("held\n");
  std::fflush(stdout);
  char c;
  while (std::fread(&c, 1, 1, stdin) == 1) {
  }
  return 0;
}

int SendEvent(const std::vector<std::string>& args) {
  int64_t delay_ms = 0;
  if (args.size() != 4 || !absl::SimpleAtoi(args[3], &delay_ms)) return 2;
  absl::SleepFor(absl::Milliseconds(delay_ms));
  auto channel = ipckit::FileChannel::Backend(args[0]);
  if (!channel.ok()) return Fail(channel.status());
  auto id = channel->SendEvent(args[1], args[2], absl::Seconds(5));
  if (!id.ok()) return Fail(id.status());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + std::min(argc, 2), argv + argc);
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "serve" && !args.empty()) return Serve(args);
  if (mode == "send-event") return SendEvent(args);
  if (mode == "hold-lock") return HoldLock(args);
  std::cerr << "usage: bridge_peer serve DIR [options] | send-event DIR NAME PAYLOAD DELAY_MS\n";
  return 2;
}
