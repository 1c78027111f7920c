// ipckit.BridgeServer: the FileChannel HTTP bridge (spec/bridge.md) run by the
// C++ core, so a web page can talk to a Python backend's channel directory.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cc/base/error.h"
#include "cc/bridge/bridge_server.h"
#include "py/src/args.h"
#include "py/src/bindings.h"
#include "py/src/blocking.h"
#include "py/src/errors.h"

namespace ipckit::python {
namespace {

namespace py = pybind11;

class PyBridgeServer {
 public:
  // `token`: "" for a fresh random one, None for none (the explicit
  // opt-out), else the token to require.
  PyBridgeServer(const PathArg& dir, int port, std::vector<std::string> allow_origins,
                 const std::optional<std::string>& token, bool allow_backend_writes,
                 size_t max_file_bytes, double max_wait, const py::object& static_dir) {
    if (port < 0 || port > 65535) {
      ThrowError(kErrInvalidArgument, absl::StrCat("port ", port, " is not in 0..65535"));
    }
    if (!(max_wait > 0) || !std::isfinite(max_wait)) {
      ThrowError(kErrInvalidArgument, "max_wait must be a positive number of seconds");
    }
    bridge::BridgeOptions options;
    options.port = static_cast<uint16_t>(port);
    options.allow_origins = std::move(allow_origins);
    options.allow_backend_writes = allow_backend_writes;
    options.max_file_bytes = max_file_bytes;
    options.max_wait = absl::Seconds(max_wait);
    options.require_token = token.has_value();
    options.token = token.value_or("");
    if (!static_dir.is_none()) {
      options.static_dir = py::module_::import("os").attr("fspath")(static_dir).cast<std::string>();
    }
    absl::StatusOr<std::unique_ptr<bridge::BridgeServer>> server = [&] {
      py::gil_scoped_release release;  // may wait for the channel lock
      return bridge::BridgeServer::Start(dir, std::move(options));
    }();
    if (!server.ok()) ThrowStatus(server.status());
    server_ = std::shared_ptr<bridge::BridgeServer>(std::move(*server));
    url_ = server_->url();
    origin_ = server_->origin();
    token_ = server_->token();
    port_ = server_->port();
    dir_ = dir;
  }

  // Serves until close() (from another thread) or Ctrl-C; the GIL is
  // released while serving and taken back every kSignalCheckInterval to run
  // signal handlers.
  void ServeForever() {
    std::shared_ptr<bridge::BridgeServer> server = Live();
    absl::Status status = RunSliced(absl::InfiniteDuration(), [&](absl::Duration slice) {
      return server->Serve(slice);
    });
    ThrowIfError(status);
  }

  // Stops serving (a serve_forever() in another thread returns) and frees the
  // port once no call is using the server.
  void Close() {
    if (server_ == nullptr) return;
    server_->Stop();
    std::shared_ptr<bridge::BridgeServer> last = std::move(server_);
    py::gil_scoped_release release;  // the destructor joins the watcher thread
    last.reset();
  }

  bool closed() const { return server_ == nullptr; }
  const std::string& url() const { return url_; }
  const std::string& origin() const { return origin_; }
  std::optional<std::string> token() const {
    return token_.empty() ? std::nullopt : std::optional<std::string>(token_);
  }
  int port() const { return port_; }
  const std::string& dir() const { return dir_; }

 private:
  std::shared_ptr<bridge::BridgeServer> Live() const {
    if (server_ == nullptr) ThrowError(kErrClosed, "the BridgeServer is closed");
    return server_;
  }

  std::shared_ptr<bridge::BridgeServer> server_;
  std::string url_;
  std::string origin_;
  std::string token_;
  int port_ = 0;
  std::string dir_;
};

}  // namespace

void RegisterBridge(py::module_& m) {
  py::class_<PyBridgeServer>(m, "BridgeServer", R"doc(
The FileChannel HTTP bridge (bridge version 1, spec/bridge.md) for the channel
in `dir`: lets a web page read the channel files (hanging GETs woken by file
changes) and append messages under the channel lock, over HTTP on 127.0.0.1
only.

    with ipckit.BridgeServer("./ipc_channel", port=8765,
                             allow_origins=["http://127.0.0.1:3000"]) as bridge:
        print(bridge.url)       # http://127.0.0.1:8765/?token=<secret>
        bridge.serve_forever()  # until close() from another thread, or Ctrl-C

Every request but a CORS preflight must carry the bridge's secret token
(`Authorization: Bearer <token>` or `?token=`); .url carries it, so hand the
page that URL. token="" (the default) makes a fresh 128-bit one; token=None
serves without one, which lets any local process use the channel: only for a
machine no one else uses.

The server listens from construction on; requests are handled while
serve_forever() runs. port=0 picks a free port (see .port / .url).
allow_origins lists other origins whose pages may read and write; the bridge's
own origin may always write. static_dir: a directory of the page's own files,
served at every path outside /v1/ on the bridge's origin (spec/bridge.md, "Page
files"). The page side is BridgeFileChannel in the npm
package; `python -m ipckit serve DIR` runs this from the command line.
)doc")
      .def(py::init<const PathArg&, int, std::vector<std::string>,
                    const std::optional<std::string>&, bool, size_t, double, const py::object&>(),
           py::arg("dir"), py::arg("port") = 0, py::arg("allow_origins") = std::vector<std::string>(),
           py::kw_only(), py::arg("token") = std::string(), py::arg("allow_backend_writes") = false,
           py::arg("max_file_bytes") = kDefaultMaxFileBytes, py::arg("max_wait") = 30.0,
           py::arg("static_dir") = py::none())
      .def("serve_forever", &PyBridgeServer::ServeForever,
           "Serve requests until close() (from another thread) or Ctrl-C (KeyboardInterrupt).")
      .def("close", &PyBridgeServer::Close,
           "Stop serving and release the port. Idempotent; serve_forever() then raises ClosedError.")
      .def_property_readonly("closed", &PyBridgeServer::closed, "True after close().")
      .def_property_readonly("url", &PyBridgeServer::url,
                             "'http://127.0.0.1:<port>/?token=<token>': the URL to give a client.")
      .def_property_readonly("origin", &PyBridgeServer::origin, "'http://127.0.0.1:<port>'.")
      .def_property_readonly("token", &PyBridgeServer::token,
                             "The token every request must carry; None if served without one.")
      .def_property_readonly("port", &PyBridgeServer::port, "The TCP port served.")
      .def_property_readonly("dir", &PyBridgeServer::dir, "The channel directory.")
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__", [](PyBridgeServer& self, const py::args&) { self.Close(); })
      .def("__repr__", [](PyBridgeServer& self) {
        return absl::StrCat("<ipckit.BridgeServer ", self.closed() ? "closed" : self.origin(), " for '",
                            self.dir(), "'>");
      });
  m.attr("BRIDGE_NO_TOKEN_WARNING") = std::string(bridge::kNoTokenWarning);
}

}  // namespace ipckit::python
