// Python objects <-> JSON text by the rules of spec/json.md.
//
//   ipckit::json::OutputBuffer text;
//   if (!DumpJson(obj, /*pretty=*/false, &text)) return nullptr;  // Python error set
//   PyObject* back = LoadJson(absl::string_view(text.GetString(), text.GetSize()));
//
// Dumping walks the Python object straight into the core's streaming writer
// (cc/json/writer.h), with no DOM, so the bytes equal ipckit::json::Dumps's.
// Loading accepts and refuses exactly what ipckit::json::Loads does, with the
// same error classes: a one-pass parser with Loads's number rule and depth
// limit builds dict, list, str, int and float directly, and anything it does
// not accept is handed to Loads for the final word. All functions need the GIL.
#ifndef IPCKIT_PY_SRC_JSON_CODEC_H_
#define IPCKIT_PY_SRC_JSON_CODEC_H_

#include <Python.h>

#include <string>

#include "absl/strings/string_view.h"
#include "cc/json/writer.h"

namespace ipckit::python {

// Appends `obj` as JSON to `out`. On failure sets a Python error and returns
// false: TypeError naming an unsupported type or a non-str key; ValueError
// (ipckit.InvalidArgumentError) for NaN/Infinity, ints outside
// [-2**63, 2**64-1] or an unencodable str; ipckit.TooLargeError for nesting
// deeper than json::kMaxDepth (which also stops self-containing objects).
bool DumpJson(PyObject* obj, bool pretty, json::OutputBuffer* out);

// json_dumps / json_dumps_pretty: a new str, or nullptr with an error set.
PyObject* DumpJsonToStr(PyObject* obj, bool pretty);

// Parses UTF-8 JSON text. Returns a new reference, or nullptr with the core's
// error raised (ipckit.InvalidArgumentError, TooLargeError, OutOfRangeError).
PyObject* LoadJson(const std::string& text);

// json_loads(s): accepts str, bytes, bytearray or any bytes-like object.
PyObject* LoadJsonFromObject(PyObject* obj);

}  // namespace ipckit::python

#endif  // IPCKIT_PY_SRC_JSON_CODEC_H_
