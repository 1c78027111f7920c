#include "cc/shm_msg/inspect.h"

#include <algorithm>
#include <atomic>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cc/base/error.h"
#include "cc/base/status_macros.h"
#include "cc/platform/shm/mapping.h"
#include "cc/platform/shm/shm_object.h"
#include "cc/shm_msg/internal/segment.h"

namespace ipckit {
namespace shm_msg {
namespace {

constexpr absl::string_view kObjectPrefix = "ipckit_msg.";

absl::Status ReadService(absl::string_view name, ServiceInfo& info) {
  IPCKIT_ASSIGN_OR_RETURN(platform::ShmObject fd, platform::ShmOpen(absl::StrCat("/", kObjectPrefix, name),
                                                         platform::ShmAccess::kReadOnly));
  IPCKIT_ASSIGN_OR_RETURN(platform::ObjectInfo object, platform::StatObject(fd));
  info.size = object.size;
  if (object.size < kHeaderSize) return CorruptError("shorter than the 128-byte header");
  IPCKIT_ASSIGN_OR_RETURN(platform::Mapping head, platform::Mapping::Map(fd, kHeaderSize,
                                                                        platform::ShmAccess::kReadOnly));
  IPCKIT_ASSIGN_OR_RETURN(ParsedHeader parsed,
                          ParseHeader(absl::string_view(head.data(), kHeaderSize), object.size));
  info.config = parsed.config;
  info.state = parsed.state;
  const uint32_t publishers = parsed.config.max_publishers;
  const uint32_t entries = publishers + parsed.config.max_subscribers;
  const uint64_t table_end = parsed.layout.participants_offset + kParticipantSize * entries;
  IPCKIT_ASSIGN_OR_RETURN(platform::Mapping table, platform::Mapping::Map(fd, table_end,
                                                                         platform::ShmAccess::kReadOnly));
  for (uint32_t e = 0; e < entries; ++e) {
    const auto& p = *reinterpret_cast<const internal::ParticipantRecord*>(
        table.data() + parsed.layout.participants_offset + kParticipantSize * e);
    const uint32_t pid = p.pid.load(std::memory_order_acquire);
    if (pid == 0) continue;
    ParticipantInfo& out = info.participants.emplace_back();
    out.entry = e;
    out.publisher = e < publishers;
    out.index = out.publisher ? e : e - publishers;
    out.pid = pid;
    out.state = p.state.load(std::memory_order_acquire);
    out.liveness = internal::HolderLiveness(p, pid);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ServiceInfo> InspectService(absl::string_view name) {
  ServiceInfo info;
  info.name = std::string(name);
  info.status = ReadService(name, info);
  if (ErrorClassOf(info.status) == kErrNotFound) return info.status;
  return info;
}

absl::StatusOr<std::vector<ServiceInfo>> ListServices() {
  IPCKIT_ASSIGN_OR_RETURN(std::vector<std::string> objects, platform::ListShmObjects());
  std::sort(objects.begin(), objects.end());
  std::vector<ServiceInfo> out;
  for (const std::string& object : objects) {
    if (!absl::StartsWith(object, kObjectPrefix)) continue;
    absl::StatusOr<ServiceInfo> info = InspectService(object.substr(kObjectPrefix.size()));
    if (info.ok()) out.push_back(*std::move(info));  // not_found: removed meanwhile
  }
  return out;
}

absl::StatusOr<bool> RemoveIfAbandoned(absl::string_view name) {
  return internal::Segment::RemoveIfAbandoned(name);
}

}  // namespace shm_msg
}  // namespace ipckit
