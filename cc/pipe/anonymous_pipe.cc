#include "cc/pipe/anonymous_pipe.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cc/base/deadline.h"
#include "cc/base/error.h"
#include "cc/platform/io/fd_io.h"

namespace ipckit {
namespace {

absl::Status NoEnd(absl::string_view end) {
  return ClosedError(absl::StrCat("anonymous pipe: this process holds no ", end,
                                  " end (closed, taken, or never received)"));
}

// Checks that `fd` is open in a mode that allows reading (`read`) or writing.
absl::Status CheckEnd(int fd, bool read, absl::string_view end) {
  absl::StatusOr<fd_io::AccessMode> mode = fd_io::AccessModeOf(fd);
  if (!mode.ok()) return mode.status();
  if (read ? !mode->read : !mode->write) {
    return InvalidArgumentError(absl::StrCat("fd ", fd, " passed as the ", end,
                                             " end is not open for ",
                                             read ? "reading" : "writing"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<AnonymousPipe> AnonymousPipe::Create() {
  absl::StatusOr<fd_io::PipeFds> fds = fd_io::MakePipe();
  if (!fds.ok()) return fds.status();
  return AnonymousPipe(std::move(fds->reader), std::move(fds->writer));
}

AnonymousPipe::AnonymousPipe(UniqueFd reader, UniqueFd writer)
    : reader_(std::move(reader)),
      writer_(std::move(writer)),
      reader_name_(absl::StrCat("anonymous pipe read end (fd ", reader_.get(), ")")),
      writer_name_(absl::StrCat("anonymous pipe write end (fd ", writer_.get(), ")")) {}

absl::StatusOr<AnonymousPipe> AnonymousPipe::FromFds(int reader_fd, int writer_fd) {
  if (reader_fd >= 0 && reader_fd == writer_fd) {
    return InvalidArgumentError(absl::StrCat("fd ", reader_fd, " passed as both pipe ends"));
  }
  // Validate everything before changing any flags.
  if (reader_fd >= 0) {
    absl::Status ok = CheckEnd(reader_fd, /*read=*/true, "read");
    if (!ok.ok()) return ok;
  }
  if (writer_fd >= 0) {
    absl::Status ok = CheckEnd(writer_fd, /*read=*/false, "write");
    if (!ok.ok()) return ok;
  }
  for (int fd : {reader_fd, writer_fd}) {
    if (fd < 0) continue;
    absl::Status s = fd_io::SetCloseOnExec(fd, true);
    if (s.ok()) s = fd_io::SetNonBlocking(fd, true);
    if (!s.ok()) return s;
  }
  return AnonymousPipe(UniqueFd(reader_fd), UniqueFd(writer_fd));
}

absl::Status AnonymousPipe::SetInheritable(int fd, bool inheritable) {
  return fd_io::SetCloseOnExec(fd, !inheritable);
}

absl::StatusOr<size_t> AnonymousPipe::Read(absl::Span<char> buf, absl::Duration timeout) {
  if (!reader_.valid()) return NoEnd("read");
  return fd_io::ReadSome(reader_.get(), buf, Deadline::After(timeout), reader_name_);
}

absl::Status AnonymousPipe::ReadExact(absl::Span<char> buf, absl::Duration timeout) {
  if (!reader_.valid()) return NoEnd("read");
  return fd_io::ReadExact(reader_.get(), buf, Deadline::After(timeout), reader_name_);
}

absl::StatusOr<size_t> AnonymousPipe::Write(absl::string_view data, absl::Duration timeout) {
  if (!writer_.valid()) return NoEnd("write");
  return fd_io::WriteSome(writer_.get(), fd_io::FdKind::kPipe, data, Deadline::After(timeout),
                          writer_name_);
}

absl::Status AnonymousPipe::WriteAll(absl::string_view data, absl::Duration timeout) {
  if (!writer_.valid()) return NoEnd("write");
  return fd_io::WriteAll(writer_.get(), fd_io::FdKind::kPipe, data, Deadline::After(timeout),
                         writer_name_);
}

}  // namespace ipckit
