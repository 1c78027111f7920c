// The FileChannel HTTP bridge (spec/bridge.md, bridge version 1): a web page
// reads a channel directory's files through it, with an event stream (or a
// hanging GET) woken by file change, and appends messages under the channel
// write protocol. Bound
// to 127.0.0.1 only; every request but a CORS preflight must carry the
// bridge's secret token.
//
//   IPCKIT_ASSIGN_OR_RETURN(auto bridge, ipckit::bridge::BridgeServer::Start("./ipc_channel", {}));
//   std::cout << bridge->url() << "\n";       // http://127.0.0.1:<port>/?token=<secret>
//   IPCKIT_RETURN_IF_ERROR(bridge->Serve());   // until bridge->Stop() (any thread, signal-safe)
//
// This is the I/O half: sockets, timers and threads. What a request means is
// decided by BridgeHandler (bridge_handler.h), the one copy of those rules.
// One thread serves every connection with poll(2); a watcher thread wakes it
// when a channel file changes; a worker thread runs appends that find the
// channel lock held, so a wait for it never stalls other requests.
#ifndef IPCKIT_CC_BRIDGE_BRIDGE_SERVER_H_
#define IPCKIT_CC_BRIDGE_BRIDGE_SERVER_H_

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cc/bridge/bridge_handler.h"
#include "cc/bridge/channel_directory.h"
#include "cc/bridge/http_message.h"
#include "cc/bridge/static_directory.h"
#include "cc/file_channel/channel_file_format.h"
#include "cc/platform/net/loopback_socket.h"

namespace ipckit::bridge {

// What a server run without a token (BridgeOptions::require_token = false)
// tells its user.
inline constexpr char kNoTokenWarning[] =
    "WARNING: this bridge requires no token: any process of any user on this machine, and any "
    "page on an allowed origin, can read and write the channel";

struct BridgeOptions {
  uint16_t port = 0;  // 0: any free port
  // Every request but a CORS preflight must carry a secret token: `token`, or
  // when that is empty a fresh 128-bit one from the OS CSPRNG. false serves
  // without one: any local process and any page allowed by Origin can then
  // use the channel (callers print a warning).
  bool require_token = true;
  std::string token;  // at least kMinTokenChars characters
  // Origins (e.g. "http://127.0.0.1:3000") whose pages may read and write.
  // The bridge's own origin may always write.
  std::vector<std::string> allow_origins;
  // Also accept POST /v1/append/backend_to_frontend.json.
  bool allow_backend_writes = false;
  // When set, the page's own files are served from this directory at every
  // path outside /v1/ ("/" is index.html), same-origin with the channel.
  std::string static_dir;
  // Largest channel file served or written, and largest request body.
  size_t max_file_bytes = kDefaultMaxFileBytes;
  // All request bodies being received at once, over every connection.
  size_t max_total_body_bytes = size_t{128} << 20;
  // Longest hanging GET.
  absl::Duration max_wait = absl::Seconds(30);
  RetentionPolicy retention;
  bool fsync = false;
  // At this many connections, a new one replaces the oldest whose request is
  // incomplete (or idle); with none such, the new one is closed.
  size_t max_connections = 64;
  // A request head must be complete this long after the connection opened
  // (or its first byte arrived, on a reused connection), however it trickles.
  absl::Duration head_timeout = absl::Seconds(10);
  // A body, after its head; a keep-alive connection between requests; a
  // response the client does not read.
  absl::Duration idle_timeout = absl::Seconds(60);
  // Appends waiting for the worker; beyond it, 503 in_use.
  size_t max_queued_appends = 16;
  // Event streams (GET /v1/stream/) open at once; beyond it, 503 in_use, so
  // streams cannot take every connection.
  size_t max_streams = 32;
  // An idle event stream gets a comment line this often, so both ends notice
  // a dead connection.
  absl::Duration stream_heartbeat = absl::Seconds(15);
  // Bound on the wait for the channel lock when creating .channel_info.
  absl::Duration open_timeout = absl::Seconds(10);
  // The time the connection deadlines are measured in. Tests drive it.
  std::function<absl::Time()> clock;
};

class BridgeServer {
 public:
  // Creates `dir` if needed (and its .channel_info), watches it and listens.
  static absl::StatusOr<std::unique_ptr<BridgeServer>> Start(std::string dir,
                                                             BridgeOptions options = {});

  BridgeServer(const BridgeServer&) = delete;
  BridgeServer& operator=(const BridgeServer&) = delete;
  // Closes every connection; stops the watcher, and the worker once its
  // current append (bounded by its lock timeout) returns.
  ~BridgeServer();

  uint16_t port() const { return listener_.port(); }
  // "http://127.0.0.1:<port>": where the endpoints are.
  std::string origin() const;
  // The URL to hand a client: origin() + "/?token=<token>" (origin() + "/"
  // without a token).
  std::string url() const;
  const std::string& token() const { return handler_.config().token; }
  const std::string& dir() const { return dir_; }

  // Serves requests until Stop() (OK) or until `timeout` passes (timeout).
  // Also returns timeout early when a signal interrupts the wait, so a caller
  // can run its signal handling and call again; connection state is kept
  // between calls. Call from one thread at a time.
  absl::Status Serve(absl::Duration timeout = absl::InfiniteDuration());

  // Makes Serve return, now and on every later call. Safe from any thread and
  // from a signal handler.
  void Stop();
  bool stopped() const { return stop_.load(); }

 private:
  struct Connection;
  struct AppendWork {
    uint64_t connection_id = 0;
    AppendJob job;
    absl::Status status;
  };

  BridgeServer(std::string dir, BridgeOptions options, BridgeConfig config,
               LoopbackListener listener, WakePipe wake);

  absl::Time Now() const;
  void AcceptPending();
  bool EvictOldestIncomplete();
  // Moves `conn` forward after bytes arrived or were sent; false: drop it.
  bool Advance(Connection& conn);
  bool ReadFrom(Connection& conn);
  bool WriteTo(Connection& conn);
  void Dispatch(Connection& conn, absl::string_view body);
  void Respond(Connection& conn, const HttpResponse& response);
  // 503 in_use with Retry-After: a limit on work in flight was reached.
  HttpResponse Busy(absl::string_view message, absl::string_view origin) const;
  // Queues the stream's next event (or marks it due, while one is still
  // being sent); false: drop the connection.
  bool PushStream(Connection& conn);
  void ReleaseBody(Connection& conn);
  void FinishAppends();
  void RunWorker();

  const std::string dir_;
  const BridgeOptions options_;
  ChannelDirectory files_;
  std::unique_ptr<StaticDirectory> page_files_;  // null: no static_dir
  BridgeHandler handler_;
  LoopbackListener listener_;
  WakePipe wake_;
  std::list<Connection> connections_;
  uint64_t next_connection_id_ = 1;
  size_t body_bytes_reserved_ = 0;  // over all connections in kBody

  std::mutex work_mu_;
  std::condition_variable work_cv_;
  std::deque<AppendWork> todo_;  // guarded by work_mu_
  std::deque<AppendWork> done_;  // guarded by work_mu_
  bool worker_exit_ = false;     // guarded by work_mu_
  size_t appends_in_flight_ = 0;  // serving thread only
  std::thread worker_;

  std::atomic<bool> stop_{false};
  std::atomic<bool> files_changed_{false};
  std::atomic<bool> watcher_exit_{false};
  std::thread watcher_;
};

}  // namespace ipckit::bridge

#endif  // IPCKIT_CC_BRIDGE_BRIDGE_SERVER_H_
