// A TCP listener bound to 127.0.0.1 only, non-blocking accept/recv/send on
// it, and a wake pipe for a poll loop: the sockets of the HTTP bridge
// (cc/bridge). The socket calls live here so the server logic stays free of
// them: BSD sockets and poll(2) on POSIX (loopback_socket.cc), Winsock and
// WSAPoll on Windows (loopback_socket_win.cc).
//
//   IPCKIT_ASSIGN_OR_RETURN(ipckit::LoopbackListener listener, ipckit::LoopbackListener::Bind(0));
//   uint16_t port = listener.port();  // the one the kernel picked
//   absl::StatusOr<ipckit::UniqueSocket> conn = listener.Accept();  // invalid: none pending
//
//   std::vector<ipckit::SocketInterest> wait = {{wake.read_end.get(), /*read=*/true}, {listener.fd(), true}};
//   IPCKIT_ASSIGN_OR_RETURN(bool woke, ipckit::WaitForSockets(wait, absl::Seconds(1)));
//   if (wait[1].ready) { /* accept */ }
#ifndef IPCKIT_CC_PLATFORM_NET_LOOPBACK_SOCKET_H_
#define IPCKIT_CC_PLATFORM_NET_LOOPBACK_SOCKET_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cc/platform/internal/unique_resource.h"

namespace ipckit {

// The OS's name for a socket: a file descriptor on POSIX, a SOCKET (an
// unsigned handle as wide as a pointer) on Windows.
#ifdef _WIN32
using SocketHandle = uintptr_t;
inline constexpr SocketHandle kInvalidSocket = ~SocketHandle{0};  // INVALID_SOCKET
#else
using SocketHandle = int;
inline constexpr SocketHandle kInvalidSocket = -1;
#endif

// close(2) / closesocket, errors ignored: the socket is gone either way.
void CloseSocket(SocketHandle socket);

namespace platform {
namespace internal {

struct SocketPolicy {
  using Handle = SocketHandle;
  static constexpr SocketHandle kNone = kInvalidSocket;
  static bool IsValid(SocketHandle socket) { return socket != kInvalidSocket; }
  static void Close(SocketHandle socket) { CloseSocket(socket); }
};

}  // namespace internal
}  // namespace platform

// An owned socket, closed when it goes out of scope
// (cc/platform/internal/unique_resource.h).
using UniqueSocket = platform::internal::UniqueResource<platform::internal::SocketPolicy>;

class LoopbackListener {
 public:
  // Listens on 127.0.0.1:`port` (0: a free port). in_use if it is taken.
  // On Windows the port is held with SO_EXCLUSIVEADDRUSE, so no other
  // socket (another user's with SO_REUSEADDR included) can bind it too.
  static absl::StatusOr<LoopbackListener> Bind(uint16_t port);

  LoopbackListener(LoopbackListener&&) = default;
  LoopbackListener& operator=(LoopbackListener&&) = default;

  SocketHandle fd() const { return fd_.get(); }
  uint16_t port() const { return port_; }

  // A pending connection as a non-blocking socket that child processes do
  // not inherit (close-on-exec), or an invalid UniqueSocket when none is
  // pending.
  absl::StatusOr<UniqueSocket> Accept();

 private:
  LoopbackListener(UniqueSocket fd, uint16_t port) : fd_(std::move(fd)), port_(port) {}
  UniqueSocket fd_;
  uint16_t port_ = 0;
};

// A blocking, close-on-exec TCP connection to 127.0.0.1:`port`: the client
// side, for tests and tools that talk to a LoopbackListener. peer_closed
// (connection refused) when nothing listens there; on Windows the refusal
// takes about a second, as Windows retries a refused connect.
absl::StatusOr<UniqueSocket> ConnectToLoopback(uint16_t port);

// Result of one non-blocking transfer: bytes moved, 0 with `would_block`
// when the socket is not ready, 0 without it at end of stream (recv).
struct Transfer {
  size_t bytes = 0;
  bool would_block = false;
};

// recv / send on a non-blocking socket. send never raises SIGPIPE.
absl::StatusOr<Transfer> ReceiveSome(SocketHandle fd, char* buffer, size_t size);
absl::StatusOr<Transfer> SendSome(SocketHandle fd, absl::string_view data);

// Stops sending (a FIN to the peer) while still reading: the start of a
// graceful close that lets the client read a response sent before it
// finished its request.
void ShutdownWrite(SocketHandle fd);

// A non-blocking, close-on-exec channel for waking a WaitForSockets loop
// from another thread or a signal handler. POSIX: a pipe. Windows: two
// 127.0.0.1 UDP sockets connected to each other (WSAPoll waits on sockets
// only), so the read end takes datagrams from the write end alone.
struct WakePipe {
  UniqueSocket read_end;
  UniqueSocket write_end;
};
absl::StatusOr<WakePipe> MakeWakePipe();
// Async-signal-safe: writes one byte, ignoring a full pipe.
void Wake(SocketHandle write_fd);
// Reads everything pending.
void DrainWakes(SocketHandle read_fd);

// One descriptor for WaitForSockets: what to wait for (neither: errors and
// hang-ups only), and afterwards whether anything happened on it (readable,
// writable, an error or a hang-up, which the next transfer then reports).
struct SocketInterest {
  SocketHandle fd = kInvalidSocket;
  bool read = false;
  bool write = false;
  bool ready = false;  // set by WaitForSockets
};

// Waits until one of `sockets` is ready or `timeout` passes (rounded up to a
// millisecond; InfiniteDuration: no limit), and sets each one's `ready`.
// Returns false, with nothing ready, when a signal interrupted the wait (the
// caller decides whether that means stop; never on Windows); true otherwise.
absl::StatusOr<bool> WaitForSockets(std::vector<SocketInterest>& sockets, absl::Duration timeout);

}  // namespace ipckit

#endif  // IPCKIT_CC_PLATFORM_NET_LOOPBACK_SOCKET_H_
