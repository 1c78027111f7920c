// The live roles this build of the C++ testee plays. Each group of roles
// (conformance/cc/roles_*.cc, one per core class) registers itself when it is
// linked in; conformance/cc/BUILD links only the groups whose class builds
// for the target OS, so `hello` advertises exactly what the binary can do.
//
//   absl::Status RunPipe(const std::string& role, const Value& req, absl::Duration t,
//                        Value& results, Alloc& a) { ... Ready(); results = ...; }
//   const RoleGroup kPipeRoles({"pipe_server", "pipe_client"}, RunPipe);
#ifndef IPCKIT_CONFORMANCE_CC_INTERNAL_LIVE_ROLES_H_
#define IPCKIT_CONFORMANCE_CC_INTERNAL_LIVE_ROLES_H_

#include <initializer_list>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "conformance/cc/internal/testee_common.h"

namespace ipckit {
namespace conformance {

// Opens `role`'s object from the request `req`, calls Ready(), runs the
// request's steps with `t` as every blocking call's timeout, and stores their
// results array in `results` (allocated from `a`).
using RoleFn = absl::Status (*)(const std::string& role, const Value& req, absl::Duration t,
                                Value& results, Alloc& a);

struct LiveRole {
  const char* name;
  RoleFn run;
};

// Registers `names` as played by `run`; define one at namespace scope.
class RoleGroup {
 public:
  RoleGroup(std::initializer_list<const char*> names, RoleFn run);
};

// Every registered role, in registration order.
const std::vector<LiveRole>& LiveRoles();

}  // namespace conformance
}  // namespace ipckit

#endif  // IPCKIT_CONFORMANCE_CC_INTERNAL_LIVE_ROLES_H_
