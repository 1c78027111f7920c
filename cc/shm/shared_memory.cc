#include "cc/shm/shared_memory.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "cc/base/deadline.h"
#include "cc/base/error.h"
#include "cc/base/name.h"
#include "cc/base/status_macros.h"
#include "cc/platform/process/process.h"
#include "cc/shm/internal/creation_hook.h"

namespace ipckit {
namespace {

using platform::Mapping;
using platform::ObjectInfo;
using platform::ShmAccess;

// Same code and error class as `status`, with "segment '<name>': " in front.
absl::Status InSegment(absl::string_view name, const absl::Status& status) {
  if (status.ok()) return status;
  return MakeError(status.code(), ErrorClassOf(status),
                   absl::StrCat("segment '", name, "': ", status.message()));
}

// permission_denied unless this user owns `object`. The OS
// lets root open anything, and another user's 0666 object anyone.
absl::Status CheckOwnedByMe(absl::string_view name, const platform::ShmObject& object) {
  IPCKIT_ASSIGN_OR_RETURN(ObjectInfo info, platform::StatObject(object));
  const uint32_t me = platform::CurrentUserId();
  if (info.owner_uid == me) return absl::OkStatus();
  return MakeError(absl::StatusCode::kPermissionDenied, kErrPermissionDenied, absl::StrFormat(
      "segment '%s' is owned by uid %d, another user (this process runs as uid %d); "
      "refused (allow_other_users permits it)",
      name, info.owner_uid, me));
}

// The state word as it sits in memory: a little-endian u32 whatever the host.
uint32_t StateWord(shm::SegmentState state) {
  const uint32_t v = static_cast<uint32_t>(state);
  const unsigned char le[4] = {static_cast<unsigned char>(v), static_cast<unsigned char>(v >> 8),
                               static_cast<unsigned char>(v >> 16),
                               static_cast<unsigned char>(v >> 24)};
  uint32_t word;
  std::memcpy(&word, le, sizeof(word));
  return word;
}

uint32_t* StateWordIn(char* header) {
  // Mappings are page-aligned and kStateOffset is a multiple of 4.
  return reinterpret_cast<uint32_t*>(header + shm::kStateOffset);
}

// One look at an object: its stat, its first min(size, 64) bytes (a private
// copy: the mapping is shared with other processes) and, from an acquire load
// of the state word, whether its creator has published it.
struct Snapshot {
  ObjectInfo info;
  std::string head;
  bool ready = false;
  absl::StatusOr<shm::HeaderFields> header = absl::UnknownError("not parsed");
};

absl::StatusOr<Snapshot> Look(const platform::ShmObject& object) {
  Snapshot out;
  IPCKIT_ASSIGN_OR_RETURN(out.info, platform::StatObject(object));
  const size_t head_len = static_cast<size_t>(std::min<uint64_t>(out.info.size, shm::kHeaderSize));
  if (head_len > 0) {
    IPCKIT_ASSIGN_OR_RETURN(Mapping map, Mapping::Map(object, head_len, ShmAccess::kReadOnly));
    out.ready = head_len == shm::kHeaderSize &&
                __atomic_load_n(StateWordIn(map.data()), __ATOMIC_ACQUIRE) ==
                    StateWord(shm::SegmentState::kReady);
    out.head.assign(map.data(), head_len);
  }
  out.header = shm::ParseHeader(out.head, out.info.size);
  return out;
}

// Whether an object that is not ready yet may still become a ready version-1
// segment, so that Open should keep waiting rather than judge it now.
bool MayBecomeReady(absl::string_view head) {
  // Empty: the creator has not called ftruncate yet.
  if (head.empty()) return true;
  // 1..63 bytes never grows into a segment: ftruncate sets the whole size at once.
  if (head.size() < shm::kHeaderSize) return false;
  const absl::string_view magic = head.substr(shm::kMagicOffset, shm::kMagic.size());
  // All zeros: sized, header not yet written.
  if (magic.find_first_not_of('\0') == absl::string_view::npos) return true;
  if (magic != shm::kMagic) return false;  // foreign: no point in waiting
  // Our magic: wait unless the version says the state word may be elsewhere.
  const uint16_t version = static_cast<uint16_t>(
      static_cast<unsigned char>(head[shm::kVersionOffset]) |
      (static_cast<unsigned char>(head[shm::kVersionOffset + 1]) << 8));
  return version <= shm::kFormatVersion;
}

platform::Liveness CreatorLiveness(const shm::HeaderFields& header) {
  platform::ProcessIdentity creator;
  creator.pid = header.creator_pid;
  creator.pid_namespace = header.creator_pid_namespace;
  creator.start_time = header.creator_start_time;
  return platform::CheckLiveness(creator);
}

// How far an object is from being a ready segment, as Open and the stale
// checks judge it (spec/shared_memory.md, "Creating a segment").
enum class Progress {
  kReady,         // a valid header in state ready
  kNotASegment,   // never becomes one: judge it by its header's parse error
  kInitializing,  // its creator is alive (or cannot be judged): wait for it
  kCreatorDead,   // half-created, or valid but initializing, and its creator is dead
};

// Not ready, and not (yet) a valid header, but may become one: a creator
// between shm_open and publishing, or one that died there. A published state
// word means the header was complete, so a bad one then is just corrupt.
bool HalfCreated(const Snapshot& snap) {
  return !snap.ready && !snap.header.ok() && MayBecomeReady(snap.head);
}

// A half-created object has no header to name its creator yet: its creator's
// flock does, from right after shm_open until the header is published. The
// S_ISVTX mark says the creator has not taken the lock yet.
Progress JudgeHalfCreated(platform::ShmObject& object, const Snapshot& snap) {
  if (!platform::TryLockObject(object, platform::ObjectLock::kShared).ok()) {
    return Progress::kInitializing;
  }
  platform::UnlockObject(object);
  if ((snap.info.mode & SharedMemory::kCreatingMark) != 0) return Progress::kInitializing;
  return Progress::kCreatorDead;
}

// Judges `*snap`; may look again (into `*snap`) when a creator finished meanwhile.
absl::StatusOr<Progress> Judge(platform::ShmObject& object, Snapshot* snap) {
  if (snap->ready) return snap->header.ok() ? Progress::kReady : Progress::kNotASegment;
  if (snap->header.ok()) {
    return CreatorLiveness(*snap->header) == platform::Liveness::kDead ? Progress::kCreatorDead
                                                                      : Progress::kInitializing;
  }
  if (!HalfCreated(*snap)) return Progress::kNotASegment;
  const Progress progress = JudgeHalfCreated(object, *snap);
  if (progress != Progress::kCreatorDead) return progress;
  // The lock was free: the creator died, or published and let go after our look.
  IPCKIT_ASSIGN_OR_RETURN(*snap, Look(object));
  if (snap->ready) return snap->header.ok() ? Progress::kReady : Progress::kNotASegment;
  return Progress::kCreatorDead;
}

}  // namespace

SharedMemory::SharedMemory(std::string name, std::string object_name, Mapping mapping,
                           const shm::HeaderFields& header, platform::ObjectId id, bool is_owner)
    : name_(std::move(name)),
      object_name_(std::move(object_name)),
      mapping_(std::move(mapping)),
      data_offset_(static_cast<size_t>(header.data_offset)),
      user_size_(static_cast<size_t>(header.user_size)),
      id_(id),
      is_owner_(is_owner),
      creator_pid_(header.creator_pid) {}

SharedMemory::SharedMemory(SharedMemory&& other) noexcept
    : name_(std::move(other.name_)),
      object_name_(std::move(other.object_name_)),
      mapping_(std::move(other.mapping_)),
      data_offset_(std::exchange(other.data_offset_, 0)),
      user_size_(std::exchange(other.user_size_, 0)),
      id_(other.id_),
      is_owner_(std::exchange(other.is_owner_, false)),
      unlinked_(other.unlinked_),
      creator_pid_(other.creator_pid_) {}

SharedMemory& SharedMemory::operator=(SharedMemory&& other) noexcept {
  if (this != &other) {
    ReleaseName();
    name_ = std::move(other.name_);
    object_name_ = std::move(other.object_name_);
    mapping_ = std::move(other.mapping_);
    data_offset_ = std::exchange(other.data_offset_, 0);
    user_size_ = std::exchange(other.user_size_, 0);
    id_ = other.id_;
    is_owner_ = std::exchange(other.is_owner_, false);
    unlinked_ = other.unlinked_;
    creator_pid_ = other.creator_pid_;
  }
  return *this;
}

SharedMemory::~SharedMemory() { ReleaseName(); }

void SharedMemory::ReleaseName() {
  // Errors are dropped: a destructor cannot report them, and every failure
  // (already removed, name reused by a new creator) means there is nothing of
  // ours left to remove.
  if (is_owner_ && !unlinked_) (void)platform::ShmUnlinkIfSame(object_name_, id_);
  is_owner_ = false;
}

absl::StatusOr<SharedMemory> SharedMemory::Create(absl::string_view name, size_t size) {
  IPCKIT_ASSIGN_OR_RETURN(std::string object_name, ShmObjectNameFor(name));
  absl::StatusOr<uint64_t> object_size = shm::ObjectSizeFor(size);
  if (!object_size.ok()) return InSegment(name, object_size.status());
  if (*object_size > std::numeric_limits<size_t>::max()) {
    return TooLargeError(
        absl::StrFormat("segment '%s': size %d does not fit in memory", name, size));
  }
  // tmpfs accepts any ftruncate and raises SIGBUS on the first page it cannot
  // back, so refuse up front what cannot possibly fit.
  const uint64_t available = platform::ShmBytesAvailable();
  if (*object_size > available) {
    return TooLargeError(
        absl::StrFormat("segment '%s': size %d exceeds the %d bytes free for shared memory", name,
                        size, available));
  }
  const std::string name_str(name);
  absl::StatusOr<SharedMemory> created = CreateOnce(name_str, object_name, *object_size, size);
  if (ErrorClassOf(created.status()) != kErrInUse) return created;

  // The name exists. Reclaim it only if it is our segment and its creator is
  // provably dead; anything else is somebody's live (or foreign) object.
  absl::Status removed = RemoveIfStale(name);
  if (!removed.ok() && ErrorClassOf(removed) != kErrNotFound) {
    return InUseError(absl::StrFormat("segment '%s' already exists (%s)", name, removed.message()));
  }
  created = CreateOnce(name_str, object_name, *object_size, size);
  if (ErrorClassOf(created.status()) == kErrInUse) {
    return InUseError(absl::StrFormat("segment '%s' already exists", name));
  }
  return created;
}

absl::StatusOr<SharedMemory> SharedMemory::CreateOnce(const std::string& name,
                                                      const std::string& object_name,
                                                      uint64_t object_size, size_t size) {
  // A reclaimer may remove the object between shm_open and flock (it cannot
  // tell a creator there from a dead one); then the name is free or someone
  // else's, and creation starts over.
  constexpr int kMaxAttempts = 3;
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    absl::StatusOr<platform::ShmObject> object =
        platform::ShmCreateExclusive(object_name, kMode | kCreatingMark, object_size);
    if (!object.ok()) return InSegment(name, object.status());
    absl::StatusOr<ObjectInfo> info = platform::StatObject(*object);
    if (!info.ok()) {
      (void)platform::ShmUnlink(object_name);
      return InSegment(name, info.status());
    }
    IPCKIT_RETURN_IF_ERROR(InSegment(name, LockNewObject(*object)));
    if (!platform::CheckNameRefersTo(object_name, info->id).ok()) continue;
    return InitializeLocked(name, object_name, *object, info->id, object_size, size);
  }
  return InUseError(absl::StrFormat(
      "segment '%s' was removed %d times while being created", name, kMaxAttempts));
}

