// Facts for `python -m ipckit info`: where names map to OS objects, and the
// format constants of the wire spec.
#include <pybind11/pybind11.h>

#include <string>

#include "absl/status/statusor.h"
#include "cc/base/name.h"
#include "cc/channel/frame.h"
#include "cc/json/writer.h"
#include "py/src/bindings.h"
#include "py/src/errors.h"

namespace ipckit::python {

void RegisterInfo(pybind11::module_& m) {
  m.def(
       "socket_path_for",
       [](const std::string& name) { return ValueOrThrow(SocketPathFor(name)); },
       pybind11::arg("name"),
       "The Unix socket path a NamedPipe or IpcChannel called `name` uses.")
      .def(
          "shm_object_name_for",
          [](const std::string& name) { return ValueOrThrow(ShmObjectNameFor(name)); },
          pybind11::arg("name"),
          "The POSIX shared-memory object name a SharedMemory called `name` uses.");
  m.attr("FORMAT_VERSION") = json::kFormatVersion;
  m.attr("DEFAULT_MAX_PAYLOAD") = frame::kDefaultMaxPayload;
  m.attr("JSON_MAX_DEPTH") = json::kMaxDepth;
}

}  // namespace ipckit::python
