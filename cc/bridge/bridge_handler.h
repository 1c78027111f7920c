// The bridge's request handling (spec/bridge.md), with no sockets: a parsed
// request in, what to do about it out. Every bridge server runs this one
// copy of the rules: routing, the Host check, the token, Origin and CORS,
// the status for each error class, and the splice cache. The files it reads
// sit behind ChannelFiles, so a test or a fuzzer can drive it in memory.
//
//   ipckit::bridge::BridgeHandler handler(config, &files);
//   ipckit::bridge::BridgeAction action = handler.Handle(request, body);
//   switch (action.kind) {
//     case BridgeAction::Kind::kRespond: send(action.response); break;
//     case BridgeAction::Kind::kHold:    // later: handler.ResumeHeld(action.held, expired)
//     case BridgeAction::Kind::kAppend:  // off the loop: files.Append(...), then
//                                        // handler.AppendDone(action.append, status)
//     case BridgeAction::Kind::kStream:  // send action.response's head, then each
//                                        // handler.NextStreamEvent(&action.stream)
//   }
//
// Not thread-safe: one serving thread calls it. ChannelFiles::Append is the
// one call a server may make from another thread.
#ifndef IPCKIT_CC_BRIDGE_BRIDGE_HANDLER_H_
#define IPCKIT_CC_BRIDGE_BRIDGE_HANDLER_H_

#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cc/bridge/http_message.h"
#include "cc/bridge/splice.h"
#include "cc/bridge/static_files.h"
#include "cc/file_channel/channel_file_format.h"
#include "cc/file_channel/channel_file_readers.h"

namespace ipckit::bridge {

inline constexpr int kBridgeVersion = 1;
// Tokens shorter than this are refused: 128 bits as 32 hex digits.
inline constexpr size_t kMinTokenChars = 32;

// One version of a channel file as read. `etag` names exactly these bytes.
struct ChannelFileVersion {
  bool exists = false;
  std::string text;
  std::string etag;
};

// The file operations the handler needs, on the fixed names of one channel
// directory. Implementations refuse anything but a regular file of the
// current user (permission_denied).
class ChannelFiles {
 public:
  virtual ~ChannelFiles() = default;
  // The ETag of `name` as it is now ("\"missing\"" when there is none).
  virtual absl::StatusOr<std::string> EtagOf(absl::string_view name) = 0;
  // `name` whole; too_large over `max_bytes`.
  virtual absl::StatusOr<ChannelFileVersion> Read(absl::string_view name, size_t max_bytes) = 0;
  // Appends `texts` under the channel write protocol, waiting at most
  // `lock_timeout` for the locks. May run on another thread than the rest.
  virtual absl::Status Append(absl::string_view name, const std::vector<std::string>& texts,
                              absl::Duration lock_timeout) = 0;