absl::Status SharedMemory::LockNewObject(platform::ShmObject& object) {
  // Only probes (shared, for microseconds) and reclaimers (exclusive, for
  // microseconds) ever hold the lock of an object that is not ready.
  const Deadline deadline = Deadline::After(absl::Seconds(1));
  absl::Duration pause = absl::Microseconds(100);
  while (true) {
    absl::Status locked = platform::TryLockObject(object, platform::ObjectLock::kExclusive);
    if (ErrorClassOf(locked) != kErrInUse) return locked;
    if (deadline.Expired()) return InUseError("the new object stayed locked by another process");
    absl::SleepFor(std::min(pause, deadline.Remaining()));
    pause = std::min(pause * 2, absl::Milliseconds(5));
  }
}

absl::StatusOr<SharedMemory> SharedMemory::InitializeLocked(const std::string& name,
                                                            const std::string& object_name,
                                                            const platform::ShmObject& object,
                                                            platform::ObjectId id,
                                                            uint64_t object_size, size_t size) {
  // From here on the name is ours: remove it again if creation fails.
  struct RemoveOnFailure {
    const std::string& object_name;
    platform::ObjectId id;
    bool armed = true;
    ~RemoveOnFailure() {
      if (armed) (void)platform::ShmUnlinkIfSame(object_name, id);
    }
  } guard{object_name, id};

  // Clearing the mark says: the lock now names a live creator, so a
  // half-created object that nobody locks has a dead one.
  IPCKIT_RETURN_IF_ERROR(InSegment(name, platform::SetObjectMode(object, kMode)));
  shm_internal::RunCreationHook(shm_internal::CreationStep::kLocked);
  IPCKIT_RETURN_IF_ERROR(InSegment(name, platform::ResizeObject(object, object_size)));
  shm_internal::RunCreationHook(shm_internal::CreationStep::kSized);
  absl::StatusOr<Mapping> mapping =
      Mapping::Map(object, static_cast<size_t>(object_size), ShmAccess::kReadWrite);
  if (!mapping.ok()) return InSegment(name, mapping.status());

  const platform::ProcessIdentity me = platform::CurrentProcess();
  shm::HeaderFields fields;
  fields.user_size = size;
  fields.creator_pid = me.pid;
  fields.creator_pid_namespace = me.pid_namespace;
  fields.creator_start_time = me.start_time;
  fields.creation_time_ns = static_cast<uint64_t>(absl::ToUnixNanos(absl::Now()));
  fields.state = shm::SegmentState::kInitializing;
  absl::StatusOr<std::string> header = shm::BuildHeader(fields);
  if (!header.ok()) return InSegment(name, header.status());

  // Write everything but the state word, which still says initializing (the
  // object is all zeros after ftruncate), then publish: an Open that sees
  // ready with an acquire load also sees the whole header.
  std::memcpy(mapping->data(), header->data(), shm::kStateOffset);
  std::memcpy(mapping->data() + shm::kChecksumOffset, header->data() + shm::kChecksumOffset,
              shm::kHeaderSize - shm::kChecksumOffset);
  __atomic_store_n(StateWordIn(mapping->data()), StateWord(shm::SegmentState::kReady),
                   __ATOMIC_RELEASE);
  fields.state = shm::SegmentState::kReady;
  fields.data_offset = shm::kHeaderSize;

  guard.armed = false;
  // The caller closes `object`, which releases the lock.
  return SharedMemory(name, object_name, *std::move(mapping), fields, id, /*is_owner=*/true);
}

