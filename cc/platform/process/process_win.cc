// Windows: a process is identified by its id and its creation time (the
// FILETIME from GetProcessTimes, 100 ns units since 1601), which tells a
// reused id from the original process. There are no pid namespaces (0) and no
// numeric user ids (0: per-user separation is the session's Local\ namespace).
#include <windows.h>

#include "cc/platform/process/process.h"
#include "cc/platform/win/unique_handle_win.h"

namespace ipckit {
namespace platform {
namespace {

uint64_t CreationTime(HANDLE process) {
  FILETIME created, exited, kernel, user;
  if (!::GetProcessTimes(process, &created, &exited, &kernel, &user)) return 0;
  return (static_cast<uint64_t>(created.dwHighDateTime) << 32) | created.dwLowDateTime;
}

}  // namespace

uint64_t ProcessStartTime(uint32_t pid) {
  UniqueHandle process(::OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid));
  return process.valid() ? CreationTime(process.get()) : 0;
}

uint32_t CurrentPidNamespace() { return 0; }

ProcessIdentity CurrentProcess() {
  ProcessIdentity me;
  me.pid = CurrentProcessId();
  me.start_time = CreationTime(::GetCurrentProcess());
  return me;
}

uint32_t CurrentProcessId() { return ::GetCurrentProcessId(); }

uint32_t CurrentUserId() { return 0; }

Liveness CheckLiveness(const ProcessIdentity& process) {
  // Windows process ids are multiples of 4 below 2^32; 0 is the idle process.
  if (process.pid == 0) return Liveness::kUnknown;
  // A record made in a Linux pid namespace names nothing here.
  if (process.pid_namespace != 0) return Liveness::kUnknown;
  UniqueHandle handle(::OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION | SYNCHRONIZE, FALSE, process.pid));
  if (!handle.valid()) {
    // No process has this id; access denied means one exists (another user's).
    const DWORD err = ::GetLastError();
    if (err == ERROR_INVALID_PARAMETER) return Liveness::kDead;
    return err == ERROR_ACCESS_DENIED ? Liveness::kAlive : Liveness::kUnknown;
  }
  // An exited process whose object someone still holds (Windows' zombie) is
  // signaled: it can no longer touch anything it had mapped.
  if (::WaitForSingleObject(handle.get(), 0) == WAIT_OBJECT_0) return Liveness::kDead;
  if (process.start_time != 0) {
    const uint64_t created = CreationTime(handle.get());
    if (created != 0 && created != process.start_time) return Liveness::kDead;
  }
  return Liveness::kAlive;
}

}  // namespace platform
}  // namespace ipckit
