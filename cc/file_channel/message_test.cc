#include "cc/file_channel/message.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "cc/base/error.h"
#include "gtest/gtest.h"

namespace ipckit {
namespace {

FileMessage Sample() {
  FileMessage m;
  m.id = "3f6c2a7e-1d2b-4c5d-8e9f-0a1b2c3d4e5f";
  m.timestamp_ms = 1732500000123;
  m.type = MessageType::kRequest;
  m.method = "getData";
  m.payload_json = R"({ "key" : "user_info", "n": [1, 2] })";
  m.seq = 7;
  m.sender = "writer-a";
  return m;
}

TEST(ComposeMessage, ExactText) {
  auto text = ComposeMessage(Sample());
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text,
            R"({"id":"3f6c2a7e-1d2b-4c5d-8e9f-0a1b2c3d4e5f","timestamp":1732500000123,"type":"request",)"
            R"("method":"getData","payload":{"key":"user_info","n":[1,2]},"seq":7,"sender":"writer-a"})");
}

TEST(ComposeMessage, ErrorResponseFieldOrder) {
  FileMessage m;
  m.id = "r1";
  m.timestamp_ms = 5;
  m.type = MessageType::kResponse;
  m.reply_to = "q1";
  m.error = "boom \"x\"\n";
  auto text = ComposeMessage(m);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, R"({"id":"r1","timestamp":5,"type":"response","reply_to":"q1","payload":null,)"
                   R"("error":"boom \"x\"\n"})");
  m.method = "m";  // ipckit 0.1's order: reply_to, then method
  EXPECT_EQ(*ComposeMessage(m), R"({"id":"r1","timestamp":5,"type":"response","reply_to":"q1","method":"m",)"
                                R"("payload":null,"error":"boom \"x\"\n"})");
}

TEST(ComposeMessage, RoundTripsThroughParse) {
  auto text = ComposeMessage(Sample());
  ASSERT_TRUE(text.ok());
  auto parsed = ParseMessage(*text);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  FileMessage expected = Sample();
  expected.payload_json = R"({"key":"user_info","n":[1,2]})";
  EXPECT_EQ(*parsed, expected);
}

TEST(ComposeMessage, RejectsBadInput) {
  FileMessage m = Sample();
  m.id = "";
  EXPECT_EQ(ErrorClassOf(ComposeMessage(m).status()), "invalid_argument");
  for (const char* bad : {"", "NaN", "Infinity", "{", "1 2", "1e400", "[1,]", "\"\xff\""}) {
    m = Sample();
    m.payload_json = bad;
    auto text = ComposeMessage(m);
    EXPECT_EQ(ErrorClassOf(text.status()), "invalid_argument") << bad;
  }
  m = Sample();
  m.method = std::string("bad \xc3(");
  EXPECT_EQ(ErrorClassOf(ComposeMessage(m).status()), "invalid_argument");
  m = Sample();
  m.payload_json = std::string(200, '[') + std::string(200, ']');
  EXPECT_EQ(ErrorClassOf(ComposeMessage(m).status()), "too_large");
  // What is written must be readable: the file array and the message object
  // take two of the kMaxJsonDepth levels.
  m.payload_json = std::string(kMaxJsonDepth - 1, '[') + std::string(kMaxJsonDepth - 1, ']');
  EXPECT_EQ(ErrorClassOf(ComposeMessage(m).status()), "too_large");
  m.payload_json = std::string(kMaxJsonDepth - 2, '[') + std::string(kMaxJsonDepth - 2, ']');
  auto deepest = ComposeMessage(m);
  ASSERT_TRUE(deepest.ok());
  EXPECT_TRUE(ScanChannelFile(ComposeChannelFile({*deepest}), "f").ok());
}

TEST(NormalizeJson, Compacts) {
  EXPECT_EQ(*NormalizeJson(" { \"a\" : [ 1 , true , null , \"\\u00e9\" ] } "), "{\"a\":[1,true,null,\"\xc3\xa9\"]}");
  // spec/json.md formatting: lowercase \u escapes, shortest doubles, "-0" is a double.
  EXPECT_EQ(*NormalizeJson("\"\\u001F\\u0001\""), "\"\\u001f\\u0001\"");
  EXPECT_EQ(*NormalizeJson("[1.50, 1e2, -0, 0.1]"), "[1.5,100.0,-0.0,0.1]");
  EXPECT_EQ(*NormalizeJson("18446744073709551615"), "18446744073709551615");
  EXPECT_EQ(*NormalizeJson("-5"), "-5");
  EXPECT_EQ(*NormalizeJson("1.5"), "1.5");
  EXPECT_EQ(ErrorClassOf(NormalizeJson(absl::string_view("1\0", 2)).status()), "invalid_argument");
}

