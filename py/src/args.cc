#include "py/src/args.h"

#include <cmath>
#include <cstring>
#include <string>
#include <utility>
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

// The pybind11 record of a function object (a function, or an instance
// method as a class holds it), or nullptr for anything else.
py::detail::function_record* RecordOf(py::handle function) {
  py::handle f = py::detail::get_function(function);
  if (!f || !PyCFunction_Check(f.ptr())) return nullptr;
  py::handle self = PyCFunction_GET_SELF(f.ptr());
  if (!self || !py::isinstance<py::capsule>(self)) return nullptr;
  auto capsule = py::reinterpret_borrow<py::capsule>(self);
  if (!py::detail::is_function_record_capsule(capsule)) return nullptr;
  return capsule.get_pointer<py::detail::function_record>();
}

// What the hint for one function says: "IpcChannel.send() takes timeout as a
// keyword: send(data, timeout=5)".
struct TimeoutHint {
  std::string qualname;                 // "IpcChannel.send"
  std::string name;                     // "send"
  std::vector<std::string> positional;  // {"data"}: the parameters before `*`, without self

  // Raises the hint if `args` is the positional parameters plus one more and
  // no `timeout=` was given; otherwise lets pybind11 report the call as usual.
  [[noreturn]] void Raise(const py::args& args, const py::kwargs& kwargs) const {
    if (args.size() == positional.size() + 1 && !kwargs.contains("timeout")) {
      std::string value = py::repr(args[positional.size()]);
      if (value.size() > 40) value = value.substr(0, 37) + "...";
      std::vector<std::string> call = positional;
      call.push_back("timeout=" + value);
      throw py::type_error(absl::StrCat(qualname, "() takes timeout as a keyword: ", name, "(",
                                        absl::StrJoin(call, ", "), ")"));
    }
    throw py::reference_cast_error();  // pybind11: "try the next overload" (there is none)
  }
};

// The hint for `function` if it is a single pybind11 overload with a
// keyword-only `timeout` and no *args/**kwargs.
bool HintFor(py::handle function, const std::string& class_name, TimeoutHint* hint) {
  const py::detail::function_record* rec = RecordOf(function);
  if (rec == nullptr || rec->next != nullptr || rec->has_args || rec->has_kwargs) return false;
  bool keyword_only_timeout = false;
  for (size_t i = rec->nargs_pos; i < rec->args.size(); ++i) {
    if (rec->args[i].name != nullptr && std::strcmp(rec->args[i].name, "timeout") == 0) {
      keyword_only_timeout = true;
    }
  }
  if (!keyword_only_timeout) return false;
  hint->name = rec->name;
  hint->qualname = absl::StrCat(class_name, ".", rec->name);
  hint->positional.clear();
  for (size_t i = rec->is_method ? 1 : 0; i < rec->nargs_pos && i < rec->args.size(); ++i) {
    hint->positional.push_back(rec->args[i].name != nullptr ? rec->args[i].name : "arg");
  }
  return true;
}

// Puts `doc` back as the docstring of the function object behind `function`
// (appending an overload rewrote it as "Overloaded function. 1. ... 2. ...").
// pybind11 frees ml_doc with free(), so it is allocated with strdup().
void SetDoc(py::handle function, const std::string& doc) {
  auto* f = reinterpret_cast<PyCFunctionObject*>(py::detail::get_function(function).ptr());
  std::free(const_cast<char*>(f->m_ml->ml_doc));
  f->m_ml->ml_doc = strdup(doc.c_str());
}

}  // namespace

void ExplainPositionalTimeouts(py::module_& module) {
  for (auto item : module.attr("__dict__").cast<py::dict>()) {
    if (!PyType_Check(item.second.ptr())) continue;
    py::object cls = py::reinterpret_borrow<py::object>(item.second);
    const std::string class_name = py::str(cls.attr("__name__"));
    std::vector<std::string> names;
    for (auto entry : cls.attr("__dict__").cast<py::dict>()) {
      names.push_back(py::str(entry.first));
    }
    for (const std::string& name : names) {
      if (name.rfind("__", 0) == 0) continue;
      py::object function = cls.attr(name.c_str());
      TimeoutHint hint;
      if (!HintFor(function, class_name, &hint)) continue;
      const bool is_method = RecordOf(function)->is_method;
      const std::string doc = py::str(function.attr("__doc__"));
      if (is_method) {
        cls.attr(name.c_str()) = py::cpp_function(
            [hint](py::handle /*self*/, py::args args, py::kwargs kwargs) -> py::object {
              hint.Raise(args, kwargs);
            },
            py::name(name.c_str()), py::is_method(cls), py::sibling(function));
      } else {
        cls.attr(name.c_str()) = py::staticmethod(py::cpp_function(
            [hint](py::args args, py::kwargs kwargs) -> py::object { hint.Raise(args, kwargs); },
            py::name(name.c_str()), py::scope(cls), py::sibling(function)));
      }
      SetDoc(cls.attr(name.c_str()), doc);
    }
  }
}

}  // namespace ipckit::python
