// How `ipckit info` names the OS objects that carry ipckit's named objects:
// one source file per OS, chosen in cc/cli/BUILD (os_objects_posix.cc,
// os_objects_windows.cc). Words only; the names come from cc/base/name.h and
// cc/platform.
//
//   std::cout << StreamObject("/tmp/x.sock");  // "unix socket /tmp/x.sock"
//   std::cout << ShmObject("/x");              // "POSIX shm object /x (/dev/shm/x)"
#ifndef IPCKIT_CC_CLI_INTERNAL_OS_OBJECTS_H_
#define IPCKIT_CC_CLI_INTERNAL_OS_OBJECTS_H_

#include <string>

#include "absl/strings/string_view.h"

namespace ipckit::cli {

// `address`: what platform::LocalStreamAddress gives for a name.
std::string StreamObject(absl::string_view address);

// `object_name`: what ShmObjectNameFor gives ("/" + the name).
std::string ShmObject(absl::string_view object_name);

}  // namespace ipckit::cli

#endif  // IPCKIT_CC_CLI_INTERNAL_OS_OBJECTS_H_
