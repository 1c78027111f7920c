// The C++ side of py/tools/bench_channel.py's same-process number: one
// process sends a 64-byte message to itself over an IpcChannel and receives
// it, 5 x 10000 times; prints the best per send+recv pair. Not a test:
//   bazel run -c opt //py/tools:channel_call_cost
#include <algorithm>
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cc/channel/ipc_channel.h"
#include "cc/platform/process/process.h"

int main() {
  const std::string name = absl::StrCat("ipckit_call_cost_", ipckit::platform::CurrentProcessId());
  absl::StatusOr<ipckit::IpcChannel> server = ipckit::IpcChannel::Create(name);
  if (!server.ok()) return 3;
  absl::StatusOr<ipckit::IpcChannel> client = ipckit::IpcChannel::Connect(name, absl::Seconds(5));
  if (!client.ok() || !server->WaitForClient(absl::Seconds(5)).ok()) return 3;
  const std::string payload(64, 'x');
  std::string got;
  constexpr int kPairs = 10000;
  double best_us = 1e9;
  for (int run = 0; run < 5; ++run) {
    const absl::Time start = absl::Now();
    for (int i = 0; i < kPairs; ++i) {
      if (!client->Send(payload).ok() || !server->RecvInto(&got).ok()) return 3;
    }
    best_us = std::min(best_us, absl::ToDoubleMicroseconds(absl::Now() - start) / kPairs);
  }
  std::printf("C++ same process: %.2f us per send+recv pair (best of 5 x %d)\n", best_us, kPairs);
  return 0;
}
