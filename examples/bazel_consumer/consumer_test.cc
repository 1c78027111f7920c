// Uses ipckit the way an outside service does: a client connects to an
// IpcChannel by name and sends a JSON request; the server answers it. The
// client runs on a thread of this process (it only needs the public
// //cc:ipckit, and threads are portable), but the two still meet through the
// OS by the channel's name, as two processes would.
#include <cstdio>
#include <random>
#include <string>
#include <thread>

#include "cc/ipckit.h"

namespace {

int Fail(const char* what, const absl::Status& s) {
  std::fprintf(stderr, "FAIL: %s: %s [%s]\n", what, std::string(s.message()).c_str(),
               ipckit::ErrorClassOf(s).c_str());
  return 1;
}

int Client(const std::string& name) {
  auto client = ipckit::IpcChannel::Connect(name, absl::Seconds(10));
  if (!client.ok()) return Fail("connect", client.status());
  auto request = ipckit::json::Loads(R"({"method":"add","params":[2,3]})");
  if (!request.ok()) return Fail("loads", request.status());
  if (auto s = ipckit::SendJson(*client, *request, absl::Seconds(5)); !s.ok()) return Fail("send", s);
  auto reply = ipckit::RecvJson(*client, absl::Seconds(5));
  if (!reply.ok()) return Fail("recv", reply.status());
  return (*reply)["result"].GetInt() == 5 ? 0 : 3;
}

}  // namespace

int main() {
  // A fresh name per run, so parallel runs never meet each other's channel.
  std::string name = "ipckit-consumer-" + std::to_string(std::random_device{}());
  auto server = ipckit::IpcChannel::Create(name);
  if (!server.ok()) return Fail("create", server.status());
  int client_result = -1;
  std::thread client([&] { client_result = Client(name); });

  int result = [&] {
    if (auto s = server->WaitForClient(absl::Seconds(10)); !s.ok()) return Fail("accept", s);
    auto request = ipckit::RecvJson(*server, absl::Seconds(5));
    if (!request.ok()) return Fail("recv", request.status());
    const auto& params = (*request)["params"];
    std::string reply_text = "{\"result\":" + std::to_string(params[0].GetInt() + params[1].GetInt()) + "}";
    auto reply = ipckit::json::Loads(reply_text);
    if (!reply.ok()) return Fail("loads", reply.status());
    if (auto s = ipckit::SendJson(*server, *reply, absl::Seconds(5)); !s.ok()) return Fail("send", s);
    auto text = ipckit::json::Dumps(*request);
    std::printf("consumer: served %s to a client with ipckit %s\n", text->c_str(),
                ipckit::kLibraryVersion);
    return 0;
  }();
  // Every call the client makes has a timeout, so this join ends.
  client.join();
  if (client_result != 0) {
    std::fprintf(stderr, "FAIL: client ended with %d\n", client_result);
    return 1;
  }
  return result;
}
