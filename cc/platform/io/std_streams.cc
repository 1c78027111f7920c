#include "cc/platform/io/std_streams.h"

#include <unistd.h>

#include <cerrno>

namespace ipckit {

bool ReadStdinExact(char* buffer, size_t size) {
  while (size > 0) {
    ssize_t r = ::read(STDIN_FILENO, buffer, size);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    buffer += r;
    size -= static_cast<size_t>(r);
  }
  return true;
}

bool WriteStdoutAll(absl::string_view data) {
  while (!data.empty()) {
    ssize_t w = ::write(STDOUT_FILENO, data.data(), data.size());
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    data.remove_prefix(static_cast<size_t>(w));
  }
  return true;
}

}  // namespace ipckit
