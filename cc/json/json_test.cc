#include "cc/json/json.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "cc/base/error.h"
#include "gtest/gtest.h"
#include "rapidjson/document.h"

namespace ipckit {
namespace json {
namespace {

using ::rapidjson::Document;
using ::rapidjson::Value;

std::string Format(double d) {
  char buf[kDoubleTextMax];
  return std::string(buf, FormatDouble(d, buf));
}

uint64_t Bits(double d) {
  uint64_t b;
  std::memcpy(&b, &d, sizeof(b));
  return b;
}

// Loads `text` and dumps it compactly; "error:<class>" on failure.
std::string RoundTrip(absl::string_view text) {
  absl::StatusOr<Document> doc = Loads(text);
  if (!doc.ok()) return "error:" + ErrorClassOf(doc.status());
  absl::StatusOr<std::string> out = Dumps(*doc);
  if (!out.ok()) return "dump-error:" + ErrorClassOf(out.status());
  return *out;
}

std::string Pretty(absl::string_view text) {
  absl::StatusOr<Document> doc = Loads(text);
  if (!doc.ok()) return "error:" + ErrorClassOf(doc.status());
  absl::StatusOr<std::string> out = DumpsPretty(*doc);
  if (!out.ok()) return "dump-error:" + ErrorClassOf(out.status());
  return *out;
}

// The significant digits of `text` (FormatDouble's text of `d`) and of
// std::to_chars's shortest scientific form of `d`, without leading or
// trailing zeros, to compare.
std::pair<std::string, std::string> SignificantDigits(double d, const std::string& text) {
  char sci[64];
  auto r = std::to_chars(sci, sci + sizeof(sci), d, std::chars_format::scientific);
  std::string sci_digits, our_digits;
  for (const char* p = sci; p < r.ptr && *p != 'e'; ++p) {
    if (*p >= '0' && *p <= '9') sci_digits += *p;
  }
  for (char c : text.substr(0, text.find('e'))) {
    if (c >= '0' && c <= '9') our_digits += c;
  }
  our_digits.erase(0, our_digits.find_first_not_of('0'));
  while (!our_digits.empty() && our_digits.back() == '0') our_digits.pop_back();
  while (sci_digits.size() > 1 && sci_digits.back() == '0') sci_digits.pop_back();
  return {our_digits, sci_digits};
}

// ------------------------------------------------------------ FormatDouble

TEST(FormatDoubleTest, ExactTexts) {
  struct Case {
    double d;
    const char* text;
  };
  for (const Case& c : std::vector<Case>{
           {1.0, "1.0"},
           {0.0, "0.0"},
           {-0.0, "-0.0"},
           {0.1, "0.1"},
           {-2.5, "-2.5"},
           {100.0, "100.0"},
           {1e100, "1e100"},
           {1e-7, "1e-7"},
           {1.5e-7, "1.5e-7"},
           {1e-6, "0.000001"},
           {1.5e-6, "0.0000015"},
           {1e20, "100000000000000000000.0"},
           {1e21, "1e21"},
           {1.2345e25, "1.2345e25"},
           {123456.789, "123456.789"},
           {0.30000000000000004, "0.30000000000000004"},
           {2.0 / 3.0, "0.6666666666666666"},
           {5e-324, "5e-324"},
           {2.2250738585072014e-308, "2.2250738585072014e-308"},
           {std::numeric_limits<double>::max(), "1.7976931348623157e308"},
           {-std::numeric_limits<double>::max(), "-1.7976931348623157e308"},
           {9007199254740993.0, "9007199254740992.0"},
           {4503599627370497.0, "4503599627370497.0"},
           {1e15, "1000000000000000.0"},
           {1e16, "10000000000000000.0"},
           {123e-20, "1.23e-18"},
           {-1.2345678901234567e-6, "-0.0000012345678901234567"},  // the longest form
       }) {
    EXPECT_EQ(Format(c.d), c.text) << c.text;
  }
}

// Whole numbers below 2^53 take a shortcut. Their shortest digits are their
// own (no other number that short lies within half a unit), so the text must
// be the exact integer and ".0"; above, the general path runs.
TEST(FormatDoubleTest, WholeNumbersAreTheirIntegerDigits) {
  std::mt19937_64 rng(7);
  std::vector<double> values = {1, 9, 10, 100, 1e15, 1e16, 123456789, 9007199254740991.0,
                                4503599627370497.0, 9007199254740990.0};
  for (int i = 0; i < 100000; ++i) values.push_back(static_cast<double>(rng() >> (11 + rng() % 53)));
  for (double v : values) {
    for (double d : {v, -v}) {
      if (d == 0) continue;
      EXPECT_EQ(Format(d), absl::StrFormat("%.0f.0", d));
    }
  }
  EXPECT_EQ(Format(9007199254740992.0), "9007199254740992.0");
  EXPECT_EQ(Format(9007199254740994.0), "9007199254740994.0");
  EXPECT_EQ(Format(1e20), "100000000000000000000.0");
  EXPECT_EQ(Format(123456789012345680000.0), "123456789012345680000.0");
}

// Short decimal fractions take a shortcut; their digits must be
// std::to_chars's shortest digits and the text must read back exactly.
TEST(FormatDoubleTest, ShortDecimalsMatchTheShortestDigits) {
  std::mt19937_64 rng(11);
  std::vector<double> values = {0.5, 0.1, 0.2, 0.3, 0.30000000000000004, 3.25, 1234.567, 0.001234,
                                1e-5, 1.5e-7, 123456.789, 1125899906842623.5, 112589990684262.35,
                                0.07, 2.675, 1.005, 9.95, 0.1 + 0.7};
  for (int i = 0; i < 200000; ++i) {
    const double m = static_cast<double>(rng() >> (rng() % 64));
    const int k = static_cast<int>(rng() % 20);
    values.push_back(m / std::pow(10.0, k));
    std::uniform_real_distribution<double> any(0, std::pow(10.0, static_cast<double>(rng() % 12)));
    const double x = any(rng);
    values.push_back(std::round(x * std::pow(10.0, k % 8)) / std::pow(10.0, k % 8));
  }
  for (double v : values) {
    if (v == 0 || !std::isfinite(v)) continue;
    const std::string text = Format(v);
    double back = 0;
    std::from_chars(text.data(), text.data() + text.size(), back);
    ASSERT_EQ(Bits(back), Bits(v)) << text;
    const auto [ours, shortest] = SignificantDigits(v, text);
    ASSERT_EQ(ours, shortest) << text;
  }
}

TEST(FormatDoubleTest, NonFiniteWritesNothing) {
  char buf[kDoubleTextMax];
  EXPECT_EQ(FormatDouble(std::nan(""), buf), 0u);
  EXPECT_EQ(FormatDouble(std::numeric_limits<double>::infinity(), buf), 0u);
  EXPECT_EQ(FormatDouble(-std::numeric_limits<double>::infinity(), buf), 0u);
}

// Random bit patterns: the text reads back to the same bits through Loads,
// is as short as std::to_chars' shortest form, and fits the buffer.
TEST(FormatDoubleTest, RandomDoublesRoundTripShortest) {
  std::mt19937_64 rng(20240601);
  int checked = 0;
  for (int i = 0; i < 20000; ++i) {
    const uint64_t bits = rng();
    double d;
    std::memcpy(&d, &bits, sizeof(d));
    if (!std::isfinite(d)) continue;
    const std::string text = Format(d);
    ASSERT_LT(text.size(), kDoubleTextMax);
    absl::StatusOr<Document> doc = Loads(text);
    ASSERT_TRUE(doc.ok()) << text << ": " << doc.status();
    ASSERT_TRUE(doc->IsDouble()) << text;
    ASSERT_EQ(Bits(doc->GetDouble()), bits) << text;
    // Same significant digits as the shortest scientific form.
    const auto [ours, shortest] = SignificantDigits(d, text);
    ASSERT_EQ(ours, shortest) << text;
    ++checked;
  }
  EXPECT_GT(checked, 19000);
}

// ------------------------------------------------------------ ParseNumber

TEST(ParseNumberTest, IntegersAndDoubles) {
  absl::StatusOr<Number> n = ParseNumber("0");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->kind, Number::Kind::kUint64);
  EXPECT_EQ(n->u64, 0u);

