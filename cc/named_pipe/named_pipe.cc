#include "cc/named_pipe/named_pipe.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "cc/base/deadline.h"
#include "cc/base/error.h"
#include "cc/base/status_macros.h"

namespace ipckit {

absl::Status NamedPipeConnection::NotOpen() const {
  if (what_.empty()) return ClosedError("named pipe connection is not connected");
  return ClosedError(absl::StrCat(what_, ": the connection is closed"));
}

absl::StatusOr<size_t> NamedPipeConnection::Read(absl::Span<char> buf, absl::Duration timeout) {
  if (!is_open()) return NotOpen();
  return stream_.ReadSome(buf, Deadline::After(timeout), what_);
}

absl::Status NamedPipeConnection::ReadExact(absl::Span<char> buf, absl::Duration timeout) {
  if (!is_open()) return NotOpen();
  return stream_.ReadExact(buf, Deadline::After(timeout), what_);
}

absl::StatusOr<size_t> NamedPipeConnection::Write(absl::string_view data,
                                                  absl::Duration timeout) {
  if (!is_open()) return NotOpen();
  return stream_.WriteSome(data, Deadline::After(timeout), what_);
}

absl::Status NamedPipeConnection::WriteAll(absl::string_view data, absl::Duration timeout) {
  if (!is_open()) return NotOpen();
  return stream_.WriteAll(data, Deadline::After(timeout), what_);
}

absl::StatusOr<size_t> NamedPipe::Read(absl::Span<char> buf, absl::Duration timeout) {
  IPCKIT_ASSIGN_OR_RETURN(NamedPipeConnection * current, Current());
  return current->Read(buf, timeout);
}

absl::Status NamedPipe::ReadExact(absl::Span<char> buf, absl::Duration timeout) {
  IPCKIT_ASSIGN_OR_RETURN(NamedPipeConnection * current, Current());
  return current->ReadExact(buf, timeout);
}

absl::StatusOr<size_t> NamedPipe::Write(absl::string_view data, absl::Duration timeout) {
  IPCKIT_ASSIGN_OR_RETURN(NamedPipeConnection * current, Current());
  return current->Write(data, timeout);
}

absl::Status NamedPipe::WriteAll(absl::string_view data, absl::Duration timeout) {
  IPCKIT_ASSIGN_OR_RETURN(NamedPipeConnection * current, Current());
  return current->WriteAll(data, timeout);
}

}  // namespace ipckit
