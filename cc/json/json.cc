#include "cc/json/json.h"

#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cc/base/error.h"
#include "rapidjson/error/en.h"
#include "rapidjson/memorystream.h"
#include "rapidjson/reader.h"

namespace ipckit {
namespace json {
namespace {

// Iterative: deep input costs heap, never stack. Numbers arrive as text so
// that ParseNumber, not RapidJSON, decides their type and value.
constexpr unsigned kParseFlags = rapidjson::kParseValidateEncodingFlag |
                                 rapidjson::kParseIterativeFlag |
                                 rapidjson::kParseNumbersAsStringsFlag;

template <typename Writer>
absl::StatusOr<std::string> Write(const rapidjson::Value& v) {
  OutputBuffer out;
  Writer writer(out);
  if (!v.Accept(writer)) {
    if (!writer.status().ok()) return writer.status();
    return InvalidArgumentError("value could not be written as JSON");
  }
  return std::string(out.GetString(), out.GetSize());
}

// SAX handler between RapidJSON's Reader and the Document: applies the
// number rules, the depth limit and the lone-surrogate check, and forwards
// everything else unchanged.
class LoadHandler {
 public:
  LoadHandler(rapidjson::Document& doc, int max_depth) : doc_(doc), max_depth_(max_depth) {}

  // Why a callback returned false (the Reader then reports kParseErrorTermination).
  const absl::Status& stop_status() const { return stop_status_; }

  bool Null() { return doc_.Null(); }
  bool Bool(bool b) { return doc_.Bool(b); }
  // The Reader calls RawNumber instead of these under kParseNumbersAsStringsFlag.
  bool Int(int i) { return doc_.Int(i); }
  bool Uint(unsigned u) { return doc_.Uint(u); }
  bool Int64(int64_t i) { return doc_.Int64(i); }
  bool Uint64(uint64_t u) { return doc_.Uint64(u); }
  bool Double(double d) { return doc_.Double(d); }

  bool RawNumber(const char* s, rapidjson::SizeType n, bool /*copy*/) {
    absl::StatusOr<Number> number = ParseNumber(absl::string_view(s, n));
    if (!number.ok()) return Stop(number.status());
    switch (number->kind) {
      case Number::Kind::kInt64: return doc_.Int64(number->i64);
      case Number::Kind::kUint64: return doc_.Uint64(number->u64);
      case Number::Kind::kDouble: return doc_.Double(number->f64);
    }
    return false;
  }

  bool String(const char* s, rapidjson::SizeType n, bool copy) {
    return CheckSurrogates(s, n) && doc_.String(s, n, copy);
  }
  bool Key(const char* s, rapidjson::SizeType n, bool copy) {
    return CheckSurrogates(s, n) && doc_.Key(s, n, copy);
  }

  bool StartObject() { return Enter() && doc_.StartObject(); }
  bool EndObject(rapidjson::SizeType members) {
    --depth_;
    return doc_.EndObject(members);
  }
  bool StartArray() { return Enter() && doc_.StartArray(); }
  bool EndArray(rapidjson::SizeType elements) {
    --depth_;
    return doc_.EndArray(elements);
  }

 private:
  bool Stop(absl::Status status) {
    stop_status_ = std::move(status);
    return false;
  }

  bool Enter() {
    if (++depth_ <= max_depth_) return true;
    return Stop(TooLargeError(
        absl::StrCat("JSON nesting depth exceeds the limit ", max_depth_)));
  }

  // The Reader validates the input's UTF-8, and it rejects a high surrogate
  // escape without a low one after it, but RapidJSON 1.1 encodes a lone low
  // surrogate escape (\udc00) as the ill-formed bytes ED B0 80. Raw input
  // cannot contain ED A0..BF (validation), so any such pair came from one.
  bool CheckSurrogates(const char* s, rapidjson::SizeType n) {
    const char* p = s;
    const char* end = s + n;
    while ((p = static_cast<const char*>(std::memchr(p, 0xED, end - p))) != nullptr) {
      if (end - p >= 3 && static_cast<unsigned char>(p[1]) >= 0xA0) {
        const unsigned code = 0xD000 | ((static_cast<unsigned char>(p[1]) & 0x3Fu) << 6) |
                              (static_cast<unsigned char>(p[2]) & 0x3Fu);
        return Stop(InvalidArgumentError(absl::StrFormat(
            "invalid JSON: lone UTF-16 surrogate escape \\u%04x in a string", code)));
      }
      ++p;
    }
    return true;
  }

