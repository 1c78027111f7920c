#include "absl/strings/str_cat.h"
#include "cc/cli/internal/os_objects.h"

namespace ipckit::cli {

std::string StreamObject(absl::string_view address) { return absl::StrCat("unix socket ", address); }

std::string ShmObject(absl::string_view object_name) {
  return absl::StrCat("POSIX shm object ", object_name, " (/dev/shm", object_name, ")");
}

}  // namespace ipckit::cli
