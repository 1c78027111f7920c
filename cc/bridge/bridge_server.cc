#include "cc/bridge/bridge_server.h"

#include <errno.h>
#include <poll.h>
#include <sys/stat.h>

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
#include "absl/time/clock.h"
#include "cc/base/deadline.h"
#include "cc/base/error.h"
#include "cc/base/status_macros.h"
#include "cc/bridge/splice.h"
#include "cc/file_channel/channel_file.h"
#include "cc/file_channel/channel_info.h"
#include "cc/file_channel/message.h"
#include "cc/platform/watch/dir_watcher.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace ipckit::bridge {
namespace {

constexpr absl::Duration kDefaultLockTimeout = absl::Seconds(10);
constexpr absl::Duration kMaxLockTimeout = absl::Seconds(30);
// After a response that closes the connection, unread request bytes are
// discarded for at most this long, so that closing does not reset the
// connection before the client has read the response.
constexpr absl::Duration kLingerTime = absl::Seconds(2);
constexpr absl::Duration kWatchSlice = absl::Milliseconds(250);
// Sent versions kept as splice bases: a reader normally asks against the one
// it got last, so a few per file cover several readers.
constexpr size_t kSentVersionsPerFile = 4;
constexpr size_t kMaxSentBytes = size_t{32} << 20;
constexpr absl::string_view kMissingEtag = "\"missing\"";

// Writers replace files by rename, so every write changes the inode.
std::string EtagFor(uint64_t inode, uint64_t size, int64_t mtime_ns) {
  return absl::StrCat("\"", inode, "-", size, "-", mtime_ns, "\"");
}

// Whether an A-IM header lists ipckit-splice (RFC 3229 instance manipulations).
bool AcceptsSplice(absl::string_view a_im) {
  for (absl::string_view item : absl::StrSplit(a_im, ',')) {
    item = absl::StripAsciiWhitespace(item.substr(0, item.find(';')));
    if (absl::EqualsIgnoreCase(item, "ipckit-splice")) return true;
  }
  return false;
}

// mkdir -p.
absl::Status MakeDirs(const std::string& dir) {
  for (size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos != dir.size() && dir[pos] != '/') continue;
    std::string prefix = dir.substr(0, pos);
    if (::mkdir(prefix.c_str(), 0777) != 0 && errno != EEXIST) {
      return ErrnoError(errno, absl::StrCat("create channel directory '", prefix, "'"));
    }
  }
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) return ErrnoError(errno, absl::StrCat("stat '", dir, "'"));
  if (!S_ISDIR(st.st_mode)) return InvalidArgumentError(absl::StrCat("'", dir, "' is not a directory"));
  return absl::OkStatus();
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
  if (error_class == kErrTimeout) return 503;
  return 500;
}

bool Contains(const std::vector<std::string>& list, absl::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

}  // namespace

struct BridgeServer::Connection {
  enum class State {
    kHead,   // reading a request line and headers
    kBody,   // reading a Content-Length body
    kHeld,   // a hanging GET, waiting for its file to change
    kWrite,  // sending a response
    kDrain,  // response sent, write side shut: discarding input until EOF
  };
  UniqueFd fd;
  State state = State::kHead;
  bool dead = false;
  std::string in;    // received, not yet consumed
  std::string out;   // the response being sent
  size_t sent = 0;
  bool keep_alive = true;
  HttpRequest request;
  size_t body_length = 0;
  absl::Time expires;  // idle, linger or hanging-GET deadline
  // The hanging GET, in kHeld.
  std::string held_name;
  std::string held_etag;
  std::string held_origin;
  bool held_splice = false;
  int held_wait_s = 0;

  // How much `in` may hold before the connection stops being read.
  size_t ReadLimit() const {
    return state == State::kBody ? body_length + kMaxRequestHeadBytes : kMaxRequestHeadBytes + 1;
  }
};

struct BridgeServer::Reply {
  int status = 200;
  HttpHeaders headers;
  std::string body;
  bool close = false;  // the connection cannot carry another request
};

