// SharedMemory: a named POSIX shared-memory segment with a self-describing header.
//
//   IPCKIT_ASSIGN_OR_RETURN(auto shm, ipckit::SharedMemory::Create("my_shm", 4096));
//   IPCKIT_RETURN_IF_ERROR(shm.Write(0, "Shared data here!"));
//   // another process: SharedMemory::Open("my_shm") then Read(0, 17)
//
// The segment is the POSIX shm object "/<name>" (on Windows the file mapping
// "Local\<name>", spec/windows.md) holding a 64-byte header
// (cc/shm/shm_header.h, spec/shared_memory.md) followed by `size` bytes of user
// data. Offsets given to Read/Write and the span from data() are relative to the
// user data. The creator owns the name: its SharedMemory removes the name when
// destroyed; openers never do. Access to the bytes is not synchronized: callers
// coordinate concurrent writers themselves, as with any shared memory. One
// SharedMemory may be read and written from several threads, but Close(),
// Unlink() and moves must not race with other calls on it.
//
// SIGBUS: if anyone shrinks the object while it is mapped, touching the lost
// pages kills the process with SIGBUS. ipckit never resizes an existing
// object, segments are 0600, and Open refuses another user's segment, so only
// your own user's processes can do it (spec/shared_memory.md, "Truncation and
// SIGBUS", lists what else to do).
#ifndef IPCKIT_CC_SHM_SHARED_MEMORY_H_
#define IPCKIT_CC_SHM_SHARED_MEMORY_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "cc/platform/shm/mapping.h"
#include "cc/platform/shm/shm_object.h"
#include "cc/shm/shm_header.h"

namespace ipckit {

// A segment whose creator is provably dead (see FindStale).
struct StaleSegment {
  std::string name;  // plain name, without the leading '/'
  uint32_t creator_pid = 0;
  uint64_t creator_start_time = 0;
  uint64_t creation_time_ns = 0;
  uint64_t user_size = 0;
};

// How Open treats a segment that another user owns.
struct SharedMemoryOpenOptions {
  // Open a segment that another user owns (off: permission_denied, even for
  // root, which the OS would let in). Opt in only for a segment you expect a
  // given other user to share with you: its owner can read and change every
  // byte, and truncate it under you (SIGBUS; spec/shared_memory.md).
  bool allow_other_users = false;
};

class SharedMemory {
 public:
  // Permission bits of every segment: owner read/write only.
  static constexpr uint32_t kMode = 0600;
  // S_ISVTX on a segment that is not ready yet: "its creator has not taken
  // the creation lock yet" (spec/shared_memory.md, "Creating a segment").
  static constexpr uint32_t kCreatingMark = 01000;
  // How long Open waits, by default, for a segment being created to be ready.
  static constexpr absl::Duration kDefaultOpenTimeout = absl::Seconds(1);

  // Creates segment `name` with `size` bytes of zeroed user data; the result
  // is the owner. invalid_argument for a bad name or size 0; too_large above
  // 1 TiB or above the space free for shm objects; in_use if the name exists,
  // unless it is an ipckit segment whose creator is provably dead, which is
  // removed and replaced.
  static absl::StatusOr<SharedMemory> Create(absl::string_view name, size_t size);

  // Opens an existing segment. Waits up to `timeout` for a concurrent Create
  // to publish the header. not_found if missing; corrupt if not an ipckit
  // segment or damaged; unsupported_version if made by a newer format;
  // timeout if still initializing at the deadline; corrupt at once if its
  // creator died before finishing it; permission_denied if another user owns
  // it, unless options.allow_other_users.
  static absl::StatusOr<SharedMemory> Open(absl::string_view name,
                                           absl::Duration timeout = kDefaultOpenTimeout,
                                           const SharedMemoryOpenOptions& options = {});

  // ipckit segments owned by this user whose creator is provably dead.
  // Linux only (needs /dev/shm); unimplemented elsewhere.
  static absl::StatusOr<std::vector<StaleSegment>> FindStale();

  // Removes segment `name` if its creator is provably dead. OK if removed;
  // in_use if the creator is alive or cannot be judged; not_found if missing;
  // permission_denied if another user owns it;
  // corrupt / unsupported_version if it is not a segment we can read, which
  // is never removed.
  static absl::Status RemoveIfStale(absl::string_view name);

  SharedMemory(SharedMemory&& other) noexcept;
  SharedMemory& operator=(SharedMemory&& other) noexcept;
  SharedMemory(const SharedMemory&) = delete;
  SharedMemory& operator=(const SharedMemory&) = delete;
  // Unmaps; an owner also removes the name unless Unlink() already did.
  ~SharedMemory();

  // Copies `len` bytes at `offset`. out_of_range unless offset + len <= size();
  // closed after Close().
  absl::StatusOr<std::string> Read(size_t offset, size_t len) const;
  // The whole user region (the model's read_all()).
  absl::StatusOr<std::string> ReadAll() const;
  // Copies `bytes` to `offset`; same errors as Read.
  absl::Status Write(size_t offset, absl::string_view bytes);

  // The user region, zero-copy; empty after Close().
  absl::Span<char> data();
  absl::Span<const char> data() const;

  const std::string& name() const { return name_; }
  size_t size() const { return user_size_; }
  bool is_owner() const { return is_owner_; }
  bool is_open() const { return mapping_.valid(); }
  uint32_t creator_pid() const { return creator_pid_; }

  // Unmaps the segment; spans from data() become invalid. The name stays (an
  // owner still removes it on destruction). Idempotent.
  void Close();
  // Removes the name now, so later Opens fail with not_found; mapped copies
  // keep working. Only removes the segment this object maps: if the name was
  // since reused, in_use. Any SharedMemory may call it. Windows has no
  // unlink: OK without effect, the segment going when its last holder does.
  absl::Status Unlink();

 private:
  SharedMemory(std::string name, std::string object_name, platform::Mapping mapping,
               const shm::HeaderFields& header, platform::ObjectId id, bool is_owner);

  static absl::StatusOr<SharedMemory> CreateOnce(const std::string& name,
                                                 const std::string& object_name,
                                                 uint64_t object_size, size_t size);
  // Takes the creation lock of an object just made, waiting up to 1 s for a
  // probe or a reclaimer to let go.
  static absl::Status LockNewObject(platform::ShmObject& object);
  // Creation steps after the lock: mode, size, header, publish.
  static absl::StatusOr<SharedMemory> InitializeLocked(const std::string& name,
                                                       const std::string& object_name,
                                                       const platform::ShmObject& object,
                                                       platform::ObjectId id,
                                                       uint64_t object_size, size_t size);
  absl::Status CheckRange(absl::string_view what, size_t offset, size_t len) const;
  // Removes the name if this object is its owner and it is still there.
  void ReleaseName();

  std::string name_;
  std::string object_name_;
  platform::Mapping mapping_;  // header + user data, from offset 0
  size_t data_offset_ = 0;
  size_t user_size_ = 0;
  platform::ObjectId id_;
  bool is_owner_ = false;
  bool unlinked_ = false;
  uint32_t creator_pid_ = 0;
};

}  // namespace ipckit

#endif  // IPCKIT_CC_SHM_SHARED_MEMORY_H_
