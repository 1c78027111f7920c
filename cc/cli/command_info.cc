// `ipckit info [NAME]`: versions, platform, and where NAME maps on this OS.
#include <iostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cc/base/error.h"
#include "cc/base/name.h"
#include "cc/base/version.h"
#include "cc/cli/internal/os_objects.h"
#include "cc/cli/internal/registry.h"
#include "cc/platform/io/local_stream.h"
#include "cc/platform/process/control.h"

namespace ipckit::cli {
namespace {

absl::Status Info(const std::vector<std::string>& args) {
  if (args.size() > 1) return InvalidArgumentError("info takes at most one NAME");
  std::cout << "ipckit " << kLibraryVersion << "\n"
            << "format version " << kFormatVersion << "\n"
            << "platform " << OsDescription() << "\n";
  std::string name = args.empty() ? "my_channel" : args[0];
  std::cout << "name '" << name << "' maps to:\n";
  absl::StatusOr<std::string> stream = platform::LocalStreamAddress(name);
  std::cout << "  NamedPipe, IpcChannel  "
            << (stream.ok() ? StreamObject(*stream) : std::string(stream.status().message())) << "\n";
  absl::StatusOr<std::string> shm = ShmObjectNameFor(name);
  std::cout << "  SharedMemory           "
            << (shm.ok() ? ShmObject(*shm) : std::string(shm.status().message())) << "\n";
  std::cout << "  FileChannel            directory " << name
            << "/{backend_to_frontend,frontend_to_backend}.json\n";
  return absl::OkStatus();
}


const CommandRegistrar kInfo({"info", "info [NAME]", Info});

}  // namespace
}  // namespace ipckit::cli
