#include "cc/named_pipe/named_pipe.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "cc/base/deadline.h"
#include "cc/base/error.h"
#include "cc/base/name.h"
#include "cc/base/status_macros.h"
#include "cc/platform/io/fd_io.h"

namespace ipckit {

using fd_io::FdKind;

absl::Status NamedPipeConnection::NotOpen() const {
  if (what_.empty()) return ClosedError("named pipe connection is not connected");
  return ClosedError(absl::StrCat(what_, ": the connection is closed"));
}

absl::StatusOr<size_t> NamedPipeConnection::Read(absl::Span<char> buf, absl::Duration timeout) {
  if (!is_open()) return NotOpen();
  return fd_io::ReadSome(fd_.get(), buf, Deadline::After(timeout), what_);
}

absl::Status NamedPipeConnection::ReadExact(absl::Span<char> buf, absl::Duration timeout) {
  if (!is_open()) return NotOpen();
  return fd_io::ReadExact(fd_.get(), buf, Deadline::After(timeout), what_);
}

absl::StatusOr<size_t> NamedPipeConnection::Write(absl::string_view data,
                                                  absl::Duration timeout) {
  if (!is_open()) return NotOpen();
  return fd_io::WriteSome(fd_.get(), FdKind::kSocket, data, Deadline::After(timeout), what_);
}

absl::Status NamedPipeConnection::WriteAll(absl::string_view data, absl::Duration timeout) {
  if (!is_open()) return NotOpen();
  return fd_io::WriteAll(fd_.get(), FdKind::kSocket, data, Deadline::After(timeout), what_);
}

absl::StatusOr<NamedPipe> NamedPipe::Create(absl::string_view name) {
  absl::StatusOr<std::string> path = SocketPathFor(name);
  if (!path.ok()) return path.status();
  absl::StatusOr<uds::UnixListener> listener = uds::UnixListener::Listen(*path);
  if (!listener.ok()) return listener.status();
  NamedPipe pipe{std::string(name), *std::move(path)};
  pipe.listener_.emplace(*std::move(listener));
  return pipe;
}

absl::StatusOr<NamedPipe> NamedPipe::Connect(absl::string_view name, absl::Duration timeout) {
  absl::StatusOr<std::string> path = SocketPathFor(name);
  if (!path.ok()) return path.status();
  absl::StatusOr<UniqueFd> fd = uds::ConnectUnix(*path, Deadline::After(timeout));
  if (!fd.ok()) return fd.status();
  NamedPipe pipe{std::string(name), *std::move(path)};
  pipe.current_ = NamedPipeConnection(*std::move(fd), absl::StrCat("named pipe ", pipe.path_));
  return pipe;
}

absl::Status NamedPipe::NotServer(absl::string_view call) const {
  return InvalidArgumentError(
      absl::StrCat("named pipe ", path_, ": ", call, " is for servers; this is a client"));
}

absl::Status NamedPipe::CheckServerHasClient() const {
  if (is_server() && !current_.is_open()) {
    return ClosedError(absl::StrCat("named pipe ", path_, ": no client; call WaitForClient first"));
  }
  return absl::OkStatus();  // A client's closed link is reported by the connection.
}

absl::Status NamedPipe::WaitForClient(absl::Duration timeout) {
  absl::StatusOr<NamedPipeConnection> conn = Accept(timeout);
  if (!conn.ok()) return conn.status();
  current_ = *std::move(conn);
  return absl::OkStatus();
}

absl::StatusOr<NamedPipeConnection> NamedPipe::Accept(absl::Duration timeout) {
  if (!is_server()) return NotServer("Accept/WaitForClient");
  absl::StatusOr<UniqueFd> fd = listener_->Accept(Deadline::After(timeout));
  if (!fd.ok()) return fd.status();
  return NamedPipeConnection(*std::move(fd), absl::StrCat("named pipe ", path_, " (server side)"));
}

absl::StatusOr<size_t> NamedPipe::Read(absl::Span<char> buf, absl::Duration timeout) {
  IPCKIT_RETURN_IF_ERROR(CheckServerHasClient());
  return current_.Read(buf, timeout);
}

absl::Status NamedPipe::ReadExact(absl::Span<char> buf, absl::Duration timeout) {
  IPCKIT_RETURN_IF_ERROR(CheckServerHasClient());
  return current_.ReadExact(buf, timeout);
}

absl::StatusOr<size_t> NamedPipe::Write(absl::string_view data, absl::Duration timeout) {
  IPCKIT_RETURN_IF_ERROR(CheckServerHasClient());
  return current_.Write(data, timeout);
}

absl::Status NamedPipe::WriteAll(absl::string_view data, absl::Duration timeout) {
  IPCKIT_RETURN_IF_ERROR(CheckServerHasClient());
  return current_.WriteAll(data, timeout);
}

}  // namespace ipckit
