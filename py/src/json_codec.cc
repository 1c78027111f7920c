#include "py/src/json_codec.h"

#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cc/base/error.h"
#include "cc/json/json.h"
#include "cc/json/writer.h"
#include "py/src/errors.h"
#include "rapidjson/document.h"
#include "rapidjson/reader.h"

namespace ipckit::python {
namespace {

// ---------------------------------------------------------------- dumping
//
// The core's writers (cc/json/writer.h) carry every output rule: escaping,
// number text, NaN/Infinity and depth refusal. A failing writer call returns
// false and writer.status() says why; this file adds only what is Python's:
// the accepted types and the int range.

template <typename Writer>
bool Failed(const Writer& writer) {
  if (!PyErr_Occurred()) {
    SetStatusError(writer.status().ok()
                       ? ipckit::InvalidArgumentError("value could not be written as JSON")
                       : writer.status());
  }
  return false;
}

// A str that cannot be UTF-8: it holds a lone surrogate (e.g. from
// surrogateescape decoding). invalid_argument, as for ill-formed UTF-8.
bool StrNotUtf8(PyObject* str) {
  if (!PyErr_ExceptionMatches(PyExc_UnicodeEncodeError)) return false;
  PyErr_Clear();
  Py_ssize_t index = 0;
  const Py_ssize_t length = PyUnicode_GET_LENGTH(str);
  while (index < length && !Py_UNICODE_IS_SURROGATE(PyUnicode_READ_CHAR(str, index))) ++index;
  const Py_UCS4 unit = index < length ? PyUnicode_READ_CHAR(str, index) : 0;
  SetStatusError(ipckit::InvalidArgumentError(absl::StrFormat(
      "string of %d characters is not valid UTF-8: lone surrogate \\u%04x at index %d",
      length, unit, index)));
  return false;
}

template <typename Writer>
bool WriteStr(Writer& writer, PyObject* str, bool as_key) {
  Py_ssize_t size = 0;
  const char* utf8 = PyUnicode_AsUTF8AndSize(str, &size);
  if (utf8 == nullptr) return StrNotUtf8(str);
  const absl::string_view text(utf8, static_cast<size_t>(size));
  return (as_key ? writer.Key(text) : writer.String(text)) || Failed(writer);
}

template <typename Writer>
bool WriteInt(Writer& writer, PyObject* number) {
  int overflow = 0;
  const long long value = PyLong_AsLongLongAndOverflow(number, &overflow);
  if (overflow == 0) {
    if (value == -1 && PyErr_Occurred()) return false;
    return writer.Int64(value) || Failed(writer);
  }
  if (overflow > 0) {
    const unsigned long long unsigned_value = PyLong_AsUnsignedLongLong(number);
    if (!(unsigned_value == static_cast<unsigned long long>(-1) && PyErr_Occurred())) {
      return writer.Uint64(unsigned_value) || Failed(writer);
    }
    PyErr_Clear();
  }
  PyObject* text = PyObject_Str(number);
  if (text == nullptr) return false;
  SetStatusError(ipckit::InvalidArgumentError(
      absl::StrCat("integer ", PyUnicode_AsUTF8(text),
                   " is outside the JSON integer range [-2**63, 2**64-1]")));
  Py_DECREF(text);
  return false;
}

template <typename Writer>
bool WriteValue(Writer& writer, PyObject* obj);

template <typename Writer>
bool WriteKey(Writer& writer, PyObject* key) {
  if (PyUnicode_Check(key)) return WriteStr(writer, key, /*as_key=*/true);
  PyErr_Format(PyExc_TypeError, "JSON object keys must be str, not %.200s", Py_TYPE(key)->tp_name);
  return false;
}

template <typename Writer>
bool WriteDict(Writer& writer, PyObject* dict) {
  if (!writer.StartObject()) return Failed(writer);
  if (PyDict_CheckExact(dict)) {
    Py_ssize_t pos = 0;
    PyObject* key = nullptr;
    PyObject* value = nullptr;
    while (PyDict_Next(dict, &pos, &key, &value)) {
      if (!WriteKey(writer, key) || !WriteValue(writer, value)) return false;
    }
  } else {
    // A subclass (OrderedDict after move_to_end, ...) may keep its own order.
    PyObject* items = PySequence_Fast(PyMapping_Items(dict), "items() must return a sequence");
    if (items == nullptr) return false;
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(items); ++i) {
      PyObject* item = PySequence_Fast_GET_ITEM(items, i);
      if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 2) {
        Py_DECREF(items);
        PyErr_SetString(PyExc_TypeError, "dict subclass items() must yield (key, value) pairs");
        return false;
      }
      if (!WriteKey(writer, PyTuple_GET_ITEM(item, 0)) ||
          !WriteValue(writer, PyTuple_GET_ITEM(item, 1))) {
        Py_DECREF(items);
        return false;
      }
    }
    Py_DECREF(items);
  }
  return writer.EndObject() || Failed(writer);
}

