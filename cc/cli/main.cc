// The ipckit command-line tool.
//
//   ipckit demo                 one round-trip exchange per IPC method with a child process
//   ipckit info [NAME]          versions, platform, and where NAME maps on this OS
//   ipckit listen NAME [--count N] [--timeout SECONDS]
//   ipckit send NAME MESSAGE [--timeout SECONDS]
//   ipckit serve DIR [--port N] [--allow-origin ORIGIN]... [--no-token]   the FileChannel HTTP bridge
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cc/base/error.h"
#include "cc/base/name.h"
#include "cc/base/status_macros.h"
#include "cc/base/version.h"
#include "cc/bridge/bridge_server.h"
#include "cc/channel/ipc_channel.h"
#include "cc/cli/demo.h"
#include "cc/platform/process/control.h"
#include "cc/shm_msg/inspect.h"

namespace ipckit::cli {
namespace {

constexpr char kUsage[] =
    "usage: ipckit demo\n"
    "       ipckit info [NAME]\n"
    "       ipckit listen NAME [--count N] [--timeout SECONDS]\n"
    "       ipckit send NAME MESSAGE [--timeout SECONDS]\n"
    "       ipckit services [--clean]\n"
    "       ipckit serve DIR [--port N] [--allow-origin ORIGIN]... [--max-file-bytes N] [--no-token]\n";

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

absl::Status Info(const Args& args) {
  std::cout << "ipckit " << kLibraryVersion << "\n"
            << "format version " << kFormatVersion << "\n"
            << "platform " << OsDescription() << "\n";
  std::string name = args.positional.empty() ? "my_channel" : args.positional[0];
  std::cout << "name '" << name << "' maps to:\n";
  absl::StatusOr<std::string> socket = SocketPathFor(name);
  std::cout << "  NamedPipe, IpcChannel  unix socket "
            << (socket.ok() ? *socket : std::string(socket.status().message())) << "\n";
  absl::StatusOr<std::string> shm = ShmObjectNameFor(name);
  std::cout << "  SharedMemory           POSIX shm object "
            << (shm.ok() ? *shm + " (/dev/shm" + *shm + ")" : std::string(shm.status().message()))
            << "\n";
  std::cout << "  FileChannel            directory " << name
            << "/{backend_to_frontend,frontend_to_backend}.json\n";
  return absl::OkStatus();
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
absl::Status Services(const std::vector<std::string>& argv) {
  if (argv.size() > 1 || (argv.size() == 1 && argv[0] != "--clean")) {
    return InvalidArgumentError("services takes only --clean");
  }
  IPCKIT_ASSIGN_OR_RETURN(std::vector<shm_msg::ServiceInfo> all, shm_msg::ListServices());
  if (!argv.empty()) {
    for (const shm_msg::ServiceInfo& s : all) {
      if (!s.status.ok()) continue;
      absl::StatusOr<bool> removed = shm_msg::RemoveIfAbandoned(s.name);
      if (removed.ok() && *removed) std::cout << "removed " << s.name << "\n";
    }
    IPCKIT_ASSIGN_OR_RETURN(all, shm_msg::ListServices());
  }
  for (const shm_msg::ServiceInfo& s : all) {
    std::cout << s.name;
    if (!s.status.ok()) {
      std::cout << "  unreadable: " << s.status.message() << " [" << ErrorClassOf(s.status) << "]\n";
      continue;
    }
    std::cout << "  " << (s.state == 1 ? "ready" : "initializing") << ", " << s.size
              << " bytes, max_payload " << s.config.max_payload << ", max_subscribers "
              << s.config.max_subscribers << ", max_publishers " << s.config.max_publishers << "\n";
    for (const shm_msg::ParticipantInfo& p : s.participants) {
      const char* liveness = p.liveness == platform::Liveness::kAlive  ? "alive"
                             : p.liveness == platform::Liveness::kDead ? "dead"
                                                                       : "unknown";
      std::cout << "  " << (p.publisher ? "publisher " : "subscriber ") << p.index
                << "  pid " << p.pid << "  " << liveness << "\n";
    }
  }
  return absl::OkStatus();
}

absl::Status Send(const Args& args) {
  if (args.positional.size() != 2) return InvalidArgumentError("send needs NAME and MESSAGE");
  IPCKIT_ASSIGN_OR_RETURN(IpcChannel client, IpcChannel::Connect(args.positional[0], args.timeout));
  return client.Send(args.positional[1], args.timeout);
}

// The bridge `serve` runs; SIGINT/SIGTERM stop it (Stop is signal-safe).
bridge::BridgeServer* g_bridge = nullptr;

void StopBridge() {
  if (g_bridge != nullptr) g_bridge->Stop();
}

absl::Status Serve(const std::vector<std::string>& argv) {
  std::string dir;
  bridge::BridgeOptions options;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a == "--port" || a == "--allow-origin" || a == "--max-file-bytes") {
      if (i + 1 == argv.size()) return InvalidArgumentError(absl::StrCat(a, " needs a value"));
      const std::string& v = argv[++i];
      uint32_t port = 0;
      uint64_t bytes = 0;
      if (a == "--allow-origin") {
        options.allow_origins.push_back(v);
      } else if (a == "--port") {
        if (!absl::SimpleAtoi(v, &port) || port > 65535) {
          return InvalidArgumentError(absl::StrCat("--port '", v, "' is not a port number (0-65535)"));
        }
        options.port = static_cast<uint16_t>(port);
      } else if (!absl::SimpleAtoi(v, &bytes) || bytes == 0) {
        return InvalidArgumentError(absl::StrCat("--max-file-bytes '", v, "' is not a positive integer"));
      } else {
        options.max_file_bytes = bytes;
      }
    } else if (a == "--no-token") {
      options.require_token = false;
    } else if (dir.empty() && !absl::StartsWith(a, "--")) {
      dir = a;
    } else {
      return InvalidArgumentError(absl::StrCat("serve: unexpected argument '", a, "'"));
    }
  }
  if (dir.empty()) return InvalidArgumentError("serve needs a channel DIR");
  IPCKIT_ASSIGN_OR_RETURN(std::unique_ptr<bridge::BridgeServer> server,
                          bridge::BridgeServer::Start(dir, options));
  g_bridge = server.get();
  if (server->token().empty()) std::cerr << bridge::kNoTokenWarning << std::endl;
  IPCKIT_RETURN_IF_ERROR(OnStopRequest(StopBridge));
  std::cout << "ipckit bridge for " << dir << " on " << server->url() << " (Ctrl-C stops)"
            << std::endl;
  absl::Status status;
  do {
    status = server->Serve();  // returns early (timeout) when a signal arrives
  } while (ErrorClassOf(status) == kErrTimeout && !server->stopped());
  g_bridge = nullptr;
  return status;
}

int Main(int argc, char** argv) {
  std::vector<std::string> rest(argv + std::min(argc, 2), argv + argc);
  std::string command = argc > 1 ? argv[1] : "";
  absl::Status status;
  if (command == "demo") {
    status = RunDemo("/proc/self/exe", std::cout);
  } else if (command == "demo-peer") {
    status = RunDemoPeer(rest);
  } else if (command == "serve") {
    status = Serve(rest);
  } else if (command == "services") {
    status = Services(rest);
  } else if (command == "info" || command == "listen" || command == "send") {
    absl::StatusOr<Args> args = ParseArgs(rest);
    if (!args.ok()) {
      status = args.status();
    } else if (command == "info") {
      status = Info(*args);
    } else if (command == "listen") {
      status = Listen(*args);
    } else {
      status = Send(*args);
    }
  } else {
    std::cerr << kUsage;
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