absl::StatusOr<SharedMemory> SharedMemory::Open(absl::string_view name, absl::Duration timeout,
                                                const SharedMemoryOpenOptions& options) {
  const Deadline deadline = Deadline::After(timeout);
  IPCKIT_ASSIGN_OR_RETURN(std::string object_name, ShmObjectNameFor(name));
  absl::StatusOr<platform::ShmObject> object =
      platform::ShmOpen(object_name, ShmAccess::kReadWrite);
  if (!object.ok()) return InSegment(name, object.status());
  if (!options.allow_other_users) IPCKIT_RETURN_IF_ERROR(CheckOwnedByMe(name, *object));

  // Wait, with backoff, while a live creator is still making the segment.
  Snapshot snap;
  absl::Duration pause = absl::Microseconds(100);
  while (true) {
    absl::StatusOr<Snapshot> seen = Look(*object);
    if (!seen.ok()) return InSegment(name, seen.status());
    snap = *std::move(seen);
    absl::StatusOr<Progress> progress = Judge(*object, &snap);
    if (!progress.ok()) return InSegment(name, progress.status());
    if (*progress == Progress::kReady || *progress == Progress::kNotASegment) break;
    const std::string creator =
        snap.header.ok() ? absl::StrCat("pid ", snap.header->creator_pid) : "another process";
    if (*progress == Progress::kCreatorDead) {
      return CorruptError(absl::StrFormat(
          "segment '%s' was never finished: its creator (%s) died while making it; "
          "RemoveIfStale or Create reclaims the name",
          name, creator));
    }
    if (deadline.Expired()) {
      return TimeoutError(absl::StrFormat("segment '%s' is still being created by %s after %s",
                                          name, creator, absl::FormatDuration(timeout)));
    }
    absl::SleepFor(std::min(pause, deadline.Remaining()));
    pause = std::min(pause * 2, absl::Milliseconds(5));
  }

  if (!snap.header.ok()) return InSegment(name, snap.header.status());
  const shm::HeaderFields& header = *snap.header;
  const uint64_t map_size = header.data_offset + header.user_size;  // <= info.size
  if (map_size > std::numeric_limits<size_t>::max()) {
    return TooLargeError(absl::StrFormat("segment '%s': size %d does not fit in memory", name,
                                         header.user_size));
  }
  absl::StatusOr<Mapping> mapping =
      Mapping::Map(*object, static_cast<size_t>(map_size), ShmAccess::kReadWrite);
  if (!mapping.ok()) return InSegment(name, mapping.status());
  return SharedMemory(std::string(name), object_name, *std::move(mapping), header,
                      snap.info.id, /*is_owner=*/false);
}

