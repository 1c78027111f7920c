#include "conformance/cc/internal/live_roles.h"

namespace ipckit {
namespace conformance {
namespace {

// A function-local static: role groups register during static
// initialization, in whatever order the linker lays them out.
std::vector<LiveRole>& Registry() {
  static std::vector<LiveRole>* roles = new std::vector<LiveRole>();
  return *roles;
}

}  // namespace

RoleGroup::RoleGroup(std::initializer_list<const char*> names, RoleFn run) {
  for (const char* name : names) Registry().push_back({name, run});
}

const std::vector<LiveRole>& LiveRoles() { return Registry(); }

}  // namespace conformance
}  // namespace ipckit
