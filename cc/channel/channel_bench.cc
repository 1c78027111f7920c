// Rough IpcChannel numbers between two processes (fork, no exec): round-trip
// latency of small messages and one-way throughput of 1 MiB messages.
// Not a test; run with `bazel run -c opt //cc/channel:channel_bench`.
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cc/channel/ipc_channel.h"
#include "cc/platform/io/child_process.h"
#include "cc/platform/process/process.h"
#include "cc/platform/testing/forked_child.h"

namespace {

constexpr int kRoundTrips = 20000;
constexpr int kBigMessages = 256;
constexpr size_t kBigSize = 1 << 20;

// The child: echoes small messages, then counts big ones and acknowledges.
int Child(const std::string& name) {
  absl::StatusOr<ipckit::IpcChannel> ch = ipckit::IpcChannel::Connect(name, absl::Seconds(10));
  if (!ch.ok()) return 3;
  std::string msg;
  for (int i = 0; i < kRoundTrips; ++i) {
    if (!ch->RecvInto(&msg, absl::Seconds(10)).ok() || !ch->Send(msg).ok()) return 3;
  }
  size_t bytes = 0;
  for (int i = 0; i < kBigMessages; ++i) {
    if (!ch->RecvInto(&msg, absl::Seconds(10)).ok()) return 3;
    bytes += msg.size();
  }
  return ch->Send(absl::StrCat(bytes)).ok() ? 0 : 3;
}

}  // namespace

int main() {
  std::string name = absl::StrCat("ipckit-bench-", ipckit::platform::CurrentProcessId());
  absl::StatusOr<ipckit::IpcChannel> server = ipckit::IpcChannel::Create(name);
  if (!server.ok()) {
    std::fprintf(stderr, "%s\n", server.status().ToString().c_str());
    return 1;
  }
  using ipckit::platform::ForkedChild;
  absl::StatusOr<ForkedChild> child =
      ForkedChild::Start([&name](ForkedChild&) { return Child(name); });
  if (!child.ok()) {
    std::fprintf(stderr, "%s\n", child.status().ToString().c_str());
    return 1;
  }
  if (!server->WaitForClient(absl::Seconds(10)).ok()) return 1;

  std::string small(64, 's'), reply;
  absl::Time start = absl::Now();
  for (int i = 0; i < kRoundTrips; ++i) {
    if (!server->Send(small).ok() || !server->RecvInto(&reply, absl::Seconds(10)).ok()) return 1;
  }
  absl::Duration rtt = (absl::Now() - start) / kRoundTrips;

  std::string big(kBigSize, 'b');
  start = absl::Now();
  for (int i = 0; i < kBigMessages; ++i) {
    if (!server->Send(big).ok()) return 1;
  }
  if (!server->RecvInto(&reply, absl::Seconds(30)).ok()) return 1;
  double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  absl::StatusOr<int> status = child->Wait(absl::Seconds(30));
  std::printf("64-byte round trip: %.1f us (%d round trips)\n", absl::ToDoubleMicroseconds(rtt),
              kRoundTrips);
  std::printf("1 MiB messages one way: %.0f MiB/s (%d messages, child counted %s bytes)\n",
              kBigMessages / seconds, kBigMessages, reply.c_str());
  return status.ok() && ipckit::ExitedWithCode(*status, 0) ? 0 : 1;
}
