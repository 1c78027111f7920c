// Runs every case in conformance/vectors/file_channel/*.json (ops
// file_channel_parse, file_channel_compose, file_channel_merge; see the
// "Vectors" section of spec/file_channel.md).

#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cc/base/error.h"
#include "cc/file_channel/channel_file_format.h"
#include "cc/file_channel/inbox.h"
#include "cc/file_channel/message.h"
#include "cc/testing/vector_files.h"
#include "gtest/gtest.h"
#include "rapidjson/document.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace ipckit {
namespace {

std::string ToJson(const rapidjson::Value& v) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  v.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string Str(const rapidjson::Value& v, const char* key) {
  return v.HasMember(key) && v[key].IsString() ? std::string(v[key].GetString(), v[key].GetStringLength()) : "";
}

std::optional<std::string> OptStr(const rapidjson::Value& v, const char* key) {
  if (!v.HasMember(key) || v[key].IsNull()) return std::nullopt;
  return std::string(v[key].GetString(), v[key].GetStringLength());
}

std::vector<std::string> StrList(const rapidjson::Value& v) {
  std::vector<std::string> out;
  for (const auto& e : v.GetArray()) out.emplace_back(e.GetString(), e.GetStringLength());
  return out;
}

std::vector<std::string> Ids(const std::vector<FileMessage>& messages) {
  std::vector<std::string> out;
  for (const FileMessage& m : messages) out.push_back(m.id);
  return out;
}

void ExpectErrorClass(const absl::Status& status, const rapidjson::Value& expect) {
  ASSERT_FALSE(status.ok()) << "expected error " << Str(expect, "error");
  EXPECT_EQ(ErrorClassOf(status), Str(expect, "error")) << status;
}

void RunParse(const rapidjson::Value& input, const rapidjson::Value& expect) {
  std::string text;
  if (input.HasMember("text_hex")) {
    text = absl::HexStringToBytes(Str(input, "text_hex"));
  } else {
    text = Str(input, "text");
  }
  auto parsed = ParseChannelFile(text, "vector file");
  if (expect.HasMember("error")) {
    ExpectErrorClass(parsed.status(), expect);
    return;
  }
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const auto& want = expect["messages"].GetArray();
  ASSERT_EQ(parsed->size(), want.Size());
  for (size_t i = 0; i < parsed->size(); ++i) {
    // The normalized message is exactly what ComposeMessage writes.
    auto composed = ComposeMessage((*parsed)[i]);
    ASSERT_TRUE(composed.ok()) << composed.status();
    rapidjson::Document got;
    got.Parse(composed->c_str(), composed->size());
    ASSERT_FALSE(got.HasParseError());
    EXPECT_TRUE(got == want[i]) << "message " << i << ": got " << *composed << " want " << ToJson(want[i]);
  }
}

absl::StatusOr<FileMessage> MessageFrom(const rapidjson::Value& v) {
  FileMessage m;
  m.id = Str(v, "id");
  m.timestamp_ms = v["timestamp"].GetUint64();
  absl::StatusOr<MessageType> type = ParseMessageType(Str(v, "type"));
  if (!type.ok()) return type.status();
  m.type = *type;
  m.method = OptStr(v, "method");
  m.reply_to = OptStr(v, "reply_to");
  m.payload_json = v.HasMember("payload") ? ToJson(v["payload"]) : "null";
  m.error = OptStr(v, "error");
  if (v.HasMember("seq") && !v["seq"].IsNull()) m.seq = v["seq"].GetUint64();
  m.sender = OptStr(v, "sender");
  return m;
}

void RunCompose(const rapidjson::Value& input, const rapidjson::Value& expect) {
  absl::StatusOr<std::string> text;
  absl::StatusOr<FileMessage> m = MessageFrom(input["message"]);
  if (m.ok()) {
    text = ComposeMessage(*m);
  } else {
    text = m.status();
  }
  if (expect.HasMember("error")) {
    ExpectErrorClass(text.status(), expect);
    return;
  }
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, Str(expect, "text"));
}