template <typename Writer>
bool WriteSequence(Writer& writer, PyObject* seq) {
  if (!writer.StartArray()) return Failed(writer);
  // The PySequence_Fast_* macros read list and tuple items in place.
  for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq); ++i) {
    if (!WriteValue(writer, PySequence_Fast_GET_ITEM(seq, i))) return false;
  }
  return writer.EndArray() || Failed(writer);
}

template <typename Writer>
bool WriteValue(Writer& writer, PyObject* obj) {
  // Exact types first: they are almost all of real data.
  PyTypeObject* type = Py_TYPE(obj);
  if (type == &PyUnicode_Type) return WriteStr(writer, obj, /*as_key=*/false);
  if (type == &PyLong_Type) return WriteInt(writer, obj);
  if (type == &PyFloat_Type) return writer.Double(PyFloat_AS_DOUBLE(obj)) || Failed(writer);
  if (obj == Py_True || obj == Py_False) return writer.Bool(obj == Py_True) || Failed(writer);
  if (obj == Py_None) return writer.Null() || Failed(writer);
  if (type == &PyDict_Type) return WriteDict(writer, obj);
  if (type == &PyList_Type || type == &PyTuple_Type) return WriteSequence(writer, obj);
  // Subclasses (IntEnum, str enums, OrderedDict, namedtuple, ...).
  if (PyUnicode_Check(obj)) return WriteStr(writer, obj, /*as_key=*/false);
  if (PyLong_Check(obj)) return WriteInt(writer, obj);
  if (PyFloat_Check(obj)) return writer.Double(PyFloat_AS_DOUBLE(obj)) || Failed(writer);
  if (PyDict_Check(obj)) return WriteDict(writer, obj);
  if (PyList_Check(obj) || PyTuple_Check(obj)) return WriteSequence(writer, obj);
  PyErr_Format(PyExc_TypeError,
               "Object of type %.200s is not JSON serializable (accepted: dict, list, tuple, "
               "str, int, float, bool, None)",
               type->tp_name);
  return false;
}

// The buffer json_dumps reuses between calls; a nested call (a dict
// subclass's items() calling json_dumps) gets a fresh one.
thread_local json::OutputBuffer reusable_buffer;
thread_local bool reusable_buffer_in_use = false;
constexpr size_t kKeepBufferBytes = 1 << 20;

// ---------------------------------------------------------------- loading
//
// ipckit::json::Loads defines what json_loads accepts. The fast path is a
// RapidJSON SAX parse with Loads's own flags, number rule (ParseNumber) and
// depth limit, building Python objects as it goes. Any failure there (a
// malformed text, a lone surrogate escape that strict UTF-8 decoding refuses,
// a NUL byte, RapidJSON's spurious "number too big") falls back to Loads
// itself, whose result or error is then final; so both paths accept the same
// texts, build the same values and raise the same error classes.

constexpr unsigned kParseFlags = rapidjson::kParseValidateEncodingFlag |
                                 rapidjson::kParseIterativeFlag |
                                 rapidjson::kParseNumbersAsStringsFlag;

// A container being filled, and the key it will have in its parent dict.
struct OpenContainer {
  PyObject* container;
  PyObject* key;  // nullptr unless the parent is a dict
};

class PyObjectBuilder : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, PyObjectBuilder> {
 public:
  // `open` is scratch space (emptied here), reused across parses for speed.
  explicit PyObjectBuilder(std::vector<OpenContainer>& open) : open_(open) { open_.clear(); }
  PyObjectBuilder(const PyObjectBuilder&) = delete;
  PyObjectBuilder& operator=(const PyObjectBuilder&) = delete;
  ~PyObjectBuilder() {
    for (const OpenContainer& open : open_) {
      Py_DECREF(open.container);
      Py_XDECREF(open.key);
    }
    open_.clear();
    Py_XDECREF(key_);
    Py_XDECREF(root_);
  }

