// loopback_socket.h over Winsock 2: WSAPoll for the waits, and a pair of
// connected 127.0.0.1 UDP sockets for the wake "pipe" (WSAPoll waits on
// sockets only). Every socket is non-blocking once made ours and is not
// inherited by child processes.
#include "cc/platform/net/loopback_socket.h"

#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>

#include <algorithm>
#include <climits>

#include "absl/strings/str_cat.h"
#include "cc/base/error.h"
#include "cc/base/status_macros.h"
#include "cc/platform/win/error_win.h"

namespace ipckit {
namespace {

SOCKET Native(SocketHandle s) { return static_cast<SOCKET>(s); }

absl::Status SocketError(absl::string_view context) {
  return platform::WindowsError(static_cast<uint32_t>(::WSAGetLastError()), context);
}

// Once per process, before the first socket; never undone (the process's
// exit releases Winsock).
absl::Status StartWinsock() {
  static const int result = [] {
    WSADATA data;
    return ::WSAStartup(MAKEWORD(2, 2), &data);
  }();
  if (result != 0) return platform::WindowsError(static_cast<uint32_t>(result), "WSAStartup");
  return absl::OkStatus();
}

// A socket that child processes do not inherit (the close-on-exec of Windows).
absl::StatusOr<UniqueSocket> NewSocket(int type, int protocol) {
  IPCKIT_RETURN_IF_ERROR(StartWinsock());
  UniqueSocket s(static_cast<SocketHandle>(
      ::WSASocketW(AF_INET, type, protocol, nullptr, 0, WSA_FLAG_NO_HANDLE_INHERIT)));
  if (!s.valid()) return SocketError("WSASocket(AF_INET)");
  return s;
}

absl::Status MakeNonBlocking(SOCKET s, absl::string_view what) {
  u_long one = 1;
  if (::ioctlsocket(s, FIONBIO, &one) != 0) return SocketError(absl::StrCat("ioctlsocket on ", what));
  return absl::OkStatus();
}

sockaddr_in Loopback(uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = ::htons(port);
  addr.sin_addr.s_addr = ::htonl(INADDR_LOOPBACK);  // 127.0.0.1 only, never another interface
  return addr;
}

// Binds `s` to 127.0.0.1:`port` and holds the port alone: without
// SO_EXCLUSIVEADDRUSE, a socket of another user that sets SO_REUSEADDR could
// bind the same port and take connections meant for us. Returns the port.
absl::StatusOr<uint16_t> BindExclusive(SOCKET s, uint16_t port, absl::string_view what) {
  BOOL one = TRUE;
  if (::setsockopt(s, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, reinterpret_cast<const char*>(&one),
                   sizeof(one)) != 0) {
    return SocketError(absl::StrCat("SO_EXCLUSIVEADDRUSE on ", what));
  }
  sockaddr_in addr = Loopback(port);
  if (::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return SocketError(absl::StrCat("bind 127.0.0.1:", port));
  }
  int len = sizeof(addr);
  if (::getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return SocketError("getsockname");
  }
  return ::ntohs(addr.sin_port);
}

int Clamp(size_t size) { return static_cast<int>(std::min<size_t>(size, INT_MAX)); }

}  // namespace

void CloseSocket(SocketHandle socket) { ::closesocket(Native(socket)); }

absl::StatusOr<LoopbackListener> LoopbackListener::Bind(uint16_t port) {
  IPCKIT_ASSIGN_OR_RETURN(UniqueSocket fd, NewSocket(SOCK_STREAM, IPPROTO_TCP));
  IPCKIT_RETURN_IF_ERROR(MakeNonBlocking(Native(fd.get()), "the listening socket"));
  IPCKIT_ASSIGN_OR_RETURN(uint16_t bound, BindExclusive(Native(fd.get()), port, "the listening socket"));
  // A deep backlog: a burst of connections must not make the stack refuse a
  // legitimate one.
  if (::listen(Native(fd.get()), SOMAXCONN) != 0) {
    return SocketError(absl::StrCat("listen on 127.0.0.1:", bound));
  }
  return LoopbackListener(std::move(fd), bound);
}

absl::StatusOr<UniqueSocket> LoopbackListener::Accept() {
  UniqueSocket conn(static_cast<SocketHandle>(::accept(Native(fd_.get()), nullptr, nullptr)));
  if (!conn.valid()) {
    const int error = ::WSAGetLastError();
    // A connection that died in the queue is not the listener's failure.
    if (error == WSAEWOULDBLOCK || error == WSAECONNRESET || error == WSAEINTR) return UniqueSocket();
    return SocketError("accept on the bridge socket");
  }
  // An accepted socket takes the listener's non-blocking mode, but not
  // necessarily its no-inherit flag: both are set here.
  if (!::SetHandleInformation(reinterpret_cast<HANDLE>(Native(conn.get())), HANDLE_FLAG_INHERIT, 0)) {
    return platform::WindowsError(::GetLastError(), "SetHandleInformation on a bridge connection");
  }
  IPCKIT_RETURN_IF_ERROR(MakeNonBlocking(Native(conn.get()), "a bridge connection"));
  return conn;
}

absl::StatusOr<UniqueSocket> ConnectToLoopback(uint16_t port) {
  IPCKIT_ASSIGN_OR_RETURN(UniqueSocket fd, NewSocket(SOCK_STREAM, IPPROTO_TCP));
  sockaddr_in addr = Loopback(port);
  if (::connect(Native(fd.get()), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return SocketError(absl::StrCat("connect to 127.0.0.1:", port));
  }
  return fd;
}

absl::StatusOr<Transfer> ReceiveSome(SocketHandle fd, char* buffer, size_t size) {
  const int n = ::recv(Native(fd), buffer, Clamp(size), 0);
  if (n >= 0) return Transfer{static_cast<size_t>(n), false};
  if (::WSAGetLastError() == WSAEWOULDBLOCK) return Transfer{0, true};
  return SocketError("recv from a bridge client");
}

absl::StatusOr<Transfer> SendSome(SocketHandle fd, absl::string_view data) {
  const int n = ::send(Native(fd), data.data(), Clamp(data.size()), 0);
  if (n >= 0) return Transfer{static_cast<size_t>(n), false};
  if (::WSAGetLastError() == WSAEWOULDBLOCK) return Transfer{0, true};
  return SocketError("send to a bridge client");
}

void ShutdownWrite(SocketHandle fd) { ::shutdown(Native(fd), SD_SEND); }

absl::StatusOr<WakePipe> MakeWakePipe() {
  WakePipe p;
  IPCKIT_ASSIGN_OR_RETURN(p.read_end, NewSocket(SOCK_DGRAM, IPPROTO_UDP));
  IPCKIT_ASSIGN_OR_RETURN(p.write_end, NewSocket(SOCK_DGRAM, IPPROTO_UDP));
  const SOCKET r = Native(p.read_end.get());
  const SOCKET w = Native(p.write_end.get());
  IPCKIT_ASSIGN_OR_RETURN(uint16_t read_port, BindExclusive(r, 0, "the wake socket"));
  IPCKIT_ASSIGN_OR_RETURN(uint16_t write_port, BindExclusive(w, 0, "the wake socket"));
  // Connected both ways: the read end drops datagrams from any other sender,
  // so no other process can fill it or fake wakes.
  sockaddr_in to_read = Loopback(read_port);
  sockaddr_in to_write = Loopback(write_port);
  if (::connect(w, reinterpret_cast<sockaddr*>(&to_read), sizeof(to_read)) != 0 ||
      ::connect(r, reinterpret_cast<sockaddr*>(&to_write), sizeof(to_write)) != 0) {
    return SocketError("connect the wake sockets");
  }
  IPCKIT_RETURN_IF_ERROR(MakeNonBlocking(r, "the wake socket"));
  IPCKIT_RETURN_IF_ERROR(MakeNonBlocking(w, "the wake socket"));
  return p;
}

void Wake(SocketHandle write_fd) {
  // Console control handlers run on their own thread: keep its last error.
  const int saved = ::WSAGetLastError();
  char byte = 1;
  ::send(Native(write_fd), &byte, 1, 0);  // WSAEWOULDBLOCK: wakes are already pending
  ::WSASetLastError(saved);
}

void DrainWakes(SocketHandle read_fd) {
  char buffer[64];
  while (::recv(Native(read_fd), buffer, sizeof(buffer), 0) > 0) {
  }
}

absl::StatusOr<bool> WaitForSockets(std::vector<SocketInterest>& sockets, absl::Duration timeout) {
  INT wait_ms = -1;
  if (timeout != absl::InfiniteDuration()) {
    wait_ms = static_cast<INT>(
        std::clamp<int64_t>(absl::ToInt64Milliseconds(timeout + absl::Microseconds(999)), 0, 1 << 30));
  }
  if (sockets.empty()) {  // WSAPoll refuses an empty set; poll(2) just sleeps
    ::Sleep(wait_ms < 0 ? INFINITE : static_cast<DWORD>(wait_ms));
    return true;
  }
  std::vector<WSAPOLLFD> fds;
  fds.reserve(sockets.size());
  for (SocketInterest& s : sockets) {
    s.ready = false;
    // POLLRDNORM / POLLWRNORM: the flags every Winsock provider accepts.
    fds.push_back({Native(s.fd), static_cast<SHORT>((s.read ? POLLRDNORM : 0) | (s.write ? POLLWRNORM : 0)),
                   0});
  }
  if (::WSAPoll(fds.data(), static_cast<ULONG>(fds.size()), wait_ms) == SOCKET_ERROR) {
    return SocketError("WSAPoll on loopback sockets");
  }
  for (size_t i = 0; i < sockets.size(); ++i) sockets[i].ready = fds[i].revents != 0;
  return true;
}

}  // namespace ipckit
