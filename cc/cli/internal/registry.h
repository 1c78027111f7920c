// What the ipckit CLI is made of, registered per piece so that cc/cli/BUILD
// can leave out the pieces whose core class does not build for the target OS
// (Windows today: the anonymous pipe demo, `services`, `serve`, `info`).
// Each piece defines one registrar at namespace scope in its own library
// (alwayslink), and main.cc and the demo list what got linked.
//
//   const CommandRegistrar kServe({"serve", "serve DIR [--port N] ...", Serve});
//   const DemoMethodRegistrar kPipe({"named_pipe", 2, DemoNamedPipe, PeerNamedPipe});
#ifndef IPCKIT_CC_CLI_INTERNAL_REGISTRY_H_
#define IPCKIT_CC_CLI_INTERNAL_REGISTRY_H_

#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace ipckit::cli {

// A subcommand: `ipckit NAME ARGS...`.
struct Command {
  const char* name;
  const char* usage;  // the line after "ipckit ", for the usage text
  absl::Status (*run)(const std::vector<std::string>& args);
};

// One demo method: `run` times round trips against a child started from
// `self` (`ipckit demo-peer NAME ...`), whose side is `peer`.
struct DemoMethod {
  const char* name;
  int order;  // the table's row order
  absl::Status (*run)(const std::string& self, std::ostream& out);
  absl::Status (*peer)(const std::vector<std::string>& args);
};

struct CommandRegistrar {
  explicit CommandRegistrar(Command command);
};

struct DemoMethodRegistrar {
  explicit DemoMethodRegistrar(DemoMethod method);
};

// What is linked in, commands in registration order, demo methods by order.
std::vector<Command> Commands();
std::vector<DemoMethod> DemoMethods();

}  // namespace ipckit::cli

#endif  // IPCKIT_CC_CLI_INTERNAL_REGISTRY_H_