absl::StatusOr<std::unique_ptr<BridgeServer>> BridgeServer::Start(std::string dir,
                                                                   BridgeOptions options) {
  if (dir.empty()) return InvalidArgumentError("bridge: the channel directory is empty");
  IPCKIT_RETURN_IF_ERROR(MakeDirs(dir));
  IPCKIT_RETURN_IF_ERROR(EnsureChannelInfo(dir, Deadline::After(options.open_timeout)));
  // Watching starts before anything is read, so no change can slip past.
  IPCKIT_ASSIGN_OR_RETURN(
      DirWatcher watcher,
      DirWatcher::Open(dir, {std::string(kBackendToFrontendFile), std::string(kFrontendToBackendFile),
                             std::string(kChannelInfoFile)}));
  IPCKIT_ASSIGN_OR_RETURN(LoopbackListener listener, LoopbackListener::Bind(options.port));
  IPCKIT_ASSIGN_OR_RETURN(WakePipe wake, MakeWakePipe());
  std::unique_ptr<BridgeServer> server(
      new BridgeServer(std::move(dir), std::move(options), std::move(listener), std::move(wake)));
  BridgeServer* self = server.get();
  server->watcher_ = std::thread([self, w = std::move(watcher)]() mutable {
    while (!self->watcher_exit_.load()) {
      absl::StatusOr<bool> changed = w.Wait(Deadline::After(kWatchSlice));
      if (!changed.ok()) absl::SleepFor(absl::Milliseconds(50));  // then re-check conservatively
      if (!changed.ok() || *changed) {
        self->files_changed_.store(true);
        Wake(self->wake_.write_end.get());
      }
    }
  });
  return server;
}

BridgeServer::BridgeServer(std::string dir, BridgeOptions options, LoopbackListener listener,
                           WakePipe wake)
    : dir_(std::move(dir)),
      options_(std::move(options)),
      listener_(std::move(listener)),
      wake_(std::move(wake)) {
  readable_ = {std::string(kBackendToFrontendFile), std::string(kFrontendToBackendFile),
               std::string(kChannelInfoFile)};
  appendable_ = {std::string(kFrontendToBackendFile)};
  if (options_.allow_backend_writes) appendable_.push_back(std::string(kBackendToFrontendFile));
}

BridgeServer::~BridgeServer() {
  watcher_exit_.store(true);
  if (watcher_.joinable()) watcher_.join();
}

std::string BridgeServer::url() const { return absl::StrCat("http://127.0.0.1:", port()); }

void BridgeServer::Stop() {
  stop_.store(true);
  Wake(wake_.write_end.get());
}