  n = ParseNumber("-1");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->kind, Number::Kind::kInt64);
  EXPECT_EQ(n->i64, -1);

  n = ParseNumber("18446744073709551615");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->kind, Number::Kind::kUint64);
  EXPECT_EQ(n->u64, std::numeric_limits<uint64_t>::max());

  n = ParseNumber("-9223372036854775808");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->kind, Number::Kind::kInt64);
  EXPECT_EQ(n->i64, std::numeric_limits<int64_t>::min());

  n = ParseNumber("18446744073709551616");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->kind, Number::Kind::kDouble);
  EXPECT_EQ(n->f64, 18446744073709551616.0);

  n = ParseNumber("-9223372036854775809");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->kind, Number::Kind::kDouble);
  EXPECT_EQ(n->f64, -9223372036854775808.0);

  n = ParseNumber("-0");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->kind, Number::Kind::kDouble);
  EXPECT_TRUE(std::signbit(n->f64));
  EXPECT_EQ(n->f64, 0.0);

  n = ParseNumber("1.0");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->kind, Number::Kind::kDouble);
  EXPECT_EQ(n->f64, 1.0);

  n = ParseNumber("1E+2");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->kind, Number::Kind::kDouble);
  EXPECT_EQ(n->f64, 100.0);
}

TEST(ParseNumberTest, RoundsCorrectlyAndUnderflowsToZero) {
  EXPECT_EQ(ParseNumber("0.1000000000000000055511151231257827021181583404541015625")->f64, 0.1);
  EXPECT_EQ(ParseNumber("9007199254740993.0")->f64, 9007199254740992.0);  // tie to even
  EXPECT_EQ(ParseNumber("9007199254740993.00000000000000000001")->f64, 9007199254740994.0);
  EXPECT_EQ(ParseNumber("2.4703282292062328e-324")->f64, 5e-324);
  absl::StatusOr<Number> tiny = ParseNumber("-1e-400");
  ASSERT_TRUE(tiny.ok());
  EXPECT_EQ(tiny->f64, 0.0);
  EXPECT_TRUE(std::signbit(tiny->f64));
  EXPECT_EQ(ParseNumber("0e99999")->f64, 0.0);
  EXPECT_EQ(ParseNumber("0.00000000001e-99999999999999999999")->f64, 0.0);
}

