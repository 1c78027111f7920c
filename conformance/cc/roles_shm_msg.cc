// Live roles over shared-memory messaging (cc/shm_msg): publisher/subscriber,
// notifier/listener and RPC server/client (conformance/protocol.md).
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cc/base/error.h"
#include "cc/base/status_macros.h"
#include "cc/shm_msg/event.h"
#include "cc/shm_msg/publisher.h"
#include "cc/shm_msg/rpc.h"
#include "cc/shm_msg/subscriber.h"
#include "conformance/cc/internal/live_roles.h"
#include "conformance/cc/internal/testee_common.h"

namespace ipckit {
namespace conformance {
namespace {

// The configurations are conformance/protocol.md's.

shm_msg::ServiceConfig ShmMsgConfig() {
  shm_msg::ServiceConfig c;
  c.max_payload = 65536;
  c.max_subscribers = 2;
  c.subscriber_buffer = 16;
  c.history = 2;
  c.max_held = 2;
  return c;
}

shm_msg::RpcOptions ShmRpcOptions(absl::Duration t) {
  shm_msg::RpcOptions o;
  o.max_clients = 2;
  o.max_servers = 2;
  o.max_request = 65536;
  o.max_response = 65536;
  o.max_in_flight = 8;
  o.open_timeout = t;
  return o;
}


Value PublisherSteps(shm_msg::Publisher& pub, const Value& steps, absl::Duration t, Alloc& a) {
  std::vector<shm_msg::LoanedSample> loans;
  return RunSteps(steps, a, [&](const std::string& what, const Value& s, Value& r) -> absl::Status {
    if (what == "send") {
      IPCKIT_ASSIGN_OR_RETURN(std::string bytes, GetHex(s, "hex"));
      return pub.SendCopy(bytes, t);
    }
    if (what == "loan") {
      IPCKIT_ASSIGN_OR_RETURN(std::string bytes, GetHex(s, "hex"));
      IPCKIT_ASSIGN_OR_RETURN(shm_msg::LoanedSample loan, pub.Loan(bytes.size()));
      if (!bytes.empty()) std::memcpy(loan.data().data(), bytes.data(), bytes.size());
      loans.push_back(std::move(loan));
      return absl::OkStatus();
    }
    if (what == "die") DieNow();
    return UnknownStep(what);
  });
}

Value SubscriberSteps(shm_msg::Subscriber& sub, const Value& steps, absl::Duration t, Alloc& a) {
  std::vector<shm_msg::Sample> held;
  return RunSteps(steps, a, [&](const std::string& what, const Value& s, Value& r) -> absl::Status {
    if (what == "recv") {
      IPCKIT_ASSIGN_OR_RETURN(shm_msg::Sample sample, sub.Receive(t));
      r = HexResult(sample.view(), a);
      r.AddMember("sequence", Value(static_cast<uint64_t>(sample.sequence())), a);
      auto hold = s.FindMember("hold");
      if (hold != s.MemberEnd() && hold->value.IsTrue()) held.push_back(std::move(sample));
      return absl::OkStatus();
    }
    if (what == "die") DieNow();
    return UnknownStep(what);
  });
}

Value NotifierSteps(shm_msg::Notifier& notifier, const Value& steps, Alloc& a) {
  return RunSteps(steps, a, [&](const std::string& what, const Value& s, Value& r) -> absl::Status {
    if (what == "notify") {
      IPCKIT_ASSIGN_OR_RETURN(uint64_t id, GetU64(s, "event_id"));
      return notifier.Notify(id);
    }
    if (what == "die") DieNow();
    return UnknownStep(what);
  });
}

Value ListenerSteps(shm_msg::Listener& listener, const Value& steps, absl::Duration t, Alloc& a) {
  return RunSteps(steps, a, [&](const std::string& what, const Value& s, Value& r) -> absl::Status {
    if (what == "wait_event") {
      IPCKIT_ASSIGN_OR_RETURN(uint64_t id, listener.Wait(t));
      r.SetObject().AddMember("event_id", Str(absl::StrCat(id), a), a);
      return absl::OkStatus();
    }
    if (what == "die") DieNow();
    return UnknownStep(what);
  });
}

Value RpcServerSteps(shm_msg::Server& server, const Value& steps, absl::Duration t, Alloc& a) {
  std::vector<shm_msg::Request> requests;
  return RunSteps(steps, a, [&](const std::string& what, const Value& s, Value& r) -> absl::Status {
    if (what == "recv_request") {
      IPCKIT_ASSIGN_OR_RETURN(shm_msg::Request request, server.Receive(t));
      r = HexResult(request.view(), a);
      requests.push_back(std::move(request));
      return absl::OkStatus();
    }
    if (what == "respond") {
      IPCKIT_ASSIGN_OR_RETURN(uint64_t k, GetU64(s, "request"));
      IPCKIT_ASSIGN_OR_RETURN(std::string bytes, GetHex(s, "hex"));
      if (k >= requests.size()) return InvalidArgumentError("no such request");
      return server.Respond(requests[k], bytes, t);
    }
    if (what == "die") DieNow();
    return UnknownStep(what);
  });
}

Value RpcClientSteps(shm_msg::Client& client, const Value& steps, absl::Duration t, Alloc& a) {
  std::vector<uint64_t> ids;  // by step index; 0 for other steps
  return RunSteps(steps, a, [&](const std::string& what, const Value& s, Value& r) -> absl::Status {
    const size_t index = ids.size();
    ids.push_back(0);
    if (what == "send_request") {
      IPCKIT_ASSIGN_OR_RETURN(std::string bytes, GetHex(s, "hex"));
      IPCKIT_ASSIGN_OR_RETURN(ids[index], client.Send(bytes, t));
      return absl::OkStatus();
    }
    if (what == "wait_response") {
      IPCKIT_ASSIGN_OR_RETURN(uint64_t step, GetU64(s, "request_step"));
      if (step >= index || ids[step] == 0) return InvalidArgumentError("no such request step");
      IPCKIT_ASSIGN_OR_RETURN(shm_msg::Response response, client.Receive(ids[step], t));
      r = HexResult(response.view(), a);
      return absl::OkStatus();
    }
    if (what == "die") DieNow();
    return UnknownStep(what);
  });
}

absl::Status RunShmMsg(const std::string& role, const Value& req, absl::Duration t, Value& results,
                       Alloc& a) {
  IPCKIT_ASSIGN_OR_RETURN(std::string name, GetString(req, "name"));
  const Value& steps = req["steps"];
  if (role == "shm_msg_publisher") {
    shm_msg::PublisherOptions options;
    options.open_timeout = t;
    IPCKIT_ASSIGN_OR_RETURN(shm_msg::Publisher pub, shm_msg::Publisher::Create(name, ShmMsgConfig(), options));
    Ready();
    results = PublisherSteps(pub, steps, t, a);
  } else if (role == "shm_msg_subscriber") {
    shm_msg::SubscriberOptions options;
    options.open_timeout = t;
    IPCKIT_ASSIGN_OR_RETURN(shm_msg::Subscriber sub, shm_msg::Subscriber::Create(name, ShmMsgConfig(), options));
    Ready();
    results = SubscriberSteps(sub, steps, t, a);
  } else if (role == "shm_notifier" || role == "shm_listener") {
    shm_msg::EventOptions options;  // 8 listeners, 64 queued: as protocol.md says
    options.open_timeout = t;
    if (role == "shm_notifier") {
      IPCKIT_ASSIGN_OR_RETURN(shm_msg::Notifier notifier, shm_msg::Notifier::Create(name, options));
      Ready();
      results = NotifierSteps(notifier, steps, a);
    } else {
      IPCKIT_ASSIGN_OR_RETURN(shm_msg::Listener listener, shm_msg::Listener::Create(name, options));
      Ready();
      results = ListenerSteps(listener, steps, t, a);
    }
  } else if (role == "shm_rpc_server") {
    IPCKIT_ASSIGN_OR_RETURN(shm_msg::Server server, shm_msg::Server::Create(name, ShmRpcOptions(t)));
    Ready();
    results = RpcServerSteps(server, steps, t, a);
  } else {
    IPCKIT_ASSIGN_OR_RETURN(shm_msg::Client client, shm_msg::Client::Create(name, ShmRpcOptions(t)));
    Ready();
    results = RpcClientSteps(client, steps, t, a);
  }
  return absl::OkStatus();
}

const RoleGroup kShmMsgRoles({"shm_msg_publisher", "shm_msg_subscriber", "shm_notifier", "shm_listener",
                              "shm_rpc_server", "shm_rpc_client"},
                             RunShmMsg);

}  // namespace
}  // namespace conformance
}  // namespace ipckit
