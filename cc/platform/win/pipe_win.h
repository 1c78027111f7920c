// Windows named pipes with deadlines: the transport of NamedPipe and
// IpcChannel on Windows (spec/windows.md), over \\.\pipe\{name} as ipckit 0.1
// uses it (byte mode, duplex).
//
//   IPCKIT_ASSIGN_OR_RETURN(win::PipeListener l, win::PipeListener::Create("jobs"));
//   IPCKIT_ASSIGN_OR_RETURN(win::PipeEnd server, l.Accept(Deadline::After(absl::Seconds(5))));
//   // another process:
//   IPCKIT_ASSIGN_OR_RETURN(win::PipeEnd client, win::ConnectPipe("jobs", dl));
//   IPCKIT_RETURN_IF_ERROR(client.WriteAll("hello", dl, "named pipe jobs"));
//
// Who may connect (spec/naming.md, "Who may connect"; spec/windows.md): by
// default the pipe's DACL grants access to this user (and SYSTEM) only, as
// mode 0600 does on Linux, and a client refuses a server that runs as
// another user (permission_denied); `allow_other_users` lifts both.
//
// Every handle is opened for overlapped I/O, so each call waits on an event
// with the time left, and cancels its I/O (CancelIoEx) when the deadline
// passes: no call blocks past its deadline. Errors use the error classes of
// fd_io.h (timeout, peer_closed, in_use, not_found).
#ifndef IPCKIT_CC_PLATFORM_WIN_PIPE_WIN_H_
#define IPCKIT_CC_PLATFORM_WIN_PIPE_WIN_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "cc/base/deadline.h"
#include "cc/platform/win/unique_handle_win.h"

namespace ipckit {
namespace platform {
namespace win {

// The pipe path of an ipckit name: "\\.\pipe\" + name, or `name` itself when
// it already starts with that prefix (as in ipckit 0.1).
std::wstring PipePath(absl::string_view name);

enum class PipeDirection { kToChild, kFromChild };
struct ChildPipe;

// One connected end of a pipe, server's or client's.
class PipeEnd {
 public:
  PipeEnd() = default;
  PipeEnd(PipeEnd&&) = default;
  PipeEnd& operator=(PipeEnd&&) = default;

  // Reads at least one byte, waiting until the deadline. Returns 0 at end of
  // stream (the peer closed its end), and 0 at once for an empty buf.
  absl::StatusOr<size_t> ReadSome(absl::Span<char> buf, const Deadline& deadline, absl::string_view what);

  // Writes all of `data`. A closed reader is peer_closed. On timeout a part
  // of `data` may have been written: `*written` (if given) receives how many
  // bytes went out, also on error, so a caller can keep the rest.
  absl::Status WriteAll(absl::string_view data, const Deadline& deadline, absl::string_view what,
                        size_t* written = nullptr);

  bool valid() const { return pipe_.valid(); }
  HANDLE handle() const { return pipe_.get(); }

  // Takes an overlapped pipe handle, with events for its I/O (AnonymousPipe
  // adopts the ends it makes and the ones a child inherits).
  static absl::StatusOr<PipeEnd> Adopt(HANDLE pipe, absl::string_view what);

 private:
  friend class PipeListener;
  friend absl::StatusOr<PipeEnd> ConnectPipe(absl::string_view name, const Deadline& deadline,
                                             bool allow_other_users);
  friend absl::StatusOr<ChildPipe> MakeChildPipe(PipeDirection direction);

  UniqueHandle pipe_;
  UniqueHandle read_event_;   // one OVERLAPPED event per direction, so a
  UniqueHandle write_event_;  // reader and a writer thread never share one
};

// The server side of a name: owns it (FILE_FLAG_FIRST_PIPE_INSTANCE) and
// accepts clients one by one, each on its own pipe instance.
class PipeListener {
 public:
  // in_use if another server already owns `name`. Without
  // `allow_other_users` only this user (and SYSTEM) may open the pipe.
  static absl::StatusOr<PipeListener> Create(absl::string_view name, bool allow_other_users = false);

  PipeListener() = default;
  PipeListener(PipeListener&&) = default;
  PipeListener& operator=(PipeListener&&) = default;

  // The next client, waiting until the deadline (timeout then; the listener
  // stays usable).
  absl::StatusOr<PipeEnd> Accept(const Deadline& deadline);

  const std::wstring& path() const { return path_; }

 private:
  std::wstring path_;
  std::string what_;
  bool allow_other_users_ = false;
  UniqueHandle pending_;  // the instance the next client connects to
  UniqueHandle event_;
};

// Connects to the server of `name`. not_found if no server has the name;
// while all its instances are busy, waits (WaitNamedPipe) until the deadline.
// A server that runs as another user is permission_denied (the handle is
// closed before anything is sent) unless `allow_other_users`.
absl::StatusOr<PipeEnd> ConnectPipe(absl::string_view name, const Deadline& deadline,
                                    bool allow_other_users = false);

// The pipe's DACL in SDDL (for tests and diagnostics): what Create set.
absl::StatusOr<std::string> PipeDaclOf(const PipeEnd& end);

// An anonymous pipe to or from a child process (AnonymousPipe on Windows):
// our end overlapped (so it honours deadlines) and not inheritable, the
// child's end synchronous and inheritable. CreatePipe's handles cannot do
// overlapped I/O, so this is a one-instance named pipe under a random name,
// \\.\pipe\ipckit-anon-{pid}-{n}-{16 hex}, as CPython and libuv make theirs.
//
//   IPCKIT_ASSIGN_OR_RETURN(win::ChildPipe p, win::MakeChildPipe(win::PipeDirection::kFromChild));
//   // start the child with p.child_end inherited, then close p.child_end here
//   IPCKIT_ASSIGN_OR_RETURN(size_t n, p.ours.ReadSome(buf, deadline, "pipe from child"));
struct ChildPipe {
  PipeEnd ours;
  UniqueHandle child_end;
};

absl::StatusOr<ChildPipe> MakeChildPipe(PipeDirection direction);

}  // namespace win
}  // namespace platform
}  // namespace ipckit

#endif  // IPCKIT_CC_PLATFORM_WIN_PIPE_WIN_H_
