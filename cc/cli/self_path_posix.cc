#include "cc/cli/internal/self_path.h"

namespace ipckit::cli {

// Linux's name of the running executable, however it was started (PATH,
// a relative path, a symlink).
std::string SelfPath(const char* argv0) { return "/proc/self/exe"; }

}  // namespace ipckit::cli
