#include "py/src/args.h"

#include <cmath>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
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

namespace {

using py::detail::function_record;

// The pybind11 record behind a function object's `self` (a capsule), or nullptr.
function_record* RecordOfSelf(PyObject* self) {
  if (self == nullptr || !PyCapsule_CheckExact(self)) return nullptr;
  auto capsule = py::reinterpret_borrow<py::capsule>(self);
  if (!py::detail::is_function_record_capsule(capsule)) return nullptr;
  return capsule.get_pointer<function_record>();
}

// The record of a function object (a function, or an instance method as a
// class holds it), or nullptr for anything else.
function_record* RecordOf(py::handle function) {
  py::handle f = py::detail::get_function(function);
  if (!f || !PyCFunction_Check(f.ptr())) return nullptr;
  return RecordOfSelf(PyCFunction_GET_SELF(f.ptr()));
}

// A single overload, no *args/**kwargs, and `timeout` after the `*`.
bool TakesKeywordOnlyTimeout(const function_record& rec) {
  if (rec.next != nullptr || rec.has_args || rec.has_kwargs || rec.def == nullptr) return false;
  for (size_t i = rec.nargs_pos; i < rec.args.size(); ++i) {
    if (rec.args[i].name != nullptr && std::strcmp(rec.args[i].name, "timeout") == 0) return true;
  }
  return false;
}

// "IpcChannel.send() takes timeout as a keyword: send(data, timeout=5)" for
// `value` passed where the keyword belongs; nullopt if repr(value) fails.
std::optional<std::string> Hint(const function_record& rec, PyObject* value) {
  PyObject* repr_object = PyObject_Repr(value);
  if (repr_object == nullptr) return std::nullopt;
  const char* repr_utf8 = PyUnicode_AsUTF8(repr_object);
  std::string repr = repr_utf8 != nullptr ? repr_utf8 : "...";
  Py_DECREF(repr_object);
  if (repr.size() > 40) repr = repr.substr(0, 37) + "...";
  std::vector<std::string> call;
  for (size_t i = rec.is_method ? 1 : 0; i < rec.nargs_pos && i < rec.args.size(); ++i) {
    call.push_back(rec.args[i].name != nullptr ? rec.args[i].name : "arg");
  }
  call.push_back("timeout=" + repr);
  std::string class_name = "?";
  PyObject* name = rec.scope ? PyObject_GetAttrString(rec.scope.ptr(), "__name__") : nullptr;
  if (name != nullptr && PyUnicode_Check(name)) class_name = PyUnicode_AsUTF8(name);
  Py_XDECREF(name);
  return absl::StrCat(class_name, ".", rec.name, "() takes timeout as a keyword: ", rec.name, "(",
                      absl::StrJoin(call, ", "), ")");
}

// pybind11's dispatcher: every pybind11 function object's PyMethodDef calls it.
PyCFunctionWithKeywords pybind11_dispatcher = nullptr;

// What the PyMethodDef of a function with a keyword-only timeout calls
// instead: pybind11's dispatcher, and if that refused a call with one
// positional argument too many and no timeout=, the hint in place of its
// TypeError. (pybind11 refuses such a call before running the function, so
// the TypeError is its own.)
PyObject* DispatchExplainingTimeout(PyObject* self, PyObject* args, PyObject* kwargs) {
  PyObject* result = pybind11_dispatcher(self, args, kwargs);
  if (result != nullptr || !PyErr_ExceptionMatches(PyExc_TypeError)) return result;
  // Set aside pybind11's error first: pybind11 calls below would take a
  // pending error for their own failure.
  PyObject *type, *value, *traceback;
  PyErr_Fetch(&type, &value, &traceback);
  std::optional<std::string> hint;
  try {  // nothing may propagate out of a C callback
    const function_record* rec = RecordOfSelf(self);
    if (rec != nullptr && PyTuple_GET_SIZE(args) == static_cast<Py_ssize_t>(rec->nargs_pos) + 1 &&
        (kwargs == nullptr || PyDict_GetItemString(kwargs, "timeout") == nullptr)) {
      hint = Hint(*rec, PyTuple_GET_ITEM(args, rec->nargs_pos));
    }
  } catch (...) {
    hint.reset();
  }
  if (!hint) {
    PyErr_Clear();
    PyErr_Restore(type, value, traceback);
    return nullptr;
  }
  Py_XDECREF(type);
  Py_XDECREF(value);
  Py_XDECREF(traceback);
  PyErr_SetString(PyExc_TypeError, hint->c_str());
  return nullptr;
}

}  // namespace

void ExplainPositionalTimeouts(py::module_& module) {
  for (auto item : module.attr("__dict__").cast<py::dict>()) {
    if (!PyType_Check(item.second.ptr())) continue;
    py::handle cls = item.second;
    for (auto entry : cls.attr("__dict__").cast<py::dict>()) {
      const std::string name = py::str(entry.first);
      if (name.rfind("__", 0) == 0) continue;
      function_record* rec = RecordOf(cls.attr(name.c_str()));
      if (rec == nullptr || !TakesKeywordOnlyTimeout(*rec)) continue;
      auto dispatcher = reinterpret_cast<PyCFunctionWithKeywords>(
          reinterpret_cast<void (*)()>(rec->def->ml_meth));
      if (pybind11_dispatcher == nullptr) pybind11_dispatcher = dispatcher;
      if (dispatcher != pybind11_dispatcher) continue;  // already ours, or not pybind11's
      rec->def->ml_meth =
          reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(DispatchExplainingTimeout));
    }
  }
}

}  // namespace ipckit::python