TEST(ParseNumberTest, OverflowIsInvalid) {
  for (const char* token : {"1e400", "-1e400", "1.7976931348623159e308", "1e99999999999999999999",
                            "100e307"}) {
    absl::StatusOr<Number> n = ParseNumber(token);
    ASSERT_FALSE(n.ok()) << token;
    EXPECT_EQ(ErrorClassOf(n.status()), "invalid_argument") << token;
    EXPECT_NE(n.status().message().find(token), absl::string_view::npos) << n.status();
  }
  EXPECT_TRUE(ParseNumber("1.7976931348623158e308").ok());  // rounds down to DBL_MAX
}

TEST(ParseNumberTest, RejectsNonTokens) {
  for (const char* token : {"", "-", "01", "-01", "1.", ".5", "+1", "1e", "1e+", "0x10", " 1", "1 ",
                            "NaN", "Infinity", "1.5.5", "--1"}) {
    absl::StatusOr<Number> n = ParseNumber(token);
    ASSERT_FALSE(n.ok()) << token;
    EXPECT_EQ(ErrorClassOf(n.status()), "invalid_argument") << token;
  }
}

TEST(ParseNumberTest, TokenLength) {
  EXPECT_EQ(NumberTokenLength("123,"), 3u);
  EXPECT_EQ(NumberTokenLength("-0.5e+10]"), 8u);
  EXPECT_EQ(NumberTokenLength("01"), 1u);  // "0", then a stray digit
  EXPECT_EQ(NumberTokenLength("1.e5"), 1u);
  EXPECT_EQ(NumberTokenLength("1e"), 1u);
  EXPECT_EQ(NumberTokenLength("-x"), 0u);
  EXPECT_EQ(NumberTokenLength(".5"), 0u);
  EXPECT_EQ(NumberTokenLength("1e400.5"), 5u);
}

// ------------------------------------------------------------ Writers

TEST(WriterTest, EscapesExactlyControlQuoteBackslash) {
  std::string all;
  for (int c = 0; c < 0x80; ++c) all += static_cast<char>(c);
  OutputBuffer out;
  CompactWriter w(out);
  ASSERT_TRUE(w.String(all));
  const std::string expected = absl::StrCat(
      "\"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n\\u000b\\f\\r\\u000e\\u000f",
      "\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018\\u0019\\u001a\\u001b\\u001c",
      "\\u001d\\u001e\\u001f !\\\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\\\]^_`",
      "abcdefghijklmnopqrstuvwxyz{|}~\x7f\"");
  EXPECT_EQ(std::string(out.GetString(), out.GetSize()), expected);
}

TEST(WriterTest, NonAsciiPassesThrough) {
  OutputBuffer out;
  CompactWriter w(out);
  const std::string s = "\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80\xe2\x80\xa8\xef\xbf\xbf\xf4\x8f\xbf\xbf";
  ASSERT_TRUE(w.String(s));
  EXPECT_EQ(std::string(out.GetString(), out.GetSize()), "\"" + s + "\"");
}