  // Format 2's named readers, held for pages (spec/bridge.md, "Named
  // readers"). OpenReader takes reader `name` of `file` (its lock held until
  // CloseReader) and returns its cursor, starting a new reader by rule R4
  // (at the end when `start_now`): in_use when the name is open anywhere.
  // The defaults refuse (a ChannelFiles without readers).
  virtual absl::StatusOr<ReaderCursor> OpenReader(absl::string_view file, absl::string_view name, bool start_now);
  virtual void CloseReader(absl::string_view file, absl::string_view name);
  // Writes the open reader's cursor (rule R6, acknowledged by its page).
  virtual absl::Status SaveCursor(absl::string_view file, absl::string_view name, const ReaderCursor& cursor);
  // Rule C1 for request `request_id` of `file`, claimed for the open reader
  // `name`, whose responses go to `reply_file`: true when it may run the
  // handler. May run on another thread, like Append.
  virtual absl::StatusOr<bool> Claim(absl::string_view file, absl::string_view reply_file, absl::string_view name,
                                     absl::string_view request_id, absl::Duration lock_timeout);
  // Claims for the open reader `name` the requests of `text` (a version of
  // `file` about to be sent on its stream) that it has not been offered
  // before, if the channel lock is free at once: per request id, whether it
  // is the reader's. Empty when there are none or the lock is busy (the page
  // then claims them itself).
  virtual absl::StatusOr<std::vector<std::pair<std::string, bool>>> ClaimOffered(absl::string_view file,
                                                                               absl::string_view reply_file,
                                                                               absl::string_view name,
                                                                               const std::string& text);
};

struct BridgeConfig {
  uint16_t port = 0;  // the port served: Host and own-origin checks
  // The secret every request but a CORS preflight must carry. Empty: no
  // token is required (an explicit opt-out of the server).
  std::string token;
  std::vector<std::string> allow_origins;
  bool allow_backend_writes = false;
  size_t max_file_bytes = kDefaultMaxFileBytes;
  absl::Duration max_wait = absl::Seconds(30);
  // How often an idle event stream gets a comment line (told in /v1/info).
  absl::Duration stream_heartbeat = absl::Seconds(15);
};

struct HttpResponse {
  int status = 200;
  HttpHeaders headers;
  std::string body;
  bool close = false;  // the connection cannot carry another request
};

// A GET waiting for `name` to differ from `etag`.
struct HeldRead {
  std::string name;
  std::string etag;
  std::string origin;
  bool splice = false;
  absl::Duration wait;  // how long to hold at most
};

// Messages validated for appending, or a claim (claim_reader set: rule C1
// for request claim_id of `name`, replies in claim_reply); the server runs
// it with RunJob, on its thread or a worker, since both take the channel lock.
struct AppendJob {
  std::string name;
  std::vector<std::string> texts;
  absl::Duration lock_timeout;
  std::string origin;
  std::string claim_reader;
  std::string claim_id;
  std::string claim_reply;
  bool claimed = false;  // a claim's outcome, set by RunJob
  // An append may carry its page's cursor (?reader=&session=&cursor=<pos>),
  // saved once the append succeeded: no request of its own for it.
  std::string cursor_reader;
  std::string cursor_session;
  std::optional<uint64_t> cursor_pos;
};

// Runs `job` on `files` (Append, or Claim setting job->claimed), waiting at
// most `lock_timeout` for the locks.
absl::Status RunJob(ChannelFiles& files, AppendJob* job, absl::Duration lock_timeout);

// An event stream (GET /v1/stream/<name>): which version of `name` the
// client holds, so the next event is a splice against it.
struct StreamState {
  std::string name;
  std::string origin;
  std::string etag;  // the version the client holds; empty: none
  std::string reader;       // a named reader held for the page while the stream is open
  std::string first_event;  // sent before the first file event (the reader event)
  std::string reply_file;   // where the reader's page answers requests; empty: it cannot
};

// One Server-Sent Event for a stream; `end`: close the stream after it.
struct StreamEvent {
  std::string text;
  bool end = false;
};

// One Server-Sent Event as the bridge sends it (spec/bridge.md, "Event
// stream"): "id: <id>" unless empty, "event: <type>", "data: <first_line>",
// then a "data: " line for each LF-separated line of `body` (at least one, so
// the data is first_line + LF + body exactly), and a blank line. The bytes
// are pinned by conformance/vectors/bridge/sse_event.json.
std::string ComposeSseEvent(absl::string_view type, absl::string_view id, absl::string_view first_line,
                            absl::string_view body);

struct BridgeAction {
  enum class Kind { kRespond, kHold, kAppend, kStream };
  Kind kind = Kind::kRespond;
  HttpResponse response;  // kRespond; kStream: the head (no body, no length)
  HeldRead held;          // kHold
  AppendJob append;       // kAppend
  StreamState stream;     // kStream
};

class BridgeHandler {
 public:
  // `files` (and `page_files`, if given: the page's own files, served at
  // every path outside /v1/) must outlive the handler.
  BridgeHandler(BridgeConfig config, ChannelFiles* files, StaticFiles* page_files = nullptr);

  BridgeAction Handle(const HttpRequest& request, absl::string_view body);

  // The answer to a held read once its file differs from `held.etag`, or
  // when `expired` (then 304 if it still matches); nullopt: keep holding.
  std::optional<HttpResponse> ResumeHeld(const HeldRead& held, bool expired);

