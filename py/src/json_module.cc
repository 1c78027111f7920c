// json_dumps, json_dumps_pretty, json_loads: plain CPython functions, because
// pybind11's argument dispatch would cost more than dumping a small dict.
#include "py/src/bindings.h"

#include "py/src/json_codec.h"

namespace ipckit::python {
namespace {

// The one argument of `function`, passed by position or (as ipckit 0.1 allows) by
// its keyword `name`; nullptr with TypeError set otherwise.
PyObject* SoleArgument(const char* function, const char* name, PyObject* const* args,
                       Py_ssize_t nargs, PyObject* kwnames) {
  const Py_ssize_t nkw = kwnames == nullptr ? 0 : PyTuple_GET_SIZE(kwnames);
  if (nargs == 1 && nkw == 0) return args[0];
  if (nargs == 0 && nkw == 1 &&
      PyUnicode_CompareWithASCIIString(PyTuple_GET_ITEM(kwnames, 0), name) == 0) {
    return args[0];
  }
  PyErr_Format(PyExc_TypeError, "%s() takes exactly one argument, %s", function, name);
  return nullptr;
}

PyObject* JsonDumps(PyObject*, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  PyObject* obj = SoleArgument("json_dumps", "obj", args, nargs, kwnames);
  return obj == nullptr ? nullptr : DumpJsonToStr(obj, /*pretty=*/false);
}
PyObject* JsonDumpsPretty(PyObject*, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  PyObject* obj = SoleArgument("json_dumps_pretty", "obj", args, nargs, kwnames);
  return obj == nullptr ? nullptr : DumpJsonToStr(obj, /*pretty=*/true);
}
PyObject* JsonLoads(PyObject*, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  PyObject* s = SoleArgument("json_loads", "s", args, nargs, kwnames);
  return s == nullptr ? nullptr : LoadJsonFromObject(s);
}

constexpr int kOneArgument = METH_FASTCALL | METH_KEYWORDS;

PyMethodDef json_methods[] = {
    {"json_dumps", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(JsonDumps)), kOneArgument,
     "json_dumps($module, obj)\n--\n\n"
     "Serialize obj (dict, list, tuple, str, int, float, bool, None) to compact JSON.\n\n"
     "The text is byte-identical to the C++ core's ipckit::json::Dumps (spec/json.md):\n"
     "no spaces, keys in the dict's order, non-ASCII written as UTF-8.\n"
     "Raises TypeError for other types and ValueError for NaN, Infinity, ints outside\n"
     "[-2**63, 2**64-1] and nesting deeper than 512."},
    {"json_dumps_pretty", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(JsonDumpsPretty)),
     kOneArgument,
     "json_dumps_pretty($module, obj)\n--\n\n"
     "Serialize obj to JSON indented by 2 spaces, with \": \" after keys."},
    {"json_loads", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(JsonLoads)), kOneArgument,
     "json_loads($module, s)\n--\n\n"
     "Parse strict RFC 8259 JSON from str, bytes or bytearray.\n\n"
     "Objects become dict (the last duplicate key wins), arrays list, integers int,\n"
     "numbers with a fraction or exponent float. Raises ValueError\n"
     "(ipckit.InvalidArgumentError) naming the byte offset for malformed input."},
    {nullptr, nullptr, 0, nullptr},
};

}  // namespace

void RegisterJson(pybind11::module_& module) {
  if (PyModule_AddFunctions(module.ptr(), json_methods) != 0) throw pybind11::error_already_set();
}

}  // namespace ipckit::python
