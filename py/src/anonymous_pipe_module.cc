// ipckit.AnonymousPipe: a one-way pipe, e.g. to a subprocess child.
#include <pybind11/pybind11.h>

#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cc/base/error.h"
#include "cc/pipe/anonymous_pipe.h"
#include "py/src/aio_support.h"
#include "py/src/args.h"
#include "py/src/bindings.h"
#include "py/src/blocking.h"
#include "py/src/errors.h"
#include "py/src/stream.h"

namespace ipckit::python {
namespace {

namespace py = pybind11;

constexpr char kKind[] = "anonymous pipe";

class PyAnonymousPipe : public StreamCalls<AnonymousPipe> {
 public:
  explicit PyAnonymousPipe(AnonymousPipe pipe) : StreamCalls(std::move(pipe), kKind) {}

  static std::unique_ptr<PyAnonymousPipe> Create() {
    return std::make_unique<PyAnonymousPipe>(ValueOrThrow(AnonymousPipe::Create()));
  }

  static std::unique_ptr<PyAnonymousPipe> FromFds(int reader_fd, int writer_fd) {
    return std::make_unique<PyAnonymousPipe>(
        ValueOrThrow(AnonymousPipe::FromFds(reader_fd, writer_fd)));
  }

  int reader_fd() { return endpoint().Get()->reader_fd(); }
  int writer_fd() { return endpoint().Get()->writer_fd(); }

  // The end leaves ipckit: it is made blocking again, since its new user
  // (os.read, a subprocess child via pass_fds) does not poll. It stays
  // close-on-exec; subprocess's pass_fds clears that for the child.
  int DetachReader() { return Detach(Access::kRead, &AnonymousPipe::TakeReader, "read"); }
  int DetachWriter() { return Detach(Access::kWrite, &AnonymousPipe::TakeWriter, "write"); }

  void CloseReader() {
    RunLocked(endpoint(), Access::kRead, [](AnonymousPipe& p) { p.CloseReader(); });
  }
  void CloseWriter() {
    RunLocked(endpoint(), Access::kWrite, [](AnonymousPipe& p) { p.CloseWriter(); });
  }

 private:
  int Detach(Access access, platform::AnonPipeEnd (AnonymousPipe::*take)(), const char* end) {
    platform::AnonPipeEnd fd = RunLocked(endpoint(), access, [&](AnonymousPipe& p) { return (p.*take)(); });
    if (!fd.valid()) {
      ThrowError(kErrClosed, absl::StrCat("anonymous pipe: the ", end,
                                          " end was already taken or closed"));
    }
    // Through Python's os module: the core keeps its fd calls in cc/platform.
    py::module_::import("os").attr("set_blocking")(fd.get(), true);
    return fd.release();
  }
};

}  // namespace

void RegisterAnonymousPipe(py::module_& m) {
  py::class_<PyAnonymousPipe> cls(m, "AnonymousPipe", R"doc(
A one-way pipe: bytes written to the write end are read from the read end.

    pipe = AnonymousPipe()
    pipe.write(b"Hello from parent!")
    pipe.read(1024)                       # b'Hello from parent!'

To talk to a child process, hand it one end and close that end here (as 0.1):

    fd = pipe.writer_fd()
    subprocess.Popen([...child..., str(fd)], pass_fds=[fd])
    pipe.take_writer()                    # closes the write end here
    pipe.read(1024, timeout=5)            # b'' once the child has closed its copy

detach_writer() instead hands the fd over without closing it (now yours).

A child using ipckit wraps the fd it got with AnonymousPipe.from_fds(writer_fd=fd).
)doc");
  DefineWriteMethods(cls);
  DefineAioStreamMethods(cls);
  cls
      .def(py::init(&PyAnonymousPipe::Create), "Create a pipe with both ends open here.")
      .def_static("from_fds", &PyAnonymousPipe::FromFds, py::arg("reader_fd") = -1,
                  py::arg("writer_fd") = -1,
                  "Adopt pipe ends inherited from a parent (-1: not held). The pipe owns\n"
                  "them afterwards. ValueError if an fd is not open in the right direction.")
      .def("read", &PyAnonymousPipe::Read, py::arg("size"), py::kw_only(),
           py::arg("timeout") = py::none(),
           "Read up to `size` bytes once some are available; b'' at end of stream\n"
           "(every write end closed). IpcTimeoutError if nothing arrives in time.")
      .def("read_exact", &PyAnonymousPipe::ReadExact, py::arg("size"), py::kw_only(),
           py::arg("timeout") = py::none(),
           "Read exactly `size` bytes. PeerClosedError at end of stream before any byte,\n"
           "TruncatedError after some. Bytes read before a timeout are kept for the next read.")
      .def("reader_fd", &PyAnonymousPipe::reader_fd, "The read end's fd, or -1 if not held.")
      .def("writer_fd", &PyAnonymousPipe::writer_fd, "The write end's fd, or -1 if not held.")
      // 0.1's take_*: close that end here (a child given it by fd keeps its
      // own copy); again, or after close_*, nothing happens, as in 0.1.
      .def("take_reader", &PyAnonymousPipe::CloseReader,
           "Close the read end in this process, as ipckit 0.1 does: after passing\n"
           "reader_fd() to a child, so that only the child holds it. Returns None.")
      .def("take_writer", &PyAnonymousPipe::CloseWriter,
           "Close the write end in this process, as ipckit 0.1 does: after passing\n"
           "writer_fd() to a child, read() sees end of stream once the child closes it.")
      .def("detach_reader", &PyAnonymousPipe::DetachReader,
           "Give up the read end without closing it: returns its fd (blocking mode), which\n"
           "the caller now owns and must close, e.g. after passing it to a child.")
      .def("detach_writer", &PyAnonymousPipe::DetachWriter,
           "Give up the write end without closing it: returns its fd (blocking mode),\n"
           "now the caller's.")
      .def("close_reader", &PyAnonymousPipe::CloseReader, "Close the read end here.")
      .def("close_writer", &PyAnonymousPipe::CloseWriter,
           "Close the write end here (readers see end of stream once all copies are closed).")
      .def("close", [](PyAnonymousPipe& self) { self.endpoint().Close(); },
           "Close both ends. Idempotent; later calls raise ClosedError.")
      .def_property_readonly(
          "closed", [](PyAnonymousPipe& self) { return self.endpoint().closed(); },
          "True after close().")
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__", [](PyAnonymousPipe& self, const py::args&) { self.endpoint().Close(); })
      .def("__repr__", [](PyAnonymousPipe& self) -> std::string {
        if (self.endpoint().closed()) return "<ipckit.AnonymousPipe closed>";
        return absl::StrCat("<ipckit.AnonymousPipe reader_fd=", self.reader_fd(),
                            " writer_fd=", self.writer_fd(), ">");
      });
}

}  // namespace ipckit::python
