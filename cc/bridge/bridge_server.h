// The FileChannel HTTP bridge (js/BRIDGE.md, bridge version 1) served from
// C++: a web page reads a channel directory's files through it, with a
// hanging GET woken by file change, and appends messages under the channel
// write protocol. Bound to 127.0.0.1 only; nothing in a URL is a path.
//
//   IPCKIT_ASSIGN_OR_RETURN(auto bridge, ipckit::bridge::BridgeServer::Start("./ipc_channel", {}));
//   std::cout << bridge->url() << "\n";           // http://127.0.0.1:<port>
//   IPCKIT_RETURN_IF_ERROR(bridge->Serve());       // until bridge->Stop() (any thread, signal-safe)
//
// One thread serves every connection with poll(2); a second thread blocks in
// a DirWatcher and wakes the first when a channel file changes. Appends run
// inline: they hold the lock for milliseconds, and wait for it at most
// timeout_ms.
#ifndef IPCKIT_CC_BRIDGE_BRIDGE_SERVER_H_
#define IPCKIT_CC_BRIDGE_BRIDGE_SERVER_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cc/bridge/http_message.h"
#include "cc/bridge/loopback_socket.h"
#include "cc/file_channel/channel_file_format.h"
#include "cc/platform/unique_fd.h"

namespace ipckit::bridge {

inline constexpr int kBridgeVersion = 1;

struct BridgeOptions {
  uint16_t port = 0;  // 0: any free port
  // Origins (e.g. "http://127.0.0.1:3000") whose pages may read and write.
  // The bridge's own origin may always write.
  std::vector<std::string> allow_origins;
  // Also accept POST /v1/append/backend_to_frontend.json.
  bool allow_backend_writes = false;
  // Largest channel file served or written, and largest request body.
  size_t max_file_bytes = kDefaultMaxFileBytes;
  // Longest hanging GET.
  absl::Duration max_wait = absl::Seconds(30);
  RetentionPolicy retention;
  bool fsync = false;
  // Connections beyond this are closed at once.
  size_t max_connections = 64;
  // A connection that sends nothing for this long is closed.
  absl::Duration idle_timeout = absl::Seconds(60);
  // Bound on the wait for the channel lock when creating .channel_info.
  absl::Duration open_timeout = absl::Seconds(10);
};

class BridgeServer {
 public:
  // Creates `dir` if needed (and its .channel_info), watches it and listens.
  static absl::StatusOr<std::unique_ptr<BridgeServer>> Start(std::string dir,
                                                             BridgeOptions options = {});

  BridgeServer(const BridgeServer&) = delete;
  BridgeServer& operator=(const BridgeServer&) = delete;
  ~BridgeServer();  // closes every connection; stops the watcher thread

  uint16_t port() const { return listener_.port(); }
  std::string url() const;
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
  struct Reply;

  BridgeServer(std::string dir, BridgeOptions options, LoopbackListener listener, WakePipe wake);

  void AcceptPending();
  // Moves `conn` forward after bytes arrived or were sent; false: drop it.
  bool Advance(Connection& conn);
  bool ReadFrom(Connection& conn);
  bool WriteTo(Connection& conn);
  void Dispatch(Connection& conn, absl::string_view body);
  void FinishHeld(Connection& conn, bool deadline_passed);
  void Respond(Connection& conn, const Reply& reply);

  Reply Route(Connection& conn, absl::string_view body);
  Reply Info(absl::string_view origin);
  Reply GetFile(Connection& conn, absl::string_view name, absl::string_view origin);
  Reply FileReply(absl::string_view name, const std::string& etag, absl::string_view origin,
                  absl::string_view have, bool splice, int waited_s);
  Reply Append(const HttpRequest& request, absl::string_view name, absl::string_view query,
               absl::string_view body, absl::string_view origin);
  Reply Preflight(absl::string_view origin);
  Reply Error(int status, absl::string_view error_class, absl::string_view message,
              absl::string_view origin);
  Reply ErrorFromStatus(const absl::Status& status, absl::string_view origin);
  Reply Json(int status, std::string body, absl::string_view origin);

  absl::StatusOr<std::string> EtagOf(absl::string_view name) const;
  bool AllowedOrigin(absl::string_view origin) const;
  bool OwnOrigin(absl::string_view origin) const;
  void AddCorsHeaders(absl::string_view origin, HttpHeaders* headers) const;

  const std::string dir_;
  const BridgeOptions options_;
  std::vector<std::string> readable_;
  std::vector<std::string> appendable_;
  LoopbackListener listener_;
  WakePipe wake_;
  std::list<Connection> connections_;
  // Versions of channel files recently sent, newest first: the bases a
  // client may ask a splice against (A-IM: ipckit-splice).
  struct SentVersion {
    std::string name;
    std::string etag;
    std::string text;
  };
  std::list<SentVersion> sent_;
  void RememberSent(absl::string_view name, const std::string& etag, const std::string& text);
  const SentVersion* FindSent(absl::string_view name, absl::string_view etag) const;
  bool wrote_once_ = false;
  std::atomic<bool> stop_{false};
  std::atomic<bool> files_changed_{false};
  std::atomic<bool> watcher_exit_{false};
  std::thread watcher_;
};

}  // namespace ipckit::bridge

#endif  // IPCKIT_CC_BRIDGE_BRIDGE_SERVER_H_
