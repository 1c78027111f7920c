// Runs every case in conformance/vectors/file_channel/*.json (ops
// file_channel_parse, file_channel_compose, file_channel_merge,
// file_channel_retain, file_channel_claim, file_channel_reader_file; see the
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
#include "cc/file_channel/channel_file_readers.h"
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
  if (v.HasMember("pos") && !v["pos"].IsNull()) m.pos = v["pos"].GetUint64();
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

// Appends each of the vector's `sends` to `text` by one write, as a writer
// does; the first failure is returned and stops the writes.
absl::Status WriteSends(const rapidjson::Value& input, const RetentionPolicy& retention, size_t max_file_bytes,
                        const std::vector<uint64_t>& reader_positions, std::string& text) {
  for (const auto& send : input["sends"].GetArray()) {
    absl::StatusOr<FileMessage> m = MessageFrom(send);
    if (!m.ok()) return m.status();
    absl::StatusOr<std::string> composed = ComposeMessage(*m);
    if (!composed.ok()) return composed.status();
    absl::StatusOr<AppendResult> appended = AppendToChannelText(
        text, "vector file", {*composed}, retention, input["now_ms"].GetUint64(), max_file_bytes, reader_positions);
    if (!appended.ok()) return appended.status();
    text = std::move(appended->text);
  }
  return absl::OkStatus();
}

// The file text and its ids are what the vector expects.
void ExpectFile(const std::string& text, const rapidjson::Value& expect) {
  EXPECT_EQ(text, Str(expect, "text"));
  auto scanned = ScanChannelFile(text, "vector file");
  ASSERT_TRUE(scanned.ok()) << scanned.status();
  std::vector<std::string> file_ids;
  for (const ScannedMessage& s : *scanned) file_ids.push_back(s.message.id);
  EXPECT_EQ(file_ids, StrList(expect["file_ids"]));
}

