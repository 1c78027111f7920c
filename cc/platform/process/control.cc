#include "cc/platform/process/control.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "cc/base/error.h"

namespace ipckit {
namespace {

void (*g_on_stop)() = nullptr;

void StopHandler(int) {
  if (g_on_stop != nullptr) g_on_stop();
}

void CrashHandler(int) { CrashNow(); }

absl::Status Handle(int signal, void (*handler)(int), const char* name) {
  struct sigaction action {};
  action.sa_handler = handler;
  if (::sigaction(signal, &action, nullptr) != 0) return ErrnoError(errno, absl::StrCat("sigaction ", name));
  return absl::OkStatus();
}

}  // namespace

absl::Status OnStopRequest(void (*on_stop)()) {
  g_on_stop = on_stop;
  absl::Status status = Handle(SIGINT, StopHandler, "SIGINT");
  if (status.ok()) status = Handle(SIGTERM, StopHandler, "SIGTERM");
  return status;
}

void CrashNow() {
  ::kill(::getpid(), SIGKILL);
  ::_exit(137);  // not reached: SIGKILL cannot be caught
}

absl::Status CrashOnFileSizeLimit(uint64_t max_bytes) {
  absl::Status status = Handle(SIGXFSZ, CrashHandler, "SIGXFSZ");
  if (!status.ok()) return status;
  struct rlimit limit = {static_cast<rlim_t>(max_bytes), static_cast<rlim_t>(max_bytes)};
  if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) return ErrnoError(errno, "setrlimit RLIMIT_FSIZE");
  return absl::OkStatus();
}

std::string OsDescription() {
  utsname uts{};
  if (::uname(&uts) != 0) return "unknown";
  return absl::StrCat(uts.sysname, " ", uts.release, " ", uts.machine);
}

}  // namespace ipckit
