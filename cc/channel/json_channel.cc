#include "cc/channel/json_channel.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "cc/base/error.h"
#include "cc/json/json.h"

namespace ipckit {
namespace {

absl::StatusOr<rapidjson::Document> Parse(const std::string& text, uint32_t max_payload,
                                          absl::string_view where) {
  json::LoadOptions options;
  options.max_bytes = max_payload;
  absl::StatusOr<rapidjson::Document> doc = json::Loads(text, options);
  if (!doc.ok()) {
    return MakeError(doc.status().code(), ErrorClassOf(doc.status()),
                     absl::StrCat(where, ": received message is not valid JSON: ",
                                  doc.status().message()));
  }
  return doc;
}

}  // namespace

absl::Status SendJson(ChannelEndpoint& endpoint, const rapidjson::Value& value,
                      absl::Duration timeout) {
  absl::StatusOr<std::string> text = json::Dumps(value);
  if (!text.ok()) return text.status();
  return endpoint.Send(*text, timeout);
}

absl::Status SendJson(IpcChannel& channel, const rapidjson::Value& value, absl::Duration timeout) {
  absl::StatusOr<std::string> text = json::Dumps(value);
  if (!text.ok()) return text.status();
  return channel.Send(*text, timeout);
}

absl::StatusOr<rapidjson::Document> RecvJson(ChannelEndpoint& endpoint, absl::Duration timeout) {
  absl::StatusOr<std::string> text = endpoint.Recv(timeout);
  if (!text.ok()) return text.status();
  return Parse(*text, endpoint.max_payload(), "channel endpoint");
}

absl::StatusOr<rapidjson::Document> RecvJson(IpcChannel& channel, absl::Duration timeout) {
  absl::StatusOr<std::string> text = channel.Recv(timeout);
  if (!text.ok()) return text.status();
  return Parse(*text, channel.options().max_payload, absl::StrCat("channel ", channel.path()));
}

}  // namespace ipckit
