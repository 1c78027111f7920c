#include "cc/pipe/anonymous_pipe.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cc/base/deadline.h"
#include "cc/base/error.h"
#include "cc/platform/pipe/anon_pipe.h"

namespace ipckit {
namespace {

absl::Status NoEnd(absl::string_view end) {
  return ClosedError(absl::StrCat("anonymous pipe: this process holds no ", end,
                                  " end (closed, taken, or never received)"));
}

}  // namespace

absl::StatusOr<AnonymousPipe> AnonymousPipe::Create() {
  absl::StatusOr<platform::AnonPipeEnds> ends = platform::MakeAnonPipe();
  if (!ends.ok()) return ends.status();
  return AnonymousPipe(std::move(ends->reader), std::move(ends->writer));
}

AnonymousPipe::AnonymousPipe(platform::AnonPipeEnd reader, platform::AnonPipeEnd writer)
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
    absl::Status ok = platform::ValidateAnonPipeEnd(reader_fd, /*read=*/true);
    if (!ok.ok()) return ok;
  }
  if (writer_fd >= 0) {
    absl::Status ok = platform::ValidateAnonPipeEnd(writer_fd, /*read=*/false);
    if (!ok.ok()) return ok;
  }
  platform::AnonPipeEnd ends[2];
  for (int i : {0, 1}) {
    const int fd = i == 0 ? reader_fd : writer_fd;
    if (fd < 0) continue;
    absl::StatusOr<platform::AnonPipeEnd> end = platform::AdoptAnonPipeEnd(fd);
    if (!end.ok()) return end.status();
    ends[i] = *std::move(end);
  }
  return AnonymousPipe(std::move(ends[0]), std::move(ends[1]));
}

absl::Status AnonymousPipe::SetInheritable(int fd, bool inheritable) {
  return platform::SetAnonPipeInheritable(fd, inheritable);
}

absl::StatusOr<size_t> AnonymousPipe::Read(absl::Span<char> buf, absl::Duration timeout) {
  if (!reader_.valid()) return NoEnd("read");
  return reader_.ReadSome(buf, Deadline::After(timeout), reader_name_);
}

absl::Status AnonymousPipe::ReadExact(absl::Span<char> buf, absl::Duration timeout) {
  if (!reader_.valid()) return NoEnd("read");
  return reader_.ReadExact(buf, Deadline::After(timeout), reader_name_);
}

absl::StatusOr<size_t> AnonymousPipe::Write(absl::string_view data, absl::Duration timeout) {
  if (!writer_.valid()) return NoEnd("write");
  return writer_.WriteSome(data, Deadline::After(timeout), writer_name_);
}

absl::Status AnonymousPipe::WriteAll(absl::string_view data, absl::Duration timeout) {
  if (!writer_.valid()) return NoEnd("write");
  return writer_.WriteAll(data, Deadline::After(timeout), writer_name_);
}

}  // namespace ipckit
