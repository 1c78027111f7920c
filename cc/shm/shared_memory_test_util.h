// Test helpers shared by the SharedMemory tests of every OS.
//
//   const std::string name = shm_test::UniqueSegmentName();
//   EXPECT_FALSE(shm_test::SegmentExists(name));
#ifndef IPCKIT_CC_SHM_SHARED_MEMORY_TEST_UTIL_H_
#define IPCKIT_CC_SHM_SHARED_MEMORY_TEST_UTIL_H_

#include <cstdint>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cc/base/error.h"
#include "cc/platform/process/process.h"
#include "cc/shm/shared_memory.h"

namespace ipckit {
namespace shm_test {

// Unique across concurrent test runs. The pid alone is not: Bazel's sandbox
// gives every test its own pid namespace, so parallel runs share small pids
// while sharing /dev/shm.
inline std::string UniqueSegmentName() {
  static const uint64_t run = (uint64_t{std::random_device()()} << 32) | std::random_device()();
  static int counter = 0;
  return absl::StrCat("ipckit_shmtest_", platform::CurrentProcessId(), "_", absl::Hex(run), "_",
                      counter++);
}

// Whether a segment (or any object) has the name, as SharedMemory::Open sees it.
inline bool SegmentExists(const std::string& name) {
  return ErrorClassOf(SharedMemory::Open(name, absl::ZeroDuration()).status()) != kErrNotFound;
}

}  // namespace shm_test
}  // namespace ipckit

#endif  // IPCKIT_CC_SHM_SHARED_MEMORY_TEST_UTIL_H_
