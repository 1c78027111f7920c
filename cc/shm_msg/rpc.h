// Request/response over shared memory: many clients, one or more servers,
// several requests in flight per client, each matched to its response by a
// request id (spec/shm_messaging.md, "Request/response").
//
//   IPCKIT_ASSIGN_OR_RETURN(shm_msg::Server server, shm_msg::Server::Create("calc"));
//   IPCKIT_ASSIGN_OR_RETURN(shm_msg::Client client, shm_msg::Client::Create("calc"));
//   IPCKIT_ASSIGN_OR_RETURN(uint64_t id, client.Send("2+2", absl::Seconds(1)));
//   // in the server's process:
//   IPCKIT_ASSIGN_OR_RETURN(shm_msg::Request req, server.Receive(absl::Seconds(1)));
//   IPCKIT_RETURN_IF_ERROR(server.Respond(req, "4", absl::Seconds(1)));
//   // back in the client:
//   IPCKIT_ASSIGN_OR_RETURN(shm_msg::Response resp, client.Receive(id, absl::Seconds(1)));
//   resp.view();   // "4", read in place in shared memory
//
// A service `name` is the publish/subscribe services `name.rq` (clients
// publish, servers subscribe) and `name.rs` (servers publish, clients
// subscribe), with targeted sends. A client whose server dies gets
// peer_closed for the requests it sent there; a server answering a dead
// client gets peer_closed. A Client or Server is used from one thread at a time.
#ifndef IPCKIT_CC_SHM_MSG_RPC_H_
#define IPCKIT_CC_SHM_MSG_RPC_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cc/shm_msg/publisher.h"
#include "cc/shm_msg/subscriber.h"

namespace ipckit {
namespace shm_msg {

struct RpcOptions {
  uint32_t max_clients = 4;       // 1..16 at once
  uint32_t max_servers = 1;       // 1..16 at once
  uint64_t max_request = 4096;    // request bytes
  uint64_t max_response = 4096;   // response bytes
  uint32_t max_in_flight = 8;     // requests one client awaits at once, 1..1024
  uint32_t max_held_requests = 4; // requests one server holds at once
  WaitMode wait_mode = WaitMode::kBlocking;
  absl::Duration open_timeout = absl::Seconds(1);
};

// The bytes of the payload headers (spec: request and response payloads).
inline constexpr size_t kRpcHeaderSize = 16;

// The configurations of `name.rq` and `name.rs`.
ServiceConfig RequestServiceConfig(const RpcOptions& options);
ServiceConfig ResponseServiceConfig(const RpcOptions& options);

// A received request: its bytes in shared memory, valid while it is held.
class Request {
 public:
  uint64_t id() const { return id_; }
  absl::string_view view() const { return sample_.view().substr(kRpcHeaderSize); }
  // Which client sent it (its publisher entry in `name.rq`).
  uint32_t client() const { return sample_.publisher(); }
  void Release() { sample_.Release(); }

 private:
  friend class Server;
  Sample sample_;
  uint64_t id_ = 0;
  PeerEntry reply_to_;
};

// A received response: its bytes in shared memory, valid while it is held.
// A client holds at most max_in_flight + 1 samples (its unclaimed responses
// and one Response of yours): release a Response before receiving the next.
class Response {
 public:
  uint64_t id() const { return id_; }
  absl::string_view view() const { return sample_.view().substr(kRpcHeaderSize); }
  void Release() { sample_.Release(); }

 private:
  friend class Client;
  Sample sample_;
  uint64_t id_ = 0;
};

class Client {
 public:
  static absl::StatusOr<Client> Create(absl::string_view name, const RpcOptions& options = {});
  Client(Client&&) noexcept = default;
  Client& operator=(Client&&) noexcept = default;

  // Sends a request to one server (round-robin) and returns its id. not_found
  // if no server has joined; in_use with max_in_flight requests outstanding
  // (sent, or answered and not yet received);
  // too_large over max_request; timeout if that server's queue stays full.
  absl::StatusOr<uint64_t> Send(absl::string_view request, absl::Duration timeout);
  // The response to request `id`. timeout if it does not come in time (the
  // request stays outstanding); peer_closed if its server left or died;
  // invalid_argument if `id` is not outstanding.
  absl::StatusOr<Response> Receive(uint64_t id, absl::Duration timeout);
  // Send, then Receive with the time left.
  absl::StatusOr<Response> Call(absl::string_view request, absl::Duration timeout);
  // Requests sent and not yet answered (nor given up).
  size_t in_flight() const { return outstanding_.size(); }
  void Close();

 private:
  Client(Publisher requests, Subscriber responses, RpcOptions options);
  // Takes one response off the queues (waiting up to `timeout`) and files it.
  absl::Status Pump(absl::Duration timeout);

  Publisher requests_;
  Subscriber responses_;
  RpcOptions options_;
  uint32_t pid_ = 0;
  uint64_t next_id_ = 1;
  uint32_t next_server_ = 0;
  std::map<uint64_t, PeerEntry> outstanding_;  // id -> the server it went to
  std::map<uint64_t, Response> arrived_;       // answered, not yet received
};

class Server {
 public:
  static absl::StatusOr<Server> Create(absl::string_view name, const RpcOptions& options = {});
  Server(Server&&) noexcept = default;
  Server& operator=(Server&&) noexcept = default;

  // The next request from any client. timeout if none comes in time (never
  // peer_closed: clients come and go). in_use while max_held_requests are held.
  absl::StatusOr<Request> Receive(absl::Duration timeout);
  // Answers `request`. peer_closed if its client has left or died; too_large
  // over max_response.
  absl::Status Respond(const Request& request, absl::string_view response,
                       absl::Duration timeout = absl::Seconds(1));
  void Close();

 private:
  Server(Subscriber requests, Publisher responses)
      : requests_(std::move(requests)), responses_(std::move(responses)) {}
  Subscriber requests_;
  Publisher responses_;
};

}  // namespace shm_msg
}  // namespace ipckit

#endif  // IPCKIT_CC_SHM_MSG_RPC_H_
