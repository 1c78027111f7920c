// Deadline-aware I/O on POSIX file descriptors: the one place that retries
// EINTR, waits out EAGAIN with poll(2), loops over partial transfers and keeps
// SIGPIPE from killing the process.
//
//   IPCKIT_ASSIGN_OR_RETURN(fd_io::PipeFds p, fd_io::MakePipe());
//   IPCKIT_RETURN_IF_ERROR(fd_io::WriteAll(p.writer.get(), fd_io::FdKind::kPipe, "hi", dl, "w"));
//   IPCKIT_ASSIGN_OR_RETURN(size_t n, fd_io::ReadSome(p.reader.get(), absl::MakeSpan(b), dl, "r"));
//
// Every function takes the Deadline of the whole user-level call, so retries
// never restart the clock, and a `what` naming the object ("named pipe
// /tmp/jobs.sock") that error messages start with. File descriptors are
// expected to be non-blocking (everything ipckit creates or adopts is); with a
// blocking descriptor a call may overrun its deadline inside the system call.
#ifndef IPCKIT_CC_PLATFORM_IO_FD_IO_H_
#define IPCKIT_CC_PLATFORM_IO_FD_IO_H_

#include <sys/uio.h>

#include <cstddef>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "cc/base/deadline.h"
#include "cc/platform/unique_fd.h"

namespace ipckit {
namespace fd_io {

// How writes avoid SIGPIPE differs: sockets take MSG_NOSIGNAL per call, pipes
// need the signal blocked around the write (see fd_io.cc).
enum class FdKind { kPipe, kSocket };

struct PipeFds {
  UniqueFd reader;
  UniqueFd writer;
};

// A pipe whose two ends are close-on-exec and non-blocking.
absl::StatusOr<PipeFds> MakePipe();

absl::Status SetNonBlocking(int fd, bool non_blocking);
absl::Status SetCloseOnExec(int fd, bool close_on_exec);

// What an open descriptor may do (its O_RDONLY/O_WRONLY/O_RDWR access mode);
// invalid_argument if `fd` is not open.
struct AccessMode {
  bool read = false;
  bool write = false;
  bool operator==(const AccessMode& o) const { return read == o.read && write == o.write; }
};
absl::StatusOr<AccessMode> AccessModeOf(int fd);

// Waits until `fd` reports any of `poll_events` (or an error/hang-up, which the
// following I/O call then reports). timeout error once the deadline passes.
absl::Status WaitReady(int fd, short poll_events, const Deadline& deadline,
                       absl::string_view what);

// Reads at least one byte, waiting as needed. Returns 0 at end of stream
// (including a connection reset by the peer), and 0 at once for an empty buf.
absl::StatusOr<size_t> ReadSome(int fd, absl::Span<char> buf, const Deadline& deadline,
                                absl::string_view what);

// Fills all of `buf`. End of stream before the first byte is peer_closed;
// after some but not all bytes, truncated. On timeout the bytes already read
// are consumed from the stream and lost to the caller.
absl::Status ReadExact(int fd, absl::Span<char> buf, const Deadline& deadline,
                       absl::string_view what);

// Writes at least one byte (0 for empty data), waiting as needed. A closed
// reader is peer_closed; SIGPIPE is never delivered.
absl::StatusOr<size_t> WriteSome(int fd, FdKind kind, absl::string_view data,
                                 const Deadline& deadline, absl::string_view what);

// Writes all of `data`.
absl::Status WriteAll(int fd, FdKind kind, absl::string_view data, const Deadline& deadline,
                      absl::string_view what);

// Writes all bytes described by `iov` with writev/sendmsg, as few system calls
// as the kernel allows (one in the common case). `iov` is advanced in place.
// `*written` receives the number of bytes written, also on error, so a caller
// can keep the unsent rest after a timeout.
absl::Status WriteVAll(int fd, FdKind kind, absl::Span<iovec> iov, const Deadline& deadline,
                       absl::string_view what, size_t* written);

}  // namespace fd_io
}  // namespace ipckit

#endif  // IPCKIT_CC_PLATFORM_IO_FD_IO_H_