namespace {

// Whether `object` is a segment of a provably dead creator: a
// valid header naming a dead process, or a half-created object that no
// creator holds locked. A creator that has not locked yet is judged dead too:
// it notices the removal when it locks and starts over (CreateOnce).
absl::StatusOr<bool> CreatorIsDead(platform::ShmObject& object, const Snapshot& snap) {
  if (snap.header.ok()) return CreatorLiveness(*snap.header) == platform::Liveness::kDead;
  if (!HalfCreated(snap)) return snap.header.status();
  return platform::TryLockObject(object, platform::ObjectLock::kShared).ok();
}

}  // namespace

absl::StatusOr<std::vector<StaleSegment>> SharedMemory::FindStale() {
  IPCKIT_ASSIGN_OR_RETURN(std::vector<std::string> names, platform::ListShmObjects());
  const uint32_t uid = platform::CurrentUserId();
  std::vector<StaleSegment> stale;
  for (const std::string& name : names) {
    if (!ValidateName(name).ok()) continue;  // not a name ipckit could have made
    absl::StatusOr<platform::ShmObject> object =
        platform::ShmOpen(absl::StrCat("/", name), ShmAccess::kReadOnly);
    if (!object.ok()) continue;  // gone meanwhile, or unreadable
    absl::StatusOr<Snapshot> seen = Look(*object);
    if (!seen.ok() || seen->info.owner_uid != uid) continue;
    absl::StatusOr<bool> dead = CreatorIsDead(*object, *seen);
    if (!dead.ok() || !*dead) continue;  // alive, or not ours
    StaleSegment s;
    s.name = name;
    if (seen->header.ok()) {
      s.creator_pid = seen->header->creator_pid;
      s.creator_start_time = seen->header->creator_start_time;
      s.creation_time_ns = seen->header->creation_time_ns;
      s.user_size = seen->header->user_size;
    }
    stale.push_back(std::move(s));
  }
  return stale;
}

