#include "cc/channel/channel_endpoint.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "cc/base/deadline.h"
#include "cc/base/error.h"

namespace ipckit {

ChannelEndpoint::ChannelEndpoint(platform::LocalStream stream, std::string what,
                                 ChannelOptions options)
    : stream_(std::move(stream)),
      what_(std::move(what)),
      max_payload_(options.max_payload),
      decoder_(options.max_payload) {}

void ChannelEndpoint::Close() {
  stream_.Close();
  pending_send_.clear();
}

absl::Status ChannelEndpoint::NotOpen() const {
  if (what_.empty()) return ClosedError("channel endpoint is not connected");
  return ClosedError(absl::StrCat(what_, ": the connection is closed"));
}

absl::Status ChannelEndpoint::FlushPending(const Deadline& deadline) {
  const absl::string_view pending = pending_send_;
  size_t written = 0;
  absl::Status s =
      stream_.WriteAllGathered(absl::MakeConstSpan(&pending, 1), deadline, what_, &written);
  pending_send_.erase(0, written);
  if (!s.ok() && ErrorClassOf(s) == kErrTimeout) {
    return TimeoutError(absl::StrCat(what_, ": timed out finishing the previous message (",
                                     pending_send_.size(),
                                     " bytes still pending); nothing new sent"));
  }
  return s;
}

absl::Status ChannelEndpoint::ContinueSend(absl::Duration timeout) {
  if (!is_open()) return NotOpen();
  if (pending_send_.empty()) return absl::OkStatus();
  return FlushPending(Deadline::After(timeout));
}

absl::Status ChannelEndpoint::Send(absl::string_view payload, absl::Duration timeout) {
  if (!is_open()) return NotOpen();
  absl::Status fits = frame::CheckPayloadSize(payload.size(), max_payload_);
  if (!fits.ok()) {
    return MakeError(fits.code(), ErrorClassOf(fits),
                     absl::StrCat(what_, ": cannot send: ", fits.message()));
  }
  Deadline deadline = Deadline::After(timeout);
  if (!pending_send_.empty()) {
    absl::Status flushed = FlushPending(deadline);
    if (!flushed.ok()) return flushed;
  }
  char header[frame::kHeaderSize];
  frame::EncodeHeader(static_cast<uint32_t>(payload.size()), header);
  const absl::string_view parts[2] = {absl::string_view(header, sizeof(header)), payload};
  size_t written = 0;
  absl::Status s = stream_.WriteAllGathered(parts, deadline, what_, &written);
  size_t total = sizeof(header) + payload.size();
  if (s.ok() || written == 0 || ErrorClassOf(s) != kErrTimeout) return s;
  // Timed out midway: the peer holds half a frame. Keep the rest so the next
  // Send completes it rather than corrupting the stream.
  if (written < sizeof(header)) {
    pending_send_.assign(header + written, sizeof(header) - written);
    pending_send_.append(payload.data(), payload.size());
  } else {
    pending_send_.assign(payload.data() + (written - sizeof(header)), total - written);
  }
  return TimeoutError(absl::StrCat(what_, ": timed out after sending ", written, " of ", total,
                                   " frame bytes; the remaining ", pending_send_.size(),
                                   " will be sent before the next message"));
}

absl::StatusOr<std::string> ChannelEndpoint::Recv(absl::Duration timeout) {
  std::string out;
  absl::Status s = RecvInto(&out, timeout);
  if (!s.ok()) return s;
  return out;
}

absl::Status ChannelEndpoint::RecvInto(std::string* out, absl::Duration timeout) {
  if (!recv_end_.ok()) return recv_end_;
  if (!is_open()) return NotOpen();
  Deadline deadline = Deadline::After(timeout);
  for (;;) {
    if (decoder_.HasFrame()) {
      absl::string_view payload = decoder_.NextFrame();
      out->assign(payload.data(), payload.size());
      return absl::OkStatus();
    }
    if (!decoder_.status().ok()) {
      const absl::Status& bad = decoder_.status();
      recv_end_ =
          MakeError(bad.code(), ErrorClassOf(bad), absl::StrCat(what_, ": ", bad.message()));
      return recv_end_;
    }
    // Reads straight into the decoder's buffer: one read can bring in the
    // header, a small payload and the frames after it.
    absl::Span<char> room = decoder_.PrepareInput();
    absl::StatusOr<size_t> n = stream_.ReadSome(room, deadline, what_);
    if (!n.ok()) return n.status();  // On timeout the decoder keeps the partial frame.
    if (*n == 0) {
      if (decoder_.AtFrameBoundary()) {
        recv_end_ = PeerClosedError(absl::StrCat(what_, ": the peer closed the channel"));
      } else {
        recv_end_ = TruncatedError(absl::StrCat(what_, ": the peer closed the channel mid-frame: ",
                                                decoder_.Finish().message()));
      }
      return recv_end_;
    }
    decoder_.CommitInput(*n).IgnoreError();  // A too_large header is reported above.
  }
}

}  // namespace ipckit
