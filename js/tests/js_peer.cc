// The C++ side of the JS package's cross-process tests: a separate process
// that uses the C++ core's FileChannel and IpcChannel while a Node test
// drives the JS side.
//
//   js_peer file_backend <dir>
//       FileChannel backend. Prints "ready", then serves requests until
//       "quit" (see Serve below). Exits 3 after 30 s without messages.
//   js_peer file_burst <dir> <count>
//       FileChannel frontend: sends <count> events "burst" {"i":k} back to
//       back, then exits 0 (a writer racing the Node writers for the lock).
//   js_peer ipc_server <name> [<max_payload>]
//       IpcChannel server. Prints "ready", accepts one client, answers each
//       message (see ServeChannel), exits 0 when the client leaves.
//   js_peer ipc_client <name> <message>
//       IpcChannel client: sends <message>, prints the reply, exits 0.
//
// Exit code 0 on success, 2 on a channel error (printed to stderr).
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cc/ipckit.h"
#include "rapidjson/document.h"

namespace {

constexpr absl::Duration kIdleLimit = absl::Seconds(30);

int Fail(const absl::Status& status, const char* what) {
  std::fprintf(stderr, "js_peer: %s: %s [%s]\n", what, std::string(status.message()).c_str(),
               ipckit::ErrorClassOf(status).c_str());
  return 2;
}

void Ready() {
  std::printf("ready\n");
  std::fflush(stdout);
}

// A number member of a JSON object text, or 0.
double NumberIn(const std::string& json, const char* key) {
  absl::StatusOr<rapidjson::Document> doc = ipckit::json::Loads(json);
  if (!doc.ok() || !doc->IsObject()) return 0;
  auto it = doc->FindMember(key);
  return it != doc->MemberEnd() && it->value.IsNumber() ? it->value.GetDouble() : 0;
}

// Requests:
//   "add" {"a":x,"b":y}  -> {"sum":x+y}
//   "echo" v             -> v
//   "fail" v             -> error response "failed on purpose: <v>"
//   "ask" v              -> asks the frontend "greet" v and answers
//                           {"frontend": <its answer>}, or an error response
//                           "frontend said: <its error>"
//   "emit" {"count":n}   -> n events "tick" {"i":k}, then {"emitted":n}
//   "never"              -> no answer (the frontend times out)
//   "quit"               -> "bye", then exit 0
// Events: "ping" v -> event "pong" v.
int Serve(const std::string& dir) {
  auto channel = ipckit::FileChannel::Backend(dir);
  if (!channel.ok()) return Fail(channel.status(), "open backend");
  Ready();
  for (;;) {
    auto next = channel->RecvOne(kIdleLimit);
    if (!next.ok()) {
      // A corrupt or truncated incoming file is reported and waited out, as
      // a long-running backend would.
      if (ipckit::ErrorClassOf(next.status()) == ipckit::kErrCorrupt ||
          ipckit::ErrorClassOf(next.status()) == "data_loss") {
        Fail(next.status(), "recv (continuing)");
        absl::SleepFor(absl::Milliseconds(20));
        continue;
      }
      return Fail(next.status(), "recv");
    }
    if (!next->has_value()) return 3;
    const ipckit::FileMessage& m = **next;
    const std::string method = m.method.value_or("");
    absl::StatusOr<std::string> sent = std::string();
    if (m.type == ipckit::MessageType::kEvent) {
      if (method == "ping") sent = channel->SendEvent("pong", m.payload_json);
    } else if (m.type == ipckit::MessageType::kRequest) {
      if (method == "add") {
        const double sum = NumberIn(m.payload_json, "a") + NumberIn(m.payload_json, "b");
        sent = channel->SendResponse(m.id, absl::StrCat("{\"sum\":", sum, "}"));
      } else if (method == "echo") {
        sent = channel->SendResponse(m.id, m.payload_json);
      } else if (method == "fail") {
        sent = channel->SendError(m.id, absl::StrCat("failed on purpose: ", m.payload_json));
      } else if (method == "ask") {
        absl::StatusOr<std::string> asked = channel->SendRequest("greet", m.payload_json);
        if (!asked.ok()) return Fail(asked.status(), "send request");
        absl::StatusOr<ipckit::FileMessage> answer = channel->WaitResponse(*asked, absl::Seconds(10));
        if (!answer.ok()) {
          sent = channel->SendError(m.id, absl::StrCat("no answer from the frontend: ", answer.status().message()));
        } else if (answer->error) {
          sent = channel->SendError(m.id, absl::StrCat("frontend said: ", *answer->error));
        } else {
          sent = channel->SendResponse(m.id, absl::StrCat("{\"frontend\":", answer->payload_json, "}"));
        }
      } else if (method == "emit") {
        const int count = static_cast<int>(NumberIn(m.payload_json, "count"));
        for (int i = 0; i < count && sent.ok(); ++i) {
          sent = channel->SendEvent("tick", absl::StrCat("{\"i\":", i, "}"));
        }
        if (sent.ok()) sent = channel->SendResponse(m.id, absl::StrCat("{\"emitted\":", count, "}"));
      } else if (method == "never") {
        // Deliberately unanswered.
      } else if (method == "quit") {
        sent = channel->SendResponse(m.id, "\"bye\"");
        if (!sent.ok()) return Fail(sent.status(), "send");
        return 0;
      } else {
        sent = channel->SendError(m.id, absl::StrCat("unknown method ", method));
      }
    }
    if (!sent.ok()) return Fail(sent.status(), "send");
  }
}

int Burst(const std::string& dir, int count) {
  auto channel = ipckit::FileChannel::Frontend(dir);
  if (!channel.ok()) return Fail(channel.status(), "open frontend");
  for (int i = 0; i < count; ++i) {
    absl::StatusOr<std::string> sent = channel->SendEvent("burst", absl::StrCat("{\"i\":", i, "}"), absl::Seconds(10));
    if (!sent.ok()) return Fail(sent.status(), "send");
  }
  return 0;
}

// Answers each message of the client: "big:<n>" -> n bytes of 'x' (the
// client tests its receive limit with it), "quit" -> "bye" and exit, any
// other -> "echo:" + the message.
int ServeChannel(const std::string& name, uint32_t max_payload) {
  ipckit::ChannelOptions options;
  options.max_payload = max_payload;
  auto server = ipckit::IpcChannel::Create(name, options);
  if (!server.ok()) return Fail(server.status(), "create");
  Ready();
  absl::Status accepted = server->WaitForClient(kIdleLimit);
  if (!accepted.ok()) return Fail(accepted, "wait for client");
  for (;;) {
    absl::StatusOr<std::string> message = server->Recv(kIdleLimit);
    if (!message.ok()) {
      if (ipckit::ErrorClassOf(message.status()) == ipckit::kErrPeerClosed) return 0;
      return Fail(message.status(), "recv");
    }
    absl::Status sent;
    size_t n = 0;
    if (absl::StartsWith(*message, "big:") && absl::SimpleAtoi(message->substr(4), &n)) {
      sent = server->Send(std::string(n, 'x'), absl::Seconds(10));
    } else if (*message == "quit") {
      sent = server->Send("bye", absl::Seconds(10));
      if (!sent.ok()) return Fail(sent, "send");
      return 0;
    } else {
      sent = server->Send(absl::StrCat("echo:", *message), absl::Seconds(10));
    }
    if (!sent.ok()) return Fail(sent, "send");
  }
}

int Client(const std::string& name, const std::string& text) {
  auto client = ipckit::IpcChannel::Connect(name, absl::Seconds(10));
  if (!client.ok()) return Fail(client.status(), "connect");
  absl::Status sent = client->Send(text, absl::Seconds(10));
  if (!sent.ok()) return Fail(sent, "send");
  absl::StatusOr<std::string> reply = client->Recv(absl::Seconds(10));
  if (!reply.ok()) return Fail(reply.status(), "recv");
  std::printf("%s\n", reply->c_str());
  return 0;
}

int Usage() {
  std::fprintf(stderr,
               "usage: js_peer file_backend <dir>\n"
               "       js_peer file_burst <dir> <count>\n"
               "       js_peer ipc_server <name> [<max_payload>]\n"
               "       js_peer ipc_client <name> <message>\n");
  return 64;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return Usage();
  const std::string mode = argv[1];
  if (mode == "file_backend") return Serve(argv[2]);
  if (mode == "file_burst" && argc > 3) {
    int count = 0;
    if (!absl::SimpleAtoi(argv[3], &count)) return Usage();
    return Burst(argv[2], count);
  }
  if (mode == "ipc_server") {
    uint32_t max_payload = ipckit::frame::kDefaultMaxPayload;
    if (argc > 3 && !absl::SimpleAtoi(argv[3], &max_payload)) return Usage();
    return ServeChannel(argv[2], max_payload);
  }
  if (mode == "ipc_client" && argc > 3) return Client(argv[2], argv[3]);
  return Usage();
}
