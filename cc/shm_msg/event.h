// Events: a notifier wakes listeners with a 64-bit event id, across processes.
//
//   IPCKIT_ASSIGN_OR_RETURN(shm_msg::Listener listener, shm_msg::Listener::Create("jobs.events"));
//   IPCKIT_ASSIGN_OR_RETURN(shm_msg::Notifier notifier, shm_msg::Notifier::Create("jobs.events"));
//   IPCKIT_RETURN_IF_ERROR(notifier.Notify(42));
//   IPCKIT_ASSIGN_OR_RETURN(uint64_t id, listener.Wait(absl::Seconds(1)));   // 42
//
// An event service is a publish/subscribe service whose samples are 8-byte
// little-endian event ids (spec/shm_messaging.md, "Events"), so it shares the
// futex wake-ups, the crash handling (peer_closed when the notifier dies) and
// the cleanup of publish/subscribe. With max_notifiers > 1 several notifiers
// wake the same listeners.
#ifndef IPCKIT_CC_SHM_MSG_EVENT_H_
#define IPCKIT_CC_SHM_MSG_EVENT_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cc/shm_msg/publisher.h"
#include "cc/shm_msg/subscriber.h"

namespace ipckit {
namespace shm_msg {

struct EventOptions {
  uint32_t max_listeners = 8;
  // Notifiers at once (several need format 2); a listener hears them all.
  uint32_t max_notifiers = 1;
  // Events queued per listener; when full the oldest is dropped.
  uint32_t buffer = 64;
  WaitMode wait_mode = WaitMode::kBlocking;
  absl::Duration open_timeout = absl::Seconds(1);
};

// The publish/subscribe configuration of an event service.
ServiceConfig EventServiceConfig(const EventOptions& options);

class Notifier {
 public:
  static absl::StatusOr<Notifier> Create(absl::string_view name, const EventOptions& options = {});
  // Wakes every listener with `event_id`.
  absl::Status Notify(uint64_t event_id);
  size_t listener_count() const { return publisher_.subscriber_count(); }
  void Close() { publisher_.Close(); }

 private:
  explicit Notifier(Publisher publisher) : publisher_(std::move(publisher)) {}
  Publisher publisher_;
};

class Listener {
 public:
  static absl::StatusOr<Listener> Create(absl::string_view name, const EventOptions& options = {});
  // The next event id. timeout if none comes in time; peer_closed once the
  // notifier has gone and no event is left.
  absl::StatusOr<uint64_t> Wait(absl::Duration timeout);
  void Close() { subscriber_.Close(); }

 private:
  friend class WaitSet;
  explicit Listener(Subscriber subscriber) : subscriber_(std::move(subscriber)) {}
  Subscriber subscriber_;
};

}  // namespace shm_msg
}  // namespace ipckit

#endif  // IPCKIT_CC_SHM_MSG_EVENT_H_
