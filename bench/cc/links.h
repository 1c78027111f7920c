// Links: one connected message path between the benchmark driver and its
// peer process, for ipckit's IpcChannel and each transport it is compared to.
//
//   IPCKIT_ASSIGN_OR_RETURN(auto acceptor, ipckit::bench::Listen("uds", params));
//   // spawn the peer with acceptor->FdsForPeer(); it calls Connect("uds", params)
//   IPCKIT_ASSIGN_OR_RETURN(auto link, acceptor->Accept());
//
// "uds_nonblocking" is a diagnostic: raw UDS read the way ipckit's fd_io
// reads (non-blocking read, poll() on EAGAIN, read again).
//
// Every link moves whole messages. The raw transports (pipe, uds) carry no
// framing: both sides know the message size, which is the least a user of
// them could do. All links block in the kernel (or in the library) while
// they wait; none spins.
#ifndef IPCKIT_BENCH_CC_LINKS_H_
#define IPCKIT_BENCH_CC_LINKS_H_

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ipckit {
namespace bench {

// What both ends agree on before the peer starts.
struct LinkParams {
  std::string name;         // unique per run (UniqueName)
  size_t max_size = 0;      // the largest message either side sends
  size_t queue_depth = 16;  // messages a queue holds (Boost message_queue)
};

class Link {
 public:
  virtual ~Link() = default;
  virtual absl::Status Send(absl::string_view message) = 0;
  // Receives one message of `size` bytes (known to raw stream links; the
  // others check it). The view is valid until the next Recv.
  virtual absl::StatusOr<absl::string_view> Recv(size_t size) = 0;
};

// The driver's side of a link being set up.
class Acceptor {
 public:
  virtual ~Acceptor() = default;
  // fds the peer must inherit, as (fd here, fd number in the peer).
  virtual std::vector<std::pair<int, int>> FdsForPeer() const { return {}; }
  // Called once the peer runs; returns the connected link.
  virtual absl::StatusOr<std::unique_ptr<Link>> Accept() = 0;
};

// Method ids, in the order they are reported, and their display names.
const std::vector<std::string>& MethodIds();
std::string MethodLabel(absl::string_view id);

absl::StatusOr<std::unique_ptr<Acceptor>> Listen(absl::string_view method,
                                                 const LinkParams& params);
// The peer's side; for "pipe" the fds are 3 (to read) and 4 (to write).
absl::StatusOr<std::unique_ptr<Link>> Connect(absl::string_view method, const LinkParams& params);

}  // namespace bench
}  // namespace ipckit

#endif  // IPCKIT_BENCH_CC_LINKS_H_
