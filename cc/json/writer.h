// Streaming JSON writers that follow spec/json.md.
//
// Dumps and DumpsPretty are these writers fed by a DOM. They are exported so a
// binding can walk its own objects (a Python dict, a JS value) and call
// Key/String/Int64/Uint64/Double directly, with output byte-identical to Dumps.
//
//   ipckit::json::OutputBuffer out;
//   ipckit::json::CompactWriter w(out);
//   w.StartObject(); w.Key("a"); w.Double(0.5); w.EndObject();  // {"a":0.5}
//
// Both writers carry the same rules: strings are validated as UTF-8 and
// escaped the way serde_json escapes them (AppendQuoted), doubles use
// FormatDouble, non-finite doubles and nesting deeper than kMaxDepth are
// refused. Every method returns false on failure and status() then says why;
// the output is then incomplete and must be discarded. PrettyWriter is
// RapidJSON's PrettyWriter with those methods replaced. CompactWriter writes
// straight into the buffer: compact text has no layout beyond "is a comma
// due", and skipping RapidJSON's per-value level bookkeeping is what keeps
// json_dumps's cost per value low (bench/json_profile.md). Misuse of the call
// sequence (a Key inside an array, two roots) is a programming error:
// PrettyWriter asserts on it, CompactWriter does not check it.
#ifndef IPCKIT_CC_JSON_WRITER_H_
#define IPCKIT_CC_JSON_WRITER_H_

#include <cstddef>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "cc/json/number.h"
#include "rapidjson/prettywriter.h"
#include "rapidjson/stringbuffer.h"

namespace ipckit {
namespace json {

// The JSON format version of spec/json.md (not the library version).
inline constexpr int kFormatVersion = 1;

// Most containers (arrays + objects) a value may be nested in, for writing
// and for reading: "[[1]]" has depth 2, a scalar depth 0.
inline constexpr int kMaxDepth = 512;

// Spaces per nesting level in pretty output.
inline constexpr unsigned kPrettyIndent = 2;

// The buffer the writers append to; GetString()/GetSize() read the result.
using OutputBuffer = rapidjson::StringBuffer;

// Appends `s` as a JSON string literal, quotes included, escaping `"` `\\`
// and the bytes below 0x20 (\b \f \n \r \t, else \u00xx in lowercase hex).
// Returns false if `s` is not valid UTF-8 and sets *bad_offset to the offset
// of the first byte of the bad sequence; `out` then holds a partial literal.
bool AppendQuoted(OutputBuffer& out, absl::string_view s, size_t* bad_offset);

namespace writer_internal {

absl::Status BadUtf8Error(bool is_key, absl::string_view s, size_t bad_offset);
absl::Status NonFiniteError(double d);
absl::Status TooDeepError();

}  // namespace writer_internal

template <bool kPretty>
class BasicWriter;

// The pretty writer: RapidJSON's PrettyWriter with the rules above.
template <>
class BasicWriter<true> : public rapidjson::PrettyWriter<OutputBuffer> {
  using Base = rapidjson::PrettyWriter<OutputBuffer>;

 public:
  explicit BasicWriter(OutputBuffer& out) : Base(out) { this->SetIndent(' ', kPrettyIndent); }
  BasicWriter(const BasicWriter&) = delete;
  BasicWriter& operator=(const BasicWriter&) = delete;

  // Starts over on `out`, forgetting any earlier failure.
  void Reset(OutputBuffer& out) {
    Base::Reset(out);
    status_ = absl::OkStatus();
  }

  // Why the last failing call returned false; OK if none failed.
  const absl::Status& status() const { return status_; }

  // Containers currently open.
  int Depth() const {
    return static_cast<int>(this->level_stack_.GetSize() / sizeof(typename Base::Level));
  }

  // Replacements for the Base methods of the same names (hiding them).
  // Inherited unchanged: Null, Bool, Int, Uint, Int64, Uint64, EndObject,
  // EndArray, IsComplete.
  bool String(const char* s, rapidjson::SizeType n, bool copy = false) {
    return WriteQuoted(absl::string_view(s, n), /*is_key=*/false);
  }
  bool String(absl::string_view s) { return WriteQuoted(s, /*is_key=*/false); }
  bool Key(const char* s, rapidjson::SizeType n, bool copy = false) {
    return WriteQuoted(absl::string_view(s, n), /*is_key=*/true);
  }
  bool Key(absl::string_view s) { return WriteQuoted(s, /*is_key=*/true); }

  bool Double(double d) {
    char text[kDoubleTextMax];
    const size_t n = FormatDouble(d, text);
    if (n == 0) return Fail(writer_internal::NonFiniteError(d));
    BeginValue(rapidjson::kNumberType);
    std::memcpy(this->os_->Push(n), text, n);
    return this->EndValue(true);
  }

  bool StartObject() {
    if (Depth() >= kMaxDepth) return Fail(writer_internal::TooDeepError());
    return Base::StartObject();
  }
  bool StartArray() {
    if (Depth() >= kMaxDepth) return Fail(writer_internal::TooDeepError());
    return Base::StartArray();
  }

