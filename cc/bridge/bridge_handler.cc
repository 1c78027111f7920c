#include "cc/bridge/bridge_handler.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "cc/base/error.h"
#include "cc/bridge/splice.h"
#include "cc/file_channel/channel_file_format.h"
#include "cc/file_channel/channel_info_format.h"
#include "cc/file_channel/message.h"
#include "rapidjson/document.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace ipckit::bridge {
namespace {

constexpr absl::Duration kDefaultLockTimeout = absl::Seconds(10);
constexpr absl::Duration kMaxLockTimeout = absl::Seconds(30);
// Sent versions kept as splice bases: a reader normally asks against the one
// it got last, so a few per file cover several readers.
constexpr size_t kSentVersionsPerFile = 4;
constexpr size_t kMaxSentBytes = size_t{32} << 20;

// Whether an A-IM header lists ipckit-splice (RFC 3229 instance manipulations).
bool AcceptsSplice(absl::string_view a_im) {
  for (absl::string_view item : absl::StrSplit(a_im, ',')) {
    item = absl::StripAsciiWhitespace(item.substr(0, item.find(';')));
    if (absl::EqualsIgnoreCase(item, "ipckit-splice")) return true;
  }
  return false;
}

// What may never appear in a request target, whatever the route: parent
// references, encoded dots and separators, backslashes and NUL.
bool HasForbiddenPathPart(absl::string_view target) {
  std::string lower = absl::AsciiStrToLower(target);
  for (absl::string_view bad : {"..", "%2e", "%2f", "%5c", "%00", "\\"}) {
    if (absl::StrContains(lower, bad)) return true;
  }
  return lower.find('\0') != std::string::npos;
}

// The seconds of "wait=<n>" in a Prefer header, if present.
std::optional<int64_t> PreferredWaitSeconds(absl::string_view prefer) {
  for (absl::string_view item : absl::StrSplit(prefer, absl::ByAnyChar(",; \t"))) {
    if (!absl::ConsumePrefix(&item, "wait=")) continue;
    if (item.empty() || item.find_first_not_of("0123456789") != absl::string_view::npos) return std::nullopt;
    if (item.size() > 9) return int64_t{999999999};  // far beyond any cap
    int64_t seconds = 0;
    if (absl::SimpleAtoi(item, &seconds)) return seconds;
  }
  return std::nullopt;
}

int HttpStatusForClass(absl::string_view error_class) {
  if (error_class == kErrInvalidArgument || error_class == kErrCorrupt) return 400;
  if (error_class == kErrPermissionDenied) return 403;
  if (error_class == kErrNotFound) return 404;
  if (error_class == kErrTooLarge) return 413;
  if (error_class == kErrTimeout || error_class == kErrInUse) return 503;
  return 500;
}

bool Contains(const std::vector<std::string>& list, absl::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

// Equal strings, in a time that depends on their lengths only, so a client
// cannot find the token a byte at a time by timing refusals.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

// The value of `key=` in a query string (not decoded), if present.
std::optional<absl::string_view> QueryParam(absl::string_view query, absl::string_view key) {
  for (absl::string_view param : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    if (absl::ConsumePrefix(&param, key) && absl::ConsumePrefix(&param, "=")) return param;
  }
  return std::nullopt;
}

std::string ReaderKey(absl::string_view file, absl::string_view name) { return absl::StrCat(file, "/", name); }

// The "claims" event: {"mine":[ids],"others":[ids]}, the requests of the
// next file event claimed for this page, and those answered or another's.
std::string ComposeClaimsEvent(const std::vector<std::pair<std::string, bool>>& offered) {
  rapidjson::StringBuffer out;
  rapidjson::Writer<rapidjson::StringBuffer> w(out);
  w.StartObject();
  for (const bool mine : {true, false}) {
    w.Key(mine ? "mine" : "others");
    w.StartArray();
    for (const auto& [id, ours] : offered) {
      if (ours == mine) w.String(id.c_str(), id.size());
    }
    w.EndArray();
  }
  w.EndObject();
  return ComposeSseEvent("claims", "", absl::string_view(out.GetString(), out.GetSize()), "");
}

// The file a reader of `file` answers its requests in.
absl::string_view ReplyFileOf(absl::string_view file) {
  return file == kBackendToFrontendFile ? kFrontendToBackendFile : kBackendToFrontendFile;
}

// An action for the server to run under the channel lock (an append or a claim).
BridgeAction LockedJob(absl::string_view name, absl::Duration lock_timeout, absl::string_view origin) {
  BridgeAction action;
  action.kind = BridgeAction::Kind::kAppend;
  action.append.name = std::string(name);
  action.append.lock_timeout = lock_timeout;
  action.append.origin = std::string(origin);
  return action;
}

size_t CountHeaders(const HttpRequest& request, absl::string_view name) {
  return std::count_if(request.headers.begin(), request.headers.end(),
                       [&](const auto& h) { return h.first == name; });
}

}  // namespace

absl::StatusOr<ReaderCursor> ChannelFiles::OpenReader(absl::string_view, absl::string_view, bool) {
  return InvalidArgumentError("this bridge keeps no named readers");
}
void ChannelFiles::CloseReader(absl::string_view, absl::string_view) {}
absl::Status ChannelFiles::SaveCursor(absl::string_view, absl::string_view, const ReaderCursor&) {
  return InvalidArgumentError("this bridge keeps no named readers");
}
absl::StatusOr<bool> ChannelFiles::Claim(absl::string_view, absl::string_view, absl::string_view, absl::string_view,
                                         absl::Duration) {
  return InvalidArgumentError("this bridge keeps no named readers");
}
absl::StatusOr<std::vector<std::pair<std::string, bool>>> ChannelFiles::ClaimOffered(absl::string_view,
                                                                                   absl::string_view,
                                                                                   absl::string_view,
                                                                                   const std::string&) {
  return std::vector<std::pair<std::string, bool>>();
}

absl::Status RunJob(ChannelFiles& files, AppendJob* job, absl::Duration lock_timeout) {
  if (job->claim_reader.empty()) return files.Append(job->name, job->texts, lock_timeout);
  absl::StatusOr<bool> claimed = files.Claim(job->name, job->claim_reply, job->claim_reader, job->claim_id, lock_timeout);
  if (!claimed.ok()) return claimed.status();
  job->claimed = *claimed;
  return absl::OkStatus();
}

BridgeHandler::BridgeHandler(BridgeConfig config, ChannelFiles* files, StaticFiles* page_files)
    : config_(std::move(config)), files_(files), page_files_(page_files) {
  readable_ = {std::string(kBackendToFrontendFile), std::string(kFrontendToBackendFile),
               std::string(kChannelInfoFile)};
  appendable_ = {std::string(kFrontendToBackendFile)};
  if (config_.allow_backend_writes) appendable_.push_back(std::string(kBackendToFrontendFile));
}

BridgeAction BridgeHandler::Handle(const HttpRequest& request, absl::string_view body) {
  const std::string origin(request.Header("origin").value_or(""));
  BridgeAction action = Route(request, body, origin);
  if (action.kind == BridgeAction::Kind::kRespond && request.method == "HEAD") {
    action.response.body.clear();  // a HEAD answer never carries a body
  }
  return action;
}

// ---- routing ----

BridgeAction BridgeHandler::Route(const HttpRequest& request, absl::string_view body,
                                  const std::string& origin) {
  auto respond = [](HttpResponse response) {
    BridgeAction action;
    action.response = std::move(response);
    return action;
  };
  // One Host only: two could be read differently by a proxy and by us.
  if (CountHeaders(request, "host") > 1) {
    return respond(Error(400, kErrInvalidArgument, "more than one Host header", origin));
  }
  const std::string own_host = absl::StrCat(":", config_.port);
  absl::string_view host = request.Header("host").value_or("");
  if (host != absl::StrCat("127.0.0.1", own_host) && host != absl::StrCat("localhost", own_host)) {
    return respond(Error(403, kErrPermissionDenied,
                         absl::StrCat("Host '", host, "' is not this bridge"), origin));
  }
  // Nothing in a URL becomes a path, but refuse what tries to be one.
  if (HasForbiddenPathPart(request.target)) {
    return respond(Error(400, kErrInvalidArgument,
                         absl::StrCat("path '", request.target, "' is not allowed"), origin));
  }
  absl::string_view target = request.target;
  absl::string_view query;
  if (size_t q = target.find('?'); q != absl::string_view::npos) {
    query = target.substr(q + 1);
    target = target.substr(0, q);
  }
  // A preflight carries no credentials (Fetch spec), so it needs no token.
  if (request.method == "OPTIONS") return respond(Preflight(origin));
  const bool page_file = page_files_ != nullptr && !absl::StartsWith(target, "/v1/");
  if (!TokenMatches(request, query, /*from_cookie=*/page_file)) {
    HttpResponse refused = Error(401, kErrPermissionDenied,
                                 "this bridge needs its token (the URL it printed, or "
                                 "'Authorization: Bearer <token>')",
                                 origin);
    refused.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"ipckit-bridge\"");
    return respond(std::move(refused));
  }

