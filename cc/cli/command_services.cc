// `ipckit services [--clean]`: the shared-memory messaging services and their participants.
#include <iostream>
#include <string>
#include <vector>

#include "cc/base/error.h"
#include "cc/base/status_macros.h"
#include "cc/cli/internal/registry.h"
#include "cc/platform/process/process.h"
#include "cc/shm_msg/inspect.h"

namespace ipckit::cli {
namespace {

absl::Status Services(const std::vector<std::string>& argv) {
  if (argv.size() > 1 || (argv.size() == 1 && argv[0] != "--clean")) {
    return InvalidArgumentError("services takes only --clean");
  }
  IPCKIT_ASSIGN_OR_RETURN(std::vector<shm_msg::ServiceInfo> all, shm_msg::ListServices());
  if (!argv.empty()) {
    for (const shm_msg::ServiceInfo& s : all) {
      if (!s.status.ok()) continue;
      absl::StatusOr<bool> removed = shm_msg::RemoveIfAbandoned(s.name);
      if (removed.ok() && *removed) std::cout << "removed " << s.name << "\n";
    }
    IPCKIT_ASSIGN_OR_RETURN(all, shm_msg::ListServices());
  }
  for (const shm_msg::ServiceInfo& s : all) {
    std::cout << s.name;
    if (!s.status.ok()) {
      std::cout << "  unreadable: " << s.status.message() << " [" << ErrorClassOf(s.status) << "]\n";
      continue;
    }
    std::cout << "  " << (s.state == 1 ? "ready" : "initializing") << ", " << s.size
              << " bytes, max_payload " << s.config.max_payload << ", max_subscribers "
              << s.config.max_subscribers << ", max_publishers " << s.config.max_publishers << "\n";
    for (const shm_msg::ParticipantInfo& p : s.participants) {
      const char* liveness = p.liveness == platform::Liveness::kAlive  ? "alive"
                             : p.liveness == platform::Liveness::kDead ? "dead"
                                                                       : "unknown";
      std::cout << "  " << (p.publisher ? "publisher " : "subscriber ") << p.index
                << "  pid " << p.pid << "  " << liveness << "\n";
    }
  }
  return absl::OkStatus();
}


const CommandRegistrar kServices({"services", "services [--clean]", Services});

}  // namespace
}  // namespace ipckit::cli
