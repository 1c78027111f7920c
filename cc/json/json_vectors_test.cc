// Runs every case of conformance/vectors/json/*.json against cc/json.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "cc/base/error.h"
#include "cc/json/json.h"
#include "cc/testing/vector_files.h"
#include "gtest/gtest.h"
#include "rapidjson/document.h"

namespace ipckit {
namespace json {
namespace {

std::string Str(const rapidjson::Value& v) { return std::string(v.GetString(), v.GetStringLength()); }

// Bytes from lowercase hex; fails the test on bad hex.
std::string FromHex(const std::string& hex) {
  EXPECT_EQ(hex.size() % 2, 0u) << hex;
  for (char c : hex) EXPECT_TRUE(std::isxdigit(static_cast<unsigned char>(c))) << hex;
  return absl::HexStringToBytes(hex);
}

// A copy of `v` with objects turned into maps the way a Python dict or a JS
// object builds them: a later duplicate key replaces the value in place.
void ToMap(const rapidjson::Value& v, rapidjson::Value* out, rapidjson::Document::AllocatorType& a) {
  if (v.IsArray()) {
    out->SetArray();
    for (const auto& e : v.GetArray()) {
      rapidjson::Value copy;
      ToMap(e, &copy, a);
      out->PushBack(copy, a);
    }
  } else if (v.IsObject()) {
    out->SetObject();
    for (const auto& m : v.GetObject()) {
      rapidjson::Value value;
      ToMap(m.value, &value, a);
      auto existing = out->FindMember(m.name);
      if (existing != out->MemberEnd()) {
        existing->value = value;
      } else {
        out->AddMember(rapidjson::Value(m.name, a), value, a);
      }
    }
  } else {
    out->CopyFrom(v, a);
  }
}

// Checks `result` (text or error) against a case's "expect" object, whose
// success field is `field`.
void CheckExpect(const rapidjson::Value& expect, const char* field,
                 const absl::StatusOr<std::string>& result) {
  if (expect.HasMember("error")) {
    ASSERT_FALSE(result.ok()) << "expected error " << Str(expect["error"]) << ", got " << *result;
    EXPECT_EQ(ErrorClassOf(result.status()), Str(expect["error"])) << result.status();
    return;
  }
  ASSERT_TRUE(expect.HasMember(field)) << "expect has neither error nor " << field;
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, Str(expect[field]));
}

void RunDumps(const rapidjson::Value& c, bool pretty) {
  const rapidjson::Value& input = c["input"];
  rapidjson::Document value;
  std::string bytes;  // keeps a string_hex value alive
  if (input.HasMember("value_json")) {
    absl::StatusOr<rapidjson::Document> loaded = Loads(Str(input["value_json"]));
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    value = std::move(*loaded);
  } else if (input.HasMember("f64_bits")) {
    uint64_t bits = 0;
    ASSERT_EQ(input["f64_bits"].GetStringLength(), 16u);
    ASSERT_TRUE(absl::SimpleHexAtoi(Str(input["f64_bits"]), &bits));
    double d;
    std::memcpy(&d, &bits, sizeof(d));
    value.SetDouble(d);
  } else if (input.HasMember("string_hex")) {
    bytes = FromHex(Str(input["string_hex"]));
    value.SetString(rapidjson::StringRef(bytes.data(), bytes.size()));
  } else {
    FAIL() << "dumps input has none of value_json, f64_bits, string_hex";
  }
  CheckExpect(c["expect"], "text", pretty ? DumpsPretty(value) : Dumps(value));
}

void RunLoads(const rapidjson::Value& c) {
  const rapidjson::Value& input = c["input"];
  const rapidjson::Value& expect = c["expect"];
  std::string text;
  if (input.HasMember("text")) {
    text = Str(input["text"]);
  } else if (input.HasMember("text_hex")) {
    text = FromHex(Str(input["text_hex"]));
  } else {
    FAIL() << "loads input has neither text nor text_hex";
  }
  absl::StatusOr<rapidjson::Document> doc = Loads(text);
  if (expect.HasMember("error")) {
    ASSERT_FALSE(doc.ok()) << "expected error " << Str(expect["error"]);
    EXPECT_EQ(ErrorClassOf(doc.status()), Str(expect["error"])) << doc.status();
    return;
  }
  ASSERT_TRUE(doc.ok()) << doc.status();
  CheckExpect(expect, "canonical", Dumps(*doc));
  // Without canonical_map, the map view must equal canonical.
  rapidjson::Document mapped;
  ToMap(*doc, &mapped, mapped.GetAllocator());
  const char* map_field = expect.HasMember("canonical_map") ? "canonical_map" : "canonical";
  CheckExpect(expect, map_field, Dumps(mapped));
}

TEST(JsonVectorsTest, AllCasesPass) {
  std::vector<ipckit::testing::VectorFile> files = ipckit::testing::LoadVectorFiles("json");
  ASSERT_FALSE(files.empty());

  std::map<std::string, int> by_op;
  std::vector<std::string> names;
  for (const ipckit::testing::VectorFile& file : files) {
    SCOPED_TRACE(file.path);
    const rapidjson::Document& vectors = file.doc;
    EXPECT_EQ(Str(vectors["spec"]), "spec/json.md");
    const rapidjson::Value& cases = vectors["cases"];
    for (const auto& c : cases.GetArray()) {
      const std::string name = Str(c["name"]);
      SCOPED_TRACE(name);
      names.push_back(name);
      EXPECT_EQ(name.rfind("json/", 0), 0u);
      const std::string level = Str(c["level"]);
      EXPECT_TRUE(level == "required" || level == "recommended");
      EXPECT_GT(c["description"].GetStringLength(), 0u);
      const std::string op = Str(c["op"]);
      ++by_op[op];
      if (op == "json_dumps") {
        RunDumps(c, /*pretty=*/false);
      } else if (op == "json_dumps_pretty") {
        RunDumps(c, /*pretty=*/true);
      } else if (op == "json_loads") {
        RunLoads(c);
      } else {
        ADD_FAILURE() << "unknown op " << op;
      }
    }
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(std::adjacent_find(names.begin(), names.end()), names.end()) << "duplicate case name";
  EXPECT_GT(by_op["json_dumps"], 0);
  EXPECT_GT(by_op["json_dumps_pretty"], 0);
  EXPECT_GT(by_op["json_loads"], 0);
  std::cout << "checked " << names.size() << " cases from " << files.size() << " files\n";
}

}  // namespace
}  // namespace json
}  // namespace ipckit