  bool Null() { return Add(Py_NewRef(Py_None)); }
  bool Bool(bool b) { return Add(Py_NewRef(b ? Py_True : Py_False)); }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool) {
    if (PyObject* small = SmallInt(s, n)) return Add(small);
    absl::StatusOr<json::Number> number = json::ParseNumber(absl::string_view(s, n));
    if (!number.ok()) return false;
    switch (number->kind) {
      case json::Number::Kind::kInt64: return Add(PyLong_FromLongLong(number->i64));
      case json::Number::Kind::kUint64: return Add(PyLong_FromUnsignedLongLong(number->u64));
      case json::Number::Kind::kDouble: return Add(PyFloat_FromDouble(number->f64));
    }
    return false;
  }
  bool String(const char* s, rapidjson::SizeType n, bool) { return Add(Decode(s, n)); }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    key_ = Decode(s, n);
    return key_ != nullptr;
  }
  bool StartObject() { return Start(PyDict_New()); }
  bool EndObject(rapidjson::SizeType) { return End(); }
  bool StartArray() { return Start(PyList_New(0)); }
  bool EndArray(rapidjson::SizeType) { return End(); }

  // The value (a new reference) once the parse succeeded.
  PyObject* TakeRoot() { return std::exchange(root_, nullptr); }

 private:
  // The common case, without json::ParseNumber: an integer token of at most
  // 18 digits (so it fits int64), which ParseNumber would also make an
  // integer. "-0" (a double) and every other token return nullptr.
  static PyObject* SmallInt(const char* s, rapidjson::SizeType n) {
    const bool negative = n > 0 && s[0] == '-';
    const rapidjson::SizeType digits = n - (negative ? 1 : 0);
    if (digits == 0 || digits > 18) return nullptr;
    int64_t value = 0;
    for (rapidjson::SizeType i = negative ? 1 : 0; i < n; ++i) {
      if (s[i] < '0' || s[i] > '9') return nullptr;
      value = value * 10 + (s[i] - '0');
    }
    if (negative && value == 0) return nullptr;
    return PyLong_FromLongLong(negative ? -value : value);
  }

  // Strict decoding refuses the bytes RapidJSON makes of a lone low surrogate
  // escape; the error is dropped and Loads reports it.
  static PyObject* Decode(const char* s, rapidjson::SizeType n) {
    PyObject* str = PyUnicode_DecodeUTF8(s, n, nullptr);
    if (str == nullptr) PyErr_Clear();
    return str;
  }

  bool Add(PyObject* value) {
    if (value == nullptr) return false;
    if (open_.empty()) {
      root_ = value;
      return true;
    }
    PyObject* container = open_.back().container;
    int rc;
    if (PyList_CheckExact(container)) {
      rc = PyList_Append(container, value);
    } else {
      rc = PyDict_SetItem(container, key_, value);  // a duplicate key: the last one wins
      Py_CLEAR(key_);
    }
    Py_DECREF(value);
    return rc == 0;
  }

  bool Start(PyObject* container) {
    if (container == nullptr) return false;
    if (open_.size() >= static_cast<size_t>(json::kMaxDepth)) {
      Py_DECREF(container);
      return false;
    }
    open_.push_back({container, std::exchange(key_, nullptr)});
    return true;
  }

  bool End() {
    const OpenContainer done = open_.back();
    open_.pop_back();
    key_ = done.key;
    return Add(done.container);
  }

  std::vector<OpenContainer>& open_;
  PyObject* key_ = nullptr;
  PyObject* root_ = nullptr;
};

PyObject* ToPython(const rapidjson::Value& v) {
  switch (v.GetType()) {
    case rapidjson::kNullType:
      return Py_NewRef(Py_None);
    case rapidjson::kFalseType:
      return Py_NewRef(Py_False);
    case rapidjson::kTrueType:
      return Py_NewRef(Py_True);
    case rapidjson::kStringType:
      return PyUnicode_DecodeUTF8(v.GetString(), v.GetStringLength(), nullptr);
    case rapidjson::kNumberType:
      if (v.IsInt64()) return PyLong_FromLongLong(v.GetInt64());
      if (v.IsUint64()) return PyLong_FromUnsignedLongLong(v.GetUint64());
      return PyFloat_FromDouble(v.GetDouble());
    case rapidjson::kArrayType: {
      PyObject* list = PyList_New(v.Size());
      if (list == nullptr) return nullptr;
      rapidjson::SizeType i = 0;
      for (const rapidjson::Value& item : v.GetArray()) {
        PyObject* element = ToPython(item);
        if (element == nullptr) {
          Py_DECREF(list);
          return nullptr;
        }
        PyList_SET_ITEM(list, i++, element);
      }
      return list;
    }
    case rapidjson::kObjectType: {
      PyObject* dict = PyDict_New();
      if (dict == nullptr) return nullptr;
      for (const auto& member : v.GetObject()) {
        PyObject* key = PyUnicode_DecodeUTF8(member.name.GetString(),
                                             member.name.GetStringLength(), nullptr);
        PyObject* value = key == nullptr ? nullptr : ToPython(member.value);
        // A duplicate key: the last one wins, as in json.loads.
        const bool ok = value != nullptr && PyDict_SetItem(dict, key, value) == 0;
        Py_XDECREF(key);
        Py_XDECREF(value);
        if (!ok) {
          Py_DECREF(dict);
          return nullptr;
        }
      }
      return dict;
    }
  }
  PyErr_SetString(PyExc_SystemError, "unknown RapidJSON value type");
  return nullptr;
}

}  // namespace

