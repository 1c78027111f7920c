#include "cc/shm_msg/event.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "cc/base/error.h"
#include "cc/base/status_macros.h"

namespace ipckit {
namespace shm_msg {
namespace {

constexpr size_t kEventSize = 8;

}  // namespace

ServiceConfig EventServiceConfig(const EventOptions& options) {
  ServiceConfig config;
  config.max_publishers = options.max_notifiers;
  config.max_subscribers = options.max_listeners;
  config.max_payload = kEventSize;
  config.subscriber_buffer = options.buffer;
  config.max_held = 1;
  config.overflow = Overflow::kDropOldest;
  return config;
}

absl::StatusOr<Notifier> Notifier::Create(absl::string_view name, const EventOptions& options) {
  PublisherOptions publisher_options;
  publisher_options.wait_mode = options.wait_mode;
  publisher_options.open_timeout = options.open_timeout;
  IPCKIT_ASSIGN_OR_RETURN(Publisher publisher,
                          Publisher::Create(name, EventServiceConfig(options), publisher_options));
  return Notifier(std::move(publisher));
}

absl::Status Notifier::Notify(uint64_t event_id) {
  char bytes[kEventSize];
  for (size_t i = 0; i < kEventSize; ++i) bytes[i] = static_cast<char>(event_id >> (8 * i));
  return publisher_.SendCopy(absl::string_view(bytes, kEventSize));
}

absl::StatusOr<Listener> Listener::Create(absl::string_view name, const EventOptions& options) {
  SubscriberOptions subscriber_options;
  subscriber_options.wait_mode = options.wait_mode;
  subscriber_options.open_timeout = options.open_timeout;
  IPCKIT_ASSIGN_OR_RETURN(Subscriber subscriber, Subscriber::Create(name, EventServiceConfig(options),
                                                                    subscriber_options));
  return Listener(std::move(subscriber));
}

absl::StatusOr<uint64_t> Listener::Wait(absl::Duration timeout) {
  IPCKIT_ASSIGN_OR_RETURN(Sample sample, subscriber_.Receive(timeout));
  if (sample.size() != kEventSize) {
    return CorruptError(absl::StrCat("event of ", sample.size(), " bytes, not ", kEventSize));
  }
  uint64_t id = 0;
  for (size_t i = kEventSize; i-- > 0;) {
    id = (id << 8) | static_cast<unsigned char>(sample.view()[i]);
  }
  return id;
}

}  // namespace shm_msg
}  // namespace ipckit
