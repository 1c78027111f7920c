#include "cc/bridge/test_http_client.h"

#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "cc/platform/net/loopback_socket.h"

namespace ipckit::bridge {

int ConnectLoopback(uint16_t port) {
  absl::StatusOr<UniqueSocket> fd = ConnectToLoopback(port);
  return fd.ok() ? fd->release() : -1;
}

bool SendAll(int fd, absl::string_view data) {
  while (!data.empty()) {
    absl::StatusOr<Transfer> sent = SendSome(fd, data);
    if (!sent.ok() || sent->bytes == 0) return false;
    data.remove_prefix(sent->bytes);
  }
  return true;
}

std::string ReadUntilClosed(int fd, absl::Duration timeout) {
  std::string in;
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    std::vector<SocketInterest> wait = {{fd, /*read=*/true}};
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) break;
    absl::StatusOr<bool> woke = WaitForSockets(wait, left);
    if (!woke.ok() || !wait[0].ready) break;
    char buf[65536];
    absl::StatusOr<Transfer> got = ReceiveSome(fd, buf, sizeof(buf));
    if (!got.ok() || got->bytes == 0) break;
    in.append(buf, got->bytes);
  }
  return in;
}

void CloseConnection(int fd) { UniqueSocket owned(fd); }

}  // namespace ipckit::bridge
