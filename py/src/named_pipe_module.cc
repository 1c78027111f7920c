// ipckit.NamedPipe and ipckit.NamedPipeConnection: byte streams between
// unrelated processes that meet by name (a Unix-domain socket).
#include <pybind11/pybind11.h>

#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cc/named_pipe/named_pipe.h"
#include "py/src/args.h"
#include "py/src/bindings.h"
#include "py/src/blocking.h"
#include "py/src/errors.h"
#include "py/src/stream.h"

namespace ipckit::python {
namespace {

namespace py = pybind11;

class PyNamedPipeConnection : public StreamCalls<NamedPipeConnection> {
 public:
  explicit PyNamedPipeConnection(NamedPipeConnection connection)
      : StreamCalls(std::move(connection), "named pipe connection") {}
};

class PyNamedPipe : public StreamCalls<NamedPipe> {
 public:
  explicit PyNamedPipe(NamedPipe pipe)
      : StreamCalls(std::move(pipe), "named pipe"),
        name_(endpoint().Get()->name()),
        path_(endpoint().Get()->path()),
        is_server_(endpoint().Get()->is_server()) {}

  static std::unique_ptr<PyNamedPipe> Create(const std::string& name) {
    absl::StatusOr<NamedPipe> pipe = [&] {
      py::gil_scoped_release release;
      return NamedPipe::Create(name);
    }();
    return std::make_unique<PyNamedPipe>(ValueOrThrow(std::move(pipe)));
  }

  static std::unique_ptr<PyNamedPipe> Connect(const std::string& name, const py::object& timeout) {
    // Each slice retries the connect, so a server that appears later is found.
    absl::StatusOr<NamedPipe> pipe = RunSliced(
        TimeoutArg(timeout), [&](absl::Duration slice) { return NamedPipe::Connect(name, slice); });
    return std::make_unique<PyNamedPipe>(ValueOrThrow(std::move(pipe)));
  }

  void WaitForClient(const py::object& timeout) {
    ThrowIfError(RunBlocking(endpoint(), Access::kExclusive, TimeoutArg(timeout),
                             [](NamedPipe& p, absl::Duration slice) {
                               return p.WaitForClient(slice);
                             }));
    DropUnread();
  }

  std::unique_ptr<PyNamedPipeConnection> Accept(const py::object& timeout) {
    absl::StatusOr<NamedPipeConnection> connection =
        RunBlocking(endpoint(), Access::kAccept, TimeoutArg(timeout),
                    [](NamedPipe& p, absl::Duration slice) { return p.Accept(slice); });
    return std::make_unique<PyNamedPipeConnection>(ValueOrThrow(std::move(connection)));
  }

  void Disconnect() {
    RunLocked(endpoint(), Access::kExclusive, [](NamedPipe& p) { p.Disconnect(); });
    DropUnread();
  }

  bool is_connected() { return endpoint().Get()->is_connected(); }
  const std::string& name() const { return name_; }
  const std::string& path() const { return path_; }
  bool is_server() const { return is_server_; }

 private:
  // Kept so that they still answer after close().
  const std::string name_;
  const std::string path_;
  const bool is_server_;
};

// read/read_exact/write/write_all with the same signatures and docs on both classes.
template <typename Cls>
void DefineStreamMethods(py::class_<Cls>& cls) {
  cls.def("read", &Cls::Read, py::arg("size"), py::kw_only(), py::arg("timeout") = py::none(),
          "Read up to `size` bytes once some are available; b'' when the peer has\n"
          "closed. IpcTimeoutError if nothing arrives within `timeout` seconds.")
      .def("read_exact", &Cls::ReadExact, py::arg("size"), py::kw_only(),
           py::arg("timeout") = py::none(),
           "Read exactly `size` bytes. PeerClosedError if the peer closed before the\n"
           "first byte, TruncatedError after some. On timeout the bytes already read\n"
           "are kept and returned first by the next read.")
      .def("write", &Cls::Write, py::arg("data"), py::kw_only(), py::arg("timeout") = py::none(),
           "Write some of bytes-like `data` and return how many bytes were written.\n"
           "PeerClosedError if the peer is gone (never SIGPIPE).")
      .def("write_all", &Cls::WriteAll, py::arg("data"), py::kw_only(),
           py::arg("timeout") = py::none(), "Write all of `data`; returns len(data).")
      .def("close", [](Cls& self) { self.endpoint().Close(); },
           "Close the connection. Idempotent; later calls raise ClosedError.")
      .def_property_readonly(
          "closed", [](Cls& self) { return self.endpoint().closed(); }, "True after close().")
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__", [](Cls& self, const py::args&) { self.endpoint().Close(); });
}

}  // namespace

void RegisterNamedPipe(py::module_& m) {
  py::class_<PyNamedPipeConnection> connection(m, "NamedPipeConnection", R"doc(
One client of a NamedPipe server, as returned by NamedPipe.accept(). It has its
own read/write and lives independently of the server's current client.
)doc");
  DefineStreamMethods(connection);

  py::class_<PyNamedPipe> pipe(m, "NamedPipe", R"doc(
A byte stream between unrelated processes that meet by name.

    server = NamedPipe.create("my_pipe")       # listens at /tmp/my_pipe.sock
    server.wait_for_client()
    data = server.read(1024)
    server.write(b"Response from server")

    client = NamedPipe.connect("my_pipe", timeout=5)   # in another process
    client.write(b"Hello from client")

A server talks to one current client (wait_for_client, then read/write on the
server), as in ipckit 0.1; accept() returns further clients as their own
NamedPipeConnection. The name is a plain name ([A-Za-z0-9._-], up to 64 bytes)
or an absolute socket path. The server removes its socket file when closed.
)doc");
  DefineStreamMethods(pipe);
  pipe.def_static("create", &PyNamedPipe::Create, py::arg("name"),
                  "Start a server. InUseError if a live server has the name; ValueError for\n"
                  "a bad name. A socket file left by a dead server is reclaimed.")
      .def_static("connect", &PyNamedPipe::Connect, py::arg("name"), py::kw_only(),
                  py::arg("timeout") = py::none(),
                  "Connect to server `name`, waiting up to `timeout` seconds (None: forever)\n"
                  "for it to appear. IpcTimeoutError naming the socket path if none does.")
      .def("wait_for_client", &PyNamedPipe::WaitForClient, py::kw_only(),
           py::arg("timeout") = py::none(),
           "Server: accept one client as the current connection (closing any previous).")
      .def("accept", &PyNamedPipe::Accept, py::kw_only(), py::arg("timeout") = py::none(),
           "Server: accept one more client as an independent NamedPipeConnection.")
      .def("disconnect", &PyNamedPipe::Disconnect,
           "Close the current connection; a server can then wait_for_client() again.")
      .def_property_readonly("name", &PyNamedPipe::name, "The name given to create/connect.")
      .def_property_readonly("path", &PyNamedPipe::path, "The socket file's path.")
      .def_property_readonly("is_server", &PyNamedPipe::is_server,
                             "True for the end made by create(), False for connect().")
      .def_property_readonly("is_connected", &PyNamedPipe::is_connected,
                             "True while there is a current connection.")
      .def("__repr__", [](PyNamedPipe& self) {
        return absl::StrCat("<ipckit.NamedPipe '", self.name(), "' ",
                            self.is_server() ? "server" : "client",
                            self.endpoint().closed() ? " closed" : "", ">");
      });
}

}  // namespace ipckit::python