TEST(ScanChannelFile, SpansCoverMessagesAndPayloads) {
  std::string text =
      "[ {\"id\":\"a\",\"timestamp\":1,\"type\":\"event\",\"payload\": {\"x\":[1]} , \"extra\":{\"y\":2}},\n"
      "  {\"payload\" :  \"s\", \"id\":\"b\",\"timestamp\":2,\"type\":\"request\",\"method\":null} ,"
      "{\"id\":\"c\",\"timestamp\":3,\"type\":\"response\",\"reply_to\":\"b\",\"payload\":17} ]";
  auto scanned = ScanChannelFile(text, "f");
  ASSERT_TRUE(scanned.ok()) << scanned.status();
  ASSERT_EQ(scanned->size(), 3u);
  const auto& s = *scanned;
  EXPECT_EQ(text.substr(s[0].begin, s[0].end - s[0].begin),
            "{\"id\":\"a\",\"timestamp\":1,\"type\":\"event\",\"payload\": {\"x\":[1]} , \"extra\":{\"y\":2}}");
  EXPECT_EQ(text.substr(s[0].payload_begin, s[0].payload_end - s[0].payload_begin), "{\"x\":[1]}");
  EXPECT_EQ(text.substr(s[1].payload_begin, s[1].payload_end - s[1].payload_begin), "\"s\"");
  EXPECT_EQ(text.substr(s[2].payload_begin, s[2].payload_end - s[2].payload_begin), "17");
  EXPECT_FALSE(s[1].message.method.has_value());
  EXPECT_EQ(s[2].message.reply_to, "b");
  EXPECT_EQ(s[2].message.type, MessageType::kResponse);

  auto parsed = ParseChannelFile(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ((*parsed)[0].payload_json, "{\"x\":[1]}");
  EXPECT_EQ((*parsed)[1].payload_json, "\"s\"");
}

TEST(ScanChannelFile, EmptyAndWhitespaceAreEmptyChannels) {
  for (const char* text : {"", "  \n", "[]", " [ ] \n"}) {
    auto scanned = ScanChannelFile(text, "f");
    ASSERT_TRUE(scanned.ok()) << text;
    EXPECT_TRUE(scanned->empty());
  }
}

TEST(ScanChannelFile, MissingPayloadReadsAsNull) {
  auto parsed = ParseChannelFile(R"([{"id":"a","timestamp":1,"type":"event"}])");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ((*parsed)[0].payload_json, "null");
}

struct CorruptCase {
  const char* text;
  const char* message_part;  // must appear in the error message
};

TEST(ScanChannelFile, CorruptFilesNameTheProblem) {
  const CorruptCase cases[] = {
      {"[{\"id\":\"a\",\"timestamp\":1,\"type\":\"event\",\"payload\":1},{\"id\":\"b\",\"tim", "truncated"},
      {"garbage", "invalid JSON at byte 0"},
      {"{\"id\":\"a\"}", "root is an object"},
      {"42", "root is an unsigned integer"},
      {"[1]", "element at index 0 is an unsigned integer"},
      {"[[]]", "element at index 0 is an array"},
      {"[{\"id\":\"a\",\"timestamp\":1,\"type\":5}]", "field \"type\" at byte 32 is an unsigned integer"},
      {"[{\"id\":\"a\",\"timestamp\":1,\"type\":\"note\"}]", "field \"type\" is \"note\""},
      {"[{\"id\":\"a\",\"timestamp\":-1,\"type\":\"event\"}]", "negative"},
      {"[{\"id\":\"a\",\"timestamp\":1.5,\"type\":\"event\"}]", "not an integer"},
      {"[{\"id\":7,\"timestamp\":1,\"type\":\"event\"}]", "field \"id\""},
      {"[{\"id\":\"\",\"timestamp\":1,\"type\":\"event\"}]", "empty"},
      {"[{\"timestamp\":1,\"type\":\"event\"}]", "required field \"id\" is missing"},
      {"[{\"id\":\"a\",\"type\":\"event\"}]", "required field \"timestamp\""},
      {"[{\"id\":\"a\",\"timestamp\":1,\"type\":\"event\",\"id\":\"b\"}]", "appears twice"},
      {"[{\"id\":\"a\",\"timestamp\":1,\"type\":\"event\",\"method\":[1]}]", "field \"method\""},
      {"[{\"id\":\"a\",\"timestamp\":1,\"type\":\"event\",\"seq\":\"1\"}]", "field \"seq\""},
      {"[{\"id\":\"a\",\"timestamp\":1,\"type\":\"event\"}] x", "invalid JSON at byte"},
      {"[{\"id\":\"a\",\"timestamp\":1,\"type\":\"event\",}]", "invalid JSON"},
      {"[{\"id\":\"\xff\",\"timestamp\":1,\"type\":\"event\"}]", "invalid JSON"},
      {"[{\"id\":\"a\",\"timestamp\":1,\"type\":\"event\",\"payload\":\"\\udc00\"}]", "lone surrogate"},
  };
  for (const CorruptCase& c : cases) {
    auto scanned = ScanChannelFile(c.text, "/x/frontend_to_backend.json");
    ASSERT_FALSE(scanned.ok()) << c.text;
    EXPECT_EQ(ErrorClassOf(scanned.status()), "corrupt") << c.text;
    EXPECT_NE(scanned.status().message().find(c.message_part), absl::string_view::npos)
        << c.text << " => " << scanned.status().message();
    EXPECT_NE(scanned.status().message().find("/x/frontend_to_backend.json"), absl::string_view::npos);
    EXPECT_NE(scanned.status().message().find("byte"), absl::string_view::npos) << scanned.status().message();
  }
  std::string with_nul("[]\0[]", 5);
  EXPECT_EQ(ErrorClassOf(ScanChannelFile(with_nul, "f").status()), "corrupt");
}

TEST(ScanChannelFile, DeepNestingIsRefusedNotRecursed) {
  std::string deep = absl::StrCat("[{\"id\":\"a\",\"timestamp\":1,\"type\":\"event\",\"payload\":",
                                  std::string(100000, '['), std::string(100000, ']'), "}]");
  auto scanned = ScanChannelFile(deep, "f");
  ASSERT_FALSE(scanned.ok());
  EXPECT_EQ(ErrorClassOf(scanned.status()), "too_large");
}

TEST(ComposeChannelFile, Layout) {
  EXPECT_EQ(ComposeChannelFile({}), "[]\n");
  EXPECT_EQ(ComposeChannelFile({"{\"a\":1}", "{\"b\":2}"}), "[\n{\"a\":1},\n{\"b\":2}\n]\n");
}

TEST(ParseMessage, PosIsAnOptionalUnsignedIntegerWrittenLast) {
  auto m = ParseMessage(R"({"id":"a","timestamp":1,"type":"event","payload":null,"pos":18446744073709551615})");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->pos, 18446744073709551615u);
  EXPECT_EQ(*ComposeMessage(*m), R"({"id":"a","timestamp":1,"type":"event","payload":null,"pos":18446744073709551615})");
  EXPECT_FALSE(ParseMessage(R"({"id":"a","timestamp":1,"type":"event","pos":null})")->pos);
  for (const char* bad : {R"({"id":"a","timestamp":1,"type":"event","pos":-1})",
                          R"({"id":"a","timestamp":1,"type":"event","pos":1.5})",
                          R"({"id":"a","timestamp":1,"type":"event","pos":"1"})",
                          R"({"id":"a","timestamp":1,"type":"event","pos":1,"pos":2})"}) {
    EXPECT_EQ(ErrorClassOf(ParseMessage(bad).status()), "corrupt") << bad;
  }
}

TEST(MessageType, Names) {
  EXPECT_EQ(MessageTypeName(MessageType::kRequest), "request");
  EXPECT_EQ(*ParseMessageType("response"), MessageType::kResponse);
  EXPECT_EQ(ErrorClassOf(ParseMessageType("Event").status()), "invalid_argument");
}

}  // namespace
}  // namespace ipckit
