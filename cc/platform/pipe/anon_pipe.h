// Anonymous pipe ends for AnonymousPipe (cc/pipe): a descriptor on POSIX, an
// overlapped named-pipe handle on Windows (spec/windows.md, "AnonymousPipe").
//
//   IPCKIT_ASSIGN_OR_RETURN(platform::AnonPipeEnds p, platform::MakeAnonPipe());
//   IPCKIT_RETURN_IF_ERROR(platform::SetAnonPipeInheritable(p.writer.get(), true));
//   // a child given p.writer.get() (an fd, or a handle value on Windows):
//   IPCKIT_RETURN_IF_ERROR(platform::ValidateAnonPipeEnd(number, /*read=*/false));
//   IPCKIT_ASSIGN_OR_RETURN(platform::AnonPipeEnd w, platform::AdoptAnonPipeEnd(number, "w"));
//
// An end is named by an int, as a child receives it: the fd, or on Windows
// the handle's value (handles fit in 32 bits, so they cross 32/64-bit
// processes). Every call takes a Deadline; error classes are fd_io.h's
// (timeout, peer_closed, truncated). Windows: both ends are overlapped, so an
// ipckit child honours deadlines too; a program that expects a synchronous
// handle should be given a pipe made for it (win::MakeChildPipe).
#ifndef IPCKIT_CC_PLATFORM_PIPE_ANON_PIPE_H_
#define IPCKIT_CC_PLATFORM_PIPE_ANON_PIPE_H_

#include <cstddef>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "cc/base/deadline.h"

namespace ipckit {
namespace platform {

// One owned end; closed on destruction.
class AnonPipeEnd {
 public:
  struct State;  // per OS, in anon_pipe*.cc

  AnonPipeEnd();
  explicit AnonPipeEnd(std::unique_ptr<State> state);
  AnonPipeEnd(AnonPipeEnd&& other) noexcept;
  AnonPipeEnd& operator=(AnonPipeEnd&& other) noexcept;
  AnonPipeEnd(const AnonPipeEnd&) = delete;
  AnonPipeEnd& operator=(const AnonPipeEnd&) = delete;
  ~AnonPipeEnd();

  bool valid() const { return state_ != nullptr; }
  // The end's number (fd or handle value); -1 when not held.
  int get() const;
  // Gives the end up: its number, now the caller's to close; -1 if not held.
  int release();
  void reset();

  // At least one byte, or 0 at end of stream (every writer closed).
  absl::StatusOr<size_t> ReadSome(absl::Span<char> buf, const Deadline& deadline,
                                  absl::string_view what);
  // All of `buf`: peer_closed at end of stream before the first byte,
  // truncated after some; bytes read before an error are lost.
  absl::Status ReadExact(absl::Span<char> buf, const Deadline& deadline, absl::string_view what);
  // Some of `data` (all of it on Windows unless the deadline cuts it short);
  // peer_closed if no reader is left, never SIGPIPE.
  absl::StatusOr<size_t> WriteSome(absl::string_view data, const Deadline& deadline,
                                   absl::string_view what);
  absl::Status WriteAll(absl::string_view data, const Deadline& deadline, absl::string_view what);

 private:
  std::unique_ptr<State> state_;
};

struct AnonPipeEnds {
  AnonPipeEnd reader;
  AnonPipeEnd writer;
};

// A new pipe, both ends in this process and not inherited by children.
absl::StatusOr<AnonPipeEnds> MakeAnonPipe();

// invalid_argument unless `number` is an open pipe end (POSIX: any open fd)
// that can read (`read`) or write. Changes nothing.
absl::Status ValidateAnonPipeEnd(int number, bool read);

// Takes ownership of `number` (validate it first), making it not inherited
// and ready for deadlines (POSIX: O_NONBLOCK, shared with other holders).
absl::StatusOr<AnonPipeEnd> AdoptAnonPipeEnd(int number);

// Whether children started later inherit `number`
// (POSIX: FD_CLOEXEC cleared; Windows: HANDLE_FLAG_INHERIT).
absl::Status SetAnonPipeInheritable(int number, bool inheritable);
// invalid_argument if `number` is not open.
absl::StatusOr<bool> IsAnonPipeInheritable(int number);

// Whether a SIGPIPE is pending for this process (always false on Windows,
// which has no SIGPIPE): what tests check after writing to a closed pipe.
bool BrokenPipeSignalPending();

}  // namespace platform
}  // namespace ipckit

#endif  // IPCKIT_CC_PLATFORM_PIPE_ANON_PIPE_H_