absl::Status SharedMemory::RemoveIfStale(absl::string_view name) {
  IPCKIT_ASSIGN_OR_RETURN(std::string object_name, ShmObjectNameFor(name));
  absl::StatusOr<platform::ShmObject> object =
      platform::ShmOpen(object_name, ShmAccess::kReadOnly);
  if (!object.ok()) return InSegment(name, object.status());
  IPCKIT_RETURN_IF_ERROR(CheckOwnedByMe(name, *object));
  absl::StatusOr<Snapshot> seen = Look(*object);
  if (!seen.ok()) return InSegment(name, seen.status());
  if (!seen->header.ok()) {
    if (!HalfCreated(*seen)) return InSegment(name, seen->header.status());
    // Half-created: hold the creator's lock while judging and removing, so a
    // creator cannot take it (and go on) in between.
    if (!platform::TryLockObject(*object, platform::ObjectLock::kExclusive).ok()) {
      return InUseError(absl::StrFormat("segment '%s' is being created by a live process", name));
    }
    IPCKIT_ASSIGN_OR_RETURN(seen, Look(*object));
    if (HalfCreated(*seen)) {
      return InSegment(name, platform::ShmUnlinkIfSame(object_name, seen->info.id));
    }
    platform::UnlockObject(*object);
    if (!seen->header.ok()) return InSegment(name, seen->header.status());
  }
  switch (CreatorLiveness(*seen->header)) {
    case platform::Liveness::kDead:
      // Only the object inspected: if the name was meanwhile reclaimed by a
      // new creator, this refuses instead of removing the new segment.
      return InSegment(name, platform::ShmUnlinkIfSame(object_name, seen->info.id));
    case platform::Liveness::kAlive:
      return InUseError(absl::StrFormat("segment '%s': creator pid %d is alive", name,
                                        seen->header->creator_pid));
    case platform::Liveness::kUnknown:
      break;
  }
  return InUseError(absl::StrFormat(
      "segment '%s': cannot tell whether creator pid %d is alive (unknown pid or another pid "
      "namespace)",
      name, seen->header->creator_pid));
}

