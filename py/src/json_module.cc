// json_dumps, json_dumps_pretty, json_loads: plain CPython functions, because
// pybind11's argument dispatch would cost more than dumping a small dict.
#include "py/src/bindings.h"

#include "py/src/json_codec.h"

namespace ipckit::python {
namespace {

PyObject* JsonDumps(PyObject*, PyObject* obj) { return DumpJsonToStr(obj, /*pretty=*/false); }
PyObject* JsonDumpsPretty(PyObject*, PyObject* obj) { return DumpJsonToStr(obj, /*pretty=*/true); }
PyObject* JsonLoads(PyObject*, PyObject* obj) { return LoadJsonFromObject(obj); }

PyMethodDef json_methods[] = {
    {"json_dumps", JsonDumps, METH_O,
     "json_dumps($module, obj, /)\n--\n\n"
     "Serialize obj (dict, list, tuple, str, int, float, bool, None) to compact JSON.\n\n"
     "The text is byte-identical to the C++ core's ipckit::json::Dumps (spec/json.md):\n"
     "no spaces, keys in the dict's order, non-ASCII written as UTF-8.\n"
     "Raises TypeError for other types and ValueError for NaN, Infinity, ints outside\n"
     "[-2**63, 2**64-1] and nesting deeper than 512."},
    {"json_dumps_pretty", JsonDumpsPretty, METH_O,
     "json_dumps_pretty($module, obj, /)\n--\n\n"
     "Serialize obj to JSON indented by 2 spaces, with \": \" after keys."},
    {"json_loads", JsonLoads, METH_O,
     "json_loads($module, s, /)\n--\n\n"
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
