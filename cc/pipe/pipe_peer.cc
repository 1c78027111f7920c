// Child process for anonymous_pipe_test: receives pipe ends as fd numbers in
// argv (inherited across exec) and acts on them.
//
//   pipe_peer write <wfd> <text>      write text, exit 0
//   pipe_peer echo <rfd> <wfd>        read to EOF, write "echo:" + data, exit 0
//   pipe_peer partial <wfd> <text>    write text and exit (reader expects more)
//   pipe_peer drop <rfd>              adopt the read end and exit at once
//
// Exit codes: 0 ok, 2 bad usage, 3 an ipckit call failed (printed on stderr).
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/types/span.h"
#include "cc/pipe/anonymous_pipe.h"

namespace {

int Fail(const absl::Status& s) {
  std::fprintf(stderr, "pipe_peer: %s\n", s.ToString().c_str());
  return 3;
}

int Fd(const char* arg) {
  int fd = -1;
  if (!absl::SimpleAtoi(arg, &fd)) {
    std::fprintf(stderr, "pipe_peer: bad fd '%s'\n", arg);
    std::exit(2);
  }
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  std::string mode = argv[1];
  if ((mode == "write" || mode == "partial") && argc == 4) {
    absl::StatusOr<ipckit::AnonymousPipe> pipe = ipckit::AnonymousPipe::FromFds(-1, Fd(argv[2]));
    if (!pipe.ok()) return Fail(pipe.status());
    absl::Status s = pipe->WriteAll(argv[3], absl::Seconds(10));
    return s.ok() ? 0 : Fail(s);
  }
  if (mode == "echo" && argc == 4) {
    absl::StatusOr<ipckit::AnonymousPipe> pipe =
        ipckit::AnonymousPipe::FromFds(Fd(argv[2]), Fd(argv[3]));
    if (!pipe.ok()) return Fail(pipe.status());
    std::string data;
    char buf[4096];
    for (;;) {
      absl::StatusOr<size_t> n = pipe->Read(absl::MakeSpan(buf), absl::Seconds(10));
      if (!n.ok()) return Fail(n.status());
      if (*n == 0) break;
      data.append(buf, *n);
    }
    absl::Status s = pipe->WriteAll("echo:" + data, absl::Seconds(10));
    return s.ok() ? 0 : Fail(s);
  }
  if (mode == "drop" && argc == 3) {
    absl::StatusOr<ipckit::AnonymousPipe> pipe = ipckit::AnonymousPipe::FromFds(Fd(argv[2]), -1);
    return pipe.ok() ? 0 : Fail(pipe.status());
  }
  return 2;
}
