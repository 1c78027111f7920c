#include "cc/shm/internal/creation_hook.h"

namespace ipckit {
namespace shm_internal {
namespace {

CreationHook installed_hook = nullptr;

}  // namespace

void SetCreationHookForTesting(CreationHook hook) { installed_hook = hook; }

void RunCreationHook(CreationStep step) {
  if (installed_hook != nullptr) installed_hook(step);
}

}  // namespace shm_internal
}  // namespace ipckit
