// Fuzzes the bridge's request handler (cc/bridge/bridge_handler.h) over an
// in-memory channel. Input parts: a request (head and body, as they arrive),
// the backend_to_frontend.json the channel holds, and text appended to it
// afterwards.
// Invariants: without the token nothing but a preflight or an early refusal
// is answered, and nothing is held or appended; a HEAD answer has no body;
// every error body names an error class; an append carries only messages
// that scan back as such; a held read always ends when it expires; and a
// splice (226) against the version just sent rebuilds the new file exactly.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "cc/base/error.h"
#include "cc/bridge/bridge_handler.h"
#include "cc/bridge/http_message.h"
#include "cc/bridge/splice.h"
#include "cc/file_channel/channel_file_format.h"
#include "cc/file_channel/message.h"
#include "fuzz/fuzz_input.h"

namespace {

namespace bridge = ipckit::bridge;

constexpr absl::string_view kToken = "0123456789abcdef0123456789abcdef";
constexpr size_t kMaxFileBytes = 1 << 16;

// The channel files in memory; the ETag names the exact bytes.
class MemoryFiles : public bridge::ChannelFiles {
 public:
  std::map<std::string, std::string> files;
  std::vector<std::string> appended;

  absl::StatusOr<std::string> EtagOf(absl::string_view name) override {
    auto it = files.find(std::string(name));
    if (it == files.end()) return std::string("\"missing\"");
    return absl::StrCat("\"", std::hash<std::string>()(it->second), "-", it->second.size(), "\"");
  }
  absl::StatusOr<bridge::ChannelFileVersion> Read(absl::string_view name, size_t max_bytes) override {
    bridge::ChannelFileVersion v;
    auto it = files.find(std::string(name));
    if (it == files.end()) {
      v.etag = "\"missing\"";
      return v;
    }
    if (it->second.size() > max_bytes) return ipckit::TooLargeError("over the limit");
    v.exists = true;
    v.text = it->second;
    v.etag = *EtagOf(name);
    return v;
  }
  absl::Status Append(absl::string_view, const std::vector<std::string>& texts, absl::Duration) override {
    appended.insert(appended.end(), texts.begin(), texts.end());
    return absl::OkStatus();
  }
};

std::optional<absl::string_view> HeaderOf(const bridge::HttpResponse& r, absl::string_view name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) return v;
  }
  return std::nullopt;
}

