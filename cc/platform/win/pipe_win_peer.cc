// The other process of pipe_win_test: connects to the named pipe argv[1],
// reads five bytes, answers them upper-cased, and exits (closing its end).
#include <cctype>
#include <cstdio>
#include <string>

#include "absl/time/time.h"
#include "cc/base/deadline.h"
#include "cc/platform/win/pipe_win.h"

int main(int argc, char** argv) {
  using ipckit::Deadline;
  namespace win = ipckit::platform::win;
  if (argc != 2) return 2;
  const Deadline deadline = Deadline::After(absl::Seconds(30));
  absl::StatusOr<win::PipeEnd> end = win::ConnectPipe(argv[1], deadline);
  if (!end.ok()) {
    std::fprintf(stderr, "peer: %s\n", end.status().ToString().c_str());
    return 3;
  }
  std::string got;
  char buf[16];
  while (got.size() < 5) {
    absl::StatusOr<size_t> n = end->ReadSome(absl::MakeSpan(buf, 5 - got.size()), deadline, "peer");
    if (!n.ok() || *n == 0) return 4;
    got.append(buf, *n);
  }
  for (char& c : got) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return end->WriteAll(got, deadline, "peer").ok() ? 0 : 5;
}
