#include "cc/shm_msg/rpc.h"

#include <algorithm>
#include <cstring>
#include <random>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cc/base/deadline.h"
#include "cc/base/error.h"
#include "cc/base/status_macros.h"
#include "cc/platform/process/process.h"
#include "cc/shm_msg/internal/wait.h"

namespace ipckit {
namespace shm_msg {
namespace {

void Put(char* at, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) at[i] = static_cast<char>(v >> (8 * i));
}
uint64_t Get(absl::string_view b, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(b[at + i]);
  return v;
}

std::string RequestService(absl::string_view name) { return absl::StrCat(name, ".rq"); }
std::string ResponseService(absl::string_view name) { return absl::StrCat(name, ".rs"); }

ServiceConfig Common(const RpcOptions& o) {
  ServiceConfig c;
  c.history = 0;
  c.subscriber_buffer = o.max_in_flight;
  return c;
}

PublisherOptions PublisherOptionsOf(const RpcOptions& o) {
  PublisherOptions p;
  p.wait_mode = o.wait_mode;
  p.open_timeout = o.open_timeout;
  return p;
}

SubscriberOptions SubscriberOptionsOf(const RpcOptions& o) {
  SubscriberOptions s;
  s.wait_mode = o.wait_mode;
  s.open_timeout = o.open_timeout;
  return s;
}

// How often a client waiting for a response looks at its server's liveness.
constexpr absl::Duration kServerCheck = internal::kPeerCheckInterval;

}  // namespace

ServiceConfig RequestServiceConfig(const RpcOptions& o) {
  ServiceConfig c = Common(o);
  c.max_publishers = o.max_clients;
  c.max_subscribers = o.max_servers;
  c.max_payload = kRpcHeaderSize + o.max_request;
  c.max_held = o.max_held_requests;
  c.overflow = Overflow::kBlock;
  return c;
}

ServiceConfig ResponseServiceConfig(const RpcOptions& o) {
  ServiceConfig c = Common(o);
  c.max_publishers = o.max_servers;
  c.max_subscribers = o.max_clients;
  c.max_payload = kRpcHeaderSize + o.max_response;
  c.max_held = o.max_in_flight + 1;
  c.overflow = Overflow::kDropOldest;
  return c;
}

Client::Client(Publisher requests, Subscriber responses, RpcOptions options)
    : requests_(std::move(requests)),
      responses_(std::move(responses)),
      options_(options),
      pid_(platform::CurrentProcess().pid) {
  // A random start, so that a late response to an earlier holder of this
  // entry never matches one of our ids. std::random_device, not absl::BitGen:
  // the mingw build of abseil leaves out absl/random (spec/windows.md).
  std::random_device random;
  const uint64_t bits = (uint64_t{random()} << 32) | random();
  next_id_ = 1 + bits % ((uint64_t{1} << 62) - 1);
}

absl::StatusOr<Client> Client::Create(absl::string_view name, const RpcOptions& options) {
  // Join the responses first: a server never answers a client that cannot hear.
  IPCKIT_ASSIGN_OR_RETURN(Subscriber responses,
                          Subscriber::Create(ResponseService(name), ResponseServiceConfig(options),
                                             SubscriberOptionsOf(options)));
  IPCKIT_ASSIGN_OR_RETURN(Publisher requests,
                          Publisher::Create(RequestService(name), RequestServiceConfig(options),
                                            PublisherOptionsOf(options)));
  return Client(std::move(requests), std::move(responses), options);
}

absl::StatusOr<uint64_t> Client::Send(absl::string_view request, absl::Duration timeout) {
  // Responses that arrived and were not yet asked for still hold their slots.
  if (outstanding_.size() + arrived_.size() >= options_.max_in_flight) {
    return InUseError(absl::StrCat(outstanding_.size() + arrived_.size(),
                                   " requests in flight (max_in_flight); receive one first"));
  }
  if (request.size() > options_.max_request) {
    return TooLargeError(absl::StrCat("request of ", request.size(), " bytes; max_request is ",
                                      options_.max_request));
  }
  const std::vector<PeerEntry> servers = requests_.ActiveSubscribers();
  if (servers.empty()) return NotFoundError("no server has joined");
  // Round-robin: the first server at or after next_server_.
  auto it = std::find_if(servers.begin(), servers.end(),
                         [&](const PeerEntry& s) { return s.index >= next_server_; });
  const PeerEntry server = it == servers.end() ? servers.front() : *it;
  next_server_ = server.index + 1;

  IPCKIT_ASSIGN_OR_RETURN(LoanedSample loan, requests_.Loan(kRpcHeaderSize + request.size()));
  const uint64_t id = next_id_;
  char* p = loan.data().data();
  Put(p, id, 8);
  Put(p + 8, responses_.index(), 4);
  Put(p + 12, pid_, 4);
  if (!request.empty()) std::memcpy(p + kRpcHeaderSize, request.data(), request.size());
  IPCKIT_RETURN_IF_ERROR(requests_.SendTo(loan, server.index, timeout));
  ++next_id_;
  outstanding_[id] = server;
  return id;
}

absl::Status Client::Pump(absl::Duration timeout) {
  IPCKIT_ASSIGN_OR_RETURN(Sample sample, responses_.Receive(timeout));
  if (sample.size() < kRpcHeaderSize) {
    return CorruptError(absl::StrCat("response of ", sample.size(), " bytes, shorter than its header"));
  }
  const uint64_t id = Get(sample.view(), 0, 8);
  if (outstanding_.erase(id) == 0) return absl::OkStatus();  // late or not ours: dropped
  Response response;
  response.sample_ = std::move(sample);
  response.id_ = id;
  arrived_.emplace(id, std::move(response));
  return absl::OkStatus();
}

absl::StatusOr<Response> Client::Receive(uint64_t id, absl::Duration timeout) {
  const Deadline deadline = Deadline::After(timeout);
  while (true) {
    if (auto it = arrived_.find(id); it != arrived_.end()) {
      Response response = std::move(it->second);
      arrived_.erase(it);
      return response;
    }
    auto pending = outstanding_.find(id);
    if (pending == outstanding_.end()) {
      return InvalidArgumentError(absl::StrCat("request ", id, " is not outstanding"));
    }
    // Whatever is queued first, without waiting.
    absl::Status pumped = Pump(absl::ZeroDuration());
    if (pumped.ok()) continue;
    if (ErrorClassOf(pumped) != kErrTimeout && ErrorClassOf(pumped) != kErrPeerClosed) return pumped;
    if (!requests_.StillThere(pending->second)) {
      // It may have answered between the Pump above and leaving: its
      // responses were queued before it left, so look once more.
      if (Pump(absl::ZeroDuration()).ok()) continue;
      outstanding_.erase(pending);
      return PeerClosedError(absl::StrCat("the server of request ", id, " has gone"));
    }
    if (deadline.Expired()) {
      return TimeoutError(absl::StrCat("no response to request ", id, " within the timeout"));
    }
    pumped = Pump(std::min(deadline.Remaining(), kServerCheck));
    if (!pumped.ok() && ErrorClassOf(pumped) != kErrTimeout &&
        ErrorClassOf(pumped) != kErrPeerClosed) {
      return pumped;
    }
  }
}

absl::StatusOr<Response> Client::Call(absl::string_view request, absl::Duration timeout) {
  const Deadline deadline = Deadline::After(timeout);
  IPCKIT_ASSIGN_OR_RETURN(uint64_t id, Send(request, timeout));
  return Receive(id, deadline.Remaining());
}

void Client::Close() {
  arrived_.clear();
  outstanding_.clear();
  requests_.Close();
  responses_.Close();
}

absl::StatusOr<Server> Server::Create(absl::string_view name, const RpcOptions& options) {
  IPCKIT_ASSIGN_OR_RETURN(Publisher responses,
                          Publisher::Create(ResponseService(name), ResponseServiceConfig(options),
                                            PublisherOptionsOf(options)));
  SubscriberOptions sub = SubscriberOptionsOf(options);
  sub.report_peer_closed = false;
  IPCKIT_ASSIGN_OR_RETURN(Subscriber requests, Subscriber::Create(RequestService(name),
                                                                  RequestServiceConfig(options), sub));
  return Server(std::move(requests), std::move(responses));
}

absl::StatusOr<Request> Server::Receive(absl::Duration timeout) {
  IPCKIT_ASSIGN_OR_RETURN(Sample sample, requests_.Receive(timeout));
  if (sample.size() < kRpcHeaderSize) {
    return CorruptError(absl::StrCat("request of ", sample.size(), " bytes, shorter than its header"));
  }
  Request request;
  request.id_ = Get(sample.view(), 0, 8);
  request.reply_to_.index = static_cast<uint32_t>(Get(sample.view(), 8, 4));
  request.reply_to_.pid = static_cast<uint32_t>(Get(sample.view(), 12, 4));
  request.sample_ = std::move(sample);
  return request;
}

absl::Status Server::Respond(const Request& request, absl::string_view response,
                             absl::Duration timeout) {
  const uint64_t max = responses_.config().max_payload - kRpcHeaderSize;
  if (response.size() > max) {
    return TooLargeError(absl::StrCat("response of ", response.size(), " bytes; max_response is ", max));
  }
  if (!responses_.StillThere(request.reply_to_)) {
    return PeerClosedError(absl::StrCat("the client of request ", request.id(), " has gone"));
  }
  IPCKIT_ASSIGN_OR_RETURN(LoanedSample loan, responses_.Loan(kRpcHeaderSize + response.size()));
  char* p = loan.data().data();
  Put(p, request.id(), 8);
  Put(p + 8, 0, 4);
  Put(p + 12, 0, 4);
  if (!response.empty()) std::memcpy(p + kRpcHeaderSize, response.data(), response.size());
  return responses_.SendTo(loan, request.reply_to_.index, timeout);
}

void Server::Close() {
  requests_.Close();
  responses_.Close();
}

}  // namespace shm_msg
}  // namespace ipckit
