// An owned POSIX file descriptor, closed when it goes out of scope.
//
//   ipckit::UniqueFd fd(::open(path, O_RDONLY | O_CLOEXEC));
//   if (!fd.valid()) return ipckit::ErrnoError(errno, path);
//   ::read(fd.get(), buf, n);
#ifndef IPCKIT_CC_PLATFORM_UNIQUE_FD_H_
#define IPCKIT_CC_PLATFORM_UNIQUE_FD_H_

#include <unistd.h>

#include <utility>

namespace ipckit {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  bool valid() const { return fd_ >= 0; }
  int get() const { return fd_; }

  // Gives up ownership without closing.
  int release() { return std::exchange(fd_, -1); }

  // Closes the held descriptor (if any) and takes `fd`. close(2) errors are
  // ignored: the descriptor is gone either way and retrying is unsafe.
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

}  // namespace ipckit

#endif  // IPCKIT_CC_PLATFORM_UNIQUE_FD_H_
