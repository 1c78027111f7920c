// Live roles over SharedMemory: shm_create, shm_open (conformance/protocol.md).
#include <cstdint>
#include <string>

#include "absl/time/time.h"
#include "cc/base/status_macros.h"
#include "cc/shm/shared_memory.h"
#include "conformance/cc/internal/live_roles.h"
#include "conformance/cc/internal/testee_common.h"

namespace ipckit {
namespace conformance {
namespace {

Value ShmSteps(SharedMemory& shm, const Value& steps, Alloc& a) {
  return RunSteps(steps, a, [&](const std::string& what, const Value& s, Value& r) -> absl::Status {
    if (what == "size") {
      r.SetObject().AddMember("size", static_cast<uint64_t>(shm.size()), a);
      return absl::OkStatus();
    }
    IPCKIT_ASSIGN_OR_RETURN(uint64_t offset, GetU64(s, "offset"));
    if (what == "write") {
      IPCKIT_ASSIGN_OR_RETURN(std::string bytes, GetHex(s, "hex"));
      return shm.Write(offset, bytes);
    }
    if (what == "read") {
      IPCKIT_ASSIGN_OR_RETURN(uint64_t size, GetU64(s, "size"));
      IPCKIT_ASSIGN_OR_RETURN(std::string bytes, shm.Read(offset, size));
      r = HexResult(bytes, a);
      return absl::OkStatus();
    }
    return UnknownStep(what);
  });
}

absl::Status RunShm(const std::string& role, const Value& req, absl::Duration t, Value& results,
                    Alloc& a) {
  IPCKIT_ASSIGN_OR_RETURN(std::string name, GetString(req, "name"));
  bool create = role == "shm_create";
  uint64_t size = 0;
  if (create) {
    IPCKIT_ASSIGN_OR_RETURN(size, GetU64(req, "size"));
  }
  IPCKIT_ASSIGN_OR_RETURN(SharedMemory shm, create ? SharedMemory::Create(name, size) : SharedMemory::Open(name, t));
  Ready();
  results = ShmSteps(shm, req["steps"], a);
  return absl::OkStatus();
}

const RoleGroup kShmRoles({"shm_create", "shm_open"}, RunShm);

}  // namespace
}  // namespace conformance
}  // namespace ipckit
