// JSON messages on an IpcChannel: each message is one JSON value as compact
// UTF-8 text (spec/json.md) in one frame (spec/channel_framing.md). This is
// ipckit 0.1's send_json/recv_json.
//
//   rapidjson::Document doc; doc.Parse(R"({"type":"greeting"})");
//   IPCKIT_RETURN_IF_ERROR(ipckit::SendJson(channel, doc, absl::Seconds(5)));
//   IPCKIT_ASSIGN_OR_RETURN(rapidjson::Document reply, RecvJson(channel, absl::Seconds(5)));
#ifndef IPCKIT_CC_CHANNEL_JSON_CHANNEL_H_
#define IPCKIT_CC_CHANNEL_JSON_CHANNEL_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cc/channel/channel_endpoint.h"
#include "cc/channel/ipc_channel.h"
#include "rapidjson/document.h"

namespace ipckit {

// Serialises `value` with json::Dumps and sends it as one message. Errors of
// Dumps (invalid_argument for NaN or invalid UTF-8) and of Send (too_large
// when the text exceeds max_payload, timeout, peer_closed).
absl::Status SendJson(ChannelEndpoint& endpoint, const rapidjson::Value& value,
                      absl::Duration timeout = absl::InfiniteDuration());
absl::Status SendJson(IpcChannel& channel, const rapidjson::Value& value,
                      absl::Duration timeout = absl::InfiniteDuration());

// Receives one message and parses it with json::Loads. A message that is not
// valid JSON is invalid_argument naming the channel; it is consumed, and the
// channel stays usable for the next message.
absl::StatusOr<rapidjson::Document> RecvJson(ChannelEndpoint& endpoint,
                                             absl::Duration timeout = absl::InfiniteDuration());
absl::StatusOr<rapidjson::Document> RecvJson(IpcChannel& channel,
                                             absl::Duration timeout = absl::InfiniteDuration());

}  // namespace ipckit

#endif  // IPCKIT_CC_CHANNEL_JSON_CHANNEL_H_
