// An owned shared memory mapping of a ShmObject, unmapped on destruction.
//
//   IPCKIT_ASSIGN_OR_RETURN(platform::Mapping map,
//       platform::Mapping::Map(object, 4160, platform::ShmAccess::kReadWrite));
//   std::memcpy(map.data() + 64, "hi", 2);
//
// The mapping is MAP_SHARED from offset 0 (Windows: a view, MapViewOfFile).
// Touching bytes past the object's end raises SIGBUS, so callers size mappings
// from StatObject and never beyond it.
#ifndef IPCKIT_CC_PLATFORM_SHM_MAPPING_H_
#define IPCKIT_CC_PLATFORM_SHM_MAPPING_H_

#include <cstddef>
#include <utility>

#include "absl/status/statusor.h"
#include "cc/platform/shm/shm_object.h"

namespace ipckit {
namespace platform {

class Mapping {
 public:
  // mmap(length bytes, MAP_SHARED, offset 0). invalid_argument for length 0.
  static absl::StatusOr<Mapping> Map(const ShmObject& object, size_t length, ShmAccess access);

  Mapping() = default;
  Mapping(Mapping&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)),
        size_(std::exchange(other.size_, 0)),
        name_holder_(std::exchange(other.name_holder_, nullptr)) {}
  Mapping& operator=(Mapping&& other) noexcept {
    if (this != &other) {
      Reset();
      data_ = std::exchange(other.data_, nullptr);
      size_ = std::exchange(other.size_, 0);
      name_holder_ = std::exchange(other.name_holder_, nullptr);
    }
    return *this;
  }
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  ~Mapping() { Reset(); }

  bool valid() const { return data_ != nullptr; }
  char* data() const { return data_; }
  size_t size() const { return size_; }

  // munmap (UnmapViewOfFile); the mapping becomes empty. Errors are ignored:
  // the range came from Map, so it can only fail on a bug, and there is no retry.
  void Reset();

 private:
  Mapping(char* data, size_t size, void* name_holder = nullptr)
      : data_(data), size_(size), name_holder_(name_holder) {}
  char* data_ = nullptr;
  size_t size_ = 0;
  // Windows: a handle of the file mapping. Its name lasts only while some
  // handle is open (a view alone does not keep it), and a segment must stay
  // openable while anyone maps it. POSIX: unused.
  void* name_holder_ = nullptr;
};

}  // namespace platform
}  // namespace ipckit

#endif  // IPCKIT_CC_PLATFORM_SHM_MAPPING_H_
