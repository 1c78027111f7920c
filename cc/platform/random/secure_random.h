// Secret bytes from the OS CSPRNG (getrandom(2); Windows: BCryptGenRandom):
// for tokens another local user or a web page must not guess.
//
//   IPCKIT_ASSIGN_OR_RETURN(std::string token, ipckit::SecureRandomHex(16));  // 128 bits
#ifndef IPCKIT_CC_PLATFORM_RANDOM_SECURE_RANDOM_H_
#define IPCKIT_CC_PLATFORM_RANDOM_SECURE_RANDOM_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"

namespace ipckit {

// `n` random bytes. Blocks only until the kernel's generator is seeded
// (early boot); io if the OS refuses.
absl::StatusOr<std::string> SecureRandomBytes(size_t n);

// `n` random bytes as 2n lower-case hex digits.
absl::StatusOr<std::string> SecureRandomHex(size_t n);

}  // namespace ipckit

#endif  // IPCKIT_CC_PLATFORM_RANDOM_SECURE_RANDOM_H_