  auto method_error = [&](absl::string_view allow) {
    HttpResponse r = Error(405, kErrInvalidArgument,
                           absl::StrCat(request.method, " is not supported here; use ", allow), origin);
    r.headers.emplace_back("Allow", std::string(allow));
    return respond(std::move(r));
  };
  if (page_file) {
    if (request.method != "GET" && request.method != "HEAD") return method_error("GET");
    return respond(PageFile(request, target, query));
  }
  absl::string_view name = target;
  if (target == "/v1/info") {
    if (request.method != "GET") return method_error("GET");
    return respond(Info(origin));
  }
  if (absl::ConsumePrefix(&name, "/v1/files/") && Contains(readable_, name)) {
    if (request.method != "GET") return method_error("GET");
    return GetFile(request, name, origin);
  }
  name = target;
  if (absl::ConsumePrefix(&name, "/v1/stream/") && Contains(readable_, name)) {
    if (request.method != "GET") return method_error("GET");
    return OpenStream(request, name, origin);
  }
  name = target;
  if (absl::ConsumePrefix(&name, "/v1/append/") && Contains(appendable_, name)) {
    if (request.method != "POST") return method_error("POST");
    return Append(request, name, query, body, origin);
  }
  for (absl::string_view route : {"/v1/cursor/", "/v1/claim/"}) {
    name = target;
    if (absl::ConsumePrefix(&name, route) && Contains(readable_, name) && name != kChannelInfoFile) {
      if (request.method != "POST") return method_error("POST");
      return ReaderPost(request, route, name, query, body, origin);
    }
  }
  return respond(Error(404, kErrNotFound, absl::StrCat("no such bridge resource: ", target), origin));
}

