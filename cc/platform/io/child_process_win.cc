// Child processes on Windows: CreateProcessW, with the process handle kept
// here by process id until the child is reaped. There are no signals: a
// killed child (KillChild, a timed-out WaitChild) is ended by
// TerminateProcess with exit code kKilledExitCode, and its "wait status" is
// that code; any other wait status is the child's exit code.
#include <windows.h>

#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "cc/base/error.h"
#include "cc/platform/io/child_process.h"
#include "cc/platform/win/create_process_win.h"
#include "cc/platform/win/deadline_win.h"
#include "cc/platform/win/error_win.h"
#include "cc/platform/win/unique_handle_win.h"
#include "cc/platform/win/wide_win.h"

namespace ipckit {
namespace {

using platform::UniqueHandle;

// 128 + SIGKILL: what a shell reports for a child killed with -9, so the
// helpers below read the same on both OSes.
constexpr DWORD kKilledExitCode = 137;

std::mutex& ChildrenMutex() {
  static std::mutex* mu = new std::mutex;
  return *mu;
}

// Process id -> process handle of every child not reaped yet.
std::map<pid_t, UniqueHandle>& Children() {
  static auto* children = new std::map<pid_t, UniqueHandle>;
  return *children;
}

// Takes the handle of child `pid` out of the table (invalid if unknown).
UniqueHandle TakeChild(pid_t pid) {
  std::lock_guard<std::mutex> lock(ChildrenMutex());
  auto it = Children().find(pid);
  if (it == Children().end()) return UniqueHandle();
  UniqueHandle h = std::move(it->second);
  Children().erase(it);
  return h;
}

HANDLE PeekChild(pid_t pid) {
  std::lock_guard<std::mutex> lock(ChildrenMutex());
  auto it = Children().find(pid);
  return it == Children().end() ? nullptr : it->second.get();
}

// One argument quoted for CommandLineToArgvW's rules: backslashes double only
// before a quote.
std::string Quote(const std::string& arg) {
  if (!arg.empty() && arg.find_first_of(" \t\"") == std::string::npos) return arg;
  std::string out = "\"";
  size_t backslashes = 0;  // the run just copied
  for (char c : arg) {
    if (c == '"') out.append(backslashes + 1, '\\');  // double the run, escape the quote
    backslashes = c == '\\' ? backslashes + 1 : 0;
    out.push_back(c);
  }
  out.append(backslashes, '\\');
  out.push_back('"');
  return out;
}

}  // namespace

absl::StatusOr<pid_t> SpawnChild(const std::string& path, const std::vector<std::string>& args) {
  std::string program = absl::StrReplaceAll(path, {{"/", "\\"}});
  if (!absl::EndsWithIgnoreCase(program, ".exe")) program += ".exe";
  std::string line = Quote(program);
  for (const std::string& arg : args) absl::StrAppend(&line, " ", Quote(arg));
  // Inheritable handles pass to the child, as descriptors without
  // close-on-exec do with posix_spawn.
  absl::StatusOr<platform::win::StartedProcess> started =
      platform::win::CreateProcessRetrying(platform::win::Widen(line), /*inherit=*/true);
  if (!started.ok()) {
    return MakeError(started.status().code(), ErrorClassOf(started.status()),
                     absl::StrCat("start ", program, ": ", started.status().message()));
  }
  const pid_t pid = static_cast<pid_t>(started->pid);
  std::lock_guard<std::mutex> lock(ChildrenMutex());
  Children()[pid] = std::move(started->process);
  return pid;
}

absl::StatusOr<int> WaitChild(pid_t pid, absl::Duration timeout) {
  HANDLE h = PeekChild(pid);
  if (h == nullptr) return InvalidArgumentError(absl::StrCat("no child process ", pid));
  const DWORD wait = ::WaitForSingleObject(h, platform::win::WaitMs(Deadline::After(timeout)));
  if (wait == WAIT_TIMEOUT) {
    KillChild(pid);
    return TimeoutError(absl::StrCat("child ", pid, " still running after ",
                                     absl::FormatDuration(timeout), "; killed it"));
  }
  if (wait != WAIT_OBJECT_0) return platform::WindowsError(::GetLastError(), "WaitForSingleObject");
  DWORD code = 0;
  if (!::GetExitCodeProcess(h, &code)) {
    return platform::WindowsError(::GetLastError(), "GetExitCodeProcess");
  }
  TakeChild(pid);  // Reaped: closes the handle.
  return static_cast<int>(code);
}

bool ExitedWithCode(int wait_status, int code) {
  return !WasKilled(wait_status) && wait_status == code;
}

int ExitCodeOf(int wait_status) { return wait_status; }

bool WasKilled(int wait_status) { return wait_status == static_cast<int>(kKilledExitCode); }

void KillChild(pid_t pid) {
  UniqueHandle h = TakeChild(pid);
  if (!h.valid()) return;
  ::TerminateProcess(h.get(), kKilledExitCode);
  ::WaitForSingleObject(h.get(), INFINITE);
}

std::string DescribeWaitStatus(int wait_status) {
  if (WasKilled(wait_status)) return absl::StrCat("killed (exit ", wait_status, ")");
  return absl::StrCat("exit ", wait_status);
}

}  // namespace ipckit
