// ipckit.NamedPipe and ipckit.NamedPipeConnection: byte streams between
// unrelated processes that meet by name (a Unix-domain socket).
#include <pybind11/pybind11.h>

#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cc/named_pipe/named_pipe.h"
#include "py/src/aio_support.h"
#include "py/src/args.h"
#include "py/src/bindings.h"
#include "py/src/blocking.h"
#include "py/src/errors.h"
#include "py/src/stream.h"
#include "py/src/stream_server.h"

namespace ipckit::python {
namespace {

namespace py = pybind11;

class PyNamedPipeConnection : public StreamCalls<NamedPipeConnection> {
 public:
  explicit PyNamedPipeConnection(NamedPipeConnection connection)
      : StreamCalls(std::move(connection), "named pipe connection") {}
};

class PyNamedPipe : public PyStreamServer<PyNamedPipe, NamedPipe, StreamCalls<NamedPipe>,
                                          PyNamedPipeConnection> {
 public:
  explicit PyNamedPipe(NamedPipe pipe) : PyStreamServer(std::move(pipe), "named pipe") {}

  static NamedPipeOptions OptionsArg(bool allow_other_users) {
    NamedPipeOptions options;
    options.allow_other_users = allow_other_users;
    return options;
  }
};

// read/read_exact/write/write_all with the same signatures and docs on both classes.
template <typename Cls>
void DefineStreamMethods(py::class_<Cls>& cls) {
  DefineWriteMethods(cls);
  cls.def("read", &Cls::Read, py::arg("size"), py::kw_only(), py::arg("timeout") = py::none(),
          "Read up to `size` bytes once some are available; b'' when the peer has\n"
          "closed. IpcTimeoutError if nothing arrives within `timeout` seconds.")
      .def("read_exact", &Cls::ReadExact, py::arg("size"), py::kw_only(),
           py::arg("timeout") = py::none(),
           "Read exactly `size` bytes. PeerClosedError if the peer closed before the\n"
           "first byte, TruncatedError after some. On timeout the bytes already read\n"
           "are kept and returned first by the next read.")
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
  DefineAioStreamMethods(connection);
  DefineAioStreamFileno(connection);

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
  DefineServerMethods(pipe, "NamedPipe", "NamedPipeConnection");
  DefineAioStreamMethods(pipe);
  DefineAioStreamFileno(pipe);
  DefineAioServerMethods<PyNamedPipeConnection>(pipe);
  pipe.def_static(
          "create",
          [](const PathArg& name, bool allow_other_users) {
            return PyNamedPipe::Create(name, PyNamedPipe::OptionsArg(allow_other_users));
          },
          py::arg("name"), py::kw_only(), py::arg("allow_other_users") = false, kCreateDoc)
      .def_static(
          "connect",
          [](const PathArg& name, const py::object& timeout, bool allow_other_users) {
            return PyNamedPipe::Connect(name, timeout, PyNamedPipe::OptionsArg(allow_other_users));
          },
          py::arg("name"), py::kw_only(), py::arg("timeout") = py::none(),
          py::arg("allow_other_users") = false, kConnectDoc);
}

}  // namespace ipckit::python
