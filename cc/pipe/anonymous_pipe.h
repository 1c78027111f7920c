// AnonymousPipe: a one-way byte stream between a process and its children.
//
//   IPCKIT_ASSIGN_OR_RETURN(ipckit::AnonymousPipe pipe, ipckit::AnonymousPipe::Create());
//   IPCKIT_RETURN_IF_ERROR(pipe.WriteAll("hello"));
//   IPCKIT_ASSIGN_OR_RETURN(size_t n, pipe.Read(absl::MakeSpan(buf), absl::Seconds(1)));
//
// Handing an end to an exec'd child: both ends are close-on-exec, so mark the
// one the child needs with SetInheritable(fd, true), pass its number to the
// child (e.g. in argv), spawn, then CloseWriter()/CloseReader() the copy the
// parent does not use (a reader only sees EOF once every copy of the write end
// is closed). The child wraps the number with FromFds().
//
// Both ends are non-blocking file descriptions (shared with any child that
// inherits them): ipckit's calls wait with poll(2). A child that is not ipckit
// and expects a blocking descriptor should be given one with
// fd_io::SetNonBlocking(fd, false) after the parent has closed its own copy,
// or the parent should create a plain pipe for it.
//
// Windows (spec/windows.md, "AnonymousPipe"): an "fd" is a handle's value,
// inheritable or not (HANDLE_FLAG_INHERIT) as above; both ends are
// overlapped handles of a one-instance named pipe, so every call has a
// deadline in the child too. FromFds checks the handle's access rights.
#ifndef IPCKIT_CC_PIPE_ANONYMOUS_PIPE_H_
#define IPCKIT_CC_PIPE_ANONYMOUS_PIPE_H_

#include <cstddef>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "cc/platform/pipe/anon_pipe.h"

namespace ipckit {

// Not thread-safe as a whole; one thread may use the read end while another
// uses the write end.
class AnonymousPipe {
 public:
  // A new pipe with both ends open in this process.
  static absl::StatusOr<AnonymousPipe> Create();

  // Adopts ends received from a parent. Either may be -1 (not held). On
  // success the pipe owns the descriptors and makes them close-on-exec and
  // non-blocking (O_NONBLOCK belongs to the open file description, so other
  // processes sharing the end see it too); on error (an fd that is not open, a reader not open for
  // reading, a writer not open for writing, or the same fd twice:
  // invalid_argument) they are left untouched and still the caller's.
  static absl::StatusOr<AnonymousPipe> FromFds(int reader_fd, int writer_fd);

  // Whether `fd` survives exec (true) or is closed by it (false, the default
  // for every descriptor ipckit creates).
  static absl::Status SetInheritable(int fd, bool inheritable);

  AnonymousPipe(AnonymousPipe&&) noexcept = default;
  AnonymousPipe& operator=(AnonymousPipe&&) noexcept = default;
  AnonymousPipe(const AnonymousPipe&) = delete;
  AnonymousPipe& operator=(const AnonymousPipe&) = delete;

  // Reads up to buf.size() bytes once some are available. Returns 0 at end of
  // stream: every copy of the write end, in every process, is closed. timeout
  // if nothing arrives in time; closed if this process has no read end.
  absl::StatusOr<size_t> Read(absl::Span<char> buf,
                              absl::Duration timeout = absl::InfiniteDuration());

  // Fills all of `buf`. End of stream before the first byte: peer_closed;
  // after some bytes: truncated. On timeout or error the bytes already read
  // are consumed and lost.
  absl::Status ReadExact(absl::Span<char> buf, absl::Duration timeout = absl::InfiniteDuration());

  // Writes some of `data` (at least one byte unless it is empty) and returns
  // how much. peer_closed if no read end is open anywhere (never SIGPIPE);
  // closed if this process has no write end.
  absl::StatusOr<size_t> Write(absl::string_view data,
                               absl::Duration timeout = absl::InfiniteDuration());

  // Writes all of `data`; on timeout the message says how much was written.
  absl::Status WriteAll(absl::string_view data, absl::Duration timeout = absl::InfiniteDuration());

  void CloseReader() { reader_.reset(); }
  void CloseWriter() { writer_.reset(); }

  // -1 once closed or taken.
  int reader_fd() const { return reader_.get(); }
  int writer_fd() const { return writer_.get(); }

  // Gives up ownership of an end (e.g. to dup2 it onto a child's stdin);
  // release() it to own the bare number (Windows: a duplicate handle).
  platform::AnonPipeEnd TakeReader() { return std::move(reader_); }
  platform::AnonPipeEnd TakeWriter() { return std::move(writer_); }

 private:
  AnonymousPipe(platform::AnonPipeEnd reader, platform::AnonPipeEnd writer);

  platform::AnonPipeEnd reader_;
  platform::AnonPipeEnd writer_;
  // For error messages, made once rather than per call.
  std::string reader_name_;
  std::string writer_name_;
};

}  // namespace ipckit

#endif  // IPCKIT_CC_PIPE_ANONYMOUS_PIPE_H_
