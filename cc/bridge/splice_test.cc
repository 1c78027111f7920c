#include "cc/bridge/splice.h"

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "cc/base/error.h"
#include "cc/file_channel/message.h"
#include "cc/testing/vector_files.h"
#include "gtest/gtest.h"

namespace ipckit::bridge {
namespace {

std::string Msg(int i) {
  return absl::StrCat("{\"id\":\"m", i, "\",\"timestamp\":", 1000 + i,
                      ",\"type\":\"event\",\"method\":\"tick\",\"payload\":{\"i\":", i,
                      ",\"text\":\"some payload text\"},\"seq\":", i + 1, ",\"sender\":\"w\"}");
}

// A channel file holding messages [first, last), as writers compose it.
std::string File(int first, int last) {
  std::vector<std::string> texts;
  for (int i = first; i < last; ++i) texts.push_back(Msg(i));
  std::vector<absl::string_view> views(texts.begin(), texts.end());
  return ComposeChannelFile(views);
}

void ExpectRebuilds(absl::string_view old_text, absl::string_view new_text, const Splice& s) {
  absl::StatusOr<std::string> rebuilt = ApplySplice(old_text, s);
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  EXPECT_EQ(*rebuilt, new_text);
}

TEST(ComputeSplice, AppendedMessagesSendOnlyTheNewOnes) {
  const std::string old_text = File(0, 50);
  const std::string new_text = File(0, 53);
  std::optional<Splice> s = ComputeSplice(old_text, new_text);
  ASSERT_TRUE(s.has_value());
  ExpectRebuilds(old_text, new_text, *s);
  // The body is the opening bracket plus the three new messages, nothing old.
  EXPECT_LT(s->body.size(), 4 * Msg(99).size());
  EXPECT_EQ(s->body.find("\"m49\""), std::string::npos);
  EXPECT_NE(s->body.find("\"m52\""), std::string::npos);
}

TEST(ComputeSplice, PrunedAndAppendedKeepsTheSurvivingRun) {
  const std::string old_text = File(0, 50);
  const std::string new_text = File(7, 52);  // 7 pruned from the front, 2 added
  std::optional<Splice> s = ComputeSplice(old_text, new_text);
  ASSERT_TRUE(s.has_value());
  ExpectRebuilds(old_text, new_text, *s);
  EXPECT_EQ(s->body.find("\"m8\""), std::string::npos);
  EXPECT_GT(s->to - s->from, old_text.size() / 2);
}

TEST(ComputeSplice, ForeignLayoutsStillRebuildExactly) {
  // Another writer's layout: pretty-printed, different separators.
  const std::string old_text = absl::StrReplaceAll(File(0, 30), {{",\n", " ,\n  "}});
  const std::string new_text = absl::StrReplaceAll(File(0, 31), {{",\n", " ,\n  "}});
  std::optional<Splice> s = ComputeSplice(old_text, new_text);
  ASSERT_TRUE(s.has_value());
  ExpectRebuilds(old_text, new_text, *s);
}

TEST(ComputeSplice, UnrelatedOrTinyFilesGetNoSplice) {
  EXPECT_FALSE(ComputeSplice(File(0, 40), File(100, 140)).has_value());  // nothing shared
  EXPECT_FALSE(ComputeSplice("", File(0, 3)).has_value());               // no old message
  EXPECT_FALSE(ComputeSplice(File(0, 1), File(0, 2)).has_value());       // run too short to pay
  EXPECT_FALSE(ComputeSplice(File(0, 40), "").has_value());              // emptied
  // The last old message was rewritten: the run must end at it, so no splice.
  std::string changed = File(0, 41);
  changed.replace(changed.find("\"m39\""), 5, "\"mXX\"");
  std::optional<Splice> s = ComputeSplice(File(0, 40), changed);
  if (s.has_value()) ExpectRebuilds(File(0, 40), changed, *s);  // if any, it must be exact
}

TEST(ComputeSplice, EverySplitRebuildsExactly) {
  // Exhaustive over small prune/append combinations.
  for (int pruned = 0; pruned < 6; ++pruned) {
    for (int added = 0; added < 6; ++added) {
      const std::string old_text = File(0, 20);
      const std::string new_text = File(pruned, 20 + added);
      std::optional<Splice> s = ComputeSplice(old_text, new_text);
      ASSERT_TRUE(s.has_value()) << pruned << " pruned, " << added << " added";
      ExpectRebuilds(old_text, new_text, *s);
    }
  }
}

TEST(ApplySplice, RefusesASpliceThatDoesNotFit) {
  Splice s;
  s.body = "[\n]\n";
  s.at = 2;
  s.from = 0;
  s.to = 10;
  absl::StatusOr<std::string> r = ApplySplice("short", s);  // to past the old text
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(ErrorClassOf(r.status()), "corrupt");
  EXPECT_TRUE(absl::StrContains(r.status().message(), "base of 5 bytes")) << r.status();
  s.to = 3;
  s.from = 4;
  EXPECT_EQ(ErrorClassOf(ApplySplice("short", s).status()), "corrupt");  // from > to
  s.from = 0;
  s.at = 99;
  EXPECT_EQ(ErrorClassOf(ApplySplice("short", s).status()), "corrupt");  // at past the body
}

// The shared vectors (conformance/vectors/bridge), as every implementation's
// own tests run them.
TEST(ApplySplice, SharedVectors) {
  std::vector<ipckit::testing::VectorFile> files = ipckit::testing::LoadVectorFiles("bridge");
  ASSERT_FALSE(files.empty());
  int checked = 0;
  for (const ipckit::testing::VectorFile& file : files) {
    SCOPED_TRACE(file.path);
    for (const auto& c : file.doc["cases"].GetArray()) {
      if (std::string(c["op"].GetString()) != "bridge_splice_apply") continue;  // sse_event.json: bridge_server_test
      const rapidjson::Value& input = c["input"];
      const rapidjson::Value& expect = c["expect"];
      Splice s;
      s.at = input["at"].GetUint64();
      s.from = input["from"].GetUint64();
      s.to = input["to"].GetUint64();
      s.body = absl::HexStringToBytes(input["body_hex"].GetString());
      absl::StatusOr<std::string> got = ApplySplice(absl::HexStringToBytes(input["base_hex"].GetString()), s);
      if (expect.HasMember("error")) {
        EXPECT_EQ(ErrorClassOf(got.status()), expect["error"].GetString()) << c["name"].GetString();
      } else {
        ASSERT_TRUE(got.ok()) << c["name"].GetString() << ": " << got.status();
        EXPECT_EQ(absl::BytesToHexString(*got), expect["hex"].GetString()) << c["name"].GetString();
      }
      ++checked;
    }
  }
  EXPECT_GE(checked, 5);
}

}  // namespace
}  // namespace ipckit::bridge