TEST(WriterTest, RejectsInvalidUtf8WithOffset) {
  struct Case {
    std::string bytes;
    size_t offset;
  };
  for (const Case& c : std::vector<Case>{
           {"ab\xff", 2},              // never in UTF-8
           {"\x80", 0},                // lone continuation byte
           {"x\xc0\xaf", 1},           // overlong '/'
           {"\xc1\xbf", 0},            // overlong
           {"\xe0\x9f\xbf", 0},        // overlong 3-byte
           {"\xed\xa0\x80", 0},        // surrogate U+D800
           {"\xed\xbf\xbf", 0},        // surrogate U+DFFF
           {"\xf0\x8f\xbf\xbf", 0},    // overlong 4-byte
           {"\xf4\x90\x80\x80", 0},    // U+110000
           {"\xf5\x80\x80\x80", 0},    // lead byte beyond U+10FFFF
           {"abc\xe2\x82", 3},         // truncated at the end
           {"\xe2\x82x", 0},           // truncated in the middle
       }) {
    OutputBuffer out;
    CompactWriter w(out);
    EXPECT_FALSE(w.String(c.bytes));
    EXPECT_EQ(ErrorClassOf(w.status()), "invalid_argument");
    EXPECT_NE(w.status().message().find(absl::StrCat("at offset ", c.offset)), absl::string_view::npos)
        << w.status();
  }
  OutputBuffer out;
  CompactWriter w(out);
  ASSERT_TRUE(w.StartObject());
  EXPECT_FALSE(w.Key("\xff"));
  EXPECT_NE(w.status().message().find("object key"), absl::string_view::npos) << w.status();
}

TEST(WriterTest, RejectsNonFiniteDoubles) {
  struct Case {
    double d;
    const char* message;
  };
  for (const Case& c : std::vector<Case>{{std::nan(""), "NaN is not valid JSON"},
                                         {std::numeric_limits<double>::infinity(), "Infinity is not valid JSON"},
                                         {-std::numeric_limits<double>::infinity(), "-Infinity is not valid JSON"}}) {
    OutputBuffer out;
    PrettyWriter w(out);
    EXPECT_FALSE(w.Double(c.d));
    EXPECT_EQ(ErrorClassOf(w.status()), "invalid_argument");
    EXPECT_EQ(w.status().message(), c.message);
  }
}

TEST(WriterTest, DepthLimit) {
  OutputBuffer out;
  CompactWriter w(out);
  for (int i = 0; i < kMaxDepth; ++i) ASSERT_TRUE(w.StartArray()) << i;
  EXPECT_EQ(w.Depth(), kMaxDepth);
  EXPECT_FALSE(w.StartArray());
  EXPECT_EQ(ErrorClassOf(w.status()), "too_large");
  EXPECT_FALSE(w.StartObject());
  w.Reset(out);
  EXPECT_TRUE(w.status().ok());
}

// What a binding does: walk its own objects and call the writer. The output
// must equal Dumps of the same value, byte for byte.
template <typename W>
void WriteSample(W& w) {
  w.StartObject();
  w.Key("name");
  w.String("caf\xc3\xa9\n");
  w.Key("ints");
  w.StartArray();
  w.Int64(-9223372036854775807LL - 1);
  w.Uint64(18446744073709551615ULL);
  w.Int64(0);
  w.EndArray();
  w.Key("floats");
  w.StartArray();
  w.Double(1.0);
  w.Double(0.1);
  w.Double(-0.0);
  w.Double(1e-7);
  w.EndArray();
  w.Key("none");
  w.Null();
  w.Key("yes");
  w.Bool(true);
  w.Key("empty");
  w.StartObject();
  w.EndObject();
  w.EndObject();
}

TEST(WriterTest, SaxOutputMatchesDumps) {
  const char* text =
      R"({"name":"café\n","ints":[-9223372036854775808,18446744073709551615,0],)"
      R"("floats":[1.0,0.1,-0.0,1e-7],"none":null,"yes":true,"empty":{}})";
  absl::StatusOr<Document> doc = Loads(text);
  ASSERT_TRUE(doc.ok()) << doc.status();

  OutputBuffer compact;
  CompactWriter cw(compact);
  WriteSample(cw);
  ASSERT_TRUE(cw.IsComplete());
  EXPECT_EQ(std::string(compact.GetString(), compact.GetSize()), *Dumps(*doc));
  EXPECT_EQ(std::string(compact.GetString(), compact.GetSize()), text);

  OutputBuffer pretty;
  PrettyWriter pw(pretty);
  WriteSample(pw);
  EXPECT_EQ(std::string(pretty.GetString(), pretty.GetSize()), *DumpsPretty(*doc));
}

