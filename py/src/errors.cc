#include "py/src/errors.h"

#include <initializer_list>
#include <string>
#include <utility>

#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "cc/base/error.h"

namespace ipckit::python {
namespace {

namespace py = pybind11;

// One row per error class of spec/conventions.md. `builtins` are the builtin
// exceptions the class also derives from, after IpcError: the one a Python
// caller would catch first, then those ipckit 0.1 raised for the same
// failure, so that 0.1 code's `except` clauses still match (none: IpcError
// only).
struct ErrorKind {
  absl::string_view error_class;
  const char* name;
  std::initializer_list<PyObject**> builtins;
  const char* doc;
  PyObject* type = nullptr;
};

// The builtin exception objects are process-wide singletons, so taking their
// addresses at static-init time is safe.
ErrorKind kinds[] = {
    {kErrInvalidArgument, "InvalidArgumentError",
     {&PyExc_ValueError, &PyExc_OSError, &PyExc_OverflowError},
     "A bad name, size, argument or malformed JSON (also ValueError; and OSError and\n"
     "OverflowError, which ipckit 0.1 raised for a bad name and a negative size)."},
    {kErrNotFound, "NotFoundError", {&PyExc_FileNotFoundError},
     "No such object: segment, socket or directory (also FileNotFoundError)."},
    {kErrInUse, "InUseError", {&PyExc_FileExistsError},
     "The name belongs to a live object (also FileExistsError)."},
    {kErrTimeout, "IpcTimeoutError", {&PyExc_TimeoutError},
     "A blocking call ran out of time (also the builtin TimeoutError)."},
    {kErrPeerClosed, "PeerClosedError", {&PyExc_ConnectionError},
     "The other side closed the connection (also ConnectionError)."},
    {kErrTruncated, "TruncatedError", {},
     "Input ended inside a frame or structure."},
    {kErrTooLarge, "TooLargeError", {&PyExc_ValueError, &PyExc_BufferError},
     "A length over the configured limit, refused before allocating (also ValueError,\n"
     "and BufferError as ipckit 0.1 raised for an oversize message)."},
    {kErrCorrupt, "CorruptError", {},
     "Bytes that are not what the spec allows (bad magic, checksum, JSON shape)."},
    {kErrUnsupportedVersion, "UnsupportedVersionError", {},
     "A format version newer than this library knows."},
    {kErrOutOfRange, "OutOfRangeError", {&PyExc_IndexError, &PyExc_BufferError},
     "An offset or length outside an object (also IndexError, and BufferError as\n"
     "ipckit 0.1 raised for shared memory)."},
    {kErrPermissionDenied, "PermissionDeniedError", {&PyExc_PermissionError},
     "The operating system refused access (also PermissionError)."},
    {kErrClosed, "ClosedError", {&PyExc_ConnectionError},
     "The object, or that end of it, was already closed or taken (also ConnectionError,\n"
     "as ipckit 0.1 raised for a closed pipe end)."},
    {kErrDataLoss, "DataLossError", {},
     "Messages were removed before this reader received them (reported once)."},
};

PyObject* base_error = nullptr;  // ipckit.IpcError, also the `io` class.

PyObject* TypeFor(absl::string_view error_class) {
  for (const ErrorKind& kind : kinds) {
    if (kind.error_class == error_class) return kind.type;
  }
  return base_error;
}

// The core's messages name its C++ methods; a Python user calls these.
const std::initializer_list<std::pair<absl::string_view, absl::string_view>> kPythonNames = {
    {"WaitForClient", "wait_for_client()"},
    {"WaitSet::Wait", "ShmWaitSet.wait()"},
};

void SetError(absl::string_view error_class, absl::string_view core_message) {
  PyObject* type = TypeFor(error_class);
  const std::string message = absl::StrReplaceAll(core_message, kPythonNames);
  PyObject* text = PyUnicode_DecodeUTF8(message.data(), message.size(), "replace");
  if (text == nullptr) return;
  PyObject* instance = PyObject_CallOneArg(type, text);
  Py_DECREF(text);
  if (instance == nullptr) return;
  PyObject* cls = PyUnicode_FromStringAndSize(error_class.data(), error_class.size());
  if (cls == nullptr || PyObject_SetAttrString(instance, "error_class", cls) != 0) {
    Py_XDECREF(cls);
    Py_DECREF(instance);
    return;
  }
  Py_DECREF(cls);
  PyErr_SetObject(type, instance);
  Py_DECREF(instance);
}

}  // namespace

void RegisterErrors(py::module_& module) {
  base_error = PyErr_NewExceptionWithDoc(
      "ipckit.IpcError",
      "Base class of every ipckit error. `error_class` holds the spec's error "
      "class string (e.g. 'timeout', 'io').",
      PyExc_Exception, nullptr);
  if (base_error == nullptr) throw py::error_already_set();
  PyObject_SetAttrString(base_error, "error_class", py::str("io").ptr());
  module.attr("IpcError") = py::handle(base_error);
  for (ErrorKind& kind : kinds) {
    py::tuple bases(1 + kind.builtins.size());
    bases[0] = py::handle(base_error);
    size_t i = 1;
    for (PyObject** builtin : kind.builtins) bases[i++] = py::handle(*builtin);
    std::string qualified = std::string("ipckit.") + kind.name;
    kind.type = PyErr_NewExceptionWithDoc(qualified.c_str(), kind.doc, bases.ptr(), nullptr);
    if (kind.type == nullptr) throw py::error_already_set();
    py::str cls(kind.error_class.data(), kind.error_class.size());
    PyObject_SetAttrString(kind.type, "error_class", cls.ptr());
    module.attr(kind.name) = py::handle(kind.type);
  }
}

PyObject* SetStatusError(const absl::Status& status) {
  SetError(ErrorClassOf(status), status.message());
  return nullptr;
}

void ThrowStatus(const absl::Status& status) {
  SetStatusError(status);
  throw py::error_already_set();
}

void ThrowError(absl::string_view error_class, absl::string_view message) {
  SetError(error_class, message);
  throw py::error_already_set();
}

}  // namespace ipckit::python
