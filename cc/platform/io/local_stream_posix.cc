// LocalStream on POSIX: a Unix-domain stream socket (unix_socket.h), its I/O
// through fd_io with FdKind::kSocket (MSG_NOSIGNAL, no SIGPIPE).
#include <sys/uio.h>

#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "cc/base/error.h"
#include "cc/base/name.h"
#include "cc/platform/io/fd_io.h"
#include "cc/platform/io/local_stream.h"

namespace ipckit {
namespace platform {
namespace {

using fd_io::FdKind;

absl::Status NotConnected(absl::string_view what) {
  return ClosedError(absl::StrCat(what, ": the connection is closed"));
}

uds::PeerAccess PeerAccessOf(LocalStreamAccess access) {
  uds::PeerAccess peer;
  peer.allow_other_users = access.allow_other_users;
  return peer;
}

}  // namespace

absl::StatusOr<std::string> LocalStreamAddress(absl::string_view name) {
  return SocketPathFor(name);
}

LocalStream::LocalStream() = default;
LocalStream::LocalStream(LocalStream&&) noexcept = default;
LocalStream& LocalStream::operator=(LocalStream&&) noexcept = default;
LocalStream::~LocalStream() = default;

absl::StatusOr<size_t> LocalStream::ReadSome(absl::Span<char> buf, const Deadline& deadline,
                                             absl::string_view what) {
  if (!fd_.valid()) return NotConnected(what);
  return fd_io::ReadSome(fd_.get(), buf, deadline, what);
}

absl::Status LocalStream::ReadExact(absl::Span<char> buf, const Deadline& deadline,
                                    absl::string_view what) {
  if (!fd_.valid()) return NotConnected(what);
  return fd_io::ReadExact(fd_.get(), buf, deadline, what);
}

absl::StatusOr<size_t> LocalStream::WriteSome(absl::string_view data, const Deadline& deadline,
                                              absl::string_view what) {
  if (!fd_.valid()) return NotConnected(what);
  return fd_io::WriteSome(fd_.get(), FdKind::kSocket, data, deadline, what);
}

absl::Status LocalStream::WriteAll(absl::string_view data, const Deadline& deadline,
                                   absl::string_view what) {
  if (!fd_.valid()) return NotConnected(what);
  return fd_io::WriteAll(fd_.get(), FdKind::kSocket, data, deadline, what);
}

absl::Status LocalStream::WriteAllGathered(absl::Span<const absl::string_view> parts,
                                           const Deadline& deadline, absl::string_view what,
                                           size_t* written) {
  *written = 0;
  if (!fd_.valid()) return NotConnected(what);
  // On the stack for a frame's header and payload: no allocation per message.
  absl::InlinedVector<iovec, 4> iov;
  iov.reserve(parts.size());
  for (absl::string_view part : parts) {
    iov.push_back({const_cast<char*>(part.data()), part.size()});
  }
  return fd_io::WriteVAll(fd_.get(), FdKind::kSocket, absl::MakeSpan(iov), deadline, what,
                          written);
}

void LocalStream::Close() { fd_.reset(); }
bool LocalStream::is_open() const { return fd_.valid(); }
int LocalStream::fd() const { return fd_.get(); }

LocalStreamListener::LocalStreamListener() = default;
LocalStreamListener::LocalStreamListener(LocalStreamListener&&) noexcept = default;
LocalStreamListener& LocalStreamListener::operator=(LocalStreamListener&&) noexcept = default;
LocalStreamListener::~LocalStreamListener() = default;

absl::StatusOr<LocalStreamListener> LocalStreamListener::Listen(const std::string& address,
                                                                LocalStreamAccess access) {
  absl::StatusOr<uds::UnixListener> unix_listener =
      uds::UnixListener::Listen(address, PeerAccessOf(access));
  if (!unix_listener.ok()) return unix_listener.status();
  LocalStreamListener listener;
  listener.listener_.emplace(*std::move(unix_listener));
  return listener;
}

absl::StatusOr<LocalStream> LocalStreamListener::Accept(const Deadline& deadline) {
  if (!listener_) return ClosedError("local stream listener: closed");
  absl::StatusOr<UniqueFd> fd = listener_->Accept(deadline);
  if (!fd.ok()) return fd.status();
  return LocalStream(*std::move(fd));
}

int LocalStreamListener::fd() const { return listener_ ? listener_->fd() : -1; }

absl::StatusOr<LocalStream> ConnectLocalStream(const std::string& address,
                                               const Deadline& deadline,
                                               LocalStreamAccess access) {
  absl::StatusOr<UniqueFd> fd = uds::ConnectUnix(address, deadline, PeerAccessOf(access));
  if (!fd.ok()) return fd.status();
  return LocalStream(*std::move(fd));
}

}  // namespace platform
}  // namespace ipckit