bool DumpJson(PyObject* obj, bool pretty, json::OutputBuffer* out) {
  if (pretty) {
    json::PrettyWriter writer(*out);
    return WriteValue(writer, obj);
  }
  json::CompactWriter writer(*out);
  return WriteValue(writer, obj);
}

PyObject* DumpJsonToStr(PyObject* obj, bool pretty) {
  json::OutputBuffer local;
  const bool reuse = !reusable_buffer_in_use;
  json::OutputBuffer& buffer = reuse ? reusable_buffer : local;
  buffer.Clear();
  if (reuse) reusable_buffer_in_use = true;
  PyObject* result = nullptr;
  if (DumpJson(obj, pretty, &buffer)) {
    result = PyUnicode_DecodeUTF8(buffer.GetString(), buffer.GetSize(), nullptr);
  }
  if (reuse) {
    reusable_buffer_in_use = false;
    if (buffer.GetSize() > kKeepBufferBytes) {
      buffer.Clear();
      buffer.ShrinkToFit();
    }
  }
  return result;
}

// The authoritative (and slower) path: the core's Loads, then a DOM walk.
PyObject* LoadJsonViaDom(absl::string_view text) {
  absl::StatusOr<rapidjson::Document> doc = json::Loads(text);
  if (!doc.ok()) return SetStatusError(doc.status());
  return ToPython(*doc);
}

// `text` must be followed by a NUL byte (Python's str and bytes buffers are).
// The reader and container stack json_loads reuses between calls (their
// allocations dominate for small texts). A nested call, e.g. from a finalizer
// that the garbage collector runs during a parse, uses fresh ones.
struct LoadScratch {
  rapidjson::Reader reader;
  std::vector<OpenContainer> open;
  bool in_use = false;
};
thread_local LoadScratch load_scratch;

PyObject* LoadJsonNulTerminated(absl::string_view text) {
  if (text.size() <= json::kMaxTextBytes) {
    LoadScratch local;
    LoadScratch& scratch = load_scratch.in_use ? local : load_scratch;
    scratch.in_use = true;
    PyObject* root = nullptr;
    {
      PyObjectBuilder builder(scratch.open);
      rapidjson::StringStream stream(text.data());
      if (scratch.reader.Parse<kParseFlags>(stream, builder) && stream.Tell() == text.size()) {
        root = builder.TakeRoot();
      }
    }
    scratch.in_use = false;
    if (root != nullptr) return root;
    if (PyErr_Occurred()) {
      if (PyErr_ExceptionMatches(PyExc_MemoryError)) return nullptr;
      PyErr_Clear();
    }
  }
  return LoadJsonViaDom(text);
}

PyObject* LoadJson(const std::string& text) { return LoadJsonNulTerminated(text); }

PyObject* LoadJsonFromObject(PyObject* obj) {
  if (PyUnicode_Check(obj)) {
    Py_ssize_t size = 0;
    const char* utf8 = PyUnicode_AsUTF8AndSize(obj, &size);
    if (utf8 == nullptr) return nullptr;
    return LoadJsonNulTerminated(absl::string_view(utf8, static_cast<size_t>(size)));
  }
  if (PyBytes_Check(obj)) {
    return LoadJsonNulTerminated(
        absl::string_view(PyBytes_AS_STRING(obj), static_cast<size_t>(PyBytes_GET_SIZE(obj))));
  }
  if (PyByteArray_Check(obj)) {
    // bytearray keeps a NUL after its contents, as bytes does.
    return LoadJsonNulTerminated(absl::string_view(
        PyByteArray_AS_STRING(obj), static_cast<size_t>(PyByteArray_GET_SIZE(obj))));
  }
  if (PyObject_CheckBuffer(obj)) {
    Py_buffer view;
    if (PyObject_GetBuffer(obj, &view, PyBUF_C_CONTIGUOUS) != 0) return nullptr;
    PyObject* result = LoadJsonViaDom(
        absl::string_view(static_cast<const char*>(view.buf), static_cast<size_t>(view.len)));
    PyBuffer_Release(&view);
    return result;
  }
  return PyErr_Format(PyExc_TypeError, "the JSON object must be str, bytes or bytearray, not %.200s",
                      Py_TYPE(obj)->tp_name);
}

}  // namespace ipckit::python
