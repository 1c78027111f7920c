// The child of pipe_win_test's anonymous-pipe tests. argv[1] is the value of
// an inherited pipe handle; argv[2] says what to do with it:
//   write  write "hello from the child" and exit 0
//   read   read to end of stream; exit 0 if it read "hello child", else 1
#include <windows.h>

#include <cstdlib>
#include <cstring>
#include <string>

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  HANDLE h = reinterpret_cast<HANDLE>(static_cast<uintptr_t>(std::strtoull(argv[1], nullptr, 10)));
  if (std::strcmp(argv[2], "write") == 0) {
    const char text[] = "hello from the child";
    DWORD n = 0;
    return ::WriteFile(h, text, sizeof(text) - 1, &n, nullptr) && n == sizeof(text) - 1 ? 0 : 3;
  }
  std::string got;
  char buf[64];
  DWORD n = 0;
  while (::ReadFile(h, buf, sizeof(buf), &n, nullptr) && n > 0) got.append(buf, n);
  return got == "hello child" ? 0 : 1;
}