  rapidjson::Document& doc_;
  const int max_depth_;
  int depth_ = 0;
  absl::Status stop_status_;
};

// What one parse attempt found.
struct Outcome {
  rapidjson::ParseResult result;
  size_t end = 0;            // where the Reader stopped
  absl::Status stop_status;  // set if the handler stopped the parse
};

// Runs the Reader into `doc` via Document::Populate, which installs the root
// only if the generator reports success.
struct Generator {
  absl::string_view text;
  int max_depth;
  Outcome* outcome;

  bool operator()(rapidjson::Document& doc) const {
    // Length-aware: `text` need not be NUL-terminated. The stream reads an
    // embedded NUL as the end, which `end` exposes.
    rapidjson::MemoryStream stream(text.data(), text.size());
    LoadHandler handler(doc, max_depth);
    rapidjson::Reader reader;
    outcome->result = reader.Parse<kParseFlags>(stream, handler);
    outcome->end = stream.Tell();
    outcome->stop_status = handler.stop_status();
    return !outcome->result.IsError() && outcome->end == text.size();
  }
};

Outcome ParseInto(rapidjson::Document& doc, absl::string_view text, int max_depth) {
  Outcome outcome;
  Generator generator{text, max_depth, &outcome};
  doc.Populate(generator);
  return outcome;
}

// A copy of the text in which some number tokens were replaced by the
// FormatDouble text of their value, with the means to map offsets back.
class RewrittenText {
 public:
  // RapidJSON 1.1 reports "number too big" for some tokens whose value is a
  // finite double: "0e400", or an integer part of 309+ digits near DBL_MAX.
  // Its checks need an integer part of 308+ digits or a positive exponent
  // above 308, so only such tokens are replaced; their canonical text (at
  // most 21 integer digits, exponent at most 308) never trips the checks.
  // Tokens that really overflow are left for the parse to report.
  explicit RewrittenText(absl::string_view text) {
    size_t copied = 0;
    size_t i = 0;
    while (i < text.size()) {
      const char c = text[i];
      if (c == '"') {  // skip the string, escapes included
        ++i;
        while (i < text.size() && text[i] != '"') i += text[i] == '\\' ? 2 : 1;
        ++i;
        continue;
      }
      if (c != '-' && (c < '0' || c > '9')) {
        ++i;
        continue;
      }
      const size_t len = NumberTokenLength(text.substr(i));
      if (len == 0) {
        ++i;
        continue;
      }
      const absl::string_view token = text.substr(i, len);
      if (MayTripRapidJson(token)) {
        absl::StatusOr<Number> number = ParseNumber(token);
        if (number.ok() && number->kind == Number::Kind::kDouble) {
          char canonical[kDoubleTextMax];
          const size_t n = FormatDouble(number->f64, canonical);
          text_.append(text.data() + copied, i - copied);
          splices_.push_back({text_.size(), n, i, len});
          text_.append(canonical, n);
          copied = i + len;
        }
      }
      i += len;
    }
    text_.append(text.data() + copied, text.size() - copied);
  }

  absl::string_view text() const { return text_; }
  bool changed() const { return !splices_.empty(); }

  // The offset in the original text of `offset` in the rewritten one.
  size_t OriginalOffset(size_t offset) const {
    auto after = std::upper_bound(splices_.begin(), splices_.end(), offset,
                                  [](size_t off, const Splice& s) { return off < s.new_pos; });
    if (after == splices_.begin()) return offset;
    const Splice& s = *(after - 1);
    if (offset < s.new_pos + s.new_len) return s.old_pos;
    return s.old_pos + s.old_len + (offset - s.new_pos - s.new_len);
  }

 private:
  struct Splice {
    size_t new_pos, new_len, old_pos, old_len;
  };

  static bool MayTripRapidJson(absl::string_view token) {
    constexpr size_t kMargin = 300;  // below RapidJSON's 308, to be safe
    size_t i = token[0] == '-' ? 1 : 0;
    const size_t int_start = i;
    while (i < token.size() && token[i] >= '0' && token[i] <= '9') ++i;
    if (i - int_start >= kMargin) return true;
    const size_t e = token.find_first_of("eE");
    if (e == absl::string_view::npos) return false;
    size_t j = e + 1;
    if (token[j] == '-') return false;
    if (token[j] == '+') ++j;
    while (j < token.size() && token[j] == '0') ++j;
    const absl::string_view digits = token.substr(j);
    return digits.size() > 3 || (digits.size() == 3 && digits >= "300");
  }

