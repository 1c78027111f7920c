// anon_pipe.h on Windows: a one-instance named pipe whose both ends are
// overlapped, read and written through win::PipeEnd (deadlines by
// cancellation). CreatePipe's handles cannot do overlapped I/O.
#include <windows.h>
#include <winternl.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cc/base/error.h"
#include "cc/platform/internal/io_loops.h"
#include "cc/platform/pipe/anon_pipe.h"
#include "cc/platform/pipe/internal/anon_pipe_state.h"
#include "cc/platform/random/secure_random.h"
#include "cc/platform/win/error_win.h"
#include "cc/platform/win/security_win.h"
#include "cc/platform/win/unique_handle_win.h"

namespace ipckit {
namespace platform {
namespace {

constexpr DWORD kBufferBytes = 64 * 1024;

HANDLE HandleOf(int number) { return ::LongToHandle(number); }
int NumberOf(HANDLE handle) { return static_cast<int>(::HandleToLong(handle)); }

absl::StatusOr<AnonPipeEnd> Wrap(HANDLE handle, absl::string_view what) {
  absl::StatusOr<win::PipeEnd> end = win::PipeEnd::Adopt(handle, what);
  if (!end.ok()) return end.status();
  auto state = std::make_unique<AnonPipeEnd::State>();
  state->end = *std::move(end);
  return AnonPipeEnd(std::move(state));
}

// The access rights `handle` was opened with (NtQueryObject, which every
// Windows and Wine has; looked up at run time so nothing links ntdll).
absl::StatusOr<ACCESS_MASK> GrantedAccess(HANDLE handle) {
  using QueryObject = NTSTATUS(NTAPI*)(HANDLE, OBJECT_INFORMATION_CLASS, PVOID, ULONG, PULONG);
  static const auto query = reinterpret_cast<QueryObject>(
      reinterpret_cast<void*>(::GetProcAddress(::GetModuleHandleW(L"ntdll.dll"), "NtQueryObject")));
  if (query == nullptr) return absl::UnimplementedError("NtQueryObject is missing");
  PUBLIC_OBJECT_BASIC_INFORMATION info{};
  if (query(handle, ObjectBasicInformation, &info, sizeof(info), nullptr) < 0) {
    return InvalidArgumentError("cannot query the handle's access rights");
  }
  return info.GrantedAccess;
}

}  // namespace

int AnonPipeEnd::get() const { return valid() ? NumberOf(state_->end.handle()) : -1; }

int AnonPipeEnd::release() {
  if (!valid()) return -1;
  // PipeEnd closes its handle; the caller gets a duplicate of it.
  HANDLE copy = nullptr;
  const BOOL ok = ::DuplicateHandle(::GetCurrentProcess(), state_->end.handle(),
                                    ::GetCurrentProcess(), &copy, 0, FALSE, DUPLICATE_SAME_ACCESS);
  state_.reset();
  return ok ? NumberOf(copy) : -1;
}

absl::StatusOr<size_t> AnonPipeEnd::ReadSome(absl::Span<char> buf, const Deadline& deadline,
                                             absl::string_view what) {
  return state_->end.ReadSome(buf, deadline, what);
}

absl::Status AnonPipeEnd::ReadExact(absl::Span<char> buf, const Deadline& deadline,
                                    absl::string_view what) {
  return internal::ReadExactLoop(buf, deadline, what,
                                 [&](absl::Span<char> rest, const Deadline& d) {
                                   return state_->end.ReadSome(rest, d, what);
                                 });
}

absl::StatusOr<size_t> AnonPipeEnd::WriteSome(absl::string_view data, const Deadline& deadline,
                                              absl::string_view what) {
  return internal::WriteSomeByWriteAll(
      data, deadline, [&](absl::string_view rest, const Deadline& d, size_t* n) {
        return state_->end.WriteAll(rest, d, what, n);
      });
}

absl::Status AnonPipeEnd::WriteAll(absl::string_view data, const Deadline& deadline,
                                   absl::string_view what) {
  return internal::WriteAllNoted(
      data, deadline, [&](absl::string_view rest, const Deadline& d, size_t* n) {
        return state_->end.WriteAll(rest, d, what, n);
      });
}

absl::StatusOr<AnonPipeEnds> MakeAnonPipe() {
  static std::atomic<uint32_t> counter{0};
  absl::StatusOr<std::string> nonce = SecureRandomHex(8);
  if (!nonce.ok()) return nonce.status();
  const std::string name = absl::StrCat("\\\\.\\pipe\\ipckit-anon-", ::GetCurrentProcessId(), "-",
                                        counter++, "-", *nonce);
  const std::wstring path(name.begin(), name.end());  // ASCII
  // One instance, inbound, under a random name: nobody else can create or
  // squat it, and its owner-only DACL keeps others from opening it. Not
  // inheritable until asked.
  absl::StatusOr<win::Security> security = win::Security::For(win::SecuredObject::kKernelObject);
  if (!security.ok()) return security.status();
  HANDLE reader = ::CreateNamedPipeW(
      path.c_str(), PIPE_ACCESS_INBOUND | FILE_FLAG_OVERLAPPED | FILE_FLAG_FIRST_PIPE_INSTANCE,
      PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS, 1,
      kBufferBytes, kBufferBytes, 0, security->attributes());
  if (reader == INVALID_HANDLE_VALUE) return WindowsError(::GetLastError(), "create anonymous pipe");
  absl::StatusOr<AnonPipeEnd> read_end = Wrap(reader, "anonymous pipe");
  if (!read_end.ok()) return read_end.status();
  HANDLE writer = ::CreateFileW(path.c_str(), GENERIC_WRITE, 0, nullptr, OPEN_EXISTING,
                                FILE_FLAG_OVERLAPPED, nullptr);
  if (writer == INVALID_HANDLE_VALUE) {
    return WindowsError(::GetLastError(), "open the write end of an anonymous pipe");
  }
  absl::StatusOr<AnonPipeEnd> write_end = Wrap(writer, "anonymous pipe");
  if (!write_end.ok()) return write_end.status();
  // The client is connected once CreateFileW returns; no ConnectNamedPipe wait.
  return AnonPipeEnds{*std::move(read_end), *std::move(write_end)};
}

absl::Status ValidateAnonPipeEnd(int number, bool read) {
  const HANDLE handle = HandleOf(number);
  DWORD flags = 0;
  if (number < 0 || !::GetNamedPipeInfo(handle, &flags, nullptr, nullptr, nullptr)) {
    return InvalidArgumentError(absl::StrCat("handle ", number, " is not an open pipe end"));
  }
  absl::StatusOr<ACCESS_MASK> access = GrantedAccess(handle);
  if (!access.ok()) return access.status();
  if ((*access & (read ? FILE_READ_DATA : FILE_WRITE_DATA)) == 0) {
    return InvalidArgumentError(absl::StrCat("handle ", number, " passed as the ",
                                             read ? "read" : "write", " end is not open for ",
                                             read ? "reading" : "writing"));
  }
  return absl::OkStatus();
}

absl::StatusOr<AnonPipeEnd> AdoptAnonPipeEnd(int number) {
  absl::Status s = SetAnonPipeInheritable(number, false);
  if (!s.ok()) return s;
  return Wrap(HandleOf(number), "anonymous pipe");
}

absl::Status SetAnonPipeInheritable(int number, bool inheritable) {
  if (!::SetHandleInformation(HandleOf(number), HANDLE_FLAG_INHERIT,
                              inheritable ? HANDLE_FLAG_INHERIT : 0)) {
    return WindowsError(::GetLastError(), absl::StrCat("SetHandleInformation(", number, ")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> IsAnonPipeInheritable(int number) {
  DWORD flags = 0;
  if (!::GetHandleInformation(HandleOf(number), &flags)) {
    return InvalidArgumentError(absl::StrCat("handle ", number, " is not open"));
  }
  return (flags & HANDLE_FLAG_INHERIT) != 0;
}

bool BrokenPipeSignalPending() { return false; }

}  // namespace platform
}  // namespace ipckit