absl::Status BridgeServer::Serve(absl::Duration timeout) {
  const Deadline deadline = Deadline::After(timeout);
  std::vector<pollfd> fds;
  std::vector<Connection*> polled;
  while (!stop_.load()) {
    fds.clear();
    polled.clear();
    fds.push_back({wake_.read_end.get(), POLLIN, 0});
    fds.push_back({listener_.fd(), POLLIN, 0});
    absl::Time next = deadline.when();
    for (Connection& c : connections_) {
      short events = 0;
      if (c.state == Connection::State::kWrite) {
        events = POLLOUT;
      } else if (c.state == Connection::State::kDrain || c.in.size() < c.ReadLimit()) {
        events = POLLIN;
      }
      fds.push_back({c.fd.get(), events, 0});
      polled.push_back(&c);
      next = std::min(next, c.expires);
    }
    int wait_ms = -1;
    if (next != absl::InfiniteFuture()) {
      wait_ms = static_cast<int>(std::clamp<int64_t>(
          absl::ToInt64Milliseconds(next - absl::Now() + absl::Microseconds(999)), 0, 1 << 30));
    }
    int n = ::poll(fds.data(), fds.size(), wait_ms);
    if (n < 0) {
      if (errno != EINTR) return ErrnoError(errno, "poll in the bridge");
      if (stop_.load()) break;  // stopped by the signal's handler
      return TimeoutError("bridge: serving interrupted by a signal");
    }
    if (fds[0].revents != 0) DrainWakes(wake_.read_end.get());
    if (stop_.load()) break;

    for (size_t i = 0; i < polled.size(); ++i) {
      Connection& c = *polled[i];
      short revents = fds[i + 2].revents;
      if (revents == 0 || c.dead) continue;
      if (c.state == Connection::State::kWrite) {
        if (!WriteTo(c)) c.dead = true;
      } else if (!ReadFrom(c)) {
        c.dead = true;
      }
    }
    if (files_changed_.exchange(false)) {
      for (Connection& c : connections_) {
        if (c.dead || c.state != Connection::State::kHeld) continue;
        FinishHeld(c, /*deadline_passed=*/false);
        if (c.state == Connection::State::kWrite && !WriteTo(c)) c.dead = true;
      }
    }
    const absl::Time now = absl::Now();
    for (Connection& c : connections_) {
      if (c.dead || c.expires > now) continue;
      if (c.state == Connection::State::kHeld) {
        FinishHeld(c, /*deadline_passed=*/true);
        if (!WriteTo(c)) c.dead = true;
      } else {
        c.dead = true;  // idle, stuck sending, or lingering long enough
      }
    }
    connections_.remove_if([](const Connection& c) { return c.dead; });
    if (fds[1].revents != 0) AcceptPending();
    if (deadline.Expired()) {
      return TimeoutError(absl::StrCat("bridge on ", url(), " served for ",
                                       absl::FormatDuration(timeout)));
    }
  }
  return absl::OkStatus();
}

void BridgeServer::AcceptPending() {
  for (;;) {
    absl::StatusOr<UniqueFd> fd = listener_.Accept();
    if (!fd.ok() || !fd->valid()) return;  // a failing accept is retried on the next poll
    if (connections_.size() >= options_.max_connections) continue;  // closed at once
    Connection& c = connections_.emplace_back();
    c.fd = std::move(*fd);
    c.expires = absl::Now() + options_.idle_timeout;
  }
}

bool BridgeServer::ReadFrom(Connection& conn) {
  char buffer[16 * 1024];
  if (conn.state == Connection::State::kDrain) {
    for (;;) {
      absl::StatusOr<Transfer> t = ReceiveSome(conn.fd.get(), buffer, sizeof(buffer));
      if (!t.ok() || (t->bytes == 0 && !t->would_block)) return false;
      if (t->would_block) return true;
    }
  }
  const size_t room = conn.ReadLimit() - std::min(conn.ReadLimit(), conn.in.size());
  absl::StatusOr<Transfer> t =
      ReceiveSome(conn.fd.get(), buffer, std::min(room, sizeof(buffer)));
  if (!t.ok()) return false;
  if (t->would_block) return true;
  if (t->bytes == 0) return false;  // the client closed (also ends a hanging GET)
  conn.in.append(buffer, t->bytes);
  if (conn.state == Connection::State::kHeld) return true;  // kept for after the response
  conn.expires = absl::Now() + options_.idle_timeout;
  return Advance(conn);
}

bool BridgeServer::WriteTo(Connection& conn) {
  while (conn.sent < conn.out.size()) {
    absl::StatusOr<Transfer> t =
        SendSome(conn.fd.get(), absl::string_view(conn.out).substr(conn.sent));
    if (!t.ok()) return false;
    if (t->would_block) return true;
    conn.sent += t->bytes;
  }
  conn.out.clear();
  conn.sent = 0;
  if (!conn.keep_alive) {
    ShutdownWrite(conn.fd.get());
    conn.state = Connection::State::kDrain;
    conn.in.clear();
    conn.expires = absl::Now() + kLingerTime;
    return true;
  }
  conn.state = Connection::State::kHead;
  conn.expires = absl::Now() + options_.idle_timeout;
  return conn.in.empty() ? true : Advance(conn);
}

