// Fuzzes the IpcChannel frame codec (cc/channel/frame.h).
// Input: one chunk-size byte, then a byte stream.
// Invariants: the decoded payloads re-encode to exactly the bytes they came
// from; the stream stops only at a bad or incomplete header, with the class
// that names it; and feeding the same stream in small pieces, by copy and by
// read-style PrepareInput/CommitInput, yields the same payloads and error.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "cc/base/error.h"
#include "cc/channel/frame.h"
#include "fuzz/fuzz_input.h"

namespace {

// Small enough that the fuzzer reaches too_large, large enough for real frames.
constexpr uint32_t kMaxPayload = 1 << 16;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ipckit::frame;
  if (size == 0) return 0;
  const size_t chunk = data[0] % 17 + 1;
  absl::string_view stream(reinterpret_cast<const char*>(data) + 1, size - 1);

  DecodeResult whole = DecodeFrames(stream, kMaxPayload);
  std::string reencoded;
  for (const std::string& payload : whole.payloads) {
    auto frame = EncodeFrame(payload, kMaxPayload);
    IPCKIT_FUZZ_CHECK(frame.ok(), "a decoded payload must re-encode");
    reencoded += *frame;
  }
  IPCKIT_FUZZ_CHECK(stream.substr(0, reencoded.size()) == reencoded,
                    "payloads re-encode to the bytes they were decoded from");
  absl::string_view rest = stream.substr(reencoded.size());
  const std::string error_class = ipckit::ErrorClassOf(whole.status);
  if (rest.empty()) {
    IPCKIT_FUZZ_CHECK(whole.status.ok(), "a stream ending on a frame boundary is OK");
  } else if (rest.size() >= kHeaderSize && DecodeHeader(rest.data()) > kMaxPayload) {
    IPCKIT_FUZZ_CHECK(error_class == "too_large", "an oversized header is too_large");
  } else {
    IPCKIT_FUZZ_CHECK(rest.size() < kHeaderSize || kHeaderSize + DecodeHeader(rest.data()) > rest.size(),
                      "decoding stops only at an incomplete frame");
    IPCKIT_FUZZ_CHECK(error_class == "truncated", "an incomplete frame is truncated");
  }

  // The same stream in pieces, alternating the two ways bytes go in.
  FrameDecoder decoder(kMaxPayload);
  std::vector<std::string> pieces;
  bool by_copy = true;
  for (size_t at = 0; at < stream.size(); at += chunk, by_copy = !by_copy) {
    absl::string_view piece = stream.substr(at, chunk);
    if (by_copy) {
      decoder.Feed(piece).IgnoreError();
    } else {
      absl::Span<char> room = decoder.PrepareInput();
      if (!decoder.status().ok()) {
        IPCKIT_FUZZ_CHECK(room.empty(), "no room once the decoder has failed");
        break;
      }
      IPCKIT_FUZZ_CHECK(room.size() >= piece.size(), "PrepareInput leaves room for a read");
      std::memcpy(room.data(), piece.data(), piece.size());
      decoder.CommitInput(piece.size()).IgnoreError();
    }
    while (decoder.HasFrame()) pieces.emplace_back(decoder.NextFrame());
  }
  IPCKIT_FUZZ_CHECK(pieces == whole.payloads, "piecewise decoding yields the same payloads");
  IPCKIT_FUZZ_CHECK(ipckit::ErrorClassOf(decoder.Finish()) == error_class,
                    "piecewise decoding ends with the same status");
  return 0;
}
