// Who this process is, and whether a recorded process is still running.
//
//   platform::ProcessIdentity me = platform::CurrentProcess();
//   std::string lock_line = absl::StrCat(platform::CurrentProcessId(), "\n");
//   platform::Liveness l = platform::CheckLiveness(recorded);
//   if (l == platform::Liveness::kDead) { /* safe to reclaim its resources */ }
//
// A pid alone is not an identity: pids are reused. The start time (Linux:
// /proc/<pid>/stat field 22, clock ticks since boot) tells a reused pid from
// the original process, and the pid namespace (Linux: inode of
// /proc/self/ns/pid) tells whether a pid means anything here at all.
#ifndef IPCKIT_CC_PLATFORM_PROCESS_PROCESS_H_
#define IPCKIT_CC_PLATFORM_PROCESS_PROCESS_H_

#include <cstdint>

namespace ipckit {
namespace platform {

struct ProcessIdentity {
  uint32_t pid = 0;            // 0: unknown
  uint32_t pid_namespace = 0;  // 0: unknown
  uint64_t start_time = 0;     // 0: unknown
};

enum class Liveness {
  kAlive,    // the process exists (or exists as far as can be told)
  kDead,     // provably gone: no such pid, a zombie, or the pid was reused
  kUnknown,  // cannot be judged: pid unknown, or from another pid namespace
};

ProcessIdentity CurrentProcess();

// This process's id alone (no /proc read): for names and lock files.
uint32_t CurrentProcessId();

// The effective user id (to tell this user's objects from others').
uint32_t CurrentUserId();

// Start time of `pid`, or 0 if it cannot be read (no such process, no /proc).
uint64_t ProcessStartTime(uint32_t pid);

// Inode of this process's pid namespace, or 0 if unknown.
uint32_t CurrentPidNamespace();

// kDead only when provable (a bare pid, as in a lock file, is judged by
// existence and zombie state alone); when in doubt the answer is kAlive or kUnknown,
// because callers delete resources of dead processes.
Liveness CheckLiveness(const ProcessIdentity& process);

}  // namespace platform
}  // namespace ipckit

#endif  // IPCKIT_CC_PLATFORM_PROCESS_PROCESS_H_
