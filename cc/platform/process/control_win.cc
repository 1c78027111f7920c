// Windows: stop requests are console control events, a crash is
// TerminateProcess with the exit code a killed POSIX child reports, and the
// OS is named by RtlGetVersion (GetVersionEx reports an old version to
// programs without a manifest).
#include <windows.h>

#include "absl/strings/str_cat.h"
#include "cc/base/error.h"
#include "cc/platform/process/control.h"
#include "cc/platform/win/error_win.h"

namespace ipckit {
namespace {

void (*g_on_stop)() = nullptr;

// Runs on a thread the system starts for the event. TRUE: handled, so the
// process is not ended by the default handler; it stops by itself.
BOOL WINAPI StopHandler(DWORD event) {
  switch (event) {
    case CTRL_C_EVENT:
    case CTRL_BREAK_EVENT:
    case CTRL_CLOSE_EVENT:
      if (g_on_stop != nullptr) g_on_stop();
      return TRUE;
    default:
      return FALSE;
  }
}

}  // namespace

absl::Status OnStopRequest(void (*on_stop)()) {
  g_on_stop = on_stop;
  if (!SetConsoleCtrlHandler(StopHandler, TRUE)) return platform::WindowsError(GetLastError(), "SetConsoleCtrlHandler");
  return absl::OkStatus();
}

void CrashNow() {
  TerminateProcess(GetCurrentProcess(), 137);  // 128 + SIGKILL, as child_process reports a kill
  for (;;) {
  }  // not reached: TerminateProcess of the current process does not return
}

absl::Status CrashOnFileSizeLimit(uint64_t max_bytes) {
  return MakeError(absl::StatusCode::kUnimplemented, kErrIo,
                   "Windows has no file size limit signal (RLIMIT_FSIZE)");
}

std::string OsDescription() {
  using RtlGetVersionFn = LONG(WINAPI*)(OSVERSIONINFOW*);
  OSVERSIONINFOW info{};
  info.dwOSVersionInfoSize = sizeof(info);
  HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
  auto get_version =
      ntdll == nullptr ? nullptr
                       : reinterpret_cast<RtlGetVersionFn>(
                             reinterpret_cast<void*>(GetProcAddress(ntdll, "RtlGetVersion")));
  std::string machine = sizeof(void*) == 8 ? "x86_64" : "x86";
  if (get_version == nullptr || get_version(&info) != 0) return "Windows " + machine;
  std::string text = absl::StrCat("Windows ", info.dwMajorVersion, ".", info.dwMinorVersion, ".",
                                  info.dwBuildNumber, " ", machine);
  // Wine says so through an export of its ntdll that Windows does not have.
  using WineVersionFn = const char*(CDECL*)();
  auto wine_version = reinterpret_cast<WineVersionFn>(
      reinterpret_cast<void*>(GetProcAddress(ntdll, "wine_get_version")));
  if (wine_version != nullptr) absl::StrAppend(&text, " (Wine ", wine_version(), ")");
  return text;
}

}  // namespace ipckit