TEST(WriterTest, EmbeddedNulInStringAndKey) {
  OutputBuffer out;
  CompactWriter w(out);
  w.StartObject();
  w.Key(absl::string_view("k\0k", 3));
  w.String(absl::string_view("\0", 1));
  w.EndObject();
  EXPECT_EQ(std::string(out.GetString(), out.GetSize()), R"({"k\u0000k":"\u0000"})");
}

// The escaping rule spelled out byte by byte, to check AppendQuoted's
// word-at-a-time scan against.
std::string ReferenceQuoted(absl::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    const auto b = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (b < 0x20) {
          out += absl::StrCat("\\u00", absl::string_view("0123456789abcdef" + (b >> 4), 1),
                              absl::string_view("0123456789abcdef" + (b & 0xF), 1));
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

TEST(WriterTest, QuotingAroundTheWordBoundary) {
  const std::vector<std::string> specials = {"\"", "\\", "\n", std::string(1, '\0'), "\x1f",
                                             "\x7f", "\xc3\xa9", "\xf0\x9f\x98\x80", "/"};
  for (size_t length = 0; length <= 33; ++length) {
    for (const std::string& special : specials) {
      for (size_t at = 0; at <= length; ++at) {
        const std::string s = std::string(at, 'a') + special + std::string(length - at, 'b');
        OutputBuffer out;
        size_t bad = 0;
        ASSERT_TRUE(AppendQuoted(out, s, &bad));
        EXPECT_EQ(std::string(out.GetString(), out.GetSize()), ReferenceQuoted(s));
        // A bad byte is found wherever it sits, also after a long plain run.
        const std::string broken = s + std::string(length, 'c') + "\xff";
        OutputBuffer ignored;
        EXPECT_FALSE(AppendQuoted(ignored, broken, &bad));
        EXPECT_EQ(bad, broken.size() - 1);
      }
    }
  }
}

TEST(WriterTest, CompactWriterStateAndIntegers) {
  OutputBuffer out;
  CompactWriter w(out);
  EXPECT_FALSE(w.IsComplete());
  ASSERT_TRUE(w.StartArray());
  EXPECT_EQ(w.Depth(), 1);
  EXPECT_FALSE(w.IsComplete());
  for (int64_t i : {std::numeric_limits<int64_t>::min(), int64_t{-1}, int64_t{0}, int64_t{10}}) {
    ASSERT_TRUE(w.Int64(i));
  }
  ASSERT_TRUE(w.Uint64(std::numeric_limits<uint64_t>::max()));
  ASSERT_TRUE(w.Int(-7));
  ASSERT_TRUE(w.Uint(7));
  ASSERT_TRUE(w.StartObject());
  ASSERT_TRUE(w.EndObject());
  ASSERT_TRUE(w.StartArray());
  ASSERT_TRUE(w.EndArray());
  ASSERT_TRUE(w.Bool(false));
  ASSERT_TRUE(w.EndArray());
  EXPECT_TRUE(w.IsComplete());
  EXPECT_EQ(std::string(out.GetString(), out.GetSize()),
            "[-9223372036854775808,-1,0,10,18446744073709551615,-7,7,{},[],false]");

  // A failure midway, then Reset: a fresh start on a fresh buffer.
  OutputBuffer second;
  w.Reset(second);
  ASSERT_TRUE(w.StartObject());
  ASSERT_TRUE(w.Key("k"));
  EXPECT_FALSE(w.Double(std::nan("")));
  w.Reset(second);
  second.Clear();
  EXPECT_TRUE(w.status().ok());
  EXPECT_EQ(w.Depth(), 0);
  ASSERT_TRUE(w.Null());
  EXPECT_TRUE(w.IsComplete());
  EXPECT_EQ(std::string(second.GetString(), second.GetSize()), "null");
}

// ------------------------------------------------------------ Dumps

TEST(DumpsTest, CompactLayout) {
  EXPECT_EQ(RoundTrip(R"( { "a" : [ 1 , 2.5 , "x" ] , "b" : { } , "c" : [ ] } )"),
            R"({"a":[1,2.5,"x"],"b":{},"c":[]})");
  EXPECT_EQ(RoundTrip("null"), "null");
  EXPECT_EQ(RoundTrip("\"s\""), "\"s\"");
  EXPECT_EQ(RoundTrip("[true,false]"), "[true,false]");
}

TEST(DumpsTest, KeyOrderAndDuplicatesAsGiven) {
  EXPECT_EQ(RoundTrip(R"({"b":1,"a":2,"b":3})"), R"({"b":1,"a":2,"b":3})");
  Document doc;
  doc.SetObject();
  doc.AddMember("z", 1, doc.GetAllocator());
  doc.AddMember("a", 2, doc.GetAllocator());
  doc.AddMember("z", 3, doc.GetAllocator());
  EXPECT_EQ(*Dumps(doc), R"({"z":1,"a":2,"z":3})");
}

TEST(DumpsTest, PrettyLayout) {
  EXPECT_EQ(Pretty(R"({"a":[1,{"b":null}],"c":{},"d":[]})"),
            "{\n"
            "  \"a\": [\n"
            "    1,\n"
            "    {\n"
            "      \"b\": null\n"
            "    }\n"
            "  ],\n"
            "  \"c\": {},\n"
            "  \"d\": []\n"
            "}");
  EXPECT_EQ(Pretty("[]"), "[]");
  EXPECT_EQ(Pretty("{}"), "{}");
  EXPECT_EQ(Pretty("0.5"), "0.5");
  EXPECT_EQ(Pretty("[[]]"), "[\n  []\n]");
}

TEST(DumpsTest, DomErrors) {
  Document doc;
  doc.SetArray();
  doc.PushBack(Value(std::nan("")), doc.GetAllocator());
  absl::StatusOr<std::string> out = Dumps(doc);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(ErrorClassOf(out.status()), "invalid_argument");
  EXPECT_EQ(out.status().message(), "NaN is not valid JSON");

  Value bad_string;
  bad_string.SetString("\xff", 1, doc.GetAllocator());
  out = DumpsPretty(bad_string);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(ErrorClassOf(out.status()), "invalid_argument");
}

TEST(DumpsTest, TooDeepDomFailsWithoutCrashing) {
  // 100000 nested arrays: Accept would recurse that deep; the writer stops
  // it at kMaxDepth + 1.
  Document doc;
  auto& a = doc.GetAllocator();
  Value inner(rapidjson::kArrayType);
  for (int i = 0; i < 100000; ++i) {
    Value outer(rapidjson::kArrayType);
    outer.PushBack(inner, a);  // moves
    inner = outer;             // moves
  }
  absl::StatusOr<std::string> out = Dumps(inner);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(ErrorClassOf(out.status()), "too_large");

  Value ok(rapidjson::kArrayType);
  for (int i = 1; i < kMaxDepth; ++i) {
    Value outer(rapidjson::kArrayType);
    outer.PushBack(ok, a);
    ok = outer;
  }
  EXPECT_EQ(Dumps(ok)->size(), 2u * kMaxDepth);
}

TEST(DumpsTest, IntegerExtremes) {
  Document doc;
  doc.SetArray();
  auto& a = doc.GetAllocator();
  doc.PushBack(Value(std::numeric_limits<int64_t>::min()), a);
  doc.PushBack(Value(std::numeric_limits<int64_t>::max()), a);
  doc.PushBack(Value(std::numeric_limits<uint64_t>::max()), a);
  doc.PushBack(Value(std::numeric_limits<int>::min()), a);
  EXPECT_EQ(*Dumps(doc),
            "[-9223372036854775808,9223372036854775807,18446744073709551615,-2147483648]");
}

// ------------------------------------------------------------ Loads

TEST(LoadsTest, NumberTypes) {
  absl::StatusOr<Document> doc =
      Loads("[1,-1,1.0,1e2,-0,18446744073709551615,18446744073709551616,-9223372036854775808]");
  ASSERT_TRUE(doc.ok()) << doc.status();
  const Value& v = *doc;
  EXPECT_TRUE(v[0].IsUint64() && !v[0].IsDouble());
  EXPECT_TRUE(v[1].IsInt64() && !v[1].IsDouble());
  EXPECT_TRUE(v[2].IsDouble());
  EXPECT_TRUE(v[3].IsDouble());
  EXPECT_TRUE(v[4].IsDouble() && std::signbit(v[4].GetDouble()));
  EXPECT_TRUE(v[5].IsUint64() && v[5].GetUint64() == std::numeric_limits<uint64_t>::max());
  EXPECT_TRUE(v[6].IsDouble());
  EXPECT_TRUE(v[7].IsInt64() && v[7].GetInt64() == std::numeric_limits<int64_t>::min());
}

TEST(LoadsTest, HugeAndOddNumbers) {
  EXPECT_EQ(RoundTrip("[0e400,-0E+999,0.0e309]"), "[0.0,-0.0,0.0]");
  EXPECT_EQ(RoundTrip("17976931348623157" + std::string(292, '0')), "1.7976931348623157e308");
  EXPECT_EQ(RoundTrip("1" + std::string(400, '0') + "e-400"), "1.0");
  EXPECT_EQ(RoundTrip("1" + std::string(309, '0')), "error:invalid_argument");
  EXPECT_EQ(RoundTrip("[1e400]"), "error:invalid_argument");
  EXPECT_EQ(RoundTrip("[100e307]"), "error:invalid_argument");  // passes RapidJSON's own check
  EXPECT_EQ(RoundTrip("[1e-400,5e-324]"), "[0.0,5e-324]");
  EXPECT_EQ(RoundTrip("123456789012345678901234567890"), "1.2345678901234568e29");
}

TEST(LoadsTest, ErrorOffsetsSurviveNumberRewrite) {
  // "0e400" makes RapidJSON give up; the retry parses rewritten text, and
  // the reported offsets must still point into the caller's text.
  absl::StatusOr<Document> doc = Loads("[0e400, 1, \"0e999\", x]");
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().message(), "invalid JSON at byte 20: invalid value");
  doc = Loads("[0e400, 1e999]");
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(ErrorClassOf(doc.status()), "invalid_argument");
  EXPECT_NE(doc.status().message().find("1e999"), absl::string_view::npos) << doc.status();
  EXPECT_NE(doc.status().message().find("at byte 8"), absl::string_view::npos) << doc.status();
}

TEST(LoadsTest, SyntaxErrorsNameOffsetAndReason) {
  struct Case {
    std::string text;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {"[1 2]", "invalid JSON at byte 3: missing a comma or ']' after an array element"},
           {"[1,]", "invalid JSON at byte 3: invalid value"},
           {"{\"a\":1,}", "invalid JSON at byte 7: missing a name for object member"},
           {"", "invalid JSON at byte 0: the document is empty"},
           {"1 2", "invalid JSON at byte 2: the document root must not be followed by other values"},
           {"\"a\tb\"", "invalid JSON at byte 2: control character 0x09 must be escaped in a string"},
           {std::string("[1]\0", 4), "invalid JSON at byte 3: unexpected NUL byte"},
           {"\"\xff\"", "invalid JSON at byte 1: invalid encoding in string"},
       }) {
    absl::StatusOr<Document> doc = Loads(c.text);
    ASSERT_FALSE(doc.ok()) << c.text;
    EXPECT_EQ(ErrorClassOf(doc.status()), "invalid_argument");
    EXPECT_EQ(doc.status().message(), c.message);
  }
}

