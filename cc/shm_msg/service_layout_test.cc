#include "cc/shm_msg/service_layout.h"

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "cc/base/error.h"
#include "cc/shm/shm_header.h"
#include "cc/testing/vector_files.h"
#include "gtest/gtest.h"
#include "rapidjson/document.h"

namespace ipckit {
namespace shm_msg {
namespace {

// The worked example of spec/shm_messaging.md.
ServiceConfig Example() {
  ServiceConfig c;
  c.max_subscribers = 2;
  c.max_payload = 100;
  c.pool_slots = 8;
  c.subscriber_buffer = 4;
  c.history = 1;
  c.max_held = 2;
  c.overflow = Overflow::kDropOldest;
  return c;
}

TEST(ServiceLayoutTest, WorkedExampleOffsets) {
  absl::StatusOr<Layout> l = ComputeLayout(Example());
  ASSERT_TRUE(l.ok()) << l.status();
  EXPECT_EQ(l->participants_offset, 128u);
  EXPECT_EQ(l->slots_offset, 320u);
  EXPECT_EQ(l->queues_offset, 576u);
  EXPECT_EQ(l->queue_stride, 320u);
  EXPECT_EQ(l->history_offset, 1216u);
  EXPECT_EQ(l->payload_offset, 4096u);
  EXPECT_EQ(l->slot_stride, 128u);
  EXPECT_EQ(l->total_size, 5120u);
}

TEST(ServiceLayoutTest, WorkedExampleHeaderBytes) {
  const ServiceConfig c = Example();
  const std::string header = BuildHeader(c, *ComputeLayout(c));
  ASSERT_EQ(header.size(), kHeaderSize);
  EXPECT_EQ(absl::BytesToHexString(header.substr(0, 104)),
            "4950434b4d534700" "0100800000000000"
            "0100000002000000" "6400000000000000"
            "0800000004000000" "0100000002000000"
            "0000000000000000" "8000000000000000"
            "4001000000000000" "4002000000000000"
            "c004000000000000" "0010000000000000"
            "0014000000000000");
  // State 0 (initializing), no closer, checksum over bytes 0..103.
  EXPECT_EQ(header.substr(104, 20), std::string(20, '\0'));
  const uint32_t crc = shm::Crc32c(header.substr(0, 104));
  EXPECT_EQ(static_cast<unsigned char>(header[124]), crc & 0xff);
  EXPECT_EQ(static_cast<unsigned char>(header[127]), crc >> 24);
}

TEST(ServiceLayoutTest, ParseRoundTrip) {
  const ServiceConfig c = Example();
  const Layout l = *ComputeLayout(c);
  absl::StatusOr<ParsedHeader> p = ParseHeader(BuildHeader(c, l), l.total_size);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(p->config == c);
  EXPECT_EQ(p->layout.total_size, l.total_size);
  EXPECT_EQ(p->state, 0u);
}

std::string ErrorOf(const std::string& bytes, uint64_t object_size) {
  return ErrorClassOf(ParseHeader(bytes, object_size).status());
}

TEST(ServiceLayoutTest, ValidationStepsInOrder) {
  const ServiceConfig c = Example();
  const Layout l = *ComputeLayout(c);
  const std::string good = BuildHeader(c, l);
  EXPECT_EQ(ErrorOf(good.substr(0, 64), 64), "corrupt");  // 1: too small
  std::string b = good;
  b[0] = 'X';
  EXPECT_EQ(ErrorOf(b, l.total_size), "corrupt");  // 2: magic
  b = good;
  b[8] = 0;
  EXPECT_EQ(ErrorOf(b, l.total_size), "corrupt");  // 3: version 0
  b = good;
  b[8] = 3;
  EXPECT_EQ(ErrorOf(b, l.total_size), "unsupported_version");  // 4: newer
  b = good;
  b[10] = 64;
  EXPECT_EQ(ErrorOf(b, l.total_size), "corrupt");  // 5: header_size
  b = good;
  b[24] = 101;  // max_payload changed, checksum stale
  EXPECT_EQ(ErrorOf(b, l.total_size), "corrupt");  // 6: checksum
  EXPECT_EQ(ErrorOf(good, l.total_size - 1), "corrupt");  // 12: truncated
}

TEST(ServiceLayoutTest, ResolveFillsThePoolAndChecksRanges) {
  ServiceConfig c;
  c.max_subscribers = 3;
  c.subscriber_buffer = 5;
  c.max_held = 2;
  c.history = 4;
  absl::StatusOr<ServiceConfig> r = ResolveConfig(c);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->pool_slots, 3u * (5 + 2) + 4 + 2);
  c.max_subscribers = 33;
  EXPECT_EQ(ErrorClassOf(ResolveConfig(c).status()), "invalid_argument");
  c.max_subscribers = 1;
  c.max_payload = 0;
  EXPECT_EQ(ErrorClassOf(ResolveConfig(c).status()), "invalid_argument");
  c.max_payload = uint64_t{1} << 40;
  c.pool_slots = 65535;
  EXPECT_EQ(ErrorClassOf(ComputeLayout(c).status()), "too_large");
}

TEST(ServiceLayoutTest, ConfigMismatchNamesTheField) {
  ServiceConfig a = Example(), b = Example();
  b.history = 3;
  absl::Status s = CheckSameConfig(a, b);
  EXPECT_EQ(ErrorClassOf(s), "invalid_argument");
  EXPECT_NE(s.message().find("history"), absl::string_view::npos) << s;
  EXPECT_TRUE(CheckSameConfig(a, a).ok());
}

// conformance/vectors/shm_msg: u64 fields are decimal strings, u32 numbers.
uint64_t U64(const rapidjson::Value& obj, const char* key) {
  uint64_t v = 0;
  EXPECT_TRUE(absl::SimpleAtoi(obj[key].GetString(), &v)) << key;
  return v;
}

ServiceConfig ConfigOf(const rapidjson::Value& in) {
  ServiceConfig c;
  if (in.HasMember("max_publishers")) c.max_publishers = in["max_publishers"].GetUint();
  c.max_subscribers = in["max_subscribers"].GetUint();
  c.max_payload = U64(in, "max_payload");
  c.pool_slots = in["pool_slots"].GetUint();
  c.subscriber_buffer = in["subscriber_buffer"].GetUint();
  c.history = in["history"].GetUint();
  c.max_held = in["max_held"].GetUint();
  c.overflow = static_cast<Overflow>(in["overflow"].GetUint());
  return c;
}

void ExpectLayout(const Layout& l, const rapidjson::Value& want) {
  EXPECT_EQ(l.participants_offset, U64(want, "participants_offset"));
  EXPECT_EQ(l.slots_offset, U64(want, "slots_offset"));
  EXPECT_EQ(l.queues_offset, U64(want, "queues_offset"));
  EXPECT_EQ(l.queue_stride, U64(want, "queue_stride"));
  EXPECT_EQ(l.history_offset, U64(want, "history_offset"));
  if (want.HasMember("history_stride")) {
    EXPECT_EQ(l.history_stride, U64(want, "history_stride"));
  }
  EXPECT_EQ(l.payload_offset, U64(want, "payload_offset"));
  EXPECT_EQ(l.slot_stride, U64(want, "slot_stride"));
  EXPECT_EQ(l.total_size, U64(want, "total_size"));
}

void CheckBuild(const rapidjson::Value& c) {
  const ServiceConfig config = ConfigOf(c["input"]);
  absl::StatusOr<Layout> l = ComputeLayout(config);
  ASSERT_TRUE(l.ok()) << l.status();
  ExpectLayout(*l, c["expect"]["layout"]);
  EXPECT_EQ(absl::BytesToHexString(BuildHeader(config, *l)), c["expect"]["hex"].GetString());
}

void CheckParse(const rapidjson::Value& c) {
  const rapidjson::Value& expect = c["expect"];
  absl::StatusOr<ParsedHeader> p = ParseHeader(absl::HexStringToBytes(c["input"]["hex"].GetString()),
                                               U64(c["input"], "object_size"));
  if (expect.HasMember("error")) {
    EXPECT_EQ(ErrorClassOf(p.status()), expect["error"].GetString()) << p.status();
    return;
  }
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(p->config == ConfigOf(expect["config"]));
  ExpectLayout(p->layout, expect["layout"]);
  EXPECT_EQ(p->state, expect["state"].GetUint());
}

TEST(ServiceLayoutVectorsTest, EveryCaseInEveryFile) {
  const std::vector<ipckit::testing::VectorFile> files =
      ipckit::testing::LoadVectorFiles("shm_msg");
  ASSERT_FALSE(files.empty());
  for (const ipckit::testing::VectorFile& file : files) {
    SCOPED_TRACE(file.path);
    int checked = 0;
    for (const rapidjson::Value& c : file.doc["cases"].GetArray()) {
      SCOPED_TRACE(c["name"].GetString());
      const std::string op = c["op"].GetString();
      if (op == "shm_msg_header_build") {
        CheckBuild(c);
      } else if (op == "shm_msg_header_parse") {
        CheckParse(c);
      } else {
        ADD_FAILURE() << "unknown op " << op;
        continue;
      }
      ++checked;
    }
    EXPECT_EQ(checked, static_cast<int>(file.doc["cases"].Size()));
  }
}

}  // namespace
}  // namespace shm_msg
}  // namespace ipckit