  std::string text_;
  std::vector<Splice> splices_;
};

// Lowercase first letter, no final period: "missing a comma or ']' after an
// array element".
std::string Reason(rapidjson::ParseErrorCode code) {
  std::string reason = rapidjson::GetParseError_En(code);
  if (!reason.empty() && reason.back() == '.') reason.pop_back();
  if (!reason.empty()) reason[0] = absl::ascii_tolower(reason[0]);
  return reason;
}

// The status for a failed attempt; `offset_of` maps parse offsets to the
// caller's text.
template <typename OffsetMap>
absl::Status FailureStatus(const Outcome& outcome, absl::string_view original,
                           OffsetMap offset_of) {
  if (!outcome.result.IsError()) {
    // The Reader took an embedded NUL byte for the end of the text.
    return InvalidArgumentError(absl::StrCat(
        "invalid JSON at byte ", offset_of(outcome.end), ": unexpected NUL byte"));
  }
  const size_t offset = offset_of(outcome.result.Offset());
  switch (outcome.result.Code()) {
    case rapidjson::kParseErrorTermination: {
      const absl::Status& s = outcome.stop_status;
      return MakeError(s.code(), ErrorClassOf(s),
                       absl::StrCat(s.message(), " (at byte ", offset, ")"));
    }
    case rapidjson::kParseErrorNumberTooBig: {
      const absl::string_view rest = original.substr(std::min(offset, original.size()));
      absl::StatusOr<Number> number = ParseNumber(rest.substr(0, NumberTokenLength(rest)));
      const absl::Status s = number.ok() ? InvalidArgumentError("JSON number is too large for a double")
                                         : number.status();
      return MakeError(s.code(), ErrorClassOf(s),
                       absl::StrCat(s.message(), " (at byte ", offset, ")"));
    }
    case rapidjson::kParseErrorStringEscapeInvalid:
      // RapidJSON uses this code for a raw control character too.
      if (offset < original.size() && static_cast<unsigned char>(original[offset]) < 0x20) {
        return InvalidArgumentError(absl::StrFormat(
            "invalid JSON at byte %d: control character 0x%02x must be escaped in a string",
            offset, static_cast<unsigned char>(original[offset])));
      }
      [[fallthrough]];
    default:
      return InvalidArgumentError(absl::StrCat("invalid JSON at byte ", offset, ": ",
                                               Reason(outcome.result.Code())));
  }
}

}  // namespace

absl::StatusOr<std::string> Dumps(const rapidjson::Value& v) { return Write<CompactWriter>(v); }

absl::StatusOr<std::string> DumpsPretty(const rapidjson::Value& v) {
  return Write<PrettyWriter>(v);
}

absl::StatusOr<rapidjson::Document> Loads(absl::string_view text, const LoadOptions& options) {
  if (options.max_depth < 0 || options.max_depth > kMaxDepth) {
    return InvalidArgumentError(absl::StrCat("LoadOptions::max_depth ", options.max_depth,
                                             " is outside [0, ", kMaxDepth, "]"));
  }
  const size_t max_bytes = std::min(options.max_bytes, kMaxTextBytes);
  if (text.size() > max_bytes) {
    return TooLargeError(absl::StrCat("JSON text of ", text.size(),
                                      " bytes exceeds the limit of ", max_bytes, " bytes"));
  }
  rapidjson::Document doc;
  const Outcome outcome = ParseInto(doc, text, options.max_depth);
  if (!outcome.result.IsError() && outcome.end == text.size()) return doc;
  auto same = [](size_t offset) { return offset; };
  if (outcome.result.Code() != rapidjson::kParseErrorNumberTooBig) {
    return FailureStatus(outcome, text, same);
  }
  // RapidJSON's range check fired. If the token really overflows, that is
  // the error; if not, parse again with the tokens it trips on rewritten.
  const absl::string_view rest = text.substr(outcome.result.Offset());
  absl::StatusOr<Number> number = ParseNumber(rest.substr(0, NumberTokenLength(rest)));
  const RewrittenText rewritten(text);
  if (!number.ok() || !rewritten.changed()) return FailureStatus(outcome, text, same);
  const Outcome retry = ParseInto(doc, rewritten.text(), options.max_depth);
  if (!retry.result.IsError() && retry.end == rewritten.text().size()) return doc;
  return FailureStatus(retry, text,
                       [&rewritten](size_t offset) { return rewritten.OriginalOffset(offset); });
}

}  // namespace json
}  // namespace ipckit
