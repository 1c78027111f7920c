// An owned Win32 HANDLE, closed when it goes out of scope: the Windows
// counterpart of UniqueFd (cc/platform/unique_fd.h).
//
//   platform::UniqueHandle process(::OpenProcess(SYNCHRONIZE, FALSE, pid));
//   if (!process.valid()) return platform::WindowsError(::GetLastError(), "OpenProcess");
//   ::WaitForSingleObject(process.get(), 0);
//
// Both null and INVALID_HANDLE_VALUE count as "no handle" (Win32 functions
// return one or the other on failure).
#ifndef IPCKIT_CC_PLATFORM_WIN_UNIQUE_HANDLE_WIN_H_
#define IPCKIT_CC_PLATFORM_WIN_UNIQUE_HANDLE_WIN_H_

#include <windows.h>

#include <utility>

namespace ipckit {
namespace platform {

class UniqueHandle {
 public:
  UniqueHandle() = default;
  explicit UniqueHandle(HANDLE h) : h_(h) {}
  UniqueHandle(UniqueHandle&& other) noexcept : h_(other.release()) {}
  UniqueHandle& operator=(UniqueHandle&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  UniqueHandle(const UniqueHandle&) = delete;
  UniqueHandle& operator=(const UniqueHandle&) = delete;
  ~UniqueHandle() { reset(); }

  bool valid() const { return h_ != nullptr && h_ != INVALID_HANDLE_VALUE; }
  HANDLE get() const { return h_; }
  HANDLE release() { return std::exchange(h_, nullptr); }
  void reset(HANDLE h = nullptr) {
    if (valid()) ::CloseHandle(h_);
    h_ = h;
  }

 private:
  HANDLE h_ = nullptr;
};

}  // namespace platform
}  // namespace ipckit

#endif  // IPCKIT_CC_PLATFORM_WIN_UNIQUE_HANDLE_WIN_H_
