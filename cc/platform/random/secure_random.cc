#include "cc/platform/random/secure_random.h"

#include <string>

#include "absl/strings/escaping.h"

// SecureRandomBytes is the OS's: secure_random_posix.cc (getrandom) or
// secure_random_win.cc (BCryptGenRandom).

namespace ipckit {

absl::StatusOr<std::string> SecureRandomHex(size_t n) {
  absl::StatusOr<std::string> bytes = SecureRandomBytes(n);
  if (!bytes.ok()) return bytes.status();
  return absl::BytesToHexString(*bytes);
}

}  // namespace ipckit