void RunMerge(const rapidjson::Value& input, const rapidjson::Value& expect) {
  std::string text = input["existing"].IsNull() ? "" : Str(input, "existing");
  RetentionPolicy retention;
  retention.max_messages = input["max_messages"].GetUint64();
  retention.min_age = absl::Milliseconds(input["min_age_ms"].GetInt64());
  size_t max_file_bytes =
      input.HasMember("max_file_bytes") ? input["max_file_bytes"].GetUint64() : kDefaultMaxFileBytes;
  absl::Status failed = WriteSends(input, retention, max_file_bytes, {}, text);
  if (expect.HasMember("error")) {
    ExpectErrorClass(failed, expect);
    return;
  }
  ASSERT_TRUE(failed.ok()) << failed;
  ExpectFile(text, expect);

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

// A named reader's cursor as the vectors write it.
ReaderCursor CursorFrom(const rapidjson::Value& v) {
  ReaderCursor c;
  c.pos = v["pos"].GetUint64();
  c.ids = StrList(v["ids"]);
  if (v.HasMember("updated")) c.updated_ms = v["updated"].GetUint64();
  return c;
}

void RunRetain(const rapidjson::Value& input, const rapidjson::Value& expect) {
  std::string text = input["existing"].IsNull() ? "" : Str(input, "existing");
  RetentionPolicy retention;
  retention.max_messages = input["max_messages"].GetUint64();
  retention.ack_grace = absl::Milliseconds(input["ack_grace_ms"].GetInt64());
  if (input.HasMember("max_bytes")) retention.max_bytes = input["max_bytes"].GetUint64();
  std::vector<uint64_t> positions;
  for (const auto& r : input["readers"].GetObject()) positions.push_back(r.value["pos"].GetUint64());
  absl::Status written = WriteSends(input, retention, kDefaultMaxFileBytes, positions, text);
  ASSERT_TRUE(written.ok()) << written;
  ExpectFile(text, expect);
  ASSERT_EQ(input["readers"].MemberCount(), expect["readers"].MemberCount());
  for (const auto& r : input["readers"].GetObject()) {
    const std::string name(r.name.GetString());
    SCOPED_TRACE(name);
    const rapidjson::Value& want = expect["readers"][r.name];
    CursorInbox reader(CursorFrom(r.value));
    auto fresh = reader.TakeNew(text, "vector file");
    if (want.HasMember("error")) {
      ASSERT_FALSE(fresh.ok());
      EXPECT_EQ(ErrorClassOf(fresh.status()), Str(want, "error")) << fresh.status();
      fresh = reader.TakeNew(text, "vector file");
      ASSERT_TRUE(fresh.ok()) << fresh.status();
      EXPECT_EQ(Ids(*fresh), StrList(want["new_ids_after_error"]));
    } else {
      ASSERT_TRUE(fresh.ok()) << fresh.status();
      EXPECT_EQ(Ids(*fresh), StrList(want["new_ids"]));
    }
    EXPECT_EQ(reader.cursor().pos, want["cursor"]["pos"].GetUint64());
    EXPECT_EQ(reader.cursor().ids, StrList(want["cursor"]["ids"]));
    auto again = reader.TakeNew(text, "vector file");
    ASSERT_TRUE(again.ok());
    EXPECT_TRUE(again->empty()) << "a message was delivered twice";
  }
}

void RunClaim(const rapidjson::Value& input, const rapidjson::Value& expect) {
  auto claims = ParseClaims(Str(input, "claims"), "claims");
  if (expect.HasMember("error")) {
    ExpectErrorClass(claims.status(), expect);
    return;
  }
  ASSERT_TRUE(claims.ok()) << claims.status();
  auto requests = ScanChannelFile(Str(input, "request_file"), "requests");
  auto replies = ScanChannelFile(Str(input, "reply_file"), "replies");
  ASSERT_TRUE(requests.ok() && replies.ok());
  std::vector<std::string> request_ids;
  for (const ScannedMessage& s : *requests) request_ids.push_back(s.message.id);
  const rapidjson::Value& m = input["mine"];
  const Claim mine{Str(m, "reader"), m["pid"].GetUint(), m["at"].GetUint64()};
  const std::vector<std::string> alive_readers = StrList(input["alive_readers"]);
  std::vector<uint32_t> alive_pids;
  for (const auto& p : input["alive_pids"].GetArray()) alive_pids.push_back(p.GetUint());
  ClaimDecision d = DecideClaim(Str(input, "request_id"), *claims, request_ids, *replies, mine, [&](const Claim& c) {
    return c.reader.empty() ? std::count(alive_pids.begin(), alive_pids.end(), c.pid) > 0
                            : std::count(alive_readers.begin(), alive_readers.end(), c.reader) > 0;
  });
  EXPECT_EQ(ClaimOutcomeName(d.outcome), Str(expect, "outcome"));
  if (expect.HasMember("claims")) EXPECT_EQ(ComposeClaims(d.claims), Str(expect, "claims"));
}

void RunReaderFile(const rapidjson::Value& input, const rapidjson::Value& expect) {
  const std::string text = Str(input, "text");
  if (Str(input, "kind") == "cursor") {
    auto cursor = ParseReaderCursor(text, "cursor");
    if (expect.HasMember("error")) return ExpectErrorClass(cursor.status(), expect);
    ASSERT_TRUE(cursor.ok()) << cursor.status();
    EXPECT_EQ(*cursor, CursorFrom(expect["value"]));
    EXPECT_EQ(ComposeReaderCursor(*cursor), Str(expect, "text"));
    return;
  }
  auto claims = ParseClaims(text, "claims");
  if (expect.HasMember("error")) return ExpectErrorClass(claims.status(), expect);
  ASSERT_TRUE(claims.ok()) << claims.status();
  Claims want;
  for (const auto& e : expect["value"].GetArray()) {
    want.push_back({Str(e, "request_id"), {Str(e, "reader"), e["pid"].GetUint(), e["at"].GetUint64()}});
  }
  EXPECT_EQ(*claims, want);
  EXPECT_EQ(ComposeClaims(*claims), Str(expect, "text"));
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
      } else if (op == "file_channel_retain") {
        RunRetain(c["input"], c["expect"]);
      } else if (op == "file_channel_claim") {
        RunClaim(c["input"], c["expect"]);
      } else if (op == "file_channel_reader_file") {
        RunReaderFile(c["input"], c["expect"]);
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
