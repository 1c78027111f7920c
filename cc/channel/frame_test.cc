#include "cc/channel/frame.h"


#include <algorithm>
#include <atomic>
#include <memory>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "cc/base/error.h"
#include "cc/channel/allocation_probe.h"
#include "cc/testing/vector_files.h"
#include "gtest/gtest.h"
#include "rapidjson/document.h"

namespace ipckit {
namespace frame {
namespace {

std::string Hex(absl::string_view bytes) { return absl::BytesToHexString(bytes); }

uint32_t MaxOf(const rapidjson::Value& input) {
  if (input.HasMember("max_payload")) return input["max_payload"].GetUint();
  return kDefaultMaxPayload;
}

// Runs one decode case through `decode` and compares with its expectation.
void CheckDecodeCase(const rapidjson::Value& c, const DecodeResult& got, const std::string& how) {
  const rapidjson::Value& expect = c["expect"];
  std::vector<std::string> want;
  for (const auto& p : expect["payloads_hex"].GetArray()) want.push_back(p.GetString());
  std::vector<std::string> have;
  for (const std::string& p : got.payloads) have.push_back(Hex(p));
  EXPECT_EQ(have, want) << c["name"].GetString() << " (" << how << ")";
  std::string want_error = expect.HasMember("error") ? expect["error"].GetString() : "";
  EXPECT_EQ(ErrorClassOf(got.status), want_error)
      << c["name"].GetString() << " (" << how << "): " << got.status;
}

// The same stream fed one byte at a time through the incremental interface.
DecodeResult DecodeByteByByte(absl::string_view bytes, uint32_t max) {
  DecodeResult result;
  FrameDecoder decoder(max);
  for (char b : bytes) {
    if (!decoder.Feed(absl::string_view(&b, 1)).ok()) break;
    while (decoder.HasFrame()) result.payloads.emplace_back(decoder.NextFrame());
  }
  while (decoder.HasFrame()) result.payloads.emplace_back(decoder.NextFrame());
  result.status = decoder.Finish();
  return result;
}

// The stream delivered the way IpcChannel reads: into PrepareInput() spans,
// here in uneven 3-byte pieces.
DecodeResult DecodeViaPrepareInput(absl::string_view bytes, uint32_t max) {
  DecodeResult result;
  FrameDecoder decoder(max);
  while (!bytes.empty() && decoder.status().ok()) {
    absl::Span<char> room = decoder.PrepareInput();
    size_t n = std::min({room.size(), bytes.size(), size_t{3}});
    std::copy_n(bytes.data(), n, room.data());
    bytes.remove_prefix(n);
    decoder.CommitInput(n).IgnoreError();
    while (decoder.HasFrame()) result.payloads.emplace_back(decoder.NextFrame());
  }
  result.status = decoder.Finish();
  return result;
}

TEST(FrameVectorsTest, EveryCasePasses) {
  std::vector<ipckit::testing::VectorFile> files = ipckit::testing::LoadVectorFiles("frame");
  ASSERT_FALSE(files.empty());
  for (const ipckit::testing::VectorFile& file : files) {
    const auto& cases = file.doc["cases"].GetArray();
    int checked = 0;
    for (const auto& c : cases) {
      std::string op = c["op"].GetString();
      const rapidjson::Value& input = c["input"];
      const rapidjson::Value& expect = c["expect"];
      uint32_t max = MaxOf(input);
      ASSERT_TRUE(c.HasMember("dump") && c["dump"].Size() > 0) << c["name"].GetString();
      if (op == "frame_encode") {
        std::string payload = absl::HexStringToBytes(input["payload_hex"].GetString());
        absl::StatusOr<std::string> got = EncodeFrame(payload, max);
        if (expect.HasMember("error")) {
          EXPECT_EQ(ErrorClassOf(got.status()), expect["error"].GetString())
              << c["name"].GetString();
        } else {
          ASSERT_TRUE(got.ok()) << c["name"].GetString() << ": " << got.status();
          EXPECT_EQ(Hex(*got), expect["hex"].GetString()) << c["name"].GetString();
        }
      } else if (op == "frame_decode") {
        std::string bytes = absl::HexStringToBytes(input["hex"].GetString());
        CheckDecodeCase(c, DecodeFrames(bytes, max), "one shot");
        CheckDecodeCase(c, DecodeByteByByte(bytes, max), "byte by byte");
        CheckDecodeCase(c, DecodeViaPrepareInput(bytes, max), "PrepareInput");
      } else {
        ADD_FAILURE() << "unknown op " << op << " in " << c["name"].GetString();
      }
      ++checked;
    }
    EXPECT_EQ(checked, static_cast<int>(cases.Size()));
  }
}

TEST(FrameTest, HeaderIsLittleEndian) {
  char h[4];
  EncodeHeader(0x01020304, h);
  EXPECT_EQ(std::string(h, 4), std::string("\x04\x03\x02\x01", 4));
  EXPECT_EQ(DecodeHeader(h), 0x01020304u);
}

// Guards the next test against passing vacuously: the probe must be live here.
TEST(AllocationProbeTest, SeesAllocationsInThisBinary) {
  ::ipckit::testing::ResetLargestAllocation();
  std::unique_ptr<char[]> block(new char[3 << 20]);
  static_cast<volatile char*>(block.get())[0] = 1;  // Keeps the allocation observable.
  EXPECT_GE(::ipckit::testing::LargestAllocation(), size_t{3} << 20);
}

TEST(FrameTest, OverLimitHeaderAllocatesNothingOfThatSize) {
  for (uint32_t announced : {kDefaultMaxPayload + 1, 0xFFFFFFFFu}) {
    FrameDecoder decoder;
    char h[4];
    EncodeHeader(announced, h);
    ::ipckit::testing::ResetLargestAllocation();
    absl::Status s = decoder.Feed(absl::string_view(h, 4));
    EXPECT_EQ(ErrorClassOf(s), "too_large");
    EXPECT_TRUE(absl::StrContains(s.message(), "exceeds the limit 16777216")) << s;
    EXPECT_TRUE(decoder.PrepareInput().empty());
    EXPECT_LT(::ipckit::testing::LargestAllocation(), size_t{1} << 20);
    // Sticky: later input does not revive the stream.
    EXPECT_EQ(ErrorClassOf(decoder.Feed("more")), "too_large");
    EXPECT_EQ(ErrorClassOf(decoder.Finish()), "too_large");
  }
}

TEST(FrameTest, PrepareInputOffersRoomForTheWholeFrame) {
  FrameDecoder decoder;
  char h[4];
  EncodeHeader(1 << 20, h);
  ASSERT_TRUE(decoder.Feed(absl::string_view(h, 4)).ok());
  absl::Span<char> room = decoder.PrepareInput();
  ASSERT_GE(room.size(), size_t{1} << 20);
  std::fill_n(room.data(), 1 << 20, 'z');
  ASSERT_TRUE(decoder.CommitInput(1 << 20).ok());
  ASSERT_TRUE(decoder.HasFrame());
  absl::string_view payload = decoder.NextFrame();
  EXPECT_EQ(payload.size(), size_t{1} << 20);
  EXPECT_EQ(payload.find_first_not_of('z'), absl::string_view::npos);
  EXPECT_TRUE(decoder.AtFrameBoundary());
  EXPECT_TRUE(decoder.Finish().ok());
}

TEST(FrameTest, CommitBeyondOfferedRoomIsRejected) {
  FrameDecoder decoder;
  absl::Span<char> room = decoder.PrepareInput();
  EXPECT_EQ(ErrorClassOf(decoder.CommitInput(room.size() + 1)), "invalid_argument");
}

TEST(FrameTest, TruncatedMessagesSayWhere) {
  DecodeResult r = DecodeFrames(std::string("\x05\x00\x00\x00hel", 7));
  EXPECT_TRUE(absl::StrContains(r.status.message(), "after 3 of 5 payload bytes")) << r.status;
  r = DecodeFrames(std::string("\x05\x00", 2));
  EXPECT_TRUE(absl::StrContains(r.status.message(), "2 bytes into the 4-byte header")) << r.status;
}

}  // namespace
}  // namespace frame
}  // namespace ipckit