void RunMerge(const rapidjson::Value& input, const rapidjson::Value& expect) {
  std::string text = input["existing"].IsNull() ? "" : Str(input, "existing");
  RetentionPolicy retention;
  retention.max_messages = input["max_messages"].GetUint64();
  retention.min_age = absl::Milliseconds(input["min_age_ms"].GetInt64());
  uint64_t now_ms = input["now_ms"].GetUint64();
  size_t max_file_bytes =
      input.HasMember("max_file_bytes") ? input["max_file_bytes"].GetUint64() : kDefaultMaxFileBytes;
  absl::Status failed;
  for (const auto& send : input["sends"].GetArray()) {
    auto m = MessageFrom(send);
    ASSERT_TRUE(m.ok()) << m.status();
    auto composed = ComposeMessage(*m);
    ASSERT_TRUE(composed.ok()) << composed.status();
    auto appended = AppendToChannelText(text, "vector file", {*composed}, retention, now_ms, max_file_bytes);
    if (!appended.ok()) {
      failed = appended.status();
      break;
    }
    text = std::move(appended->text);
  }
  if (expect.HasMember("error")) {
    ExpectErrorClass(failed, expect);
    return;
  }
  ASSERT_TRUE(failed.ok()) << failed;
  EXPECT_EQ(text, Str(expect, "text"));
  auto scanned = ScanChannelFile(text, "vector file");
  ASSERT_TRUE(scanned.ok()) << scanned.status();
  std::vector<std::string> file_ids;
  for (const ScannedMessage& s : *scanned) file_ids.push_back(s.message.id);
  EXPECT_EQ(file_ids, StrList(expect["file_ids"]));

  InboxTracker reader;
  if (input.HasMember("reader_seen") && !input["reader_seen"].IsNull()) {
    ASSERT_TRUE(reader.TakeNew(Str(input, "reader_seen"), "seen").ok());
  }
  auto fresh = reader.TakeNew(text, "vector file");
  if (expect.HasMember("reader_error")) {
    ASSERT_FALSE(fresh.ok());
    EXPECT_EQ(ErrorClassOf(fresh.status()), Str(expect, "reader_error")) << fresh.status();
    auto next = reader.TakeNew(text, "vector file");
    ASSERT_TRUE(next.ok()) << next.status();
    EXPECT_EQ(Ids(*next), StrList(expect["new_ids_after_error"]));
  } else {
    ASSERT_TRUE(fresh.ok()) << fresh.status();
    EXPECT_EQ(Ids(*fresh), StrList(expect["new_ids"]));
  }
  auto again = reader.TakeNew(text, "vector file");
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->empty()) << "a message was delivered twice";
}

TEST(FileChannelVectors, EveryCasePasses) {
  std::vector<ipckit::testing::VectorFile> files = ipckit::testing::LoadVectorFiles("file_channel");
  ASSERT_FALSE(files.empty());
  size_t total = 0;
  for (const ipckit::testing::VectorFile& file : files) {
    SCOPED_TRACE(file.path);
    for (const auto& c : file.doc["cases"].GetArray()) {
      const std::string name = Str(c, "name");
      const std::string op = Str(c, "op");
      SCOPED_TRACE(name);
      ASSERT_TRUE(c.HasMember("input") && c.HasMember("expect"));
      if (op == "file_channel_parse") {
        RunParse(c["input"], c["expect"]);
      } else if (op == "file_channel_compose") {
        RunCompose(c["input"], c["expect"]);
      } else if (op == "file_channel_merge") {
        RunMerge(c["input"], c["expect"]);
      } else {
        ADD_FAILURE() << "unknown op " << op;
      }
      ++total;
    }
  }
  std::printf("checked %zu file_channel vector cases in %zu files\n", total, files.size());
  EXPECT_GE(total, 12u);
}

}  // namespace
}  // namespace ipckit
