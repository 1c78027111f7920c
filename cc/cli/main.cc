// The ipckit command-line tool.
//
//   ipckit demo                 one round-trip exchange per IPC method with a child process
//   ipckit info [NAME]          versions, platform, and where NAME maps on this OS
//   ipckit listen NAME [--count N] [--timeout SECONDS]
//   ipckit send NAME MESSAGE [--timeout SECONDS]
//   ipckit serve DIR [--port N] [--allow-origin ORIGIN]... [--static PAGE_DIR] [--no-token]   the FileChannel HTTP bridge
//   ipckit services [--clean]   shared-memory messaging services and their participants
//
// demo, listen and send are here; the other commands register from their own
// files (command_*.cc), which BUILD links where their classes build.
#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cc/base/error.h"
#include "cc/base/status_macros.h"
#include "cc/channel/ipc_channel.h"
#include "cc/cli/demo.h"
#include "cc/cli/internal/registry.h"
#include "cc/cli/internal/self_path.h"

namespace ipckit::cli {
namespace {

// The commands main.cc has itself; BUILD links the others (internal/registry.h).
constexpr char kBuiltinUsage[] =
    "ipckit demo\n"
    "ipckit listen NAME [--count N] [--timeout SECONDS]\n"
    "ipckit send NAME MESSAGE [--timeout SECONDS]\n";

void PrintUsage(std::ostream& out) {
  out << "usage:\n" << kBuiltinUsage;
  for (const Command& command : Commands()) out << "ipckit " << command.usage << "\n";
}

// Positional arguments plus the two options the commands share.
struct Args {
  std::vector<std::string> positional;
  absl::Duration timeout = absl::Seconds(30);
  long count = -1;  // listen: stop after this many messages; -1 = never
};

absl::StatusOr<Args> ParseArgs(const std::vector<std::string>& argv) {
  Args args;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a == "--timeout" || a == "--count") {
      if (i + 1 == argv.size()) return InvalidArgumentError(absl::StrCat(a, " needs a value"));
      const std::string& v = argv[++i];
      double seconds;
      if (a == "--timeout") {
        if (!absl::SimpleAtod(v, &seconds) || seconds < 0) {
          return InvalidArgumentError(absl::StrCat("--timeout '", v, "' is not a number of seconds"));
        }
        args.timeout = absl::Seconds(seconds);
      } else if (!absl::SimpleAtoi(v, &args.count) || args.count < 1) {
        return InvalidArgumentError(absl::StrCat("--count '", v, "' is not a positive integer"));
      }
    } else {
      args.positional.push_back(a);
    }
  }
  return args;
}

absl::Status Listen(const Args& args) {
  if (args.positional.size() != 1) return InvalidArgumentError("listen needs exactly one NAME");
  IPCKIT_ASSIGN_OR_RETURN(IpcChannel server, IpcChannel::Create(args.positional[0]));
  std::cerr << "listening on " << server.path() << "\n";
  for (long received = 0; args.count < 0 || received < args.count;) {
    if (!server.is_connected()) IPCKIT_RETURN_IF_ERROR(server.WaitForClient(args.timeout));
    absl::StatusOr<std::string> message = server.Recv(args.timeout);
    if (ErrorClassOf(message.status()) == kErrPeerClosed) {
      server.Disconnect();  // That client is done; wait for the next one.
      continue;
    }
    IPCKIT_RETURN_IF_ERROR(message.status());
    std::cout << *message << std::endl;
    ++received;
  }
  return absl::OkStatus();
}

// Every shared-memory messaging service and its participants; with --clean,
// first removes each one whose every participant is provably dead.
absl::Status Send(const Args& args) {
  if (args.positional.size() != 2) return InvalidArgumentError("send needs NAME and MESSAGE");
  IPCKIT_ASSIGN_OR_RETURN(IpcChannel client, IpcChannel::Connect(args.positional[0], args.timeout));
  return client.Send(args.positional[1], args.timeout);
}

int Main(int argc, char** argv) {
  std::vector<std::string> rest(argv + std::min(argc, 2), argv + argc);
  std::string command = argc > 1 ? argv[1] : "";
  const Command* registered = nullptr;
  std::vector<Command> commands = Commands();
  for (const Command& c : commands) {
    if (command == c.name) registered = &c;
  }
  absl::Status status;
  if (command == "demo") {
    status = RunDemo(SelfPath(argv[0]), std::cout);
  } else if (command == "demo-peer") {
    status = RunDemoPeer(rest);
  } else if (registered != nullptr) {
    status = registered->run(rest);
  } else if (command == "listen" || command == "send") {
    absl::StatusOr<Args> args = ParseArgs(rest);
    if (!args.ok()) {
      status = args.status();
    } else if (command == "listen") {
      status = Listen(*args);
    } else {
      status = Send(*args);
    }
  } else {
    PrintUsage(std::cerr);
    return command == "help" || command == "--help" ? 0 : 2;
  }
  if (!status.ok()) {
    std::cerr << "ipckit " << command << ": " << status.message() << " [" << ErrorClassOf(status)
              << "]\n";
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace ipckit::cli

int main(int argc, char** argv) { return ipckit::cli::Main(argc, argv); }