TEST(LoadsTest, StrictRejections) {
  for (const char* text : {"NaN", "[Infinity]", "-Infinity", "[1,]", "{\"a\":1,}", "// c\n1", "/**/1",
                           "01", "[-01]", "[.5]", "[1.]", "[1e]", "+1", "0x1", "['a']", "{a:1}", "True",
                           " ", "[1]]", "\"abc", "[1", "\"\\x\"", "\"\\u12\"", "\xef\xbb\xbf[]",
                           "[\xc3\xa9]", "\"\xc0\xaf\"", "\"\xed\xa0\x80\"", "\"\xe2\x82\""}) {
    EXPECT_EQ(RoundTrip(text), "error:invalid_argument") << text;
  }
}

TEST(LoadsTest, Surrogates) {
  EXPECT_EQ(RoundTrip(R"("\ud83d\ude00")"), "\"\xf0\x9f\x98\x80\"");
  EXPECT_EQ(RoundTrip(R"("\uD83D\uDE00")"), "\"\xf0\x9f\x98\x80\"");
  for (const char* text : {R"("\ud800")", R"("\udc00")", R"("\udfff")", R"("\ud800\u0041")",
                           R"("\ud800x")", R"("\ude00\ud83d")", R"({"\udc00":1})"}) {
    absl::StatusOr<Document> doc = Loads(text);
    ASSERT_FALSE(doc.ok()) << text;
    EXPECT_EQ(ErrorClassOf(doc.status()), "invalid_argument") << text;
  }
  absl::StatusOr<Document> doc = Loads(R"("ok\udc01")");
  ASSERT_FALSE(doc.ok());
  EXPECT_NE(doc.status().message().find("lone UTF-16 surrogate escape \\udc01"), absl::string_view::npos)
      << doc.status();
}

