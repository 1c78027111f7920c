// Child process for named_pipe_test. Messages are lines ending in '\n'; a
// server answers each line L with "reply:" L.
//
//   named_pipe_peer client <name> <line>        connect (10 s), send, expect the reply
//   named_pipe_peer server <name> <delay_ms>    sleep, create, serve one client, exit
//   named_pipe_peer serve_until_killed <name>   create a server, accept, wait (the test kills us)
//   named_pipe_peer expect_in_use <name>        Create must fail with in_use
//   named_pipe_peer connect_and_exit <name>     connect, then exit without a word
//
// Exit codes: 0 ok, 2 bad usage, 3 an ipckit call failed, 4 wrong data,
// 5 an expected error did not happen.
#include <cstdio>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cc/base/error.h"
#include "cc/named_pipe/named_pipe.h"

namespace {

int Fail(const absl::Status& s) {
  std::fprintf(stderr, "named_pipe_peer: %s\n", s.ToString().c_str());
  return 3;
}

// Reads one '\n'-terminated line (without the '\n').
absl::StatusOr<std::string> ReadLine(ipckit::NamedPipe& pipe) {
  std::string line;
  char c;
  for (;;) {
    absl::Status s = pipe.ReadExact(absl::MakeSpan(&c, 1), absl::Seconds(10));
    if (!s.ok()) return s;
    if (c == '\n') return line;
    line.push_back(c);
  }
}

int Client(const std::string& name, const std::string& line) {
  absl::StatusOr<ipckit::NamedPipe> pipe = ipckit::NamedPipe::Connect(name, absl::Seconds(10));
  if (!pipe.ok()) return Fail(pipe.status());
  absl::Status s = pipe->WriteAll(line + "\n", absl::Seconds(10));
  if (!s.ok()) return Fail(s);
  absl::StatusOr<std::string> reply = ReadLine(*pipe);
  if (!reply.ok()) return Fail(reply.status());
  if (*reply != "reply:" + line) {
    std::fprintf(stderr, "named_pipe_peer: got '%s'\n", reply->c_str());
    return 4;
  }
  return 0;
}

int Server(const std::string& name, int delay_ms) {
  absl::SleepFor(absl::Milliseconds(delay_ms));
  absl::StatusOr<ipckit::NamedPipe> pipe = ipckit::NamedPipe::Create(name);
  if (!pipe.ok()) return Fail(pipe.status());
  absl::Status s = pipe->WaitForClient(absl::Seconds(10));
  if (!s.ok()) return Fail(s);
  absl::StatusOr<std::string> line = ReadLine(*pipe);
  if (!line.ok()) return Fail(line.status());
  s = pipe->WriteAll("reply:" + *line + "\n", absl::Seconds(10));
  if (!s.ok()) return Fail(s);
  // Wait for the client to hang up, so the reply is not cut off by our exit.
  char c;
  absl::StatusOr<size_t> n = pipe->Read(absl::MakeSpan(&c, 1), absl::Seconds(10));
  return n.ok() && *n == 0 ? 0 : 4;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  std::string mode = argv[1], name = argv[2];
  if (mode == "client" && argc == 4) return Client(name, argv[3]);
  if (mode == "server" && argc == 4) {
    int delay_ms = 0;
    if (!absl::SimpleAtoi(argv[3], &delay_ms)) return 2;
    return Server(name, delay_ms);
  }
  if (mode == "serve_until_killed") {
    absl::StatusOr<ipckit::NamedPipe> pipe = ipckit::NamedPipe::Create(name);
    if (!pipe.ok()) return Fail(pipe.status());
    absl::Status s = pipe->WaitForClient(absl::Seconds(30));
    if (!s.ok()) return Fail(s);
    char c;
    // Until the test kills us: no destructor runs, so a socket file stays.
    (void)pipe->Read(absl::MakeSpan(&c, 1), absl::Seconds(30));
    return 4;
  }
  if (mode == "expect_in_use") {
    absl::StatusOr<ipckit::NamedPipe> pipe = ipckit::NamedPipe::Create(name);
    if (ipckit::ErrorClassOf(pipe.status()) != "in_use") {
      std::fprintf(stderr, "named_pipe_peer: expected in_use, got %s\n",
                   pipe.status().ToString().c_str());
      return 5;
    }
    std::fprintf(stderr, "%s\n", std::string(pipe.status().message()).c_str());
    // POSIX says "in use by a live server", Windows "another server has this name".
    bool names_server = absl::StrContains(pipe.status().message(), " server");
    return names_server ? 0 : 4;
  }
  if (mode == "connect_and_exit") {
    absl::StatusOr<ipckit::NamedPipe> pipe = ipckit::NamedPipe::Connect(name, absl::Seconds(10));
    return pipe.ok() ? 0 : Fail(pipe.status());
  }
  return 2;
}
