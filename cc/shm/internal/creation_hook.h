// A test-only pause point inside SharedMemory::Create.
//
//   ipckit::shm_internal::SetCreationHookForTesting([](ipckit::shm_internal::CreationStep s) {
//     if (s == ipckit::shm_internal::CreationStep::kSized) WaitForTheTest();
//   });
//
// Tests of the creation protocol (spec/shared_memory.md) need a creator that
// stops at an exact step, to kill it there or to let an opener find it half
// made, without racing it. Production code never sets a hook.
#ifndef IPCKIT_CC_SHM_INTERNAL_CREATION_HOOK_H_
#define IPCKIT_CC_SHM_INTERNAL_CREATION_HOOK_H_

namespace ipckit {
namespace shm_internal {

enum class CreationStep {
  kLocked,  // object made, locked and 0600; still 0 bytes
  kSized,   // object sized; every byte still zero
};

using CreationHook = void (*)(CreationStep step);

// Installs `hook` (nullptr removes it). Not thread-safe: call it before any
// Create runs.
void SetCreationHookForTesting(CreationHook hook);

// Calls the installed hook, if any.
void RunCreationHook(CreationStep step);

}  // namespace shm_internal
}  // namespace ipckit

#endif  // IPCKIT_CC_SHM_INTERNAL_CREATION_HOOK_H_
