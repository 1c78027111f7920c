// Uses ipckit the way an outside service does: a forked child connects to an
// IpcChannel by name and sends a JSON request; the parent answers it.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "cc/ipckit.h"

namespace {

int Fail(const char* what, const absl::Status& s) {
  std::fprintf(stderr, "FAIL: %s: %s [%s]\n", what, std::string(s.message()).c_str(),
               ipckit::ErrorClassOf(s).c_str());
  return 1;
}

int Child(const std::string& name) {
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
  std::string name = "ipckit-consumer-" + std::to_string(getpid());
  auto server = ipckit::IpcChannel::Create(name);
  if (!server.ok()) return Fail("create", server.status());
  pid_t pid = fork();
  if (pid == 0) _exit(Child(name));

  if (auto s = server->WaitForClient(absl::Seconds(10)); !s.ok()) return Fail("accept", s);
  auto request = ipckit::RecvJson(*server, absl::Seconds(5));
  if (!request.ok()) return Fail("recv", request.status());
  const auto& params = (*request)["params"];
  std::string reply_text = "{\"result\":" + std::to_string(params[0].GetInt() + params[1].GetInt()) + "}";
  auto reply = ipckit::json::Loads(reply_text);
  if (!reply.ok()) return Fail("loads", reply.status());
  if (auto s = ipckit::SendJson(*server, *reply, absl::Seconds(5)); !s.ok()) return Fail("send", s);

  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "FAIL: child exited with status %d\n", status);
    return 1;
  }
  auto text = ipckit::json::Dumps(*request);
  std::printf("consumer: served %s from a child process with ipckit %s\n", text->c_str(),
              ipckit::kLibraryVersion);
  return 0;
}
