// Helpers for the shm_msg tests only.
//
//   const std::string name = shm_msg::testing::UniqueServiceName("pubsub");
//   EXPECT_FALSE(shm_msg::testing::ServiceExists(name));
#ifndef IPCKIT_CC_SHM_MSG_TEST_UTIL_H_
#define IPCKIT_CC_SHM_MSG_TEST_UTIL_H_

#include <cstdint>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "cc/platform/process/process.h"
#include "cc/platform/shm/shm_object.h"

namespace ipckit {
namespace shm_msg {
namespace testing {

// Unique across concurrent runs: Bazel gives each test its own pid namespace,
// so the pid alone repeats between parallel tests sharing /dev/shm.
inline std::string UniqueServiceName(const std::string& prefix) {
  static const uint64_t run = (uint64_t{std::random_device()()} << 32) | std::random_device()();
  static int counter = 0;
  return absl::StrCat(prefix, "_", platform::CurrentProcessId(), "_", absl::Hex(run), "_", counter++);
}

// Whether the service's shm object still has its name.
inline bool ServiceExists(const std::string& name) {
  return platform::ShmOpen("/ipckit_msg." + name, platform::ShmAccess::kReadOnly).ok();
}

}  // namespace testing
}  // namespace shm_msg
}  // namespace ipckit

#endif  // IPCKIT_CC_SHM_MSG_TEST_UTIL_H_