 private:
  // Raw text would bypass every rule above.
  using Base::RawNumber;
  using Base::RawValue;
  using Base::SetMaxDecimalPlaces;

  void BeginValue(rapidjson::Type type) { this->PrettyPrefix(type); }

  bool WriteQuoted(absl::string_view s, bool is_key) {
    BeginValue(rapidjson::kStringType);
    size_t bad_offset = 0;
    if (!AppendQuoted(*this->os_, s, &bad_offset)) {
      return Fail(writer_internal::BadUtf8Error(is_key, s, bad_offset));
    }
    return this->EndValue(true);
  }

  bool Fail(absl::Status status) {
    status_ = std::move(status);
    return false;
  }

  absl::Status status_;
};

// The compact writer, written directly: a comma is due before a value or key
// that follows a value in the same container; nothing else needs state.
template <>
class BasicWriter<false> {
 public:
  explicit BasicWriter(OutputBuffer& out) : out_(&out) {}
  BasicWriter(const BasicWriter&) = delete;
  BasicWriter& operator=(const BasicWriter&) = delete;

  // Starts over on `out`, forgetting any earlier failure.
  void Reset(OutputBuffer& out) {
    out_ = &out;
    depth_ = 0;
    comma_due_ = false;
    has_root_ = false;
    status_ = absl::OkStatus();
  }

  // Why the last failing call returned false; OK if none failed.
  const absl::Status& status() const { return status_; }
  // Containers currently open.
  int Depth() const { return depth_; }
  // True once one root value has been written completely.
  bool IsComplete() const { return has_root_ && depth_ == 0; }

  bool Null() { return Literal("null", 4); }
  bool Bool(bool b) { return b ? Literal("true", 4) : Literal("false", 5); }
  bool Int(int i) { return Int64(i); }
  bool Uint(unsigned u) { return Uint64(u); }
  bool Int64(int64_t i) { return Integer(i); }
  bool Uint64(uint64_t u) { return Integer(u); }
  bool Double(double d) {
    char text[kDoubleTextMax];
    const size_t n = FormatDouble(d, text);
    if (n == 0) return Fail(writer_internal::NonFiniteError(d));
    BeginValue();
    std::memcpy(out_->Push(n), text, n);
    return true;
  }
  bool String(const char* s, rapidjson::SizeType n, bool /*copy*/ = false) {
    return String(absl::string_view(s, n));
  }
  bool String(absl::string_view s) {
    BeginValue();
    return Quoted(s, /*is_key=*/false);
  }
  bool Key(const char* s, rapidjson::SizeType n, bool /*copy*/ = false) {
    return Key(absl::string_view(s, n));
  }
  bool Key(absl::string_view s) {
    BeginValue();
    if (!Quoted(s, /*is_key=*/true)) return false;
    out_->Put(':');
    comma_due_ = false;
    return true;
  }
  bool StartObject() { return Open('{'); }
  bool StartArray() { return Open('['); }
  bool EndObject(rapidjson::SizeType /*members*/ = 0) { return Close('}'); }
  bool EndArray(rapidjson::SizeType /*elements*/ = 0) { return Close(']'); }

 private:
  void BeginValue() {
    if (comma_due_) out_->Put(',');
    comma_due_ = true;
    if (depth_ == 0) has_root_ = true;
  }
  bool Literal(const char* text, size_t n) {
    BeginValue();
    std::memcpy(out_->Push(n), text, n);
    return true;
  }
  template <typename T>
  bool Integer(T value) {
    BeginValue();
    constexpr size_t kMax = 20;  // "-9223372036854775808", "18446744073709551615"
    char* begin = out_->Push(kMax);
    char* end = std::to_chars(begin, begin + kMax, value).ptr;
    out_->Pop(kMax - static_cast<size_t>(end - begin));
    return true;
  }
  bool Quoted(absl::string_view s, bool is_key) {
    size_t bad_offset = 0;
    if (AppendQuoted(*out_, s, &bad_offset)) return true;
    return Fail(writer_internal::BadUtf8Error(is_key, s, bad_offset));
  }
  bool Open(char bracket) {
    if (depth_ >= kMaxDepth) return Fail(writer_internal::TooDeepError());
    BeginValue();
    out_->Put(bracket);
    ++depth_;
    comma_due_ = false;
    return true;
  }
  bool Close(char bracket) {
    out_->Put(bracket);
    --depth_;
    comma_due_ = true;
    return true;
  }
  bool Fail(absl::Status status) {
    status_ = std::move(status);
    return false;
  }

  OutputBuffer* out_;
  int depth_ = 0;
  bool comma_due_ = false;
  bool has_root_ = false;
  absl::Status status_;
};

// Compact: no whitespace at all, e.g. {"a":[1,2.5,"x"]}.
using CompactWriter = BasicWriter<false>;
// Pretty: one value per line, kPrettyIndent spaces per level, "key": value,
// empty containers as [] and {}, no trailing newline.
using PrettyWriter = BasicWriter<true>;

}  // namespace json
}  // namespace ipckit

#endif  // IPCKIT_CC_JSON_WRITER_H_
