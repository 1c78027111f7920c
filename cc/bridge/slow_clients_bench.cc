// A legitimate request's latency at the bridge while slow clients hold
// connections open (spec/bridge.md, "Connections"): N connections trickle a
// request head a byte at a time, and between their bytes one client times
// GET /v1/info. Prints one line per cap with the median, p99 and max.
//
//   bazel run -c opt //cc/bridge:slow_clients_bench -- [SLOW=200] [REQUESTS=300]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cc/bridge/bridge_server.h"
#include "cc/bridge/test_http_client.h"
#include "cc/platform/process/process.h"

namespace ipckit::bridge {
namespace {

int Run(int slow_count, int requests, size_t cap) {
  const std::string dir = absl::StrCat("/tmp/ipckit_slow_clients_bench_", ipckit::platform::CurrentProcessId());
  BridgeOptions options;
  options.max_connections = cap;
  auto server = BridgeServer::Start(dir, options);
  if (!server.ok()) {
    std::fprintf(stderr, "bench: %s\n", std::string(server.status().message()).c_str());
    return 1;
  }
  std::thread serving([&] {
    while (!(*server)->stopped()) (void)(*server)->Serve();
  });
  const uint16_t port = (*server)->port();
  const std::string head = absl::StrCat("GET /v1/info HTTP/1.1\r\nHost: 127.0.0.1:", port, "\r\n");
  const std::string legit = absl::StrCat("GET /v1/info HTTP/1.1\r\nHost: 127.0.0.1:", port,
                                         "\r\nAuthorization: Bearer ", (*server)->token(),
                                         "\r\nConnection: close\r\n\r\n");
  std::vector<int> slow;
  for (int i = 0; i < slow_count; ++i) slow.push_back(ConnectLoopback(port));
  std::vector<double> ms;
  int failed = 0;
  for (int r = 0; r < requests; ++r) {
    // Each slow client sends its next byte (a closed one reconnects: an
    // attacker refills the slots it loses).
    for (int& fd : slow) {
      if (fd < 0 || !SendAll(fd, head.substr(r % head.size(), 1))) {
        if (fd >= 0) CloseConnection(fd);
        fd = ConnectLoopback(port);
      }
    }
    const absl::Time start = absl::Now();
    int fd = ConnectLoopback(port);
    const bool ok = fd >= 0 && SendAll(fd, legit) &&
                    absl::StartsWith(ReadUntilClosed(fd, absl::Seconds(10)), "HTTP/1.1 200");
    if (fd >= 0) CloseConnection(fd);
    if (!ok) ++failed;
    ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - start));
  }
  for (int fd : slow) {
    if (fd >= 0) CloseConnection(fd);
  }
  (*server)->Stop();
  serving.join();
  server->reset();
  std::system(absl::StrCat("rm -rf '", dir, "'").c_str());
  std::sort(ms.begin(), ms.end());
  std::printf("bridge, %d slow connections, cap %zu: %d requests, %d failed, median %.3f ms, p99 %.3f ms, max %.3f ms\n",
              slow_count, cap, requests, failed, ms[ms.size() / 2], ms[ms.size() * 99 / 100], ms.back());
  return failed == 0 ? 0 : 1;
}

}  // namespace
}  // namespace ipckit::bridge

int main(int argc, char** argv) {
  int slow = 200;
  int requests = 300;
  if (argc > 1 && !absl::SimpleAtoi(argv[1], &slow)) return 2;
  if (argc > 2 && !absl::SimpleAtoi(argv[2], &requests)) return 2;
  int rc = ipckit::bridge::Run(slow, requests, 64);                       // the default cap: eviction
  rc |= ipckit::bridge::Run(slow, requests, static_cast<size_t>(slow) + 16);  // all of them open
  return rc;
}
