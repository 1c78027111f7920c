#include <errno.h>
#include <sys/random.h>

#include <string>

#include "cc/base/error.h"
#include "cc/platform/random/secure_random.h"

namespace ipckit {

absl::StatusOr<std::string> SecureRandomBytes(size_t n) {
  std::string out(n, '\0');
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::getrandom(out.data() + got, n - got, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, "getrandom");
    }
    got += static_cast<size_t>(r);
  }
  return out;
}

}  // namespace ipckit
