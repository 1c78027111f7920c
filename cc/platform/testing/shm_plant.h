// Test helper: a raw shm object planted where a segment or service would be,
// as a foreign program (or a creator that died early) would leave it.
//
//   platform::PlantShmObject("/ipckit_msg." + name, "not a service", 4096);
#ifndef IPCKIT_CC_PLATFORM_TESTING_SHM_PLANT_H_
#define IPCKIT_CC_PLATFORM_TESTING_SHM_PLANT_H_

#include <cstdint>
#include <cstring>
#include <string>

#include "cc/platform/shm/mapping.h"
#include "cc/platform/shm/shm_object.h"
#include "gtest/gtest.h"

namespace ipckit {
namespace platform {

// `object_name` ("/name"), `size` bytes, starting with `bytes`; gtest
// failures if it cannot be made.
inline void PlantShmObject(const std::string& object_name, const std::string& bytes,
                           uint64_t size) {
  ASSERT_LE(bytes.size(), size);
  absl::StatusOr<ShmObject> object = ShmCreateExclusive(object_name, 0600, size);
  ASSERT_TRUE(object.ok()) << object.status();
  ASSERT_TRUE(ResizeObject(*object, size).ok());
  if (bytes.empty()) return;
  absl::StatusOr<Mapping> map = Mapping::Map(*object, bytes.size(), ShmAccess::kReadWrite);
  ASSERT_TRUE(map.ok()) << map.status();
  std::memcpy(map->data(), bytes.data(), bytes.size());
}

}  // namespace platform
}  // namespace ipckit

#endif  // IPCKIT_CC_PLATFORM_TESTING_SHM_PLANT_H_
