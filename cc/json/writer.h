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
// The writers are RapidJSON's Writer/PrettyWriter with the methods that carry
// our rules replaced: strings are validated as UTF-8 and escaped the way
// serde_json escapes them, doubles use FormatDouble, non-finite doubles and
// nesting deeper than kMaxDepth are refused. Every method returns false on
// failure and status() then says why; the output is then incomplete and must
// be discarded. Misuse of the call sequence (a Key inside an array, two
// roots) is a programming error that RapidJSON asserts on, as it always does.
#ifndef IPCKIT_CC_JSON_WRITER_H_
#define IPCKIT_CC_JSON_WRITER_H_

#include <cstddef>
#include <cstring>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "cc/json/number.h"
#include "rapidjson/prettywriter.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

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

template <bool kPretty>
using Base = std::conditional_t<kPretty, rapidjson::PrettyWriter<OutputBuffer>,
                                rapidjson::Writer<OutputBuffer>>;

}  // namespace writer_internal

template <bool kPretty>
class BasicWriter : public writer_internal::Base<kPretty> {
  using Base = writer_internal::Base<kPretty>;

 public:
  explicit BasicWriter(OutputBuffer& out) : Base(out) {
    if constexpr (kPretty) this->SetIndent(' ', kPrettyIndent);
  }
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

  void BeginValue(rapidjson::Type type) {
    if constexpr (kPretty) {
      this->PrettyPrefix(type);
    } else {
      this->Prefix(type);
    }
  }

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

// Compact: no whitespace at all, e.g. {"a":[1,2.5,"x"]}.
using CompactWriter = BasicWriter<false>;
// Pretty: one value per line, kPrettyIndent spaces per level, "key": value,
// empty containers as [] and {}, no trailing newline.
using PrettyWriter = BasicWriter<true>;

}  // namespace json
}  // namespace ipckit

#endif  // IPCKIT_CC_JSON_WRITER_H_
