// One owner type for every OS resource ipckit closes on scope exit: a
// descriptor, a HANDLE, a socket. UniqueFd (cc/platform/unique_fd.h),
// UniqueHandle (cc/platform/win/unique_handle_win.h) and UniqueSocket
// (cc/platform/net/loopback_socket.h) are this template over a policy that
// says what "no resource" is and how one is closed.
//
//   struct FdPolicy {
//     using Handle = int;
//     static constexpr int kNone = -1;                 // what release() leaves
//     static bool IsValid(int fd) { return fd >= 0; }  // what a close needs
//     static void Close(int fd) { ::close(fd); }
//   };
//   using UniqueFd = platform::internal::UniqueResource<FdPolicy>;
//
// Close errors are ignored: the resource is gone either way, and closing it
// again could close one that another thread has just been given.
#ifndef IPCKIT_CC_PLATFORM_INTERNAL_UNIQUE_RESOURCE_H_
#define IPCKIT_CC_PLATFORM_INTERNAL_UNIQUE_RESOURCE_H_

#include <utility>

namespace ipckit {
namespace platform {
namespace internal {

template <typename Policy>
class UniqueResource {
 public:
  using Handle = typename Policy::Handle;

  UniqueResource() = default;
  explicit UniqueResource(Handle h) : h_(h) {}
  UniqueResource(UniqueResource&& other) noexcept : h_(other.release()) {}
  UniqueResource& operator=(UniqueResource&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  UniqueResource(const UniqueResource&) = delete;
  UniqueResource& operator=(const UniqueResource&) = delete;
  ~UniqueResource() { reset(); }

  bool valid() const { return Policy::IsValid(h_); }
  Handle get() const { return h_; }

  // Gives up ownership without closing.
  Handle release() { return std::exchange(h_, Policy::kNone); }

  // Closes the held resource (if any) and takes `h`.
  void reset(Handle h = Policy::kNone) {
    if (valid()) Policy::Close(h_);
    h_ = h;
  }

 private:
  Handle h_ = Policy::kNone;
};

}  // namespace internal
}  // namespace platform
}  // namespace ipckit

#endif  // IPCKIT_CC_PLATFORM_INTERNAL_UNIQUE_RESOURCE_H_
