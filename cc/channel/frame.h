// The IpcChannel frame codec: a u32 little-endian payload length, then the
// payload (spec/channel_framing.md). Pure computation, no I/O, so the same
// code can be compiled for WASM.
//
//   ipckit::frame::FrameDecoder decoder(/*max_payload=*/1 << 20);
//   IPCKIT_RETURN_IF_ERROR(decoder.Feed(bytes_from_somewhere));
//   while (decoder.HasFrame()) Handle(decoder.NextFrame());
#ifndef IPCKIT_CC_CHANNEL_FRAME_H_
#define IPCKIT_CC_CHANNEL_FRAME_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace ipckit {
namespace frame {

inline constexpr size_t kHeaderSize = 4;
// 16 MiB: the default largest payload a reader accepts and a writer sends.
inline constexpr uint32_t kDefaultMaxPayload = 16u * 1024 * 1024;

// Writes the header for a payload of `payload_size` bytes to out[0..3].
void EncodeHeader(uint32_t payload_size, char* out);
// Reads the payload length from in[0..3].
uint32_t DecodeHeader(const char* in);

// OK if a payload of `size` bytes is within `max_payload`; else too_large
// "frame length <size> exceeds the limit <max_payload>".
absl::Status CheckPayloadSize(uint64_t size, uint32_t max_payload);

// Header and payload in one string. (IpcChannel does not build this: it
// writes the header and the caller's payload with a single writev.)
absl::StatusOr<std::string> EncodeFrame(absl::string_view payload,
                                        uint32_t max_payload = kDefaultMaxPayload);

// Splits a byte stream into payloads. Bytes go in either by copy (Feed) or by
// letting read(2) fill the decoder's buffer directly (PrepareInput, then
// CommitInput). A header announcing more than `max_payload` bytes puts the
// decoder into a sticky too_large state before any room for that payload is
// allocated; the stream is then unusable, since its frame boundaries are lost.
// Errors surface in stream order: frames before a bad header are still
// returned first.
class FrameDecoder {
 public:
  explicit FrameDecoder(uint32_t max_payload = kDefaultMaxPayload);
  FrameDecoder(FrameDecoder&&) noexcept = default;
  FrameDecoder& operator=(FrameDecoder&&) noexcept = default;
  FrameDecoder(const FrameDecoder&) = delete;
  FrameDecoder& operator=(const FrameDecoder&) = delete;

  // Appends a copy of `bytes`. Returns status().
  absl::Status Feed(absl::string_view bytes);

  // Free space at the end of the buffer for a read to fill: at least enough to
  // complete the current frame, and at least 64 KiB so that one read can take
  // a header, a small payload and the frames after it. Empty once status() is
  // an error. Invalidates views returned by NextFrame().
  absl::Span<char> PrepareInput();
  // Records that the first `n` bytes of the last PrepareInput() span were
  // filled. Returns status().
  absl::Status CommitInput(size_t n);

  // Whether a complete payload is buffered (never while status() is an error).
  bool HasFrame() const;
  // Consumes and returns the next complete payload. Requires HasFrame(). The
  // view stays valid until the next non-const call.
  absl::string_view NextFrame();

  // To call when the input has ended, after taking every available frame: OK
  // if it ended at a frame boundary; truncated if it ended inside a header or
  // payload; or the sticky error.
  absl::Status Finish() const;

  // No partial frame buffered and no error: the input may end here cleanly.
  bool AtFrameBoundary() const { return status_.ok() && begin_ == end_; }
  // Bytes received but not yet returned by NextFrame().
  size_t buffered_bytes() const { return end_ - begin_; }
  // OK, or the sticky too_large error.
  const absl::Status& status() const { return status_; }
  uint32_t max_payload() const { return max_payload_; }

 private:
  // Makes room for `n` more bytes after end_, compacting or growing.
  void EnsureFree(size_t n);
  // Checks the header of the frame at begin_ against the limit.
  void CheckHeaderAtBegin();

  uint32_t max_payload_;
  std::unique_ptr<char[]> buf_;
  size_t capacity_ = 0;
  size_t begin_ = 0;     // First byte not yet returned.
  size_t end_ = 0;       // One past the last byte received.
  uint64_t consumed_ = 0;  // Stream offset of buf_[begin_], for messages.
  absl::Status status_;
};

struct DecodeResult {
  std::vector<std::string> payloads;  // The frames decoded before any error.
  absl::Status status;                // OK, too_large or truncated.
};

// Decodes a complete byte string, e.g. a conformance vector's input.
DecodeResult DecodeFrames(absl::string_view bytes, uint32_t max_payload = kDefaultMaxPayload);

}  // namespace frame
}  // namespace ipckit

#endif  // IPCKIT_CC_CHANNEL_FRAME_H_