TEST(LoadsTest, EmbeddedNulRoundTrips) {
  absl::StatusOr<Document> doc = Loads(R"({"k\u0000":"a\u0000b"})");
  ASSERT_TRUE(doc.ok()) << doc.status();
  const Value& v = (*doc)["k" + std::string(1, '\0')];  // length-aware lookup
  ASSERT_TRUE(v.IsString());
  EXPECT_EQ(std::string(v.GetString(), v.GetStringLength()), std::string("a\0b", 3));
  EXPECT_EQ(*Dumps(*doc), R"({"k\u0000":"a\u0000b"})");
}

TEST(LoadsTest, ReadsOnlyTheGivenBytes) {
  // The view is not NUL-terminated: "[1]" followed by more bytes in memory.
  const std::string buffer = "[1]]garbage";
  absl::StatusOr<Document> doc = Loads(absl::string_view(buffer.data(), 3));
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_EQ(*Dumps(*doc), "[1]");
  // A truncated view is an error even though the bytes after it would fit.
  EXPECT_FALSE(Loads(absl::string_view(buffer.data(), 2)).ok());
}

TEST(LoadsTest, DocumentOwnsItsStrings) {
  auto text = std::make_unique<std::string>(R"({"key":"a long enough value to be heap allocated"})");
  absl::StatusOr<Document> doc = Loads(*text);
  ASSERT_TRUE(doc.ok());
  std::memset(text->data(), 'x', text->size());
  text.reset();
  EXPECT_EQ(std::string((*doc)["key"].GetString()), "a long enough value to be heap allocated");
}