  // The event telling a stream's client about the version of its file now,
  // as a splice against `stream->etag` when possible; nullopt when the client
  // has it already. Updates `stream->etag` to what the event carries.
  std::optional<StreamEvent> NextStreamEvent(StreamState* stream);

  // The answer to an append (or claim) the server ran with `status`.
  HttpResponse AppendDone(const AppendJob& job, const absl::Status& status);

  // A stream's connection is gone: its named reader, if any, is closed (its
  // lock released, so a reload of the page may take the name again). Clears
  // stream->reader, so a second call does nothing.
  void CloseStream(StreamState* stream);

  // An error response in the bridge's shape ({"error", "message"}, CORS
  // headers for allowed origins), for what the server refuses itself.
  HttpResponse Error(int status, absl::string_view error_class, absl::string_view message,
                     absl::string_view origin) const;
  HttpResponse ErrorFromStatus(const absl::Status& status, absl::string_view origin) const;

  const BridgeConfig& config() const { return config_; }

 private:
  struct SentVersion {
    std::string name;
    std::string etag;
    std::string text;
  };

  BridgeAction Route(const HttpRequest& request, absl::string_view body, const std::string& origin);
  // Whether the request carries the token; `from_cookie` also accepts the
  // page-file cookie (never for /v1/: a cookie rides on cross-site requests).
  bool TokenMatches(const HttpRequest& request, absl::string_view query, bool from_cookie) const;
  std::string TokenCookieName() const;
  HttpResponse PageFile(const HttpRequest& request, absl::string_view path, absl::string_view query);
  HttpResponse Info(absl::string_view origin);
  BridgeAction GetFile(const HttpRequest& request, absl::string_view name, absl::string_view origin);
  HttpResponse FileReply(absl::string_view name, const std::string& etag, absl::string_view origin,
                         absl::string_view have, bool splice, int waited_s);
  BridgeAction OpenStream(const HttpRequest& request, absl::string_view name, absl::string_view origin);
  BridgeAction Append(const HttpRequest& request, absl::string_view name, absl::string_view query,
                      absl::string_view body, absl::string_view origin);
  BridgeAction ReaderPost(const HttpRequest& request, absl::string_view route, absl::string_view name,
                          absl::string_view query, absl::string_view body, absl::string_view origin);
  // The session of reader `reader` of `file` when it is `session`.
  bool SessionOpen(absl::string_view file, absl::string_view reader, absl::string_view session) const;
  // Why a write from `origin` (with this Content-Type) is refused; nullopt: allowed.
  std::optional<HttpResponse> RefuseWrite(const HttpRequest& request, absl::string_view origin) const;
  HttpResponse Preflight(absl::string_view origin) const;
  HttpResponse Json(int status, std::string body, absl::string_view origin) const;
  bool AllowedOrigin(absl::string_view origin) const;
  bool OwnOrigin(absl::string_view origin) const;
  void AddCorsHeaders(absl::string_view origin, HttpHeaders* headers) const;
  void RememberSent(absl::string_view name, const std::string& etag, const std::string& text);
  const SentVersion* FindSent(absl::string_view name, absl::string_view etag) const;
  // `text` as a splice against the version of `name` sent under `have`,
  // when that is remembered and a splice is worth it.
  std::optional<Splice> SpliceAgainst(absl::string_view name, absl::string_view have,
                                      absl::string_view text) const;

  const BridgeConfig config_;
  ChannelFiles* const files_;
  StaticFiles* const page_files_;
  std::vector<std::string> readable_;
  std::vector<std::string> appendable_;
  // Versions of channel files recently sent, newest first: the bases a
  // client may ask a splice against (A-IM: ipckit-splice).
  std::list<SentVersion> sent_;
  // Named readers held for open streams: "<file>/<name>" to its session.
  std::map<std::string, uint64_t> reader_sessions_;
  uint64_t next_session_ = 1;
};

}  // namespace ipckit::bridge

#endif  // IPCKIT_CC_BRIDGE_BRIDGE_HANDLER_H_
