// Random identifiers for messages and channel endpoints.
//
//   IPCKIT_ASSIGN_OR_RETURN(std::string id, ipckit::NewUuidV4());
//   // id == "1b4e28ba-2fa1-4d2e-883f-0016d3cca427" (random)
//   IPCKIT_ASSIGN_OR_RETURN(std::string tag, ipckit::RandomHex(8));
//
// The bytes come from the kernel (getentropy), never from a seeded PRNG, so
// ids stay unique across fork() and across processes started at once.
#ifndef IPCKIT_CC_FILE_CHANNEL_UUID_H_
#define IPCKIT_CC_FILE_CHANNEL_UUID_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"

namespace ipckit {

// An RFC 4122 version-4 UUID in lowercase 8-4-4-4-12 form (36 characters).
absl::StatusOr<std::string> NewUuidV4();

// `bytes` random bytes as 2 * bytes lowercase hex digits; bytes <= 128.
absl::StatusOr<std::string> RandomHex(size_t bytes);

}  // namespace ipckit

#endif  // IPCKIT_CC_FILE_CHANNEL_UUID_H_
