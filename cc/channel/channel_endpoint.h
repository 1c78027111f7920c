// ChannelEndpoint: one connected end of an IpcChannel, sending and receiving
// whole messages (length-prefixed frames, spec/channel_framing.md).
//
//   IPCKIT_ASSIGN_OR_RETURN(ipckit::ChannelEndpoint client, server.Accept(absl::Seconds(30)));
//   IPCKIT_ASSIGN_OR_RETURN(std::string request, client.Recv(absl::Seconds(5)));
//   IPCKIT_RETURN_IF_ERROR(client.Send(Handle(request), absl::Seconds(5)));
//
// Obtained from IpcChannel::Accept(); IpcChannel itself forwards to the
// endpoint of its current connection.
#ifndef IPCKIT_CC_CHANNEL_CHANNEL_ENDPOINT_H_
#define IPCKIT_CC_CHANNEL_CHANNEL_ENDPOINT_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cc/base/deadline.h"
#include "cc/channel/frame.h"
#include "cc/platform/io/local_stream.h"

namespace ipckit {

struct ChannelOptions {
  // The largest payload this end sends or accepts. Both ends must use the
  // same value; a frame over it is too_large (spec/channel_framing.md).
  uint32_t max_payload = frame::kDefaultMaxPayload;
  // Let a peer that runs as another user connect or serve (off: such a peer
  // is permission_denied; spec/naming.md, "Who may connect"). A server made
  // with it has a 0666 socket file, open to every local user.
  bool allow_other_users = false;
};

// One thread may Send while another Recvs (they share no mutable state);
// concurrent Sends, or concurrent Recvs, need a lock, and Close must not race
// with either.
class ChannelEndpoint {
 public:
  ChannelEndpoint() = default;  // Not connected.
  // Wraps a connected stream; `what` names it in errors.
  ChannelEndpoint(platform::LocalStream stream, std::string what, ChannelOptions options);
  ChannelEndpoint(ChannelEndpoint&&) noexcept = default;
  ChannelEndpoint& operator=(ChannelEndpoint&&) noexcept = default;

  // Sends one message: header and payload in one gathered write (POSIX
  // writev, no copy).
  // too_large (nothing sent) if the payload exceeds max_payload; peer_closed
  // if the peer is gone (never SIGPIPE). On timeout with part of the frame
  // already written, the rest is kept and goes out first on the next Send,
  // so the stream stays well framed and the message is still delivered;
  // has_pending_send() tells. On timeout with nothing written, nothing is kept.
  absl::Status Send(absl::string_view payload, absl::Duration timeout = absl::InfiniteDuration());
  // Writes out only the tail a timed-out Send kept (OK at once if none), so a
  // caller can wait for one message in slices (to notice Ctrl-C between them)
  // without sending anything twice. timeout keeps what is still unsent.
  absl::Status ContinueSend(absl::Duration timeout);

  // Receives one message. timeout keeps any partly received frame, so a later
  // Recv continues where this one stopped. The peer closing at a frame
  // boundary is peer_closed; mid-frame, truncated; a header over max_payload,
  // too_large before any room for it is allocated. These three are final: the
  // endpoint keeps returning the same error.
  absl::StatusOr<std::string> Recv(absl::Duration timeout = absl::InfiniteDuration());
  // Like Recv, into `out` (reusing its capacity across calls).
  absl::Status RecvInto(std::string* out, absl::Duration timeout = absl::InfiniteDuration());

  void Close();
  bool is_open() const { return stream_.is_open(); }
  bool has_pending_send() const { return !pending_send_.empty(); }
  // Whether a whole message is already buffered, so that Recv returns it
  // without reading the socket (an event loop drains these before it waits).
  bool has_buffered_message() const { return recv_end_.ok() && decoder_.HasFrame(); }
  uint32_t max_payload() const { return max_payload_; }
  // POSIX: the socket, for an event loop; -1 on Windows or when closed.
  int fd() const { return stream_.fd(); }

 private:
  absl::Status NotOpen() const;
  // Writes out pending_send_, dropping what was written.
  absl::Status FlushPending(const Deadline& deadline);

  platform::LocalStream stream_;
  std::string what_;  // "channel /tmp/x.sock", for messages.
  uint32_t max_payload_ = frame::kDefaultMaxPayload;
  frame::FrameDecoder decoder_;
  // The unsent tail of a frame whose Send timed out midway.
  std::string pending_send_;
  // Set once receiving has ended for good (peer_closed, truncated, too_large).
  absl::Status recv_end_;
};

}  // namespace ipckit

#endif  // IPCKIT_CC_CHANNEL_CHANNEL_ENDPOINT_H_
