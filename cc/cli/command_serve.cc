// `ipckit serve DIR ...`: the FileChannel HTTP bridge.
#include <cstdint>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cc/base/error.h"
#include "cc/base/status_macros.h"
#include "cc/bridge/bridge_server.h"
#include "cc/cli/internal/registry.h"
#include "cc/platform/process/control.h"

namespace ipckit::cli {
namespace {

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
    if (a == "--port" || a == "--allow-origin" || a == "--max-file-bytes" || a == "--static") {
      if (i + 1 == argv.size()) return InvalidArgumentError(absl::StrCat(a, " needs a value"));
      const std::string& v = argv[++i];
      uint32_t port = 0;
      uint64_t bytes = 0;
      if (a == "--allow-origin") {
        options.allow_origins.push_back(v);
      } else if (a == "--static") {
        options.static_dir = v;  // the page's own files, same-origin (spec/bridge.md, "Page files")
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


const CommandRegistrar kServe({"serve", "serve DIR [--port N] [--allow-origin ORIGIN]... [--max-file-bytes N] [--static PAGE_DIR] [--no-token]", Serve});

}  // namespace
}  // namespace ipckit::cli
