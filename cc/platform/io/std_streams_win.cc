// Windows: the standard handles through ReadFile/WriteFile, below the C
// runtime, so no text-mode translation (CRLF, Ctrl-Z) touches the bytes.
#include <windows.h>

#include "cc/platform/io/std_streams.h"

namespace ipckit {

bool ReadStdinExact(char* buffer, size_t size) {
  HANDLE in = GetStdHandle(STD_INPUT_HANDLE);
  while (size > 0) {
    DWORD got = 0;
    DWORD want = size > 0x40000000 ? 0x40000000 : static_cast<DWORD>(size);
    // A pipe whose writer closed fails with ERROR_BROKEN_PIPE: end of input.
    if (!ReadFile(in, buffer, want, &got, nullptr) || got == 0) return false;
    buffer += got;
    size -= got;
  }
  return true;
}

bool WriteStdoutAll(absl::string_view data) {
  HANDLE out = GetStdHandle(STD_OUTPUT_HANDLE);
  while (!data.empty()) {
    DWORD put = 0;
    DWORD want = data.size() > 0x40000000 ? 0x40000000 : static_cast<DWORD>(data.size());
    if (!WriteFile(out, data.data(), want, &put, nullptr) || put == 0) return false;
    data.remove_prefix(put);
  }
  return true;
}

}  // namespace ipckit
