#include "cc/bridge/bridge_server.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "cc/base/deadline.h"
#include "cc/base/error.h"
#include "cc/base/status_macros.h"
#include "cc/file_channel/channel_file.h"
#include "cc/file_channel/channel_info.h"
#include "cc/platform/fs/owned_file.h"
#include "cc/platform/random/secure_random.h"
#include "cc/platform/watch/dir_watcher.h"

namespace ipckit::bridge {
namespace {

// After a response that closes the connection, unread request bytes are
// discarded for at most this long, so that closing does not reset the
// connection before the client has read the response.
constexpr absl::Duration kLingerTime = absl::Seconds(2);
constexpr absl::Duration kWatchSlice = absl::Milliseconds(250);
constexpr size_t kTokenBytes = 16;  // 128 bits

AppendOptions AppendOptionsFor(const BridgeOptions& options) {
  AppendOptions append;
  append.retention = options.retention;
  append.max_file_bytes = options.max_file_bytes;
  append.fsync = options.fsync;
  return append;
}

}  // namespace

struct BridgeServer::Connection {
  enum class State {
    kHead,       // reading a request line and headers
    kBody,       // reading a Content-Length body
    kHeld,       // a hanging GET, waiting for its file to change
    kAppending,  // the worker runs its append
    kWrite,      // sending a response
    kStream,     // an event stream: sending events as its file changes
    kDrain,      // response sent, write side shut: discarding input until EOF
  };
  uint64_t id = 0;
  UniqueSocket fd;
  State state = State::kHead;
  bool dead = false;
  std::string in;    // received, not yet consumed
  std::string out;   // the response being sent
  size_t sent = 0;
  bool keep_alive = true;
  bool reused = false;  // a keep-alive connection waiting for its next request
  HttpRequest request;
  size_t body_length = 0;
  size_t body_reserved = 0;  // counted in body_bytes_reserved_
  absl::Time expires;        // head, body, idle, linger or hanging-GET deadline
  HeldRead held;             // in kHeld
  StreamState stream;        // in kStream
  bool stream_due = false;   // the file changed while an event was being sent
  bool stream_end = false;   // close once `out` is sent

