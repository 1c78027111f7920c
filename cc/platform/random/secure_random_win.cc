#include <windows.h>
// After windows.h, which defines the types bcrypt.h uses.
#include <bcrypt.h>

#include <algorithm>
#include <string>

#include "cc/platform/random/secure_random.h"
#include "cc/platform/win/error_win.h"

namespace ipckit {

absl::StatusOr<std::string> SecureRandomBytes(size_t n) {
  std::string out(n, '\0');
  size_t got = 0;
  // BCryptGenRandom takes a ULONG count; ask in chunks below 4 GiB.
  while (got < n) {
    const ULONG chunk = static_cast<ULONG>(std::min<size_t>(n - got, 1u << 30));
    const NTSTATUS st = ::BCryptGenRandom(nullptr, reinterpret_cast<PUCHAR>(&out[got]), chunk,
                                          BCRYPT_USE_SYSTEM_PREFERRED_RNG);
    if (st < 0) return platform::WindowsError(static_cast<uint32_t>(st), "BCryptGenRandom");
    got += chunk;
  }
  return out;
}

}  // namespace ipckit
