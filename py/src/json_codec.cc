#include "py/src/json_codec.h"

#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cc/base/error.h"
#include "cc/json/internal/scan.h"
#include "cc/json/json.h"
#include "cc/json/writer.h"
#include "py/src/errors.h"
#include "rapidjson/document.h"

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
  const char* utf8;
  if (PyUnicode_IS_COMPACT_ASCII(str)) {  // its characters are its UTF-8 bytes
    utf8 = static_cast<const char*>(PyUnicode_DATA(str));
    size = PyUnicode_GET_LENGTH(str);
  } else {
    utf8 = PyUnicode_AsUTF8AndSize(str, &size);
  }
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

// The buffer and writers json_dumps reuses between calls (a writer allocates
// its container stack on first use); a nested call (a dict subclass's items()
// calling json_dumps) gets fresh ones.
struct DumpScratch {
  json::OutputBuffer buffer;
  json::CompactWriter compact{buffer};
  json::PrettyWriter pretty{buffer};
  bool in_use = false;
};
thread_local DumpScratch dump_scratch;
constexpr size_t kKeepBufferBytes = 1 << 20;

// ---------------------------------------------------------------- loading
//
// ipckit::json::Loads defines what json_loads accepts. The fast path is a
// one-pass recursive-descent parser that builds Python objects straight from
// the text, with Loads's number rule (json::ParseNumber) and depth limit. It
// gives up on anything it does not plainly accept (malformed text, a lone
// surrogate escape, ill-formed UTF-8, a NUL byte, depth over the limit, a
// number ParseNumber refuses), and json_loads then hands the text to Loads
// itself, whose result or error is final; so both paths accept the same
// texts, build the same values and raise the same errors. Where the time
// went before this parser (RapidJSON's validating reader, a key str built per
// member, a list grown item by item) is in bench/json_profile.md.

// Keys repeat: a record's keys recur in every record. Short ASCII keys are
// looked up in a small direct-mapped table of str objects (with their hash
// already computed), as orjson and the stdlib's scanner memo do, so a repeated
// key costs a lookup and an incref instead of an allocation and a hash.
constexpr size_t kKeyCacheSize = 2048;  // a power of two
constexpr size_t kMaxCachedKeyBytes = 64;
PyObject* key_cache[kKeyCacheSize];  // strong references, kept for the process

inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }

inline int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Four hex digits at p as a UTF-16 code unit, or -1.
inline int32_t Hex4(const char* p) {
  int32_t unit = 0;
  for (int i = 0; i < 4; ++i) {
    const int h = HexValue(p[i]);
    if (h < 0) return -1;
    unit = unit << 4 | h;
  }
  return unit;
}

PyObject* NewAsciiStr(const char* s, size_t n) {
  PyObject* str = PyUnicode_New(static_cast<Py_ssize_t>(n), 127);
  if (str != nullptr && n != 0) std::memcpy(PyUnicode_1BYTE_DATA(str), s, n);
  return str;
}

PyObject* CachedKey(const char* s, size_t n) {
  if (n > kMaxCachedKeyBytes) return NewAsciiStr(s, n);
  uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a
  for (size_t i = 0; i < n; ++i) h = (h ^ static_cast<unsigned char>(s[i])) * 0x100000001b3ull;
  PyObject*& slot = key_cache[(h ^ (h >> 29)) & (kKeyCacheSize - 1)];
  if (slot != nullptr && static_cast<size_t>(PyUnicode_GET_LENGTH(slot)) == n &&
      std::memcmp(PyUnicode_1BYTE_DATA(slot), s, n) == 0) {
    return Py_NewRef(slot);
  }
  PyObject* key = NewAsciiStr(s, n);
  if (key == nullptr) return nullptr;
  if (PyObject_Hash(key) == -1) {  // cannot fail for a str; computes and caches the hash
    Py_DECREF(key);
    return nullptr;
  }
  Py_XSETREF(slot, Py_NewRef(key));
  return key;
}

// Scratch space json_loads reuses between calls: list items waiting for their
// list, and the text of strings with escapes. A nested call (a finalizer run
// by the garbage collector during a parse calling json_loads) gets fresh ones.
struct LoadScratch {
  std::vector<PyObject*> items;
  std::string unescaped;
  bool in_use = false;
};
thread_local LoadScratch load_scratch;