bool BridgeServer::Advance(Connection& conn) {
  if (conn.state == Connection::State::kHead) {
    const size_t end = FindHeadEnd(conn.in);
    if (end == absl::string_view::npos || end > kMaxRequestHeadBytes) {
      if (end == absl::string_view::npos && conn.in.size() <= kMaxRequestHeadBytes) return true;
      conn.keep_alive = false;
      Respond(conn, Error(431, kErrTooLarge,
                          absl::StrCat("request head is over the limit of ", kMaxRequestHeadBytes,
                                       " bytes"), ""));
      return WriteTo(conn);
    }
    absl::StatusOr<HttpRequest> request = ParseRequestHead(absl::string_view(conn.in).substr(0, end));
    conn.in.erase(0, end);
    conn.keep_alive = false;  // until the head is known to be sound
    if (!request.ok()) {
      const bool too_many = ErrorClassOf(request.status()) == kErrTooLarge;
      Respond(conn, too_many ? Error(431, kErrTooLarge, request.status().message(), "")
                             : ErrorFromStatus(request.status(), ""));
      return WriteTo(conn);
    }
    conn.request = std::move(*request);
    const std::string origin(conn.request.Header("origin").value_or(""));
    if (conn.request.Header("transfer-encoding")) {
      // Content-Length framing only: chunked bodies are refused, not parsed.
      Respond(conn, Error(501, kErrInvalidArgument,
                          "Transfer-Encoding is not supported; send a Content-Length", origin));
      return WriteTo(conn);
    }
    absl::StatusOr<size_t> length = ContentLengthOf(conn.request);
    if (!length.ok()) {
      Respond(conn, ErrorFromStatus(length.status(), origin));
      return WriteTo(conn);
    }
    if (*length > options_.max_file_bytes) {
      // Refused before a byte of it is read or buffered.
      Respond(conn, Error(413, kErrTooLarge,
                          absl::StrCat("body of ", *length, " bytes is over the limit ",
                                       options_.max_file_bytes),
                          origin));
      return WriteTo(conn);
    }
    if (conn.request.method == "POST" && !conn.request.Header("content-length")) {
      Respond(conn, Error(411, kErrInvalidArgument, "POST needs a Content-Length", origin));
      return WriteTo(conn);
    }
    conn.keep_alive = conn.request.KeepAlive();
    conn.body_length = *length;
    conn.in.reserve(conn.body_length);
    conn.state = Connection::State::kBody;
  }
  if (conn.state == Connection::State::kBody) {
    if (conn.in.size() < conn.body_length) return true;
    std::string body = conn.in.substr(0, conn.body_length);
    conn.in.erase(0, conn.body_length);
    Dispatch(conn, body);
  }
  if (conn.state == Connection::State::kWrite) return WriteTo(conn);
  return true;
}

void BridgeServer::Dispatch(Connection& conn, absl::string_view body) {
  Reply reply = Route(conn, body);
  if (conn.state == Connection::State::kHeld) return;
  Respond(conn, reply);
}

void BridgeServer::Respond(Connection& conn, const Reply& reply) {
  conn.keep_alive = conn.keep_alive && !reply.close;
  conn.out = ComposeResponse(reply.status, reply.headers, reply.body, conn.keep_alive);
  conn.sent = 0;
  conn.state = Connection::State::kWrite;
  conn.expires = absl::Now() + options_.idle_timeout;
}

// ---- routing ----

