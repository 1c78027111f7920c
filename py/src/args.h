// Python arguments checked and converted for the C++ core.
//
//   absl::Duration timeout = TimeoutArg(py_timeout);     // None -> InfiniteDuration()
//   size_t n = SizeArg(py_size);                         // InvalidArgumentError if negative
//   BytesArg data(py_data);                              // bytes-like, zero-copy
//   channel.Send(data.view(), timeout);
//   [](const PathArg& name) { ... }                    // a str or a pathlib.Path
//   ExplainPositionalTimeouts(module);                   // once, after every class
//
// Each raises TypeError or ValueError (InvalidArgumentError, which is also
// OverflowError, for a negative size) naming the argument and the problem.
#ifndef IPCKIT_PY_SRC_ARGS_H_
#define IPCKIT_PY_SRC_ARGS_H_

#include <pybind11/pybind11.h>

#include <cstddef>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace ipckit::python {

// A timeout in seconds (int or float; None or +inf = forever). TypeError or
// ValueError naming `what` for anything else (negative, NaN, a string, a bool).
absl::Duration TimeoutArg(const pybind11::handle& timeout, const char* what = "timeout");

// The same for a timeout in milliseconds (FileChannel's `timeout_ms`).
absl::Duration TimeoutMsArg(const pybind11::handle& timeout_ms);

// A size or offset; InvalidArgumentError (also ValueError and OverflowError,
// what ipckit 0.1 raised) naming `what` if negative.
size_t SizeArg(pybind11::ssize_t value, const char* what = "size");

// A bytes-like argument viewed as contiguous bytes, without a copy. Holding
// the buffer export also stops a bytearray from being resized while the GIL
// is released around the call that reads it. The view is valid while the
// BytesArg lives.
class BytesArg {
 public:
  // Raises TypeError naming `what` if `obj` is not a C-contiguous bytes-like object
  // (a str is refused: encode it first).
  explicit BytesArg(const pybind11::handle& obj, const char* what = "data") {
    if (PyUnicode_Check(obj.ptr())) {
      throw pybind11::type_error(std::string(what) +
                                 " must be bytes-like, not str (encode it first)");
    }
    if (PyObject_GetBuffer(obj.ptr(), &view_, PyBUF_C_CONTIGUOUS) != 0) {
      PyErr_Clear();
      throw pybind11::type_error(std::string(what) + " must be a C-contiguous bytes-like object, not " +
                                 Py_TYPE(obj.ptr())->tp_name);
    }
  }
  BytesArg(const BytesArg&) = delete;
  BytesArg& operator=(const BytesArg&) = delete;
  ~BytesArg() { PyBuffer_Release(&view_); }

  absl::string_view view() const {
    return absl::string_view(static_cast<const char*>(view_.buf), static_cast<size_t>(view_.len));
  }

 private:
  Py_buffer view_;
};

// A name or path taken as str or any os.PathLike (pathlib.Path), as open()
// takes them. It is a std::string, so it passes wherever one is expected.
struct PathArg : std::string {
  using std::string::string;
  explicit PathArg(std::string s) : std::string(std::move(s)) {}
};

// Gives every method and static method of `module`'s classes that takes a
// keyword-only `timeout` a short TypeError for a positional one:
//
//   channel.recv(5)  ->  TypeError: IpcChannel.recv() takes timeout as a keyword: recv(timeout=5)
//
// instead of pybind11's "incompatible function arguments" list. It wraps
// pybind11's dispatcher in each such function's method table entry, and looks
// at a call only after pybind11 refused it: calls that bind run as before, and
// other refused calls keep pybind11's message. Call it once, after every class
// is registered (PYBIND11_MODULE in module.cc).
void ExplainPositionalTimeouts(pybind11::module_& module);

}  // namespace ipckit::python

namespace pybind11::detail {

template <>
struct type_caster<ipckit::python::PathArg> {
  PYBIND11_TYPE_CASTER(ipckit::python::PathArg, const_name("str | os.PathLike[str]"));

  bool load(handle src, bool /*convert*/) {
    // os.fspath(): a str as is, a PathLike's __fspath__(); bytes paths are refused
    // (names are text in every ipckit method).
    PyObject* path = PyOS_FSPath(src.ptr());
    if (path == nullptr) {
      PyErr_Clear();
      return false;
    }
    bool ok = false;
    if (PyUnicode_Check(path)) {
      Py_ssize_t size = 0;
      const char* utf8 = PyUnicode_AsUTF8AndSize(path, &size);
      if (utf8 != nullptr) {
        value = ipckit::python::PathArg(std::string(utf8, static_cast<size_t>(size)));
        ok = true;
      } else {
        PyErr_Clear();
      }
    }
    Py_DECREF(path);
    return ok;
  }

  static handle cast(const ipckit::python::PathArg& src, return_value_policy, handle) {
    return PyUnicode_DecodeUTF8(src.data(), static_cast<Py_ssize_t>(src.size()), "replace");
  }
};

}  // namespace pybind11::detail

#endif  // IPCKIT_PY_SRC_ARGS_H_
