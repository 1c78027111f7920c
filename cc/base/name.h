// Validation of user-visible names and their mapping to OS objects.
//
//   IPCKIT_RETURN_IF_ERROR(ipckit::ValidateName(name));
//   IPCKIT_ASSIGN_OR_RETURN(std::string path, ipckit::SocketPathFor("jobs"));
//   // path == "/tmp/jobs.sock"
//
// The rules are in spec/naming.md: a name is 1..64 bytes of [A-Za-z0-9._-],
// not starting with '.' or '-'. Socket-backed objects (NamedPipe, IpcChannel)
// also accept an absolute path that fits in sockaddr_un.
#ifndef IPCKIT_CC_BASE_NAME_H_
#define IPCKIT_CC_BASE_NAME_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ipckit {

inline constexpr size_t kMaxNameLength = 64;
// sizeof(sockaddr_un::sun_path) on Linux is 108, including the NUL.
inline constexpr size_t kMaxSocketPathLength = 107;

// OK if `name` is a valid plain name; else invalid_argument naming the problem.
absl::Status ValidateName(absl::string_view name);

// "/tmp/{name}.sock" for a plain name, or `name` itself if it is an absolute
// path (ipckit 0.1 compatible). invalid_argument for anything else.
absl::StatusOr<std::string> SocketPathFor(absl::string_view name);

// "/{name}": the POSIX shared-memory object name for a plain name.
absl::StatusOr<std::string> ShmObjectNameFor(absl::string_view name);

}  // namespace ipckit

#endif  // IPCKIT_CC_BASE_NAME_H_
