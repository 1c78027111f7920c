// The other process of shm_win_test: opens the file mapping argv[1], checks
// that it starts with "ping", writes "pong" over it, and exits.
#include <cstdio>
#include <cstring>

#include "cc/platform/win/shm_win.h"

int main(int argc, char** argv) {
  namespace win = ipckit::platform::win;
  if (argc != 2) return 2;
  absl::StatusOr<win::FileMapping> m = win::FileMapping::Open(argv[1]);
  if (!m.ok()) {
    std::fprintf(stderr, "peer: %s\n", m.status().ToString().c_str());
    return 3;
  }
  if (m->size() < 4 || std::memcmp(m->data(), "ping", 4) != 0) return 4;
  std::memcpy(m->data(), "pong", 4);
  return 0;
}
