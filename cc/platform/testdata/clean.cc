// Fixture for check_system_headers_test: portable code the checker must
// accept. Comments may name ::open(2), fork() and <unistd.h> freely.
#include <csignal>
#include <cstdio>
#include <thread>

#include "cc/platform/fs/file_ops.h"

namespace demo {

struct Pipe {
  int read(char* p, int n);  // our own method called read
  void close();
};

int Use(Pipe& p, Pipe* q) {
  char buf[4];
  const char* text = "::unlink(path) and fork() inside a string";
  int n = p.read(buf, 4) + q->read(buf, 4);
  p.close();
  std::signal(SIGINT, SIG_DFL);
  (void)text;
  return n + 1'000;
}

int fork(int x) { return x; }  // a definition, not a call

}  // namespace demo