void CheckResponse(const bridge::HttpRequest& request, const bridge::HttpResponse& r) {
  IPCKIT_FUZZ_CHECK(r.status >= 200 && r.status < 600, "a status in range");
  if (request.method == "HEAD") IPCKIT_FUZZ_CHECK(r.body.empty(), "a HEAD answer has no body");
  if (r.status >= 400 && request.method != "HEAD") {
    IPCKIT_FUZZ_CHECK(absl::StartsWith(r.body, "{\"error\":\""), "an error names its class");
  }
  if (r.status == 405) IPCKIT_FUZZ_CHECK(HeaderOf(r, "Allow").has_value(), "a 405 says what is allowed");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<absl::string_view> parts =
      ipckit::fuzz::SplitParts(absl::string_view(reinterpret_cast<const char*>(data), size), 3);
  size_t end = bridge::FindHeadEnd(parts[0]);
  if (end == absl::string_view::npos) return 0;
  absl::StatusOr<bridge::HttpRequest> request = bridge::ParseRequestHead(parts[0].substr(0, end));
  if (!request.ok()) return 0;
  const absl::string_view body = parts[0].substr(end);

  MemoryFiles files;
  files.files[std::string(ipckit::kBackendToFrontendFile)] = std::string(parts[1]);
  files.files[std::string(ipckit::kChannelInfoFile)] =
      R"({"version":"1.0","protocol":"file-ipc","format_version":1,"created":1})";
  bridge::BridgeConfig config;
  config.port = 8765;
  config.token = std::string(kToken);
  config.allow_origins = {"http://127.0.0.1:3000"};
  config.max_file_bytes = kMaxFileBytes;
  bridge::BridgeHandler handler(config, &files);

  bridge::BridgeAction action = handler.Handle(*request, body);
  const bool has_token = absl::StrContains(parts[0], kToken);
  if (!has_token) {
    IPCKIT_FUZZ_CHECK(action.kind == bridge::BridgeAction::Kind::kRespond, "nothing held or run without the token");
    IPCKIT_FUZZ_CHECK(request->method == "OPTIONS" || action.response.status >= 400,
                      "without the token only a preflight succeeds");
  }
  switch (action.kind) {
    case bridge::BridgeAction::Kind::kRespond:
      CheckResponse(*request, action.response);
      break;
    case bridge::BridgeAction::Kind::kHold: {
      std::optional<bridge::HttpResponse> r = handler.ResumeHeld(action.held, /*expired=*/true);
      IPCKIT_FUZZ_CHECK(r.has_value(), "an expired hold always answers");
      CheckResponse(*request, *r);
      break;
    }
    case bridge::BridgeAction::Kind::kAppend: {
      IPCKIT_FUZZ_CHECK(!action.append.texts.empty(), "an append carries messages");
      std::vector<absl::string_view> texts(action.append.texts.begin(), action.append.texts.end());
      auto rescanned = ipckit::ScanChannelFile(ipckit::ComposeChannelFile(texts), "rescan");
      IPCKIT_FUZZ_CHECK(rescanned.ok() && rescanned->size() == action.append.texts.size(),
                        "the messages to append scan back as themselves");
      CheckResponse(*request, handler.AppendDone(action.append, absl::OkStatus()));
      CheckResponse(*request, handler.AppendDone(action.append, ipckit::CorruptError("bad file")));
      break;
    }
    case bridge::BridgeAction::Kind::kStream: {
      IPCKIT_FUZZ_CHECK(action.response.status == 200 &&
                            HeaderOf(action.response, "Content-Type") == std::optional<absl::string_view>(
                                                                             "text/event-stream"),
                        "a stream's head is a 200 text/event-stream");
      // The first events carry the file as it is (after a reader's own
      // event); then, with nothing new, nothing more.
      int events = 0;
      while (handler.NextStreamEvent(&action.stream).has_value() && events < 4) ++events;
      IPCKIT_FUZZ_CHECK(events < 4, "a stream's client that has the file is sent nothing more");
      handler.CloseStream(&action.stream);
      break;
    }
  }

  // A read of the file as it is, then one against that version after it grew:
  // a 226 must rebuild the new bytes exactly.
  const std::string auth = absl::StrCat("Bearer ", kToken);
  bridge::HttpRequest get;
  get.method = "GET";
  get.target = absl::StrCat("/v1/files/", ipckit::kBackendToFrontendFile);
  get.headers = {{"host", "127.0.0.1:8765"}, {"authorization", auth}};
  bridge::BridgeAction first = handler.Handle(get, "");
  if (first.kind != bridge::BridgeAction::Kind::kRespond || first.response.status != 200) return 0;
  std::optional<absl::string_view> etag = HeaderOf(first.response, "ETag");
  IPCKIT_FUZZ_CHECK(etag.has_value(), "a 200 names its version");
  const std::string base = first.response.body;
  std::string& file = files.files[std::string(ipckit::kBackendToFrontendFile)];
  file += std::string(parts[2]);
  get.headers.emplace_back("if-none-match", std::string(*etag));
  get.headers.emplace_back("a-im", "ipckit-splice");
  bridge::BridgeAction second = handler.Handle(get, "");
  IPCKIT_FUZZ_CHECK(second.kind == bridge::BridgeAction::Kind::kRespond, "no wait was asked for");
  if (second.response.status == 226) {
    bridge::Splice s;
    std::optional<absl::string_view> spec = HeaderOf(second.response, "Ipckit-Splice");
    IPCKIT_FUZZ_CHECK(spec.has_value(), "a 226 says where the kept run goes");
    IPCKIT_FUZZ_CHECK(std::sscanf(std::string(*spec).c_str(), "%zu %zu %zu", &s.at, &s.from, &s.to) == 3,
                      "three offsets");
    s.body = second.response.body;
    absl::StatusOr<std::string> rebuilt = bridge::ApplySplice(base, s);
    IPCKIT_FUZZ_CHECK(rebuilt.ok() && *rebuilt == file, "the splice rebuilds the new file");
  } else if (second.response.status == 200) {
    IPCKIT_FUZZ_CHECK(second.response.body == file, "a whole read is the file");
  }
  return 0;
}