BridgeServer::Reply BridgeServer::Route(Connection& conn, absl::string_view body) {
  const HttpRequest& request = conn.request;
  const std::string origin(request.Header("origin").value_or(""));
  const std::string own_host = absl::StrCat(":", port());
  absl::string_view host = request.Header("host").value_or("");
  if (host != absl::StrCat("127.0.0.1", own_host) && host != absl::StrCat("localhost", own_host)) {
    return Error(403, kErrPermissionDenied, absl::StrCat("Host '", host, "' is not this bridge"),
                 origin);
  }
  // Nothing in a URL becomes a path, but refuse what tries to be one.
  if (HasForbiddenPathPart(request.target)) {
    return Error(400, kErrInvalidArgument,
                 absl::StrCat("path '", request.target, "' is not allowed"), origin);
  }
  absl::string_view target = request.target;
  absl::string_view query;
  if (size_t q = target.find('?'); q != absl::string_view::npos) {
    query = target.substr(q + 1);
    target = target.substr(0, q);
  }
  if (request.method == "OPTIONS") return Preflight(origin);

  auto method_error = [&](absl::string_view want) {
    return Error(405, kErrInvalidArgument,
                 absl::StrCat(request.method, " is not supported here; use ", want), origin);
  };
  absl::string_view name = target;
  if (target == "/v1/info") {
    if (request.method != "GET") return method_error("GET");
    return Info(origin);
  }
  if (absl::ConsumePrefix(&name, "/v1/files/") && Contains(readable_, name)) {
    if (request.method != "GET") return method_error("GET");
    return GetFile(conn, name, origin);
  }
  name = target;
  if (absl::ConsumePrefix(&name, "/v1/append/") && Contains(appendable_, name)) {
    if (request.method != "POST") return method_error("POST");
    return Append(request, name, query, body, origin);
  }
  return Error(404, kErrNotFound, absl::StrCat("no such bridge resource: ", target), origin);
}

bool BridgeServer::OwnOrigin(absl::string_view origin) const {
  return origin == absl::StrCat("http://127.0.0.1:", port()) ||
         origin == absl::StrCat("http://localhost:", port());
}

bool BridgeServer::AllowedOrigin(absl::string_view origin) const {
  return Contains(options_.allow_origins, origin);
}

void BridgeServer::AddCorsHeaders(absl::string_view origin, HttpHeaders* headers) const {
  // Only configured origins may read responses from another origin's page.
  if (origin.empty() || !AllowedOrigin(origin)) return;
  headers->emplace_back("Access-Control-Allow-Origin", std::string(origin));
  headers->emplace_back("Access-Control-Expose-Headers",
                        "ETag, Preference-Applied, IM, Delta-Base, Ipckit-Splice");
  headers->emplace_back("Vary", "Origin");
}

BridgeServer::Reply BridgeServer::Preflight(absl::string_view origin) {
  if (origin.empty() || !AllowedOrigin(origin)) {
    return Error(403, kErrPermissionDenied,
                 absl::StrCat("origin '", origin, "' is not allowed"), origin);
  }
  Reply reply;
  reply.status = 204;
  AddCorsHeaders(origin, &reply.headers);
  reply.headers.emplace_back("Access-Control-Allow-Methods", "GET, POST");
  reply.headers.emplace_back("Access-Control-Allow-Headers", "Content-Type, If-None-Match, Prefer, A-IM");
  reply.headers.emplace_back("Access-Control-Max-Age", "600");
  return reply;
}

// ---- handlers ----

BridgeServer::Reply BridgeServer::Info(absl::string_view origin) {
  absl::StatusOr<FileSnapshot> info =
      ReadChannelFile(absl::StrCat(dir_, "/", kChannelInfoFile), kMaxChannelInfoBytes);
  if (!info.ok()) return ErrorFromStatus(info.status(), origin);
  if (info->exists) {
    absl::Status valid = ValidateChannelInfo(info->text, kChannelInfoFile);
    if (!valid.ok()) return ErrorFromStatus(valid, origin);
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
  w.Uint64(options_.max_file_bytes);
  w.Key("max_wait_ms");
  w.Int64(absl::ToInt64Milliseconds(options_.max_wait));
  w.EndObject();
  return Json(200, std::string(out.GetString(), out.GetSize()), origin);
}

absl::StatusOr<std::string> BridgeServer::EtagOf(absl::string_view name) const {
  const std::string path = absl::StrCat(dir_, "/", name);
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return std::string(kMissingEtag);
    return ErrnoError(errno, absl::StrCat("stat '", path, "'"));
  }
  return EtagFor(static_cast<uint64_t>(st.st_ino), static_cast<uint64_t>(st.st_size),
                 int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec);
}

