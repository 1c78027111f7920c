#include "cc/platform/process/process.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace ipckit {
namespace platform {
namespace {

// Reads a small /proc file whole. Returns false if it cannot be read.
bool ReadSmallFile(const std::string& path, std::string* out) {
  std::FILE* f = std::fopen(path.c_str(), "re");
  if (f == nullptr) return false;
  char buf[1024];
  out->clear();
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) out->append(buf, n);
  const bool ok = !std::ferror(f);
  std::fclose(f);
  return ok;
}

struct ProcStat {
  char state = '?';
  uint64_t start_time = 0;
};

// Parses /proc/<pid>/stat. The command name (field 2) is in parentheses and
// may itself contain spaces and ')', so fields are counted from the last ')'.
bool ReadProcStat(uint32_t pid, ProcStat* out) {
#ifdef __linux__
  std::string text;
  if (!ReadSmallFile(absl::StrCat("/proc/", pid, "/stat"), &text)) return false;
  const size_t close = text.rfind(')');
  if (close == std::string::npos) return false;
  std::vector<absl::string_view> fields =
      absl::StrSplit(absl::string_view(text).substr(close + 1), ' ', absl::SkipEmpty());
  // fields[0] is field 3 (state), so field 22 (starttime) is fields[19].
  if (fields.size() < 20 || fields[0].empty()) return false;
  out->state = fields[0][0];
  return absl::SimpleAtoi(fields[19], &out->start_time);
#else
  return false;
#endif
}

}  // namespace

uint64_t ProcessStartTime(uint32_t pid) {
  ProcStat stat;
  return ReadProcStat(pid, &stat) ? stat.start_time : 0;
}

uint32_t CurrentPidNamespace() {
#ifdef __linux__
  struct stat st;
  if (::stat("/proc/self/ns/pid", &st) == 0 && st.st_ino <= std::numeric_limits<uint32_t>::max()) {
    return static_cast<uint32_t>(st.st_ino);
  }
#endif
  return 0;
}

ProcessIdentity CurrentProcess() {
  ProcessIdentity me;
  me.pid = CurrentProcessId();
  me.pid_namespace = CurrentPidNamespace();
  me.start_time = ProcessStartTime(me.pid);
  return me;
}

uint32_t CurrentProcessId() { return static_cast<uint32_t>(::getpid()); }

uint32_t CurrentUserId() { return static_cast<uint32_t>(::geteuid()); }

Liveness CheckLiveness(const ProcessIdentity& process) {
  // pid 0 would signal our own process group; pids above INT_MAX do not exist.
  if (process.pid == 0 || process.pid > static_cast<uint32_t>(std::numeric_limits<pid_t>::max())) {
    return Liveness::kUnknown;
  }
  // A pid from another namespace (a container sharing /dev/shm) names some
  // unrelated process here, or none.
  if (process.pid_namespace != 0 && process.pid_namespace != CurrentPidNamespace()) {
    return Liveness::kUnknown;
  }
  if (::kill(static_cast<pid_t>(process.pid), 0) != 0) {
    if (errno == ESRCH) return Liveness::kDead;
    if (errno != EPERM) return Liveness::kUnknown;  // EPERM: exists, not ours to signal
  }
  ProcStat stat;
  if (!ReadProcStat(process.pid, &stat)) return Liveness::kAlive;
  // A zombie has exited and can no longer touch anything it had mapped.
  if (stat.state == 'Z' || stat.state == 'X') return Liveness::kDead;
  if (process.start_time != 0 && stat.start_time != process.start_time) return Liveness::kDead;
  return Liveness::kAlive;
}

}  // namespace platform
}  // namespace ipckit