// Parses [p, end) into Python objects. Parse() returns a new reference, or
// nullptr: with MemoryError set if memory ran out (raise it), otherwise with
// no error set (fall back to Loads).
class FastLoader {
 public:
  FastLoader(absl::string_view text, LoadScratch& scratch)
      : p_(text.data()), end_(text.data() + text.size()), scratch_(scratch) {}

  PyObject* Parse() {
    const size_t items_base = scratch_.items.size();
    SkipSpace();
    PyObject* root = Value(0);
    SkipSpace();
    if (root != nullptr && p_ != end_) Py_CLEAR(root);
    if (root == nullptr) {
      for (size_t i = items_base; i < scratch_.items.size(); ++i) Py_DECREF(scratch_.items[i]);
      scratch_.items.resize(items_base);
      if (PyErr_Occurred() && !PyErr_ExceptionMatches(PyExc_MemoryError)) PyErr_Clear();
    }
    return root;
  }

 private:
  void SkipSpace() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }

  // After a member or item: a comma (then spaces), the container's `close`,
  // or anything else.
  enum class After { kNext, kClose, kBad };
  After Separator(char close) {
    SkipSpace();
    if (p_ < end_ && *p_ == ',') {
      ++p_;
      SkipSpace();
      return After::kNext;
    }
    if (p_ < end_ && *p_ == close) {
      ++p_;
      return After::kClose;
    }
    return After::kBad;
  }

  bool Literal(const char* word, size_t n) {
    if (static_cast<size_t>(end_ - p_) < n || std::memcmp(p_, word, n) != 0) return false;
    p_ += n;
    return true;
  }

  PyObject* Value(int depth) {
    if (p_ >= end_) return nullptr;
    switch (*p_) {
      case '"': return String(/*key=*/false);
      case '{': return depth < json::kMaxDepth ? Object(depth + 1) : nullptr;
      case '[': return depth < json::kMaxDepth ? Array(depth + 1) : nullptr;
      case 't': return Literal("true", 4) ? Py_NewRef(Py_True) : nullptr;
      case 'f': return Literal("false", 5) ? Py_NewRef(Py_False) : nullptr;
      case 'n': return Literal("null", 4) ? Py_NewRef(Py_None) : nullptr;
      default: return Number();
    }
  }

  // The items are collected on scratch_.items and moved into a list of the
  // right size at the end: no list grows item by item.
  PyObject* Array(int depth) {
    ++p_;  // '['
    SkipSpace();
    std::vector<PyObject*>& items = scratch_.items;
    const size_t base = items.size();
    if (p_ < end_ && *p_ == ']') {
      ++p_;
      return PyList_New(0);
    }
    for (;;) {
      PyObject* item = Value(depth);
      if (item == nullptr) return nullptr;  // Parse() releases the items
      items.push_back(item);
      const After after = Separator(']');
      if (after == After::kClose) break;
      if (after == After::kBad) return nullptr;
    }
    const size_t n = items.size() - base;
    PyObject* list = PyList_New(static_cast<Py_ssize_t>(n));
    if (list == nullptr) return nullptr;
    for (size_t i = 0; i < n; ++i) PyList_SET_ITEM(list, static_cast<Py_ssize_t>(i), items[base + i]);
    items.resize(base);
    return list;
  }

  PyObject* Object(int depth) {
    ++p_;  // '{'
    SkipSpace();
    PyObject* dict = PyDict_New();
    if (dict == nullptr) return nullptr;
    if (p_ < end_ && *p_ == '}') {
      ++p_;
      return dict;
    }
    for (;;) {
      if (p_ >= end_ || *p_ != '"') break;
      PyObject* key = String(/*key=*/true);
      if (key == nullptr) break;
      SkipSpace();
      if (p_ >= end_ || *p_ != ':') {
        Py_DECREF(key);
        break;
      }
      ++p_;
      SkipSpace();
      PyObject* value = Value(depth);
      if (value == nullptr) {
        Py_DECREF(key);
        break;
      }
      // A duplicate key: the last one wins, at the first one's place.
      const int rc = PyDict_SetItem(dict, key, value);
      Py_DECREF(key);
      Py_DECREF(value);
      if (rc != 0) break;
      const After after = Separator('}');
      if (after == After::kClose) return dict;
      if (after == After::kBad) break;
    }
    Py_DECREF(dict);
    return nullptr;
  }

  PyObject* String(bool key) {
    const char* const start = ++p_;  // after '"'
    while (end_ - p_ >= 8 && !json::internal::WordNeedsLook(p_)) p_ += 8;
    while (p_ < end_ && *p_ != '"' && *p_ != '\\' && *p_ >= 0x20) ++p_;  // (char is signed)
    if (p_ < end_ && *p_ == '"') {  // ASCII, no escapes: the common case
      const size_t n = static_cast<size_t>(p_++ - start);
      return key ? CachedKey(start, n) : NewAsciiStr(start, n);
    }
    bool escaped = false;
    while (p_ < end_ && *p_ != '"') {
      if (*p_ == '\\') {
        if (end_ - p_ < 2) return nullptr;
        escaped = true;
        p_ += 2;
      } else if (static_cast<unsigned char>(*p_) < 0x20) {
        return nullptr;
      } else {
        ++p_;
      }
    }
    if (p_ >= end_) return nullptr;
    const absl::string_view raw(start, static_cast<size_t>(p_++ - start));
    if (!escaped) return PyUnicode_DecodeUTF8(raw.data(), raw.size(), nullptr);
    std::string& text = scratch_.unescaped;
    if (!Unescape(raw, text)) return nullptr;
    // Strict decoding also validates the raw UTF-8 between the escapes.
    return PyUnicode_DecodeUTF8(text.data(), static_cast<Py_ssize_t>(text.size()), nullptr);
  }

  // The UTF-8 text of a string literal's body; false for a bad escape or a
  // lone surrogate escape.
  static bool Unescape(absl::string_view raw, std::string& out) {
    out.clear();
    const char* p = raw.data();
    const char* const end = p + raw.size();
    while (p < end) {
      const char* backslash = static_cast<const char*>(std::memchr(p, '\\', end - p));
      if (backslash == nullptr) backslash = end;
      out.append(p, backslash);
      p = backslash;
      if (p == end) break;
      if (end - p < 2) return false;
      const char c = p[1];
      p += 2;
      switch (c) {
        case '"': out.push_back('"'); continue;
        case '\\': out.push_back('\\'); continue;
        case '/': out.push_back('/'); continue;
        case 'b': out.push_back('\b'); continue;
        case 'f': out.push_back('\f'); continue;
        case 'n': out.push_back('\n'); continue;
        case 'r': out.push_back('\r'); continue;
        case 't': out.push_back('\t'); continue;
        case 'u': break;
        default: return false;
      }
      if (end - p < 4) return false;
      int32_t code = Hex4(p);
      p += 4;
      if (code < 0 || (code >= 0xDC00 && code <= 0xDFFF)) return false;
      if (code >= 0xD800 && code <= 0xDBFF) {  // must be followed by a low surrogate
        if (end - p < 6 || p[0] != '\\' || p[1] != 'u') return false;
        const int32_t low = Hex4(p + 2);
        if (low < 0xDC00 || low > 0xDFFF) return false;
        p += 6;
        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
      }
      AppendUtf8(static_cast<uint32_t>(code), out);
    }
    return true;
  }

  static void AppendUtf8(uint32_t code, std::string& out) {
    if (code < 0x80) {
      out.push_back(static_cast<char>(code));
    } else if (code < 0x800) {
      out.push_back(static_cast<char>(0xC0 | code >> 6));
      out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
    } else if (code < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | code >> 12));
      out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | code >> 18));
      out.push_back(static_cast<char>(0x80 | ((code >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
    }
  }

  // An RFC 8259 number token. Integers of at most 18 digits (they fit int64)
  // are converted here; every other token goes to json::ParseNumber, the rule.
  PyObject* Number() {
    const char* const start = p_;
    const bool negative = *p_ == '-';
    if (negative) ++p_;
    if (p_ >= end_ || !IsDigit(*p_)) return nullptr;
    if (*p_ == '0') {
      ++p_;
    } else {
      while (p_ < end_ && IsDigit(*p_)) ++p_;
    }
    const char* const int_end = p_;
    bool integral = true;
    if (p_ < end_ && *p_ == '.') {
      ++p_;
      if (p_ >= end_ || !IsDigit(*p_)) return nullptr;
      while (p_ < end_ && IsDigit(*p_)) ++p_;
      integral = false;
    }
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (p_ >= end_ || !IsDigit(*p_)) return nullptr;
      while (p_ < end_ && IsDigit(*p_)) ++p_;
      integral = false;
    }
    const char* const digits = start + (negative ? 1 : 0);
    if (integral && int_end - digits <= 18) {
      int64_t value = 0;
      for (const char* d = digits; d < int_end; ++d) value = value * 10 + (*d - '0');
      // "-0" is the double -0.0: ParseNumber's case.
      if (!(negative && value == 0)) return PyLong_FromLongLong(negative ? -value : value);
    }
    absl::StatusOr<json::Number> number =
        json::ParseNumber(absl::string_view(start, static_cast<size_t>(p_ - start)));
    if (!number.ok()) return nullptr;
    switch (number->kind) {
      case json::Number::Kind::kInt64: return PyLong_FromLongLong(number->i64);
      case json::Number::Kind::kUint64: return PyLong_FromUnsignedLongLong(number->u64);
      case json::Number::Kind::kDouble: return PyFloat_FromDouble(number->f64);
    }
    return nullptr;
  }

  const char* p_;
  const char* const end_;
  LoadScratch& scratch_;
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
  std::unique_ptr<DumpScratch> local;
  DumpScratch* scratch = &dump_scratch;
  if (scratch->in_use) {
    local = std::make_unique<DumpScratch>();
    scratch = local.get();
  }
  json::OutputBuffer& buffer = scratch->buffer;
  buffer.Clear();
  scratch->in_use = true;
  bool ok;
  if (pretty) {
    scratch->pretty.Reset(buffer);
    ok = WriteValue(scratch->pretty, obj);
  } else {
    scratch->compact.Reset(buffer);
    ok = WriteValue(scratch->compact, obj);
  }
  scratch->in_use = false;
  PyObject* result =
      ok ? PyUnicode_DecodeUTF8(buffer.GetString(), static_cast<Py_ssize_t>(buffer.GetSize()), nullptr)
         : nullptr;
  if (buffer.GetSize() > kKeepBufferBytes) {
    buffer.Clear();
    buffer.ShrinkToFit();
  }
  return result;
}

