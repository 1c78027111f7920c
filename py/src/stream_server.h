// The Python face of cc/stream's StreamServer, written once for IpcChannel and
// NamedPipe: create / connect (with allow_other_users), wait_for_client,
// accept, disconnect, and the name / path / is_server / is_connected
// properties.
//
//   class PyNamedPipe
//       : public PyStreamServer<PyNamedPipe, NamedPipe, StreamCalls<NamedPipe>,
//                               PyNamedPipeConnection> { ... };
//   py::class_<PyNamedPipe> cls(m, "NamedPipe", doc);
//   DefineServerMethods(cls, "NamedPipe", "NamedPipeConnection");
//   cls.def_static("create", &PyNamedPipe::Create, ...);  // each class's own options
//
// `Calls` (StreamCalls, MessageCalls) holds the core object in an Endpoint
// and has DropUnread(), called when the current connection is replaced.
#ifndef IPCKIT_PY_SRC_STREAM_SERVER_H_
#define IPCKIT_PY_SRC_STREAM_SERVER_H_

#include <pybind11/pybind11.h>

#include <algorithm>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "py/src/args.h"
#include "py/src/blocking.h"
#include "py/src/errors.h"

namespace ipckit::python {

template <typename Self, typename Core, typename Calls, typename PyConnection>
class PyStreamServer : public Calls {
 public:
  using Options = std::decay_t<decltype(std::declval<const Core&>().options())>;

  PyStreamServer(Core core, std::string kind)
      : Calls(std::move(core), std::move(kind)),
        name_(this->endpoint().Get()->name()),
        path_(this->endpoint().Get()->path()),
        is_server_(this->endpoint().Get()->is_server()) {}

  static std::unique_ptr<Self> Create(const std::string& name, const Options& options) {
    absl::StatusOr<Core> core = [&] {
      pybind11::gil_scoped_release release;
      return Core::Create(name, options);
    }();
    return std::make_unique<Self>(ValueOrThrow(std::move(core)));
  }

  // timeout None: one attempt, NotFoundError (a FileNotFoundError) at once if
  // nobody serves the name, as ipckit 0.1. A number: wait that long for a
  // server to appear; each slice retries, so a server that starts later is
  // found.
  static std::unique_ptr<Self> Connect(const std::string& name, const pybind11::object& timeout,
                                       const Options& options) {
    absl::StatusOr<Core> core;
    if (timeout.is_none()) {
      pybind11::gil_scoped_release release;
      core = Core::Connect(name, absl::ZeroDuration(), options);
    } else {
      // At least 1 ms per slice: a zero slice means "one attempt" to the core.
      core = RunSliced(TimeoutArg(timeout), [&](absl::Duration slice) {
        return Core::Connect(name, std::max(slice, absl::Milliseconds(1)), options);
      });
    }
    return std::make_unique<Self>(ValueOrThrow(std::move(core)));
  }

  void WaitForClient(const pybind11::object& timeout) {
    ThrowIfError(RunBlocking(this->endpoint(), Access::kExclusive, TimeoutArg(timeout),
                             [](Core& c, absl::Duration slice) { return c.WaitForClient(slice); }));
    this->DropUnread();
  }

  std::unique_ptr<PyConnection> Accept(const pybind11::object& timeout) {
    auto connection =
        RunBlocking(this->endpoint(), Access::kAccept, TimeoutArg(timeout),
                    [](Core& c, absl::Duration slice) { return c.Accept(slice); });
    return std::make_unique<PyConnection>(ValueOrThrow(std::move(connection)));
  }

  void Disconnect() {
    RunLocked(this->endpoint(), Access::kExclusive, [](Core& c) { c.Disconnect(); });
    this->DropUnread();
  }

  bool is_connected() { return this->endpoint().Get()->is_connected(); }
  const std::string& name() const { return name_; }
  const std::string& path() const { return path_; }
  bool is_server() const { return is_server_; }

 private:
  // Kept so that they still answer after close().
  const std::string name_;
  const std::string path_;
  const bool is_server_;
};

// The methods and properties every server class has; `cls_name` and
// `connection_name` are the Python class names, for __repr__ and docs.
template <typename Cls>
void DefineServerMethods(pybind11::class_<Cls>& cls, const char* cls_name,
                         const char* connection_name) {
  namespace py = pybind11;
  cls.def("wait_for_client", &Cls::WaitForClient, py::kw_only(), py::arg("timeout") = py::none(),
          "Server: accept one client as the current connection (closing any previous).\n"
          "PermissionDeniedError if the client runs as another user (unless the server\n"
          "was created with allow_other_users=True).")
      .def("accept", &Cls::Accept, py::kw_only(), py::arg("timeout") = py::none(),
           absl::StrCat("Server: accept one more client as an independent ", connection_name,
                        ".")
               .c_str())
      .def("disconnect", &Cls::Disconnect,
           "Close the current connection; a server can then wait_for_client() again.")
      .def_property_readonly("name", &Cls::name, "The name given to create/connect.")
      .def_property_readonly("path", &Cls::path, "The socket file's path.")
      .def_property_readonly("is_server", &Cls::is_server,
                             "True for the end made by create(), False for connect().")
      .def_property_readonly("is_connected", &Cls::is_connected,
                             "True while there is a current connection.")
      .def("__repr__", [cls_name](Cls& self) {
        return absl::StrCat("<ipckit.", cls_name, " '", self.name(), "' ",
                            self.is_server() ? "server" : "client",
                            self.endpoint().closed() ? " closed" : "", ">");
      });
}

// The docs of create/connect, shared by both classes.
inline constexpr char kCreateDoc[] =
    "Start a server. InUseError if a live server has the name; PermissionDeniedError if\n"
    "another user's socket file has it; InvalidArgumentError (a ValueError and OSError)\n"
    "for a bad name. A socket file left by a dead server is reclaimed. Clients of\n"
    "another user are refused unless allow_other_users=True, which also makes the\n"
    "socket file 0666: every local user can then connect (spec/naming.md).";
inline constexpr char kConnectDoc[] =
    "Connect to server `name`. Without a timeout, one attempt: NotFoundError (a\n"
    "FileNotFoundError) at once if nobody serves the name, as ipckit 0.1. With\n"
    "`timeout` seconds (float('inf'): forever), wait that long for a server to appear,\n"
    "then IpcTimeoutError naming the socket path. A server of another user is refused\n"
    "(PermissionDeniedError, nothing sent) unless allow_other_users=True.";

}  // namespace ipckit::python

#endif  // IPCKIT_PY_SRC_STREAM_SERVER_H_
