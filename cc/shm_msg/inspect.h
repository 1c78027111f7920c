// Read-only views of the messaging services on this machine, for tools
// (`ipckit services`): their configuration and participants, and whether
// each participant is alive.
//
//   IPCKIT_ASSIGN_OR_RETURN(std::vector<shm_msg::ServiceInfo> all, shm_msg::ListServices());
//   for (const shm_msg::ServiceInfo& s : all) std::cout << s.name << " " << s.participants.size();
//
// Inspecting maps the object read-only and never joins, reclaims or removes;
// RemoveIfAbandoned is the one call here that changes anything.
#ifndef IPCKIT_CC_SHM_MSG_INSPECT_H_
#define IPCKIT_CC_SHM_MSG_INSPECT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cc/platform/process/process.h"
#include "cc/shm_msg/service_layout.h"

namespace ipckit {
namespace shm_msg {

struct ParticipantInfo {
  uint32_t entry = 0;  // p < max_publishers: publisher p; max_publishers + i: subscriber i
  bool publisher = false;
  uint32_t index = 0;  // p for a publisher, i for a subscriber
  uint32_t pid = 0;
  uint32_t state = 0;  // 0 joining, 1 active, 2 being reclaimed
  platform::Liveness liveness = platform::Liveness::kUnknown;
};

struct ServiceInfo {
  std::string name;
  // OK, or why the object could not be read (corrupt, unsupported_version,
  // permission_denied, ...); the fields below are then empty.
  absl::Status status;
  ServiceConfig config;
  uint32_t state = 0;  // header state: 0 initializing, 1 ready
  uint64_t size = 0;   // bytes of the object
  std::vector<ParticipantInfo> participants;  // the held entries only
};

// The service `name` (without the "ipckit_msg." prefix). not_found if none.
absl::StatusOr<ServiceInfo> InspectService(absl::string_view name);

// Every "ipckit_msg.*" object, in name order; each unreadable one is listed
// with its status.
absl::StatusOr<std::vector<ServiceInfo>> ListServices();

// Cleanup: reclaims the provably dead participants of service `name` and
// removes it if nobody is left. True if removed; false if someone is alive
// (or cannot be judged) or it is still initializing; not_found if none.
absl::StatusOr<bool> RemoveIfAbandoned(absl::string_view name);

}  // namespace shm_msg
}  // namespace ipckit

#endif  // IPCKIT_CC_SHM_MSG_INSPECT_H_