bool BridgeHandler::TokenMatches(const HttpRequest& request, absl::string_view query,
                                 bool from_cookie) const {
  if (config_.token.empty()) return true;  // the server's explicit opt-out
  bool matched = false;
  if (from_cookie) {
    const std::string cookie = TokenCookieName();
    for (const auto& [name, value] : request.headers) {
      if (name != "cookie") continue;
      for (absl::string_view pair : absl::StrSplit(value, ';')) {
        pair = absl::StripAsciiWhitespace(pair);
        if (absl::ConsumePrefix(&pair, cookie) && absl::ConsumePrefix(&pair, "=")) {
          matched |= ConstantTimeEquals(pair, config_.token);
        }
      }
    }
  }
  // Every candidate is compared, so the time taken says nothing of which.
  for (const auto& [name, value] : request.headers) {
    if (name != "authorization") continue;
    absl::string_view v = value;
    if (v.size() > 7 && absl::EqualsIgnoreCase(v.substr(0, 7), "bearer ")) {
      matched |= ConstantTimeEquals(absl::StripAsciiWhitespace(v.substr(7)), config_.token);
    }
  }
  for (absl::string_view param : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    if (absl::ConsumePrefix(&param, "token=")) matched |= ConstantTimeEquals(param, config_.token);
  }
  return matched;
}

// Cookies are per host, not per port: one name per bridge port.
std::string BridgeHandler::TokenCookieName() const { return absl::StrCat("ipckit_bridge_", config_.port); }

HttpResponse BridgeHandler::PageFile(const HttpRequest& request, absl::string_view path,
                                     absl::string_view query) {
  std::optional<std::string> relative = StaticPathOf(path);
  if (!relative) return Error(404, kErrNotFound, absl::StrCat("no page file at '", path, "'"), "");
  absl::StatusOr<StaticFile> file = page_files_->Read(*relative, config_.max_file_bytes);
  if (!file.ok()) return ErrorFromStatus(file.status(), "");
  HttpResponse reply;
  // Same origin as the channel endpoints: no CORS headers. The token is in
  // the page's URL, so it must not leak to other sites in Referer.
  reply.headers.emplace_back("Cache-Control", "no-cache");
  reply.headers.emplace_back("X-Content-Type-Options", "nosniff");
  reply.headers.emplace_back("Referrer-Policy", "no-referrer");
  reply.headers.emplace_back("ETag", file->etag);
  if (!config_.token.empty() && TokenMatches(request, query, /*from_cookie=*/false)) {
    // The page's own subresources (scripts, styles) carry no token: the
    // cookie lets the browser fetch them. Strict: never sent cross-site.
    reply.headers.emplace_back("Set-Cookie", absl::StrCat(TokenCookieName(), "=", config_.token,
                                                          "; Path=/; HttpOnly; SameSite=Strict"));
  }
  if (request.Header("if-none-match") == file->etag) {
    reply.status = 304;
    return reply;
  }
  reply.headers.emplace_back("Content-Type", file->content_type);
  reply.body = std::move(file->body);
  return reply;
}