  bool Incomplete() const { return state == State::kHead || state == State::kBody; }
  // How much `in` may hold before the connection stops being read.
  size_t ReadLimit() const {
    return state == State::kBody ? body_length + kMaxRequestHeadBytes : kMaxRequestHeadBytes + 1;
  }
};

absl::StatusOr<std::unique_ptr<BridgeServer>> BridgeServer::Start(std::string dir,
                                                                   BridgeOptions options) {
  if (dir.empty()) return InvalidArgumentError("bridge: the channel directory is empty");
  BridgeConfig config;
  if (options.require_token) {
    if (options.token.empty()) {
      IPCKIT_ASSIGN_OR_RETURN(options.token, SecureRandomHex(kTokenBytes));
    } else if (options.token.size() < kMinTokenChars) {
      return InvalidArgumentError(absl::StrCat("bridge: a token needs at least ", kMinTokenChars,
                                               " characters"));
    }
    config.token = options.token;
  }
  // The directory rule of the FileChannel: created 0700; an existing one
  // that another user owns or may write is refused.
  IPCKIT_RETURN_IF_ERROR(MakePrivateDirs(dir));
  IPCKIT_RETURN_IF_ERROR(CheckChannelDirectory(dir, /*allow_shared=*/false));
  IPCKIT_RETURN_IF_ERROR(EnsureChannelInfo(dir, Deadline::After(options.open_timeout)));
  // Watching starts before anything is read, so no change can slip past.
  IPCKIT_ASSIGN_OR_RETURN(
      DirWatcher watcher,
      DirWatcher::Open(dir, {std::string(kBackendToFrontendFile), std::string(kFrontendToBackendFile),
                             std::string(kChannelInfoFile)}));
  IPCKIT_ASSIGN_OR_RETURN(LoopbackListener listener, LoopbackListener::Bind(options.port));
  IPCKIT_ASSIGN_OR_RETURN(WakePipe wake, MakeWakePipe());
  config.port = listener.port();
  config.allow_origins = options.allow_origins;
  config.allow_backend_writes = options.allow_backend_writes;
  config.max_file_bytes = options.max_file_bytes;
  config.max_wait = options.max_wait;
  config.stream_heartbeat = options.stream_heartbeat;
  std::unique_ptr<BridgeServer> server(new BridgeServer(
      std::move(dir), std::move(options), std::move(config), std::move(listener), std::move(wake)));
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
  server->worker_ = std::thread([self] { self->RunWorker(); });
  return server;
}

BridgeServer::BridgeServer(std::string dir, BridgeOptions options, BridgeConfig config,
                           LoopbackListener listener, WakePipe wake)
    : dir_(std::move(dir)),
      options_(std::move(options)),
      files_(dir_, AppendOptionsFor(options_)),
      page_files_(options_.static_dir.empty() ? nullptr : std::make_unique<StaticDirectory>(options_.static_dir)),
      handler_(std::move(config), &files_, page_files_.get()),
      listener_(std::move(listener)),
      wake_(std::move(wake)) {}

BridgeServer::~BridgeServer() {
  {
    std::lock_guard<std::mutex> lock(work_mu_);
    worker_exit_ = true;
  }
  work_cv_.notify_all();
  if (worker_.joinable()) worker_.join();
  watcher_exit_.store(true);
  if (watcher_.joinable()) watcher_.join();
}

std::string BridgeServer::origin() const { return absl::StrCat("http://127.0.0.1:", port()); }

std::string BridgeServer::url() const {
  return token().empty() ? absl::StrCat(origin(), "/") : absl::StrCat(origin(), "/?token=", token());
}

absl::Time BridgeServer::Now() const { return options_.clock ? options_.clock() : absl::Now(); }

void BridgeServer::Stop() {
  stop_.store(true);
  Wake(wake_.write_end.get());
}

void BridgeServer::RunWorker() {
  std::unique_lock<std::mutex> lock(work_mu_);
  for (;;) {
    work_cv_.wait(lock, [&] { return worker_exit_ || !todo_.empty(); });
    if (worker_exit_) return;
    AppendWork work = std::move(todo_.front());
    todo_.pop_front();
    lock.unlock();
    work.status = RunJob(files_, &work.job, work.job.lock_timeout);
    lock.lock();
    done_.push_back(std::move(work));
    Wake(wake_.write_end.get());
  }
}

void BridgeServer::FinishAppends() {
  std::deque<AppendWork> done;
  {
    std::lock_guard<std::mutex> lock(work_mu_);
    done.swap(done_);
  }
  for (AppendWork& work : done) {
    --appends_in_flight_;
    for (Connection& c : connections_) {
      if (c.id != work.connection_id || c.dead || c.state != Connection::State::kAppending) continue;
      Respond(c, handler_.AppendDone(work.job, work.status));
      if (!WriteTo(c)) c.dead = true;
    }
  }
}

absl::Status BridgeServer::Serve(absl::Duration timeout) {
  const Deadline deadline = Deadline::After(timeout);
  std::vector<SocketInterest> fds;
  std::vector<Connection*> polled;
  while (!stop_.load()) {
    fds.clear();
    polled.clear();
    fds.push_back({wake_.read_end.get(), /*read=*/true});
    fds.push_back({listener_.fd(), /*read=*/true});
    const absl::Time now = Now();
    absl::Time next = absl::InfiniteFuture();
    for (Connection& c : connections_) {
      SocketInterest interest{c.fd.get()};
      if (c.state == Connection::State::kStream) {
        interest.read = true;  // to see the client close
        interest.write = !c.out.empty();
      } else if (c.state == Connection::State::kWrite) {
        interest.write = true;
      } else if (c.state == Connection::State::kDrain || c.in.size() < c.ReadLimit()) {
        interest.read = true;
      }
      fds.push_back(interest);
      polled.push_back(&c);
      next = std::min(next, c.expires);
    }
    absl::Duration wait = deadline.Remaining();
    if (next != absl::InfiniteFuture()) wait = std::min(wait, next - now);
    absl::StatusOr<bool> woke = WaitForSockets(fds, wait);
    if (!woke.ok()) return woke.status();
    if (!*woke) {
      if (stop_.load()) break;  // stopped by the signal's handler
      return TimeoutError("bridge: serving interrupted by a signal");
    }
    if (fds[0].ready) DrainWakes(wake_.read_end.get());
    if (stop_.load()) break;

    const absl::Time polled_at = Now();
    for (size_t i = 0; i < polled.size(); ++i) {
      Connection& c = *polled[i];
      if (!fds[i + 2].ready || c.dead) continue;
      if (c.Incomplete() && c.expires <= polled_at) {
        c.dead = true;  // too late: what arrives now does not count
        continue;
      }
      if (c.state == Connection::State::kWrite) {
        if (!WriteTo(c)) c.dead = true;
      } else if (c.state == Connection::State::kStream) {
        if ((!c.out.empty() && !WriteTo(c)) || !ReadFrom(c)) c.dead = true;
      } else if (!ReadFrom(c)) {
        c.dead = true;
      }
    }
    FinishAppends();
    if (files_changed_.exchange(false)) {
      for (Connection& c : connections_) {
        if (c.dead) continue;
        if (c.state == Connection::State::kStream) {
          if (!PushStream(c)) c.dead = true;
          continue;
        }
        if (c.state != Connection::State::kHeld) continue;
        if (std::optional<HttpResponse> r = handler_.ResumeHeld(c.held, /*expired=*/false)) {
          Respond(c, *r);
          if (!WriteTo(c)) c.dead = true;
        }
      }
    }
    const absl::Time later = Now();
    for (Connection& c : connections_) {
      if (c.dead || c.expires > later) continue;
      if (c.state == Connection::State::kHeld) {
        Respond(c, *handler_.ResumeHeld(c.held, /*expired=*/true));
        if (!WriteTo(c)) c.dead = true;
      } else if (c.state == Connection::State::kStream && c.out.empty()) {
        c.out = ":\n\n";  // heartbeat: a comment line, ignored by clients
        c.expires = later + options_.idle_timeout;
        if (!WriteTo(c)) c.dead = true;
      } else {
        c.dead = true;  // head or body too slow, idle, stuck sending, or lingered long enough
      }
    }
    for (Connection& c : connections_) {
      if (!c.dead) continue;
      ReleaseBody(c);
      handler_.CloseStream(&c.stream);
    }
    connections_.remove_if([](const Connection& c) { return c.dead; });
    if (fds[1].ready) AcceptPending();
    if (deadline.Expired()) {
      return TimeoutError(absl::StrCat("bridge on ", origin(), " served for ",
                                       absl::FormatDuration(timeout)));
    }
  }
  return absl::OkStatus();
}

bool BridgeServer::EvictOldestIncomplete() {
  // The list is in accept order, so the first incomplete one is the oldest:
  // a client that trickles its request loses its slot to a new one, and
  // cannot hold every slot by being slow.
  for (auto it = connections_.begin(); it != connections_.end(); ++it) {
    if (!it->Incomplete()) continue;
    ReleaseBody(*it);
    connections_.erase(it);
    return true;
  }
  return false;
}

void BridgeServer::AcceptPending() {
  for (;;) {
    absl::StatusOr<UniqueSocket> fd = listener_.Accept();
    if (!fd.ok() || !fd->valid()) return;  // a failing accept is retried on the next poll
    if (connections_.size() >= options_.max_connections && !EvictOldestIncomplete()) {
      continue;  // every slot is busy with a complete request: closed at once
    }
    Connection& c = connections_.emplace_back();
    c.id = next_connection_id_++;
    c.fd = std::move(*fd);
    c.expires = Now() + options_.head_timeout;
  }
}

void BridgeServer::ReleaseBody(Connection& conn) {
  body_bytes_reserved_ -= conn.body_reserved;
  conn.body_reserved = 0;
}

bool BridgeServer::ReadFrom(Connection& conn) {
  char buffer[16 * 1024];
  if (conn.state == Connection::State::kDrain || conn.state == Connection::State::kStream) {
    // Nothing more is read from these: input is discarded until EOF.
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
  if (conn.state != Connection::State::kHead && conn.state != Connection::State::kBody) {
    return true;  // kept for after the response
  }
  if (conn.reused) {
    // The next request began: its head has head_timeout from now, and no
    // later byte extends that.
    conn.reused = false;
    conn.expires = std::min(conn.expires, Now() + options_.head_timeout);
  }
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
  if (conn.state == Connection::State::kStream && !conn.stream_end) {
    conn.expires = Now() + options_.stream_heartbeat;
    return !conn.stream_due || PushStream(conn);
  }
  handler_.CloseStream(&conn.stream);  // a stream that ended (bridge-error)
  if (!conn.keep_alive) {
    ShutdownWrite(conn.fd.get());
    conn.state = Connection::State::kDrain;
    conn.in.clear();
    conn.expires = Now() + kLingerTime;
    return true;
  }
  conn.state = Connection::State::kHead;
  if (conn.in.empty()) {
    conn.reused = true;
    conn.expires = Now() + options_.idle_timeout;
    return true;
  }
  conn.expires = Now() + options_.head_timeout;  // pipelined: already begun
  return Advance(conn);
}

bool BridgeServer::Advance(Connection& conn) {
  if (conn.state == Connection::State::kHead) {
    const size_t end = FindHeadEnd(conn.in);
    if (end == absl::string_view::npos || end > kMaxRequestHeadBytes) {
      if (end == absl::string_view::npos && conn.in.size() <= kMaxRequestHeadBytes) return true;
      conn.keep_alive = false;
      Respond(conn, handler_.Error(431, kErrTooLarge,
                                   absl::StrCat("request head is over the limit of ",
                                                kMaxRequestHeadBytes, " bytes"),
                                   ""));
      return WriteTo(conn);
    }
    absl::StatusOr<HttpRequest> request = ParseRequestHead(absl::string_view(conn.in).substr(0, end));
    conn.in.erase(0, end);
    conn.keep_alive = false;  // until the head is known to be sound
    if (!request.ok()) {
      const bool too_many = ErrorClassOf(request.status()) == kErrTooLarge;
      Respond(conn, too_many ? handler_.Error(431, kErrTooLarge, request.status().message(), "")
                             : handler_.ErrorFromStatus(request.status(), ""));
      return WriteTo(conn);
    }
    conn.request = std::move(*request);
    const std::string origin(conn.request.Header("origin").value_or(""));
    if (conn.request.Header("transfer-encoding")) {
      // Content-Length framing only: chunked bodies are refused, not parsed.
      Respond(conn, handler_.Error(501, kErrInvalidArgument,
                                   "Transfer-Encoding is not supported; send a Content-Length",
                                   origin));
      return WriteTo(conn);
    }
    absl::StatusOr<size_t> length = ContentLengthOf(conn.request);
    if (!length.ok()) {
      Respond(conn, handler_.ErrorFromStatus(length.status(), origin));
      return WriteTo(conn);
    }
    if (*length > options_.max_file_bytes) {
      // Refused before a byte of it is read or buffered.
      Respond(conn, handler_.Error(413, kErrTooLarge,
                                   absl::StrCat("body of ", *length, " bytes is over the limit ",
                                                options_.max_file_bytes),
                                   origin));
      return WriteTo(conn);
    }
    if (conn.request.method == "POST" && !conn.request.Header("content-length")) {
      Respond(conn, handler_.Error(411, kErrInvalidArgument, "POST needs a Content-Length", origin));
      return WriteTo(conn);
    }
    if (body_bytes_reserved_ + *length > options_.max_total_body_bytes) {
      // The budget over all connections: many bodies at once cannot make
      // the bridge hold more than this.
      HttpResponse busy = handler_.Error(
          503, kErrTooLarge,
          absl::StrCat("the bridge is receiving ", body_bytes_reserved_,
                       " bytes of request bodies already; retry later"),
          origin);
      busy.headers.emplace_back("Retry-After", "1");
      Respond(conn, busy);
      return WriteTo(conn);
    }
    conn.keep_alive = conn.request.KeepAlive();
    conn.body_length = *length;
    conn.body_reserved = *length;
    body_bytes_reserved_ += *length;
    conn.in.reserve(conn.body_length);
    conn.state = Connection::State::kBody;
    conn.expires = Now() + options_.idle_timeout;
  }
  if (conn.state == Connection::State::kBody) {
    if (conn.in.size() < conn.body_length) return true;
    std::string body = conn.in.substr(0, conn.body_length);
    conn.in.erase(0, conn.body_length);
    ReleaseBody(conn);
    Dispatch(conn, body);
  }
  if (conn.state == Connection::State::kWrite || conn.state == Connection::State::kStream) {
    return WriteTo(conn);
  }
  return true;
}

void BridgeServer::Dispatch(Connection& conn, absl::string_view body) {
  BridgeAction action = handler_.Handle(conn.request, body);
  switch (action.kind) {
    case BridgeAction::Kind::kRespond:
      Respond(conn, action.response);
      return;
    case BridgeAction::Kind::kHold:
      conn.state = Connection::State::kHeld;
      conn.expires = Now() + action.held.wait;
      conn.held = std::move(action.held);
      return;
    case BridgeAction::Kind::kStream: {
      const size_t streams = std::count_if(connections_.begin(), connections_.end(), [](const Connection& c) {
        return !c.dead && c.state == Connection::State::kStream;
      });
      if (streams >= options_.max_streams) {
        handler_.CloseStream(&action.stream);  // its named reader too: the cap bounds readers
        Respond(conn, Busy("too many event streams are open; retry later", action.stream.origin));
        return;
      }
      conn.keep_alive = false;
      conn.state = Connection::State::kStream;
      conn.stream = std::move(action.stream);
      conn.out = ComposeStreamHead(action.response.status, action.response.headers);
      conn.sent = 0;
      conn.expires = Now() + options_.idle_timeout;
      // The first event (the file as it is, or what changed since the
      // client's Last-Event-ID) goes with the head.
      if (std::optional<StreamEvent> first = handler_.NextStreamEvent(&conn.stream)) {
        conn.out += first->text;
        conn.stream_end = first->end;
      }
      return;
    }
    case BridgeAction::Kind::kAppend: {
      if (appends_in_flight_ == 0) {
        // Nothing queued (so the worker is idle): try it here, taking the
        // locks only if they are free. The usual, uncontended append then
        // skips two thread hand-offs; a lock another process holds sends it
        // to the worker, which waits for it. Queued appends stay in order.
        absl::Status at_once = RunJob(files_, &action.append, absl::ZeroDuration());
        if (ErrorClassOf(at_once) != kErrTimeout) {
          Respond(conn, handler_.AppendDone(action.append, at_once));
          return;
        }
      }
      std::lock_guard<std::mutex> lock(work_mu_);
      if (appends_in_flight_ >= options_.max_queued_appends) {
        Respond(conn, Busy("too many appends are waiting; retry later", action.append.origin));
        return;
      }
      ++appends_in_flight_;
      conn.state = Connection::State::kAppending;
      conn.expires = absl::InfiniteFuture();  // the lock timeout bounds it
      todo_.push_back(AppendWork{conn.id, std::move(action.append), absl::OkStatus()});
    }
      work_cv_.notify_one();
      return;
  }
}

HttpResponse BridgeServer::Busy(absl::string_view message, absl::string_view origin) const {
  HttpResponse busy = handler_.Error(503, kErrInUse, message, origin);
  busy.headers.emplace_back("Retry-After", "1");
  return busy;
}

bool BridgeServer::PushStream(Connection& conn) {
  if (!conn.out.empty() || conn.stream_end) {
    conn.stream_due = !conn.stream_end;  // one event later covers every change until then
    return true;
  }
  conn.stream_due = false;
  std::optional<StreamEvent> event = handler_.NextStreamEvent(&conn.stream);
  if (!event) return true;
  conn.out = std::move(event->text);
  conn.sent = 0;
  conn.stream_end = event->end;
  conn.expires = Now() + options_.idle_timeout;  // the client must take it by then
  return WriteTo(conn);
}

void BridgeServer::Respond(Connection& conn, const HttpResponse& response) {
  conn.keep_alive = conn.keep_alive && !response.close;
  conn.out = ComposeResponse(response.status, response.headers, response.body, conn.keep_alive);
  conn.sent = 0;
  conn.state = Connection::State::kWrite;
  conn.expires = Now() + options_.idle_timeout;
}

}  // namespace ipckit::bridge
