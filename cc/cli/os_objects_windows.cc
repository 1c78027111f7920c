#include "absl/strings/str_cat.h"
#include "cc/cli/internal/os_objects.h"

namespace ipckit::cli {

std::string StreamObject(absl::string_view address) { return absl::StrCat("named pipe ", address); }

// spec/windows.md: the object "/name" is the file mapping "Local\name".
std::string ShmObject(absl::string_view object_name) {
  object_name.remove_prefix(object_name.empty() ? 0 : 1);
  return absl::StrCat("file mapping Local\\", object_name);
}

}  // namespace ipckit::cli