// The authoritative (and slower) path: the core's Loads, then a DOM walk.
PyObject* LoadJsonViaDom(absl::string_view text) {
  absl::StatusOr<rapidjson::Document> doc = json::Loads(text);
  if (!doc.ok()) return SetStatusError(doc.status());
  return ToPython(*doc);
}

PyObject* LoadJsonText(absl::string_view text) {
  if (text.size() <= json::kMaxTextBytes) {
    LoadScratch local;
    LoadScratch& scratch = load_scratch.in_use ? local : load_scratch;
    scratch.in_use = true;
    PyObject* root = FastLoader(text, scratch).Parse();
    scratch.in_use = false;
    if (root != nullptr || PyErr_Occurred()) return root;  // a value, or MemoryError
  }
  return LoadJsonViaDom(text);
}

PyObject* LoadJson(const std::string& text) { return LoadJsonText(text); }

PyObject* LoadJsonFromObject(PyObject* obj) {
  if (PyUnicode_Check(obj)) {
    Py_ssize_t size = 0;
    const char* utf8 = PyUnicode_AsUTF8AndSize(obj, &size);
    if (utf8 == nullptr) return nullptr;
    return LoadJsonText(absl::string_view(utf8, static_cast<size_t>(size)));
  }
  if (PyBytes_Check(obj)) {
    return LoadJsonText(
        absl::string_view(PyBytes_AS_STRING(obj), static_cast<size_t>(PyBytes_GET_SIZE(obj))));
  }
  if (PyByteArray_Check(obj)) {
    return LoadJsonText(absl::string_view(PyByteArray_AS_STRING(obj),
                                          static_cast<size_t>(PyByteArray_GET_SIZE(obj))));
  }
  if (PyObject_CheckBuffer(obj)) {
    Py_buffer view;
    if (PyObject_GetBuffer(obj, &view, PyBUF_C_CONTIGUOUS) != 0) return nullptr;
    PyObject* result = LoadJsonText(
        absl::string_view(static_cast<const char*>(view.buf), static_cast<size_t>(view.len)));
    PyBuffer_Release(&view);
    return result;
  }
  return PyErr_Format(PyExc_TypeError, "the JSON object must be str, bytes or bytearray, not %.200s",
                      Py_TYPE(obj)->tp_name);
}

}  // namespace ipckit::python