void BridgeServer::RememberSent(absl::string_view name, const std::string& etag,
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

const BridgeServer::SentVersion* BridgeServer::FindSent(absl::string_view name,
                                                       absl::string_view etag) const {
  for (const SentVersion& v : sent_) {
    if (v.name == name && v.etag == etag) return &v;
  }
  return nullptr;
}

BridgeServer::Reply BridgeServer::GetFile(Connection& conn, absl::string_view name,
                                          absl::string_view origin) {
  std::optional<absl::string_view> have = conn.request.Header("if-none-match");
  int64_t wait_ms = 0;
  if (have) {
    std::optional<int64_t> wait_s = PreferredWaitSeconds(conn.request.Header("prefer").value_or(""));
    if (wait_s) wait_ms = std::min(*wait_s * 1000, absl::ToInt64Milliseconds(options_.max_wait));
  }
  const bool splice = have && AcceptsSplice(conn.request.Header("a-im").value_or(""));
  absl::StatusOr<std::string> etag = EtagOf(name);
  if (!etag.ok()) return ErrorFromStatus(etag.status(), origin);
  if (have && *have == *etag && wait_ms > 0) {
    conn.state = Connection::State::kHeld;
    conn.held_name = std::string(name);
    conn.held_etag = *etag;
    conn.held_origin = std::string(origin);
    conn.held_splice = splice;
    conn.held_wait_s = static_cast<int>((wait_ms + 500) / 1000);
    conn.expires = absl::Now() + absl::Milliseconds(wait_ms);
    return Reply();
  }
  return FileReply(name, *etag, origin, have.value_or(""), splice, -1);
}

void BridgeServer::FinishHeld(Connection& conn, bool deadline_passed) {
  absl::StatusOr<std::string> etag = EtagOf(conn.held_name);
  if (etag.ok() && *etag == conn.held_etag && !deadline_passed) return;  // spurious wake
  conn.state = Connection::State::kBody;  // anything but kHeld, for Respond
  if (!etag.ok()) {
    Respond(conn, ErrorFromStatus(etag.status(), conn.held_origin));
  } else {
    Respond(conn, FileReply(conn.held_name, *etag, conn.held_origin, conn.held_etag,
                            conn.held_splice, conn.held_wait_s));
  }
}

BridgeServer::Reply BridgeServer::FileReply(absl::string_view name, const std::string& etag,
                                            absl::string_view origin, absl::string_view have,
                                            bool splice, int waited_s) {
  Reply reply;
  AddCorsHeaders(origin, &reply.headers);
  reply.headers.emplace_back("Cache-Control", "no-store");
  if (waited_s >= 0) reply.headers.emplace_back("Preference-Applied", absl::StrCat("wait=", waited_s));
  if (have == etag) {
    reply.headers.emplace_back("ETag", etag);
    reply.status = 304;
    return reply;
  }
  absl::StatusOr<FileSnapshot> snapshot =
      ReadChannelFile(absl::StrCat(dir_, "/", name), options_.max_file_bytes);
  if (!snapshot.ok()) return ErrorFromStatus(snapshot.status(), origin);
  // The ETag names the version read (fstat of the opened file), so a client
  // holding these bytes under this ETag can later ask for a splice against
  // exactly them.
  const std::string sent_etag =
      snapshot->exists ? EtagFor(snapshot->inode, snapshot->size, snapshot->mtime_ns)
                       : std::string(kMissingEtag);
  reply.headers.emplace_back("ETag", sent_etag);
  reply.headers.emplace_back("Content-Type", "application/json");
  if (splice) {
    if (const SentVersion* base = FindSent(name, have)) {
      if (std::optional<Splice> s = ComputeSplice(base->text, snapshot->text)) {
        reply.status = 226;
        reply.headers.emplace_back("IM", "ipckit-splice");
        reply.headers.emplace_back("Delta-Base", std::string(have));
        reply.headers.emplace_back("Ipckit-Splice", absl::StrCat(s->at, " ", s->from, " ", s->to));
        reply.body = std::move(s->body);
        RememberSent(name, sent_etag, snapshot->text);
        return reply;
      }
    }
  }
  RememberSent(name, sent_etag, snapshot->text);
  reply.body = std::move(snapshot->text);
  return reply;
}

BridgeServer::Reply BridgeServer::Append(const HttpRequest& request, absl::string_view name,
                                         absl::string_view query, absl::string_view body,
                                         absl::string_view origin) {
  if (!origin.empty() && !OwnOrigin(origin) && !AllowedOrigin(origin)) {
    return Error(403, kErrPermissionDenied,
                 absl::StrCat("writes from origin '", origin, "' are not allowed"), origin);
  }
  absl::string_view type = request.Header("content-type").value_or("");
  type = absl::StripAsciiWhitespace(type.substr(0, type.find(';')));
  if (!absl::EqualsIgnoreCase(type, "application/json")) {
    return Error(415, kErrInvalidArgument, "POST needs Content-Type: application/json", origin);
  }
  absl::Duration lock_timeout = kDefaultLockTimeout;
  for (absl::string_view param : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    if (!absl::ConsumePrefix(&param, "timeout_ms=")) continue;
    int64_t ms = 0;
    if (param.empty() || param.find_first_not_of("0123456789") != absl::string_view::npos) {
      return Error(400, kErrInvalidArgument,
                   absl::StrCat("timeout_ms must be an integer >= 0, got '", param, "'"), origin);
    }
    lock_timeout = param.size() > 9 || !absl::SimpleAtoi(param, &ms)
                       ? kMaxLockTimeout
                       : std::min(absl::Milliseconds(ms), kMaxLockTimeout);
  }
  absl::StatusOr<std::vector<ScannedMessage>> scanned = ScanChannelFile(body, "request body");
  if (!scanned.ok()) return ErrorFromStatus(scanned.status(), origin);
  if (scanned->empty()) return Error(400, kErrInvalidArgument, "the request holds no messages", origin);
  std::vector<std::string> texts;
  texts.reserve(scanned->size());
  for (const ScannedMessage& m : *scanned) texts.emplace_back(body.substr(m.begin, m.end - m.begin));

  AppendOptions append;
  append.retention = options_.retention;
  append.max_file_bytes = options_.max_file_bytes;
  append.fsync = options_.fsync;
  append.remove_stale_temps = !wrote_once_;
  absl::Status status =
      AppendToChannelFile(dir_, name, texts, append, Deadline::After(lock_timeout));
  if (!status.ok()) {
    // The target file, not the request, is corrupt: a conflict to repair.
    if (ErrorClassOf(status) == kErrCorrupt) return Error(409, kErrCorrupt, status.message(), origin);
    return ErrorFromStatus(status, origin);
  }
  wrote_once_ = true;
  return Json(200, absl::StrCat("{\"appended\":", texts.size(), "}"), origin);
}

// ---- responses ----

BridgeServer::Reply BridgeServer::Json(int status, std::string body, absl::string_view origin) {
  Reply reply;
  reply.status = status;
  AddCorsHeaders(origin, &reply.headers);
  reply.headers.emplace_back("Content-Type", "application/json");
  reply.headers.emplace_back("Cache-Control", "no-store");
  reply.body = std::move(body);
  return reply;
}

BridgeServer::Reply BridgeServer::Error(int status, absl::string_view error_class,
                                        absl::string_view message, absl::string_view origin) {
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

BridgeServer::Reply BridgeServer::ErrorFromStatus(const absl::Status& status,
                                                  absl::string_view origin) {
  std::string error_class = ErrorClassOf(status);
  return Error(HttpStatusForClass(error_class), error_class, status.message(), origin);
}

}  // namespace ipckit::bridge
