// Windows shared memory: named file mappings backed by the paging file, the
// SharedMemory transport on Windows (spec/windows.md), named as ipckit 0.1.12
// names them (the name as given, in the session's namespace).
//
//   IPCKIT_ASSIGN_OR_RETURN(win::FileMapping m, win::FileMapping::Create("jobs", 4096));
//   std::memcpy(m.data(), "hi", 2);
//   // another process:
//   IPCKIT_ASSIGN_OR_RETURN(win::FileMapping v, win::FileMapping::Open("jobs"));
//
// A mapping lives while any process holds a handle or a view of it, and its
// name while any process holds a handle (a view alone does not keep the name):
// there is no unlink, and a crashed owner leaves nothing behind. The size a reader
// sees is the view's, rounded up to whole pages (VirtualQuery), as in 0.1;
// the ipckit header inside the segment carries the exact size.
#ifndef IPCKIT_CC_PLATFORM_WIN_SHM_WIN_H_
#define IPCKIT_CC_PLATFORM_WIN_SHM_WIN_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cc/platform/win/unique_handle_win.h"

namespace ipckit {
namespace platform {
namespace win {

class FileMapping {
 public:
  // A new mapping of `size` bytes (zero-filled). in_use if the name exists;
  // invalid_argument for size 0.
  static absl::StatusOr<FileMapping> Create(absl::string_view name, size_t size);
  // The existing mapping `name`, read-write. not_found if there is none.
  static absl::StatusOr<FileMapping> Open(absl::string_view name);

  FileMapping() = default;
  FileMapping(FileMapping&& other) noexcept;
  FileMapping& operator=(FileMapping&& other) noexcept;
  FileMapping(const FileMapping&) = delete;
  FileMapping& operator=(const FileMapping&) = delete;
  ~FileMapping();

  char* data() const { return data_; }
  size_t size() const { return size_; }
  // The mapping object, for more views (platform::Mapping).
  HANDLE handle() const { return mapping_.get(); }

 private:
  UniqueHandle mapping_;
  char* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace win
}  // namespace platform
}  // namespace ipckit

#endif  // IPCKIT_CC_PLATFORM_WIN_SHM_WIN_H_
