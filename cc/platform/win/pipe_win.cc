#include "cc/platform/win/pipe_win.h"

#include <windows.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cc/base/error.h"
#include "cc/platform/random/secure_random.h"
#include "cc/platform/win/deadline_win.h"
#include "cc/platform/win/error_win.h"
#include "cc/platform/win/security_win.h"
#include "cc/platform/win/wide_win.h"

namespace ipckit {
namespace platform {
namespace win {
namespace {

constexpr wchar_t kPipePrefix[] = L"\\\\.\\pipe\\";
// In-kernel buffer per direction; 0.1 asks for 4096, a hint Windows may round.
constexpr DWORD kPipeBufferBytes = 64 * 1024;

absl::StatusOr<UniqueHandle> MakeEvent() {
  UniqueHandle event(::CreateEventW(nullptr, TRUE, FALSE, nullptr));
  if (!event.valid()) return WindowsError(::GetLastError(), "CreateEvent");
  return event;
}

// Completes an overlapped operation that `started` reports on: waits for its
// event until the deadline, and cancels it then. The byte count on success;
// the Win32 error code of a failure in *error (0 on success or timeout). On
// timeout, `*partial` (if given) receives what the cancelled operation had
// transferred: a write may be cut short.
absl::StatusOr<DWORD> Finish(HANDLE h, OVERLAPPED* ov, BOOL started, const Deadline& deadline,
                             absl::string_view what, DWORD* error, DWORD* partial = nullptr) {
  *error = 0;
  if (partial != nullptr) *partial = 0;
  if (!started) {
    const DWORD err = ::GetLastError();
    if (err != ERROR_IO_PENDING) {
      *error = err;
      return WindowsError(err, what);
    }
    if (::WaitForSingleObject(ov->hEvent, WaitMs(deadline)) == WAIT_TIMEOUT) {
      ::CancelIoEx(h, ov);
      DWORD n = 0;
      // Waits for the cancellation; the operation may have completed first.
      if (::GetOverlappedResult(h, ov, &n, TRUE)) return n;
      const DWORD err2 = ::GetLastError();
      if (err2 != ERROR_OPERATION_ABORTED) {
        *error = err2;
        return WindowsError(err2, what);
      }
      if (partial != nullptr) *partial = n;
      return TimeoutError(absl::StrCat(what, ": timed out"));
    }
  }
  DWORD n = 0;
  if (!::GetOverlappedResult(h, ov, &n, FALSE)) {
    *error = ::GetLastError();
    return WindowsError(*error, what);
  }
  return n;
}

// OK if the server at the other end of client handle `pipe` runs as this
// user; permission_denied if it runs as another (or we may not even look).
absl::Status CheckServerUser(HANDLE pipe, absl::string_view what) {
  ULONG pid = 0;
  if (!::GetNamedPipeServerProcessId(pipe, &pid)) {
    return WindowsError(::GetLastError(), absl::StrCat("server process of ", what));
  }
  const std::string server = absl::StrCat("the server of ", what, " (pid ", pid, ")");
  UniqueHandle process(::OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid));
  absl::StatusOr<std::string> theirs =
      process.valid() ? UserSidOf(process.get(), server) : WindowsError(::GetLastError(), server);
  absl::StatusOr<std::string> ours = CurrentUserSid();
  if (!ours.ok()) return ours.status();
  if (theirs.ok() && *theirs == *ours) return absl::OkStatus();
  const std::string who = theirs.ok() ? absl::StrCat("runs as ", *theirs)
                                      : absl::StrCat("cannot be inspected (", theirs.status().message(), ")");
  return MakeError(absl::StatusCode::kPermissionDenied, kErrPermissionDenied,
                   absl::StrCat(server, " ", who, ", not as this user (", *ours,
                                "); refused (allow_other_users permits it)"));
}

absl::StatusOr<UniqueHandle> CreateInstance(const std::wstring& path, bool first, bool allow_other_users,
                                            absl::string_view what) {
  // FILE_FLAG_FIRST_PIPE_INSTANCE below is what makes the name ours on
  // Windows; Wine ignores it, so ask first whether any server has the name
  // (a pipe exists: an instance is free, or all are busy).
  if (first && (::WaitNamedPipeW(path.c_str(), 1) || ::GetLastError() == ERROR_SEM_TIMEOUT)) {
    return InUseError(absl::StrCat(what, ": another server has this name"));
  }
  DWORD open_mode = PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED;
  if (first) open_mode |= FILE_FLAG_FIRST_PIPE_INSTANCE;
  // Owner-only (Linux: socket mode 0600); Windows' default DACL would let
  // every user open the pipe for reading.
  absl::StatusOr<Security> security = Security::For(SecuredObject::kKernelObject, allow_other_users);
  if (!security.ok()) return security.status();
  UniqueHandle pipe(::CreateNamedPipeW(path.c_str(), open_mode,
                                       PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS,
                                       PIPE_UNLIMITED_INSTANCES, kPipeBufferBytes, kPipeBufferBytes, 0,
                                       security->attributes()));
  if (!pipe.valid()) {
    const DWORD err = ::GetLastError();
    // FILE_FLAG_FIRST_PIPE_INSTANCE on a name another server holds.
    if (first && (err == ERROR_ACCESS_DENIED || err == ERROR_PIPE_BUSY)) {
      return InUseError(absl::StrCat(what, ": another server has this name"));
    }
    return WindowsError(err, absl::StrCat("create ", what));
  }
  return pipe;
}

}  // namespace

std::wstring PipePath(absl::string_view name) {
  std::wstring wide = Widen(name);
  if (wide.rfind(kPipePrefix, 0) == 0) return wide;
  return kPipePrefix + wide;
}

absl::StatusOr<PipeEnd> PipeEnd::Adopt(HANDLE pipe, absl::string_view what) {
  PipeEnd end;
  end.pipe_.reset(pipe);
  absl::StatusOr<UniqueHandle> r = MakeEvent();
  if (!r.ok()) return r.status();
  absl::StatusOr<UniqueHandle> w = MakeEvent();
  if (!w.ok()) return w.status();
  end.read_event_ = std::move(*r);
  end.write_event_ = std::move(*w);
  return end;
}

absl::StatusOr<size_t> PipeEnd::ReadSome(absl::Span<char> buf, const Deadline& deadline, absl::string_view what) {
  if (buf.empty()) return 0;
  if (!valid()) return ClosedError(absl::StrCat(what, ": closed"));
  OVERLAPPED ov{};
  ov.hEvent = read_event_.get();
  ::ResetEvent(ov.hEvent);
  const DWORD want = static_cast<DWORD>(std::min<size_t>(buf.size(), 1u << 30));
  const BOOL started = ::ReadFile(pipe_.get(), buf.data(), want, nullptr, &ov);
  DWORD error = 0;
  absl::StatusOr<DWORD> n = Finish(pipe_.get(), &ov, started, deadline, what, &error);
  // The writer closed its end (or disconnected the instance): end of stream.
  if (error == ERROR_BROKEN_PIPE || error == ERROR_PIPE_NOT_CONNECTED) return 0;
  if (!n.ok()) return n.status();
  return static_cast<size_t>(*n);
}

absl::Status PipeEnd::WriteAll(absl::string_view data, const Deadline& deadline, absl::string_view what,
                              size_t* written) {
  size_t ignored = 0;
  if (written == nullptr) written = &ignored;
  *written = 0;
  if (!valid()) return ClosedError(absl::StrCat(what, ": closed"));
  while (!data.empty()) {
    OVERLAPPED ov{};
    ov.hEvent = write_event_.get();
    ::ResetEvent(ov.hEvent);
    const DWORD chunk = static_cast<DWORD>(std::min<size_t>(data.size(), 1u << 30));
    const BOOL started = ::WriteFile(pipe_.get(), data.data(), chunk, nullptr, &ov);
    DWORD error = 0;
    DWORD partial = 0;
    absl::StatusOr<DWORD> n = Finish(pipe_.get(), &ov, started, deadline, what, &error, &partial);
    if (error == ERROR_BROKEN_PIPE || error == ERROR_NO_DATA || error == ERROR_PIPE_NOT_CONNECTED) {
      return PeerClosedError(absl::StrCat(what, ": the reader closed its end"));
    }
    if (!n.ok()) {
      *written += partial;
      return n.status();
    }
    data.remove_prefix(*n);
    *written += *n;
  }
  return absl::OkStatus();
}

absl::StatusOr<PipeListener> PipeListener::Create(absl::string_view name, bool allow_other_users) {
  PipeListener listener;
  listener.path_ = PipePath(name);
  listener.what_ = absl::StrCat("named pipe ", name);
  listener.allow_other_users_ = allow_other_users;
  absl::StatusOr<UniqueHandle> first =
      CreateInstance(listener.path_, /*first=*/true, allow_other_users, listener.what_);
  if (!first.ok()) return first.status();
  listener.pending_ = std::move(*first);
  absl::StatusOr<UniqueHandle> event = MakeEvent();
  if (!event.ok()) return event.status();
  listener.event_ = std::move(*event);
  return listener;
}

absl::StatusOr<PipeEnd> PipeListener::Accept(const Deadline& deadline) {
  if (!event_.valid()) return ClosedError("named pipe listener: closed");
  const std::string what = absl::StrCat("accept on ", what_);
  if (!pending_.valid()) {
    absl::StatusOr<UniqueHandle> next = CreateInstance(path_, /*first=*/false, allow_other_users_, what_);
    if (!next.ok()) return next.status();
    pending_ = std::move(*next);
  }
  OVERLAPPED ov{};
  ov.hEvent = event_.get();
  ::ResetEvent(ov.hEvent);
  const BOOL started = ::ConnectNamedPipe(pending_.get(), &ov);
  DWORD error = 0;
  absl::StatusOr<DWORD> n = Finish(pending_.get(), &ov, started, deadline, what, &error);
  // A client that came before ConnectNamedPipe: ERROR_PIPE_CONNECTED, or
  // ERROR_NO_DATA if it has already closed its end. The latter is still its
  // connection (what it wrote is read before end of stream), as accept()
  // returns such a client on POSIX; dropping the instance lost its bytes and
  // left this Accept waiting for a client that would never come.
  if (n.ok() || error == ERROR_PIPE_CONNECTED || error == ERROR_NO_DATA) {
    HANDLE connected = pending_.release();
    // The next instance at once, so that the next client finds one
    // listening (with none, it would see no server at all). If this fails,
    // the next Accept tries again.
    absl::StatusOr<UniqueHandle> next = CreateInstance(path_, /*first=*/false, allow_other_users_, what_);
    if (next.ok()) pending_ = std::move(*next);
    return PipeEnd::Adopt(connected, what_);
  }
  if (ErrorClassOf(n.status()) == kErrTimeout) {
    // A cancelled ConnectNamedPipe may leave the instance refusing clients
    // (Wine does): replace it, opening the new one before closing the old
    // so that the name never disappears.
    absl::StatusOr<UniqueHandle> fresh = CreateInstance(path_, /*first=*/false, allow_other_users_, what_);
    if (fresh.ok()) pending_ = std::move(*fresh);
  }
  return n.status();
}

absl::StatusOr<PipeEnd> ConnectPipe(absl::string_view name, const Deadline& deadline, bool allow_other_users) {
  const std::wstring path = PipePath(name);
  const std::string what = absl::StrCat("named pipe ", name);
  while (true) {
    HANDLE h = ::CreateFileW(path.c_str(), GENERIC_READ | GENERIC_WRITE, 0, nullptr, OPEN_EXISTING,
                             FILE_FLAG_OVERLAPPED, nullptr);
    if (h != INVALID_HANDLE_VALUE) {
      UniqueHandle pipe(h);
      if (!allow_other_users) {
        // Before a byte is sent: a server of another user may be squatting
        // the name.
        absl::Status same_user = CheckServerUser(pipe.get(), what);
        if (!same_user.ok()) return same_user;
      }
      return PipeEnd::Adopt(pipe.release(), what);
    }
    const DWORD err = ::GetLastError();
    if (err == ERROR_FILE_NOT_FOUND) return NotFoundError(absl::StrCat(what, ": no server has this name"));
    if (err != ERROR_PIPE_BUSY) return WindowsError(err, absl::StrCat("connect to ", what));
    // Every instance is taken: wait for one, never past the deadline.
    if (deadline.Expired()) return TimeoutError(absl::StrCat("connect to ", what, ": every instance is busy"));
    const DWORD wait = std::max<DWORD>(1, std::min<DWORD>(WaitMs(deadline), 60000));
    if (!::WaitNamedPipeW(path.c_str(), wait)) {
      const DWORD werr = ::GetLastError();
      if (werr == ERROR_FILE_NOT_FOUND) return NotFoundError(absl::StrCat(what, ": no server has this name"));
      if (werr != ERROR_SEM_TIMEOUT) return WindowsError(werr, absl::StrCat("wait for ", what));
    }
  }
}

absl::StatusOr<ChildPipe> MakeChildPipe(PipeDirection direction) {
  static std::atomic<uint32_t> counter{0};
  absl::StatusOr<std::string> nonce = SecureRandomHex(8);
  if (!nonce.ok()) return nonce.status();
  const std::string name = absl::StrCat("ipckit-anon-", ::GetCurrentProcessId(), "-", counter++, "-", *nonce);
  const std::wstring path = PipePath(name);
  const std::string what = direction == PipeDirection::kToChild ? "pipe to child" : "pipe from child";
  const bool to_child = direction == PipeDirection::kToChild;
  // One instance, our end only: FILE_FLAG_FIRST_PIPE_INSTANCE and the random
  // name keep anyone else from creating or squatting it, the DACL from
  // opening it.
  absl::StatusOr<Security> security = Security::For(SecuredObject::kKernelObject);
  if (!security.ok()) return security.status();
  HANDLE server = ::CreateNamedPipeW(
      path.c_str(),
      (to_child ? PIPE_ACCESS_OUTBOUND : PIPE_ACCESS_INBOUND) | FILE_FLAG_OVERLAPPED | FILE_FLAG_FIRST_PIPE_INSTANCE,
      PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS, 1, kPipeBufferBytes,
      kPipeBufferBytes, 0, security->attributes());
  if (server == INVALID_HANDLE_VALUE) return WindowsError(::GetLastError(), absl::StrCat("create ", what));
  absl::StatusOr<PipeEnd> ours = PipeEnd::Adopt(server, what);
  if (!ours.ok()) return ours.status();

  SECURITY_ATTRIBUTES inheritable{};
  inheritable.nLength = sizeof(inheritable);
  inheritable.bInheritHandle = TRUE;
  UniqueHandle child_end(::CreateFileW(path.c_str(), to_child ? GENERIC_READ : GENERIC_WRITE, 0, &inheritable,
                                       OPEN_EXISTING, 0, nullptr));
  if (!child_end.valid()) return WindowsError(::GetLastError(), absl::StrCat("open the child's end of ", what));
  // The client is already there: ConnectNamedPipe reports ERROR_PIPE_CONNECTED.
  OVERLAPPED ov{};
  ov.hEvent = ours->read_event_.get();
  ::ResetEvent(ov.hEvent);
  const BOOL started = ::ConnectNamedPipe(ours->handle(), &ov);
  DWORD error = 0;
  absl::StatusOr<DWORD> connected =
      Finish(ours->handle(), &ov, started, Deadline::After(absl::Seconds(5)), what, &error);
  if (!connected.ok() && error != ERROR_PIPE_CONNECTED) return connected.status();
  return ChildPipe{std::move(*ours), std::move(child_end)};
}

absl::StatusOr<std::string> PipeDaclOf(const PipeEnd& end) {
  absl::StatusOr<SecurityInfo> info = SecurityInfoOf(end.handle(), SE_KERNEL_OBJECT, "a pipe");
  if (!info.ok()) return info.status();
  // Its DACL part: "O:owner" comes first.
  const size_t dacl = info->sddl.find("D:");
  return dacl == std::string::npos ? std::string() : info->sddl.substr(dacl);
}

}  // namespace win
}  // namespace platform
}  // namespace ipckit
