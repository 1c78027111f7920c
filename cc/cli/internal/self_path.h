// The path `ipckit demo` starts its child peers from: one source file per OS,
// chosen in cc/cli/BUILD (self_path_posix.cc, self_path_windows.cc).
//
//   RunDemo(SelfPath(argv[0]), std::cout);
#ifndef IPCKIT_CC_CLI_INTERNAL_SELF_PATH_H_
#define IPCKIT_CC_CLI_INTERNAL_SELF_PATH_H_

#include <string>

namespace ipckit::cli {

std::string SelfPath(const char* argv0);

}  // namespace ipckit::cli

#endif  // IPCKIT_CC_CLI_INTERNAL_SELF_PATH_H_
