#include "py/src/args.h"

#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "cc/base/error.h"
#include "py/src/errors.h"

namespace ipckit::python {
namespace {

namespace py = pybind11;

// Seconds (or milliseconds, per `unit`) from a Python number, validated.
absl::Duration DurationArg(const py::handle& value, const char* what, double unit_seconds) {
  if (value.is_none()) return absl::InfiniteDuration();
  // bool is an int subclass, but `timeout=True` is surely a mistake.
  if (PyBool_Check(value.ptr()) || !(PyFloat_Check(value.ptr()) || PyLong_Check(value.ptr()))) {
    throw py::type_error(absl::StrCat(what, " must be a number or None, not ",
                                      Py_TYPE(value.ptr())->tp_name));
  }
  double amount = PyFloat_AsDouble(value.ptr());
  if (amount == -1.0 && PyErr_Occurred()) throw py::error_already_set();
  if (std::isnan(amount)) throw py::value_error(absl::StrCat(what, " must not be NaN"));
  if (amount < 0) {
    throw py::value_error(absl::StrCat(what, " must be >= 0 or None, got ",
                                       std::string(py::str(value))));
  }
  if (std::isinf(amount)) return absl::InfiniteDuration();
  return absl::Seconds(amount * unit_seconds);
}

}  // namespace

absl::Duration TimeoutArg(const py::handle& timeout, const char* what) {
  return DurationArg(timeout, what, 1.0);
}

absl::Duration TimeoutMsArg(const py::handle& timeout_ms) {
  return DurationArg(timeout_ms, "timeout_ms", 1e-3);
}

size_t SizeArg(py::ssize_t value, const char* what) {
  if (value < 0) {
    // InvalidArgumentError is also the OverflowError ipckit 0.1 raised here.
    ThrowError(kErrInvalidArgument, absl::StrCat(what, " must be >= 0, got ", value));
  }
  return static_cast<size_t>(value);
}

}  // namespace ipckit::python