bool BridgeHandler::OwnOrigin(absl::string_view origin) const {
  return origin == absl::StrCat("http://127.0.0.1:", config_.port) ||
         origin == absl::StrCat("http://localhost:", config_.port);
}

bool BridgeHandler::AllowedOrigin(absl::string_view origin) const {
  return Contains(config_.allow_origins, origin);
}

void BridgeHandler::AddCorsHeaders(absl::string_view origin, HttpHeaders* headers) const {
  // Only configured origins may read responses from another origin's page.
  if (origin.empty() || !AllowedOrigin(origin)) return;
  headers->emplace_back("Access-Control-Allow-Origin", std::string(origin));
  headers->emplace_back("Access-Control-Expose-Headers",
                        "ETag, Preference-Applied, IM, Delta-Base, Ipckit-Splice");
  headers->emplace_back("Vary", "Origin");
}

HttpResponse BridgeHandler::Preflight(absl::string_view origin) const {
  if (origin.empty() || !AllowedOrigin(origin)) {
    return Error(403, kErrPermissionDenied, absl::StrCat("origin '", origin, "' is not allowed"),
                 origin);
  }
  HttpResponse reply;
  reply.status = 204;
  AddCorsHeaders(origin, &reply.headers);
  reply.headers.emplace_back("Access-Control-Allow-Methods", "GET, POST");
  reply.headers.emplace_back("Access-Control-Allow-Headers",
                             "Authorization, Content-Type, If-None-Match, Prefer, A-IM, Last-Event-ID");
  reply.headers.emplace_back("Access-Control-Max-Age", "600");
  return reply;
}

// ---- handlers ----

HttpResponse BridgeHandler::Info(absl::string_view origin) {
  absl::StatusOr<ChannelFileVersion> info = files_->Read(kChannelInfoFile, kMaxChannelInfoBytes);
  if (!info.ok()) return ErrorFromStatus(info.status(), origin);
  if (info->exists) {
    absl::Status valid = ValidateChannelInfo(info->text, kChannelInfoFile);
    // The channel's file, not the request, is bad: a conflict to repair.
    if (!valid.ok()) return Error(409, kErrCorrupt, valid.message(), origin);
  }
  rapidjson::StringBuffer out;
  rapidjson::Writer<rapidjson::StringBuffer> w(out);
  w.StartObject();
  w.Key("protocol");
  w.String("ipckit-bridge");
  w.Key("bridge_version");
  w.Int(kBridgeVersion);
  w.Key("format_version");
  w.Uint64(kFileChannelFormatVersion);
  w.Key("channel_info");
  if (info->exists) {
    // Validated above as one JSON object: embedded as it is.
    absl::string_view text = absl::StripAsciiWhitespace(info->text);
    w.RawValue(text.data(), text.size(), rapidjson::kObjectType);
  } else {
    w.Null();
  }
  w.Key("readable");
  w.StartArray();
  for (const std::string& name : readable_) w.String(name.c_str(), name.size());
  w.EndArray();
  w.Key("appendable");
  w.StartArray();
  for (const std::string& name : appendable_) w.String(name.c_str(), name.size());
  w.EndArray();
  w.Key("max_file_bytes");
  w.Uint64(config_.max_file_bytes);
  w.Key("max_wait_ms");
  w.Int64(absl::ToInt64Milliseconds(config_.max_wait));
  w.Key("stream_heartbeat_ms");
  w.Int64(absl::ToInt64Milliseconds(config_.stream_heartbeat));
  w.EndObject();
  return Json(200, std::string(out.GetString(), out.GetSize()), origin);
}

void BridgeHandler::RememberSent(absl::string_view name, const std::string& etag,
                                 const std::string& text) {
  if (text.size() > kMaxSentBytes || FindSent(name, etag) != nullptr) return;
  sent_.push_front(SentVersion{std::string(name), etag, text});
  // Bounded in count per file and in bytes overall, oldest out first.
  size_t per_name = 0;
  size_t bytes = 0;
  for (auto it = sent_.begin(); it != sent_.end();) {
    if (it->name == name) ++per_name;
    bytes += it->text.size();
    if ((it->name == name && per_name > kSentVersionsPerFile) || bytes > kMaxSentBytes) {
      bytes -= it->text.size();
      it = sent_.erase(it);
    } else {
      ++it;
    }
  }
}

