// The sending side of a shared-memory publish/subscribe service: loan a
// buffer in shared memory, fill it in place, send it. Only an offset crosses
// to each subscriber (spec/shm_messaging.md).
//
//   shm_msg::ServiceConfig config;
//   config.max_payload = 1 << 20;
//   IPCKIT_ASSIGN_OR_RETURN(shm_msg::Publisher pub, shm_msg::Publisher::Create("frames", config));
//   IPCKIT_ASSIGN_OR_RETURN(shm_msg::LoanedSample loan, pub.Loan(640 * 480));
//   FillFrame(loan.data());                                 // writes into shared memory
//   IPCKIT_RETURN_IF_ERROR(pub.Send(loan, absl::Seconds(1)));
//   IPCKIT_RETURN_IF_ERROR(pub.SendCopy("small message"));
//
// Up to config.max_publishers publishers per service at once (one more is
// in_use); each numbers its own samples 1, 2, ... A Publisher and its loans are used from one thread at a time; Close() (or the
// destructor) leaves the service, and removes it if nobody else is left.
#ifndef IPCKIT_CC_SHM_MSG_PUBLISHER_H_
#define IPCKIT_CC_SHM_MSG_PUBLISHER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "cc/shm_msg/service_layout.h"
#include "cc/shm_msg/wait_mode.h"

namespace ipckit {
namespace shm_msg {

namespace internal {
struct PublisherState;
}  // namespace internal

// A subscriber entry and the pid that held it when it was looked at, so that
// a later look can tell whether the same process is still there.
struct PeerEntry {
  uint32_t index = 0;  // subscriber i
  uint32_t pid = 0;
};

struct PublisherOptions {
  // How Send waits for room when the service's overflow policy is kBlock.
  WaitMode wait_mode = WaitMode::kBlocking;
  // How long Create waits for a service another process is creating or removing.
  absl::Duration open_timeout = absl::Seconds(1);
};

// A slot of the pool lent to the publisher until it is sent or dropped
// (dropping it unsent gives the slot back).
class LoanedSample {
 public:
  LoanedSample() = default;
  LoanedSample(LoanedSample&&) noexcept;
  LoanedSample& operator=(LoanedSample&&) noexcept;
  ~LoanedSample();

  // False once sent or given back, and once its Publisher is closed.
  bool valid() const;
  // The payload bytes, in shared memory; size() bytes are sent.
  absl::Span<char> data() const { return absl::MakeSpan(data_, length_); }
  size_t size() const { return length_; }
  // Changes how many bytes are sent: up to the service's max_payload, else
  // too_large.
  absl::Status Resize(size_t length);

 private:
  friend class Publisher;
  std::shared_ptr<internal::PublisherState> state_;
  uint32_t slot_ = 0;
  char* data_ = nullptr;
  size_t length_ = 0;
};

class Publisher {
 public:
  // Opens or creates service `name` and joins it as its publisher.
  static absl::StatusOr<Publisher> Create(absl::string_view name, const ServiceConfig& config,
                                          const PublisherOptions& options = {});

  Publisher(Publisher&&) noexcept = default;
  Publisher& operator=(Publisher&&) noexcept;
  ~Publisher();

  // A buffer of `length` bytes (<= max_payload, else too_large) in shared
  // memory. in_use when every slot is referenced (subscribers hold more than
  // the pool was sized for).
  absl::StatusOr<LoanedSample> Loan(size_t length);

  // Sends `sample` to every active subscriber and empties it. With overflow
  // kBlock, waits up to `timeout` for room in full queues; on timeout nothing
  // is sent and `sample` stays valid.
  absl::Status Send(LoanedSample& sample, absl::Duration timeout = absl::InfiniteDuration());

  // Loan + copy + Send, for small messages.
  absl::Status SendCopy(absl::string_view bytes, absl::Duration timeout = absl::InfiniteDuration());

  // Sends `sample` to subscriber `subscriber` only (spec: "Targeted send"),
  // never to the history. peer_closed if that subscriber is not active
  // (`sample` stays valid); timeout as Send.
  absl::Status SendTo(LoanedSample& sample, uint32_t subscriber,
                      absl::Duration timeout = absl::InfiniteDuration());

  // The active subscribers right now, in entry order.
  std::vector<PeerEntry> ActiveSubscribers() const;
  // Whether `peer` is still held, by the same pid, by a process not provably
  // dead (a dead one is reclaimed on the way).
  bool StillThere(const PeerEntry& peer);

  // Active subscribers right now.
  size_t subscriber_count() const;
  const ServiceConfig& config() const;

  // Leaves the service; loans not yet sent are given back. Idempotent.
  void Close();

 private:
  explicit Publisher(std::shared_ptr<internal::PublisherState> state) : state_(std::move(state)) {}
  // Send to every active subscriber, or to `target` only.
  absl::Status SendImpl(LoanedSample& sample, std::optional<uint32_t> target,
                        absl::Duration timeout);
  std::shared_ptr<internal::PublisherState> state_;
};

}  // namespace shm_msg
}  // namespace ipckit

#endif  // IPCKIT_CC_SHM_MSG_PUBLISHER_H_
