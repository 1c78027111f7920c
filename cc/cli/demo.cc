#include "cc/cli/demo.h"

#include "absl/strings/str_cat.h"
#include "cc/base/error.h"
#include "cc/base/status_macros.h"
#include "cc/cli/internal/demo_util.h"
#include "cc/cli/internal/registry.h"

namespace ipckit::cli {

absl::Status RunDemo(const std::string& self_path, std::ostream& out) {
  out << "ipckit demo: a child process echoes " << kMessageSize
      << "-byte messages over each method\n";
  for (const DemoMethod& method : DemoMethods()) {
    IPCKIT_RETURN_IF_ERROR(method.run(self_path, out));
    out.flush();
  }
  return absl::OkStatus();
}

absl::Status RunDemoPeer(const std::vector<std::string>& args) {
  if (args.empty()) return InvalidArgumentError("demo-peer needs a method");
  for (const DemoMethod& method : DemoMethods()) {
    if (args[0] == method.name) return method.peer(args);
  }
  return InvalidArgumentError(absl::StrCat("demo-peer: unknown method '", args[0], "'"));
}

}  // namespace ipckit::cli