const BridgeHandler::SentVersion* BridgeHandler::FindSent(absl::string_view name,
                                                          absl::string_view etag) const {
  for (const SentVersion& v : sent_) {
    if (v.name == name && v.etag == etag) return &v;
  }
  return nullptr;
}

BridgeAction BridgeHandler::GetFile(const HttpRequest& request, absl::string_view name,
                                    absl::string_view origin) {
  BridgeAction action;
  std::optional<absl::string_view> have = request.Header("if-none-match");
  int64_t wait_ms = 0;
  if (have) {
    std::optional<int64_t> wait_s = PreferredWaitSeconds(request.Header("prefer").value_or(""));
    if (wait_s) wait_ms = std::min(*wait_s * 1000, absl::ToInt64Milliseconds(config_.max_wait));
  }
  const bool splice = have && AcceptsSplice(request.Header("a-im").value_or(""));
  absl::StatusOr<std::string> etag = files_->EtagOf(name);
  if (!etag.ok()) {
    action.response = ErrorFromStatus(etag.status(), origin);
    return action;
  }
  if (have && *have == *etag && wait_ms > 0) {
    action.kind = BridgeAction::Kind::kHold;
    action.held = HeldRead{std::string(name), *etag, std::string(origin), splice,
                           absl::Milliseconds(wait_ms)};
    return action;
  }
  action.response = FileReply(name, *etag, origin, have.value_or(""), splice, -1);
  return action;
}

std::optional<HttpResponse> BridgeHandler::ResumeHeld(const HeldRead& held, bool expired) {
  absl::StatusOr<std::string> etag = files_->EtagOf(held.name);
  if (!etag.ok()) return ErrorFromStatus(etag.status(), held.origin);
  if (*etag == held.etag && !expired) return std::nullopt;  // spurious wake
  const int waited_s = static_cast<int>((absl::ToInt64Milliseconds(held.wait) + 500) / 1000);
  return FileReply(held.name, *etag, held.origin, held.etag, held.splice, waited_s);
}

HttpResponse BridgeHandler::FileReply(absl::string_view name, const std::string& etag,
                                      absl::string_view origin, absl::string_view have, bool splice,
                                      int waited_s) {
  HttpResponse reply;
  AddCorsHeaders(origin, &reply.headers);
  reply.headers.emplace_back("Cache-Control", "no-store");
  if (waited_s >= 0) reply.headers.emplace_back("Preference-Applied", absl::StrCat("wait=", waited_s));
  if (have == etag) {
    reply.headers.emplace_back("ETag", etag);
    reply.status = 304;
    return reply;
  }
  absl::StatusOr<ChannelFileVersion> read = files_->Read(name, config_.max_file_bytes);
  if (!read.ok()) return ErrorFromStatus(read.status(), origin);
  // The ETag names the version read, so a client holding these bytes under
  // this ETag can later ask for a splice against exactly them.
  reply.headers.emplace_back("ETag", read->etag);
  reply.headers.emplace_back("Content-Type", "application/json");
  std::optional<Splice> s = splice ? SpliceAgainst(name, have, read->text) : std::nullopt;
  RememberSent(name, read->etag, read->text);
  if (s) {
    reply.status = 226;
    reply.headers.emplace_back("IM", "ipckit-splice");
    reply.headers.emplace_back("Delta-Base", std::string(have));
    reply.headers.emplace_back("Ipckit-Splice", absl::StrCat(s->at, " ", s->from, " ", s->to));
    reply.body = std::move(s->body);
    return reply;
  }
  reply.body = std::move(read->text);
  return reply;
}

std::optional<Splice> BridgeHandler::SpliceAgainst(absl::string_view name, absl::string_view have,
                                                   absl::string_view text) const {
  const SentVersion* base = FindSent(name, have);
  if (base == nullptr) return std::nullopt;
  return ComputeSplice(base->text, text);
}

// ---- event streams (Server-Sent Events) ----

std::string ComposeSseEvent(absl::string_view type, absl::string_view id, absl::string_view first_line,
                            absl::string_view body) {
  std::string out;
  if (!id.empty()) absl::StrAppend(&out, "id: ", id, "\n");
  absl::StrAppend(&out, "event: ", type, "\n", "data: ", first_line, "\n");
  for (absl::string_view line : absl::StrSplit(body, '\n')) absl::StrAppend(&out, "data: ", line, "\n");
  out += "\n";
  return out;
}

