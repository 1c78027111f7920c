#include "cc/cli/internal/self_path.h"

namespace ipckit::cli {

// CreateProcess searches the executable's own directory, the working
// directory and PATH for argv[0], which is how the user started us.
std::string SelfPath(const char* argv0) { return argv0; }

}  // namespace ipckit::cli
