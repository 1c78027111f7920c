#include "cc/shm/shm_header.h"

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "cc/base/error.h"
#include "cc/testing/vector_files.h"
#include "gtest/gtest.h"
#include "rapidjson/document.h"

namespace ipckit {
namespace shm {
namespace {

// u64 fields travel as decimal strings (JSON numbers lose precision past 2^53
// in JavaScript); u16/u32 fields as numbers.
uint64_t U64(const rapidjson::Value& obj, const char* key) {
  EXPECT_TRUE(obj.HasMember(key) && obj[key].IsString()) << key;
  if (!obj.HasMember(key) || !obj[key].IsString()) return 0;
  uint64_t v = 0;
  EXPECT_TRUE(absl::SimpleAtoi(obj[key].GetString(), &v)) << key;
  return v;
}

uint32_t U32(const rapidjson::Value& obj, const char* key) {
  EXPECT_TRUE(obj.HasMember(key) && obj[key].IsUint()) << key;
  return obj.HasMember(key) && obj[key].IsUint() ? obj[key].GetUint() : 0;
}

SegmentState StateFrom(const std::string& s) {
  EXPECT_TRUE(s == "ready" || s == "initializing") << s;
  return s == "initializing" ? SegmentState::kInitializing : SegmentState::kReady;
}

void CheckBuild(const rapidjson::Value& c) {
  const rapidjson::Value& in = c["input"];
  const rapidjson::Value& expect = c["expect"];
  HeaderFields fields;
  fields.user_size = U64(in, "user_size");
  fields.creator_pid = U32(in, "creator_pid");
  fields.creator_pid_namespace = U32(in, "creator_pid_namespace");
  fields.creator_start_time = U64(in, "creator_start_time");
  fields.creation_time_ns = U64(in, "creation_time_ns");
  fields.state = StateFrom(in["state"].GetString());
  absl::StatusOr<std::string> built = BuildHeader(fields);
  if (expect.HasMember("error")) {
    EXPECT_EQ(ErrorClassOf(built.status()), expect["error"].GetString()) << built.status();
    return;
  }
  ASSERT_TRUE(built.ok()) << built.status();
  EXPECT_EQ(absl::BytesToHexString(*built), expect["hex"].GetString());
}

void CheckParse(const rapidjson::Value& c) {
  const rapidjson::Value& in = c["input"];
  const rapidjson::Value& expect = c["expect"];
  const std::string head = absl::HexStringToBytes(in["hex"].GetString());
  ASSERT_TRUE(in["object_size"].IsUint64());
  absl::StatusOr<HeaderFields> parsed = ParseHeader(head, in["object_size"].GetUint64());
  if (expect.HasMember("error")) {
    EXPECT_EQ(ErrorClassOf(parsed.status()), expect["error"].GetString()) << parsed.status();
    return;
  }
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->format_version, U32(expect, "format_version"));
  EXPECT_EQ(parsed->header_size, U32(expect, "header_size"));
  EXPECT_EQ(parsed->flags, U32(expect, "flags"));
  EXPECT_EQ(parsed->user_size, U64(expect, "user_size"));
  EXPECT_EQ(parsed->data_offset, U64(expect, "data_offset"));
  EXPECT_EQ(parsed->creator_pid, U32(expect, "creator_pid"));
  EXPECT_EQ(parsed->creator_pid_namespace, U32(expect, "creator_pid_namespace"));
  EXPECT_EQ(parsed->creator_start_time, U64(expect, "creator_start_time"));
  EXPECT_EQ(parsed->creation_time_ns, U64(expect, "creation_time_ns"));
  EXPECT_EQ(SegmentStateName(parsed->state), expect["state"].GetString());
  EXPECT_EQ(parsed->checksum, U32(expect, "checksum"));
}

TEST(ShmHeaderVectorsTest, EveryCaseInEveryFile) {
  const std::vector<ipckit::testing::VectorFile> files = ipckit::testing::LoadVectorFiles("shm");
  ASSERT_FALSE(files.empty());
  for (const ipckit::testing::VectorFile& file : files) {
    SCOPED_TRACE(file.path);
    const auto& cases = file.doc["cases"].GetArray();
    int checked = 0;
    for (const rapidjson::Value& c : cases) {
      SCOPED_TRACE(c["name"].GetString());
      const std::string op = c["op"].GetString();
      if (op == "shm_header_build") {
        CheckBuild(c);
      } else if (op == "shm_header_parse") {
        CheckParse(c);
      } else {
        ADD_FAILURE() << "unknown op " << op;
        continue;
      }
      ++checked;
    }
    EXPECT_EQ(checked, static_cast<int>(cases.Size()));
  }
}

TEST(ShmHeaderTest, Crc32cCheckValue) {
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(Crc32c(""), 0u);
}

TEST(ShmHeaderTest, BuildThenParseRoundTrips) {
  HeaderFields in;
  in.user_size = 12345;
  in.creator_pid = 77;
  in.creator_pid_namespace = 99;
  in.creator_start_time = 5;
  in.creation_time_ns = 6;
  in.state = SegmentState::kInitializing;
  absl::StatusOr<std::string> bytes = BuildHeader(in);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  ASSERT_EQ(bytes->size(), kHeaderSize);
  absl::StatusOr<HeaderFields> out = ParseHeader(*bytes, kHeaderSize + 12345);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->user_size, 12345u);
  EXPECT_EQ(out->creator_pid, 77u);
  EXPECT_EQ(out->creator_pid_namespace, 99u);
  EXPECT_EQ(out->creator_start_time, 5u);
  EXPECT_EQ(out->creation_time_ns, 6u);
  EXPECT_EQ(out->state, SegmentState::kInitializing);
  EXPECT_EQ(out->data_offset, kHeaderSize);
}

TEST(ShmHeaderTest, EveryFlippedBitIsCaught) {
  HeaderFields in;
  in.user_size = 100;
  const std::string good = *BuildHeader(in);
  for (size_t bit = 0; bit < kChecksummedSize * 8; ++bit) {
    std::string bad = good;
    bad[bit / 8] ^= static_cast<char>(1 << (bit % 8));
    absl::StatusOr<HeaderFields> parsed = ParseHeader(bad, 1 << 20);
    EXPECT_FALSE(parsed.ok()) << "bit " << bit;
  }
}

TEST(ShmHeaderTest, ShortHeadIsACallerError) {
  HeaderFields in;
  in.user_size = 100;
  const std::string good = *BuildHeader(in);
  EXPECT_EQ(ErrorClassOf(ParseHeader(absl::string_view(good).substr(0, 20), 164).status()),
            kErrInvalidArgument);
}

TEST(ShmHeaderTest, ErrorsNameTheProblem) {
  absl::Status s = ParseHeader("XXXXXXXXXXXXXXXX", 16).status();
  EXPECT_NE(s.message().find("not an ipckit segment"), absl::string_view::npos) << s;
  HeaderFields in;
  in.user_size = 4096;
  s = ParseHeader(*BuildHeader(in), 100).status();
  EXPECT_NE(s.message().find("4096"), absl::string_view::npos) << s;
  EXPECT_NE(s.message().find("100"), absl::string_view::npos) << s;
}

}  // namespace
}  // namespace shm
}  // namespace ipckit