BridgeAction BridgeHandler::OpenStream(const HttpRequest& request, absl::string_view name,
                                       absl::string_view origin) {
  BridgeAction action;
  // Unlike a GET, whose answer the browser hides from a page it is not
  // shared with, a stream holds a connection open: a page that could not
  // read it gets none.
  if (!origin.empty() && !OwnOrigin(origin) && !AllowedOrigin(origin)) {
    action.response = Error(403, kErrPermissionDenied,
                            absl::StrCat("origin '", origin, "' may not read this bridge"), origin);
    return action;
  }
  absl::string_view query = request.target;
  query = query.substr(std::min(query.size(), query.find('?') + 1));
  std::optional<absl::string_view> reader = QueryParam(query, "reader");
  if (reader && name != kChannelInfoFile) {
    // The page's named reader, held by the bridge while this stream is open.
    absl::Status valid = ValidateReaderName(*reader);
    if (!valid.ok()) {
      action.response = ErrorFromStatus(valid, origin);
      return action;
    }
    const std::string key = ReaderKey(name, *reader);
    absl::StatusOr<ReaderCursor> cursor =
        reader_sessions_.count(key) != 0
            ? absl::StatusOr<ReaderCursor>(InUseError(absl::StrCat("reader '", *reader, "' is open on this bridge")))
            : files_->OpenReader(name, *reader, QueryParam(query, "start") == "now");
    if (!cursor.ok()) {
      // 409, not 503: another tab holds the name, and retrying later
      // elsewhere (a hanging GET) would not help it.
      action.response = ErrorClassOf(cursor.status()) == kErrInUse
                            ? Error(409, kErrInUse, cursor.status().message(), origin)
                            : ErrorFromStatus(cursor.status(), origin);
      return action;
    }
    const uint64_t session = next_session_++;
    reader_sessions_[key] = session;
    action.stream.reader = std::string(*reader);
    const std::string reply(ReplyFileOf(name));
    if (Contains(appendable_, reply)) action.stream.reply_file = reply;
    rapidjson::StringBuffer out;
    rapidjson::Writer<rapidjson::StringBuffer> w(out);
    w.StartObject();
    w.Key("reader");
    w.String(reader->data(), reader->size());
    w.Key("session");
    w.Uint64(session);
    w.Key("pos");
    w.Uint64(cursor->pos);
    w.Key("ids");
    w.StartArray();
    for (const std::string& id : cursor->ids) w.String(id.c_str(), id.size());
    w.EndArray();
    w.EndObject();
    action.stream.first_event = ComposeSseEvent("reader", "", absl::string_view(out.GetString(), out.GetSize()), "");
  }
  action.kind = BridgeAction::Kind::kStream;
  action.stream.name = std::string(name);
  action.stream.origin = std::string(origin);
  action.stream.etag = std::string(request.Header("last-event-id").value_or(""));
  AddCorsHeaders(origin, &action.response.headers);
  action.response.headers.emplace_back("Content-Type", "text/event-stream");
  action.response.headers.emplace_back("Cache-Control", "no-store");
  action.response.close = true;  // the stream ends with the connection
  return action;
}


std::optional<StreamEvent> BridgeHandler::NextStreamEvent(StreamState* stream) {
  if (!stream->first_event.empty()) {
    // The reader event goes first, with the first file event if there is one.
    StreamEvent event{std::move(stream->first_event), false};
    stream->first_event.clear();
    if (std::optional<StreamEvent> file = NextStreamEvent(stream)) {
      event.text += file->text;
      event.end = file->end;
    }
    return event;
  }
  absl::StatusOr<std::string> etag = files_->EtagOf(stream->name);
  absl::StatusOr<ChannelFileVersion> read = absl::InternalError("not read");
  if (etag.ok()) {
    if (*etag == stream->etag) return std::nullopt;
    read = files_->Read(stream->name, config_.max_file_bytes);
  }
  if (!etag.ok() || !read.ok()) {
    const absl::Status& failed = etag.ok() ? read.status() : etag.status();
    HttpResponse error = ErrorFromStatus(failed, stream->origin);
    return StreamEvent{ComposeSseEvent("bridge-error", "", error.body, ""), /*end=*/true};
  }
  if (read->etag == stream->etag) return std::nullopt;  // changed back between the two looks
  StreamEvent event;
  if (read->text.find('\r') != std::string::npos) {
    // Event stream lines end at CR too, so these bytes cannot travel as
    // data exactly: the client reads the file with a GET instead.
    event.text = ComposeSseEvent("changed", "", read->etag, "");
    stream->etag = read->etag;
    return event;
  }
  if (!stream->reader.empty() && !stream->reply_file.empty()) {
    // The requests new to this page are claimed for it now, so that it need
    // not ask (POST /v1/claim) before running their handlers.
    absl::StatusOr<std::vector<std::pair<std::string, bool>>> offered =
        files_->ClaimOffered(stream->name, stream->reply_file, stream->reader, read->text);
    if (offered.ok() && !offered->empty()) event.text = ComposeClaimsEvent(*offered);
  }
  std::optional<Splice> s = SpliceAgainst(stream->name, stream->etag, read->text);
  RememberSent(stream->name, read->etag, read->text);
  if (s) {
    event.text += ComposeSseEvent("splice", read->etag,
                              absl::StrCat(s->at, " ", s->from, " ", s->to, " ", s->body.size(), " ",
                                           stream->etag),
                              s->body);
  } else {
    event.text += ComposeSseEvent("file", read->etag, absl::StrCat(read->text.size()), read->text);
  }
  stream->etag = read->etag;
  return event;
}

