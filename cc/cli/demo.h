// The `ipckit demo`: one round-trip exchange per IPC method with a second process.
//
//   absl::Status s = ipckit::cli::RunDemo("/proc/self/exe", std::cout);
//   // anonymous_pipe   200 round trips of 64 B   median   14.2 us   p99   40.1 us
//   // ...
//
// The parent sets up each method and starts `<self> demo-peer <method> ...`,
// which echoes every message back. RunDemoPeer is that second process's side.
#ifndef IPCKIT_CC_CLI_DEMO_H_
#define IPCKIT_CC_CLI_DEMO_H_

#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace ipckit::cli {

// Runs every method linked into this build (all five on Linux; BUILD leaves
// out those whose class does not build for the OS) against child processes
// started from `self_path`, printing one line per method. Fails on the first
// method that fails.
absl::Status RunDemo(const std::string& self_path, std::ostream& out);

// The child's side: `args` are what follows "demo-peer" on its command line.
absl::Status RunDemoPeer(const std::vector<std::string>& args);

}  // namespace ipckit::cli

#endif  // IPCKIT_CC_CLI_DEMO_H_