TEST(LoadsTest, DepthLimit) {
  const std::string ok = std::string(kMaxDepth, '[') + std::string(kMaxDepth, ']');
  EXPECT_EQ(RoundTrip(ok), ok);
  const std::string deep = std::string(kMaxDepth + 1, '[') + std::string(kMaxDepth + 1, ']');
  absl::StatusOr<Document> doc = Loads(deep);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(ErrorClassOf(doc.status()), "too_large");
  EXPECT_EQ(doc.status().message(), "JSON nesting depth exceeds the limit 512 (at byte 512)");
}

TEST(LoadsTest, VeryDeepInputIsAnErrorNotACrash) {
  EXPECT_EQ(RoundTrip(std::string(100000, '[')), "error:too_large");
  EXPECT_EQ(RoundTrip(std::string(1000000, '[') + std::string(1000000, ']')), "error:too_large");
  std::string objects;
  for (int i = 0; i < 100000; ++i) objects += "{\"a\":";
  EXPECT_EQ(RoundTrip(objects), "error:too_large");
}

TEST(LoadsTest, Options) {
  LoadOptions shallow;
  shallow.max_depth = 2;
  EXPECT_TRUE(Loads("[[1]]", shallow).ok());
  absl::StatusOr<Document> doc = Loads("[[[1]]]", shallow);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(ErrorClassOf(doc.status()), "too_large");
  shallow.max_depth = 0;
  EXPECT_TRUE(Loads("1", shallow).ok());
  EXPECT_FALSE(Loads("[]", shallow).ok());

  LoadOptions bad;
  bad.max_depth = kMaxDepth + 1;
  EXPECT_EQ(ErrorClassOf(Loads("1", bad).status()), "invalid_argument");
  bad.max_depth = -1;
  EXPECT_EQ(ErrorClassOf(Loads("1", bad).status()), "invalid_argument");

  LoadOptions small;
  small.max_bytes = 5;
  EXPECT_TRUE(Loads("[1,2]", small).ok());
  doc = Loads("[1, 2]", small);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(ErrorClassOf(doc.status()), "too_large");
  EXPECT_EQ(doc.status().message(), "JSON text of 6 bytes exceeds the limit of 5 bytes");
}

TEST(LoadsTest, CanonicalTextsRoundTripExactly) {
  for (const char* text : {
           R"({"a":[1,-2,3.5,"x",null,true,false,{},[]],"b":{"c":"é😀"}})",
           R"([0.1,1e100,1e-7,-0.0,5e-324,1.7976931348623157e308,1e21,100000000000000000000.0])",
           R"(["\u0000\u001f\b\f\n\r\t\"\\/"])",
           R"([-9223372036854775808,18446744073709551615])",
       }) {
    EXPECT_EQ(RoundTrip(text), text);
  }
}

}  // namespace
}  // namespace json
}  // namespace ipckit