BridgeAction BridgeHandler::Append(const HttpRequest& request, absl::string_view name,
                                   absl::string_view query, absl::string_view body,
                                   absl::string_view origin) {
  BridgeAction action;
  if (std::optional<HttpResponse> refused = RefuseWrite(request, origin)) {
    action.response = std::move(*refused);
    return action;
  }
  absl::Duration lock_timeout = kDefaultLockTimeout;
  for (absl::string_view param : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    if (!absl::ConsumePrefix(&param, "timeout_ms=")) continue;
    int64_t ms = 0;
    if (param.empty() || param.find_first_not_of("0123456789") != absl::string_view::npos) {
      action.response = Error(400, kErrInvalidArgument,
                              absl::StrCat("timeout_ms must be an integer >= 0, got '", param, "'"),
                              origin);
      return action;
    }
    lock_timeout = param.size() > 9 || !absl::SimpleAtoi(param, &ms)
                       ? kMaxLockTimeout
                       : std::min(absl::Milliseconds(ms), kMaxLockTimeout);
  }
  absl::StatusOr<std::vector<ScannedMessage>> scanned = ScanChannelFile(body, "request body");
  if (!scanned.ok()) {
    action.response = ErrorFromStatus(scanned.status(), origin);
    return action;
  }
  if (scanned->empty()) {
    action.response = Error(400, kErrInvalidArgument, "the request holds no messages", origin);
    return action;
  }
  action = LockedJob(name, lock_timeout, origin);
  if (std::optional<absl::string_view> pos = QueryParam(query, "cursor")) {
    // The page's cursor (of the file it reads), saved with its answer.
    uint64_t value = 0;
    if (!absl::SimpleAtoi(*pos, &value)) {
      action = BridgeAction();
      action.response = Error(400, kErrInvalidArgument, absl::StrCat("cursor must be a pos, got '", *pos, "'"), origin);
      return action;
    }
    action.append.cursor_pos = value;
    action.append.cursor_reader = std::string(QueryParam(query, "reader").value_or(""));
    action.append.cursor_session = std::string(QueryParam(query, "session").value_or(""));
  }
  action.append.texts.reserve(scanned->size());
  for (const ScannedMessage& m : *scanned) {
    action.append.texts.emplace_back(body.substr(m.begin, m.end - m.begin));
  }
  return action;
}

std::optional<HttpResponse> BridgeHandler::RefuseWrite(const HttpRequest& request, absl::string_view origin) const {
  if (!origin.empty() && !OwnOrigin(origin) && !AllowedOrigin(origin)) {
    return Error(403, kErrPermissionDenied, absl::StrCat("writes from origin '", origin, "' are not allowed"),
                 origin);
  }
  absl::string_view type = request.Header("content-type").value_or("");
  type = absl::StripAsciiWhitespace(type.substr(0, type.find(';')));
  if (!absl::EqualsIgnoreCase(type, "application/json")) {
    return Error(415, kErrInvalidArgument, "POST needs Content-Type: application/json", origin);
  }
  return std::nullopt;
}

