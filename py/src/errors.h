// Python exceptions for ipckit errors, chosen by the C++ error class.
//
//   RegisterErrors(module);                        // once, at import
//   absl::Status s = channel.Recv(timeout);
//   if (!s.ok()) ThrowStatus(s);                   // raises ipckit.IpcTimeoutError, ...
//
// The hierarchy follows spec/conventions.md: every class derives from
// ipckit.IpcError and, where one fits, from the builtin a Python caller would
// catch (TimeoutError, ConnectionError, ValueError, FileNotFoundError, ...).
// Each raised instance carries `error_class`, the spec's class string.
#ifndef IPCKIT_PY_SRC_ERRORS_H_
#define IPCKIT_PY_SRC_ERRORS_H_

#include <pybind11/pybind11.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ipckit::python {

// Creates the exception classes and adds them to `module`.
void RegisterErrors(pybind11::module_& module);

// Sets the Python error for a non-OK `status` (the class picked by
// ipckit::ErrorClassOf) and returns nullptr, for raw CPython entry points.
PyObject* SetStatusError(const absl::Status& status);

// Like SetStatusError, then throws pybind11::error_already_set.
[[noreturn]] void ThrowStatus(const absl::Status& status);

// Raises the exception for `error_class` (e.g. "closed") with `message`.
[[noreturn]] void ThrowError(absl::string_view error_class, absl::string_view message);

inline void ThrowIfError(const absl::Status& status) {
  if (!status.ok()) ThrowStatus(status);
}

template <typename T>
T ValueOrThrow(absl::StatusOr<T> result) {
  if (!result.ok()) ThrowStatus(result.status());
  return *std::move(result);
}

}  // namespace ipckit::python

#endif  // IPCKIT_PY_SRC_ERRORS_H_
