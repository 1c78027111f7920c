// Fixture for check_system_headers_test: every line below that the checker
// must reject is marked "planted". This file is data, never compiled.
#include "cc/channel/ipc_channel.h"
#include <unistd.h>      // planted
#  include <sys/socket.h> // planted
#include <windows.h>     // planted

int Planted(int fd) {
  char buf[4];
  ::read(fd, buf, sizeof(buf));       // planted
  if (fork() == 0) return 1;          // planted
  kill(123, 9);                       // planted
  return ::flock(fd, 2);              // planted
}
