// A TCP listener bound to 127.0.0.1 only, non-blocking accept/recv/send on
// it, and a wake pipe for a poll(2) loop: the sockets of the HTTP bridge
// (cc/bridge). The POSIX calls live here so the server logic stays free of
// them.
//
//   IPCKIT_ASSIGN_OR_RETURN(ipckit::LoopbackListener listener, ipckit::LoopbackListener::Bind(0));
//   uint16_t port = listener.port();  // the one the kernel picked
//   absl::StatusOr<ipckit::UniqueFd> conn = listener.Accept();  // invalid fd: none pending
//
//   std::vector<ipckit::SocketInterest> wait = {{wake.read_end.get(), /*read=*/true}, {listener.fd(), true}};
//   IPCKIT_ASSIGN_OR_RETURN(bool woke, ipckit::WaitForSockets(wait, absl::Seconds(1)));
//   if (wait[1].ready) { /* accept */ }
#ifndef IPCKIT_CC_PLATFORM_NET_LOOPBACK_SOCKET_H_
#define IPCKIT_CC_PLATFORM_NET_LOOPBACK_SOCKET_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cc/platform/unique_fd.h"

namespace ipckit {

class LoopbackListener {
 public:
  // Listens on 127.0.0.1:`port` (0: a free port). in_use if it is taken.
  static absl::StatusOr<LoopbackListener> Bind(uint16_t port);

  LoopbackListener(LoopbackListener&&) = default;
  LoopbackListener& operator=(LoopbackListener&&) = default;

  int fd() const { return fd_.get(); }
  uint16_t port() const { return port_; }

  // A pending connection as a non-blocking, close-on-exec descriptor, or an
  // invalid UniqueFd when none is pending.
  absl::StatusOr<UniqueFd> Accept();

 private:
  LoopbackListener(UniqueFd fd, uint16_t port) : fd_(std::move(fd)), port_(port) {}
  UniqueFd fd_;
  uint16_t port_ = 0;
};

// A blocking, close-on-exec TCP connection to 127.0.0.1:`port`: the client
// side, for tests and tools that talk to a LoopbackListener. peer_closed
// (connection refused) when nothing listens there.
absl::StatusOr<UniqueFd> ConnectToLoopback(uint16_t port);

// Result of one non-blocking transfer: bytes moved, 0 with `would_block`
// when the socket is not ready, 0 without it at end of stream (recv).
struct Transfer {
  size_t bytes = 0;
  bool would_block = false;
};

// recv(2) / send(2) on a non-blocking socket. send never raises SIGPIPE.
absl::StatusOr<Transfer> ReceiveSome(int fd, char* buffer, size_t size);
absl::StatusOr<Transfer> SendSome(int fd, absl::string_view data);

// Stops sending (a FIN to the peer) while still reading: the start of a
// graceful close that lets the client read a response sent before it
// finished its request.
void ShutdownWrite(int fd);

// A non-blocking, close-on-exec pipe for waking a poll(2) loop from another
// thread or a signal handler.
struct WakePipe {
  UniqueFd read_end;
  UniqueFd write_end;
};
absl::StatusOr<WakePipe> MakeWakePipe();
// Async-signal-safe: writes one byte, ignoring a full pipe.
void Wake(int write_fd);
// Reads everything pending.
void DrainWakes(int read_fd);

// One descriptor for WaitForSockets: what to wait for (neither: errors and
// hang-ups only), and afterwards whether anything happened on it (readable,
// writable, an error or a hang-up, which the next transfer then reports).
struct SocketInterest {
  int fd = -1;
  bool read = false;
  bool write = false;
  bool ready = false;  // set by WaitForSockets
};

// Waits until one of `sockets` is ready or `timeout` passes (rounded up to a
// millisecond; InfiniteDuration: no limit), and sets each one's `ready`.
// Returns false, with nothing ready, when a signal interrupted the wait (the
// caller decides whether that means stop); true otherwise.
absl::StatusOr<bool> WaitForSockets(std::vector<SocketInterest>& sockets, absl::Duration timeout);

}  // namespace ipckit

#endif  // IPCKIT_CC_PLATFORM_NET_LOOPBACK_SOCKET_H_
