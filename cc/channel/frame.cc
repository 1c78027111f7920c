#include "cc/channel/frame.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "cc/base/error.h"

namespace ipckit {
namespace frame {
namespace {

// Free space PrepareInput offers at least: one read can then bring in many
// small frames at once.
constexpr size_t kReadChunk = 64 * 1024;
// A buffer grown past this for one big frame is released once it is empty, so
// a single large message does not pin its memory for the connection's life.
constexpr size_t kKeepCapacity = 1024 * 1024;

}  // namespace

void EncodeHeader(uint32_t payload_size, char* out) {
  for (size_t i = 0; i < kHeaderSize; ++i) {
    out[i] = static_cast<char>((payload_size >> (8 * i)) & 0xff);
  }
}

uint32_t DecodeHeader(const char* in) {
  uint32_t v = 0;
  for (size_t i = 0; i < kHeaderSize; ++i) {
    v |= static_cast<uint32_t>(static_cast<unsigned char>(in[i])) << (8 * i);
  }
  return v;
}

absl::Status CheckPayloadSize(uint64_t size, uint32_t max_payload) {
  if (size > max_payload) {
    return TooLargeError(
        absl::StrCat("frame length ", size, " exceeds the limit ", max_payload));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> EncodeFrame(absl::string_view payload, uint32_t max_payload) {
  absl::Status fits = CheckPayloadSize(payload.size(), max_payload);
  if (!fits.ok()) return fits;
  std::string out(kHeaderSize + payload.size(), '\0');
  EncodeHeader(static_cast<uint32_t>(payload.size()), out.data());
  std::memcpy(out.data() + kHeaderSize, payload.data(), payload.size());
  return out;
}

FrameDecoder::FrameDecoder(uint32_t max_payload) : max_payload_(max_payload) {}

void FrameDecoder::EnsureFree(size_t n) {
  if (begin_ == end_) {
    begin_ = end_ = 0;  // Nothing buffered: start over at the front.
    if (capacity_ > kKeepCapacity && n <= kKeepCapacity) {
      buf_.reset();
      capacity_ = 0;
    }
  }
  if (capacity_ - end_ >= n) return;
  size_t live = end_ - begin_;
  if (capacity_ - live >= n) {
    std::memmove(buf_.get(), buf_.get() + begin_, live);
  } else {
    size_t new_capacity = std::max(live + n, capacity_ + capacity_ / 2);
    // Not value-initialised: read(2) or Feed overwrites what is used.
    std::unique_ptr<char[]> bigger(new char[new_capacity]);
    if (live > 0) std::memcpy(bigger.get(), buf_.get() + begin_, live);
    buf_ = std::move(bigger);
    capacity_ = new_capacity;
  }
  begin_ = 0;
  end_ = live;
}

void FrameDecoder::CheckHeaderAtBegin() {
  if (!status_.ok() || end_ - begin_ < kHeaderSize) return;
  uint32_t length = DecodeHeader(buf_.get() + begin_);
  absl::Status fits = CheckPayloadSize(length, max_payload_);
  if (!fits.ok()) {
    status_ = MakeError(fits.code(), ErrorClassOf(fits),
                        absl::StrCat(fits.message(), " (frame at stream offset ", consumed_, ")"));
  }
}

absl::Status FrameDecoder::Feed(absl::string_view bytes) {
  if (!status_.ok() || bytes.empty()) return status_;
  EnsureFree(bytes.size());
  std::memcpy(buf_.get() + end_, bytes.data(), bytes.size());
  end_ += bytes.size();
  CheckHeaderAtBegin();
  return status_;
}

absl::Span<char> FrameDecoder::PrepareInput() {
  if (!status_.ok()) return {};
  size_t have = end_ - begin_;
  size_t frame_rest;
  if (have < kHeaderSize) {
    frame_rest = kHeaderSize - have;
  } else {
    // The header was checked against the limit when it arrived, so this is
    // bounded by max_payload.
    uint64_t frame_size = kHeaderSize + uint64_t{DecodeHeader(buf_.get() + begin_)};
    frame_rest = frame_size > have ? static_cast<size_t>(frame_size - have) : 0;
  }
  EnsureFree(std::max(frame_rest, kReadChunk));
  return absl::MakeSpan(buf_.get() + end_, capacity_ - end_);
}

absl::Status FrameDecoder::CommitInput(size_t n) {
  if (n > capacity_ - end_) {
    return InvalidArgumentError(absl::StrCat("CommitInput(", n, ") exceeds the ",
                                             capacity_ - end_, " bytes PrepareInput offered"));
  }
  end_ += n;
  CheckHeaderAtBegin();
  return status_;
}

bool FrameDecoder::HasFrame() const {
  if (!status_.ok()) return false;
  size_t have = end_ - begin_;
  return have >= kHeaderSize && have - kHeaderSize >= DecodeHeader(buf_.get() + begin_);
}

absl::string_view FrameDecoder::NextFrame() {
  uint32_t length = DecodeHeader(buf_.get() + begin_);
  absl::string_view payload(buf_.get() + begin_ + kHeaderSize, length);
  begin_ += kHeaderSize + length;
  consumed_ += kHeaderSize + length;
  CheckHeaderAtBegin();
  return payload;
}

absl::Status FrameDecoder::Finish() const {
  if (!status_.ok()) return status_;
  // Walk any whole frames still buffered to the first incomplete one.
  size_t pos = begin_;
  uint64_t offset = consumed_;
  while (pos < end_) {
    size_t have = end_ - pos;
    if (have < kHeaderSize) {
      return TruncatedError(absl::StrCat("input ended ", have, " bytes into the ", kHeaderSize,
                                         "-byte header of the frame at stream offset ", offset));
    }
    uint32_t length = DecodeHeader(buf_.get() + pos);
    absl::Status fits = CheckPayloadSize(length, max_payload_);
    if (!fits.ok()) return fits;
    if (have - kHeaderSize < length) {
      return TruncatedError(absl::StrCat("input ended after ", have - kHeaderSize, " of ", length,
                                         " payload bytes of the frame at stream offset ", offset));
    }
    pos += kHeaderSize + length;
    offset += kHeaderSize + length;
  }
  return absl::OkStatus();
}

DecodeResult DecodeFrames(absl::string_view bytes, uint32_t max_payload) {
  DecodeResult result;
  FrameDecoder decoder(max_payload);
  decoder.Feed(bytes).IgnoreError();  // Reported by Finish() after the good frames.
  while (decoder.HasFrame()) result.payloads.emplace_back(decoder.NextFrame());
  result.status = decoder.Finish();
  return result;
}

}  // namespace frame
}  // namespace ipckit