absl::Status SharedMemory::CheckRange(absl::string_view what, size_t offset, size_t len) const {
  if (!mapping_.valid()) return ClosedError(absl::StrFormat("segment '%s' is closed", name_));
  // Written so that offset + len cannot overflow.
  if (offset > user_size_ || len > user_size_ - offset) {
    return OutOfRangeError(absl::StrFormat(
        "%s of %d bytes at offset %d is outside segment '%s' of size %d", what, len, offset,
        name_, user_size_));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> SharedMemory::Read(size_t offset, size_t len) const {
  IPCKIT_RETURN_IF_ERROR(CheckRange("read", offset, len));
  return std::string(mapping_.data() + data_offset_ + offset, len);
}

absl::StatusOr<std::string> SharedMemory::ReadAll() const { return Read(0, user_size_); }

absl::Status SharedMemory::Write(size_t offset, absl::string_view bytes) {
  IPCKIT_RETURN_IF_ERROR(CheckRange("write", offset, bytes.size()));
  if (!bytes.empty()) {
    std::memcpy(mapping_.data() + data_offset_ + offset, bytes.data(), bytes.size());
  }
  return absl::OkStatus();
}

absl::Span<char> SharedMemory::data() {
  if (!mapping_.valid()) return {};
  return absl::Span<char>(mapping_.data() + data_offset_, user_size_);
}

absl::Span<const char> SharedMemory::data() const {
  if (!mapping_.valid()) return {};
  return absl::Span<const char>(mapping_.data() + data_offset_, user_size_);
}

void SharedMemory::Close() { mapping_.Reset(); }

absl::Status SharedMemory::Unlink() {
  if (object_name_.empty()) return ClosedError("Unlink on a moved-from SharedMemory");
  if (unlinked_) return absl::OkStatus();
  absl::Status status = platform::ShmUnlinkIfSame(object_name_, id_);
  // Whatever the outcome, the name no longer refers to this segment.
  unlinked_ = true;
  return InSegment(name_, status);
}

}  // namespace ipckit
