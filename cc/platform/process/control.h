// What a program does to its own process: stop on Ctrl-C or a termination
// request, die at once as a crash would, and name the OS it runs on. The
// command-line tool and the test peers use these instead of signals.
//
//   ipckit::OnStopRequest([] { g_server->Stop(); });  // SIGINT, SIGTERM (Windows: Ctrl-C, Ctrl-Break)
//   ipckit::CrashNow();                                // no destructor, no atexit, no flush
//   std::cout << "platform " << ipckit::OsDescription() << "\n";  // "Linux 6.1.0 x86_64"
#ifndef IPCKIT_CC_PLATFORM_PROCESS_CONTROL_H_
#define IPCKIT_CC_PLATFORM_PROCESS_CONTROL_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace ipckit {

// Calls `on_stop` when the user or the system asks this process to stop
// (SIGINT, SIGTERM). It runs in a signal handler: it may only do what is
// async-signal-safe (set an atomic flag, write to a wake pipe). A blocking
// system call the main thread is in returns early (EINTR), as with Ctrl-C.
absl::Status OnStopRequest(void (*on_stop)());

// Ends this process at once, the way a crash or `kill -9` would: no
// destructor, atexit handler or buffered output runs, and the parent sees it
// killed (SIGKILL). For test peers that must leave their state behind.
[[noreturn]] void CrashNow();

// Makes this process crash (CrashNow) as soon as a write would make a file
// larger than `max_bytes`: a writer killed mid-write, for tests.
absl::Status CrashOnFileSizeLimit(uint64_t max_bytes);

// The OS name, release and machine ("Linux 6.1.0-18-amd64 x86_64").
std::string OsDescription();

}  // namespace ipckit

#endif  // IPCKIT_CC_PLATFORM_PROCESS_CONTROL_H_