// POST /v1/cursor/<file> and /v1/claim/<file>, for a named reader whose
// stream is open here (?reader=<name>&session=<n>, from its reader event).
BridgeAction BridgeHandler::ReaderPost(const HttpRequest& request, absl::string_view route, absl::string_view name,
                                       absl::string_view query, absl::string_view body, absl::string_view origin) {
  BridgeAction action;
  if (std::optional<HttpResponse> refused = RefuseWrite(request, origin)) {
    action.response = std::move(*refused);
    return action;
  }
  absl::string_view reader = QueryParam(query, "reader").value_or("");
  if (!SessionOpen(name, reader, QueryParam(query, "session").value_or(""))) {
    // A page's late request from a stream that has ended (a reload): the
    // new stream's page decides from the cursor it was given.
    action.response = Error(409, kErrClosed,
                            absl::StrCat("reader '", reader, "' of ", name,
                                         " has no open stream on this bridge under that session"),
                            origin);
    return action;
  }
  if (route == "/v1/cursor/") {
    absl::StatusOr<ReaderCursor> cursor = ParseReaderCursor(body, "cursor in the request body");
    absl::Status saved = cursor.ok() ? files_->SaveCursor(name, reader, *cursor) : cursor.status();
    action.response = saved.ok() ? Json(200, "{\"saved\":true}", origin) : ErrorFromStatus(saved, origin);
    return action;
  }
  const std::string reply(ReplyFileOf(name));
  if (!Contains(appendable_, reply)) {
    action.response = Error(403, kErrPermissionDenied,
                            absl::StrCat("this bridge does not let clients answer requests of ", name), origin);
    return action;
  }
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("id") || !doc["id"].IsString()) {
    action.response = Error(400, kErrInvalidArgument, "a claim's body is {\"id\": \"<request id>\"}", origin);
    return action;
  }
  action = LockedJob(name, kDefaultLockTimeout, origin);
  action.append.claim_reader = std::string(reader);
  action.append.claim_id.assign(doc["id"].GetString(), doc["id"].GetStringLength());
  action.append.claim_reply = reply;
  return action;
}

bool BridgeHandler::SessionOpen(absl::string_view file, absl::string_view reader, absl::string_view session) const {
  auto it = reader_sessions_.find(ReaderKey(file, reader));
  return !reader.empty() && it != reader_sessions_.end() && session == absl::StrCat(it->second);
}

void BridgeHandler::CloseStream(StreamState* stream) {
  if (stream->reader.empty()) return;
  reader_sessions_.erase(ReaderKey(stream->name, stream->reader));
  files_->CloseReader(stream->name, stream->reader);
  stream->reader.clear();
}

HttpResponse BridgeHandler::AppendDone(const AppendJob& job, const absl::Status& status) {
  if (!status.ok()) {
    // The target file, not the request, is corrupt: a conflict to repair.
    if (ErrorClassOf(status) == kErrCorrupt) return Error(409, kErrCorrupt, status.message(), job.origin);
    return ErrorFromStatus(status, job.origin);
  }
  if (!job.claim_reader.empty()) {
    return Json(200, job.claimed ? "{\"claimed\":true}" : "{\"claimed\":false}", job.origin);
  }
  if (job.cursor_pos) {
    // A stale session (the page reloaded) saves nothing; the append stands.
    const absl::string_view read_file = ReplyFileOf(job.name);
    ReaderCursor cursor;
    cursor.pos = *job.cursor_pos;
    const bool saved = SessionOpen(read_file, job.cursor_reader, job.cursor_session) &&
                       files_->SaveCursor(read_file, job.cursor_reader, cursor).ok();
    return Json(200, absl::StrCat("{\"appended\":", job.texts.size(), ",\"cursor_saved\":", saved ? "true" : "false", "}"),
                job.origin);
  }
  return Json(200, absl::StrCat("{\"appended\":", job.texts.size(), "}"), job.origin);
}

// ---- responses ----

HttpResponse BridgeHandler::Json(int status, std::string body, absl::string_view origin) const {
  HttpResponse reply;
  reply.status = status;
  AddCorsHeaders(origin, &reply.headers);
  reply.headers.emplace_back("Content-Type", "application/json");
  reply.headers.emplace_back("Cache-Control", "no-store");
  reply.body = std::move(body);
  return reply;
}

HttpResponse BridgeHandler::Error(int status, absl::string_view error_class,
                                  absl::string_view message, absl::string_view origin) const {
  rapidjson::StringBuffer out;
  rapidjson::Writer<rapidjson::StringBuffer> w(out);
  w.StartObject();
  w.Key("error");
  w.String(error_class.data(), error_class.size());
  w.Key("message");
  w.String(message.data(), message.size());
  w.EndObject();
  return Json(status, std::string(out.GetString(), out.GetSize()), origin);
}

HttpResponse BridgeHandler::ErrorFromStatus(const absl::Status& status,
                                            absl::string_view origin) const {
  std::string error_class = ErrorClassOf(status);
  return Error(HttpStatusForClass(error_class), error_class, status.message(), origin);
}

}  // namespace ipckit::bridge
