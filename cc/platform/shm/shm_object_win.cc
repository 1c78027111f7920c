// shm_object.h on Windows: named file mappings (cc/platform/win/shm_win.h)
// and a named mutex as the creation lock (spec/windows.md, "Shared memory").
#include <windows.h>

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cc/base/error.h"
#include "cc/platform/shm/internal/shm_object_state.h"
#include "cc/platform/shm/shm_object.h"
#include "cc/platform/win/error_win.h"
#include "cc/platform/win/security_win.h"
#include "cc/platform/process/process.h"
#include "cc/platform/win/wide_win.h"

namespace ipckit {
namespace platform {
namespace internal {

ShmObjectState::~ShmObjectState() {
  if (locked) ::ReleaseMutex(lock.get());
}

}  // namespace internal

namespace {

using internal::ShmObjectState;

// How long a new object waits for its lock: only probes (for microseconds)
// ever hold the lock of an object that is not ready.
constexpr DWORD kCreateLockWaitMs = 1000;

// "/name" (ShmObjectNameFor) without the slash.
std::string PlainName(const std::string& object_name) {
  return object_name.empty() || object_name[0] != '/' ? object_name : object_name.substr(1);
}

// ipckit 0.1 passes the bare name, which is the same object as Local\name.
std::string MappingName(const std::string& object_name) {
  return absl::StrCat("Local\\", PlainName(object_name));
}

std::unique_ptr<ShmObjectState> NewState(const std::string& object_name) {
  auto state = std::make_unique<ShmObjectState>();
  state->lock_name = win::Widen(absl::StrCat("Local\\ipckit-shm-", PlainName(object_name)));
  return state;
}

// Waits up to `wait_ms` for the lock mutex; WAIT_ABANDONED (its holder died)
// hands it over as well.
absl::Status Lock(ShmObjectState& state, DWORD wait_ms) {
  if (state.locked) return absl::OkStatus();
  if (!state.lock.valid()) {
    // Owner-only, like the mapping it guards (spec/windows.md, "Security").
    absl::StatusOr<win::Security> security = win::Security::For(win::SecuredObject::kKernelObject);
    if (!security.ok()) return security.status();
    state.lock.reset(::CreateMutexW(security->attributes(), FALSE, state.lock_name.c_str()));
    if (!state.lock.valid()) return WindowsError(::GetLastError(), "CreateMutexW(shm lock)");
  }
  switch (::WaitForSingleObject(state.lock.get(), wait_ms)) {
    case WAIT_OBJECT_0:
    case WAIT_ABANDONED:
      state.locked = true;
      return absl::OkStatus();
    case WAIT_TIMEOUT:
      return InUseError("shm object is locked by another process");
    default:
      return WindowsError(::GetLastError(), "wait for the shm lock");
  }
}

}  // namespace

absl::StatusOr<ShmObject> ShmCreateExclusive(const std::string& object_name, uint32_t /*mode*/,
                                             uint64_t size) {
  if (size > std::numeric_limits<size_t>::max()) {
    return InvalidArgumentError(absl::StrCat("object size ", size, " does not fit in memory"));
  }
  std::unique_ptr<ShmObjectState> state = NewState(object_name);
  // Lock first: an opener that finds the mapping not ready and its lock free
  // knows the creator died.
  absl::Status locked = Lock(*state, kCreateLockWaitMs);
  if (!locked.ok()) return locked;
  absl::StatusOr<win::FileMapping> file =
      win::FileMapping::Create(MappingName(object_name), static_cast<size_t>(size));
  if (!file.ok()) return file.status();  // the state's destructor lets go of the lock
  state->file = *std::move(file);
  state->size = size;
  return ShmObject(std::move(state));
}

absl::StatusOr<ShmObject> ShmOpen(const std::string& object_name, ShmAccess /*access*/) {
  std::unique_ptr<ShmObjectState> state = NewState(object_name);
  absl::StatusOr<win::FileMapping> file = win::FileMapping::Open(MappingName(object_name));
  if (!file.ok()) return file.status();
  state->size = file->size();
  state->file = *std::move(file);
  return ShmObject(std::move(state));
}

absl::Status ShmUnlink(const std::string& /*object_name*/) { return absl::OkStatus(); }

absl::Status ShmUnlinkIfSame(const std::string& /*object_name*/, const ObjectId& /*id*/) {
  return absl::OkStatus();
}

absl::Status CheckNameRefersTo(const std::string& /*object_name*/, const ObjectId& /*id*/) {
  // A name cannot be reused while we hold the mapping.
  return absl::OkStatus();
}

absl::Status TryLockObject(ShmObject& object, ObjectLock /*kind*/) {
  return Lock(object.state(), 0);
}

void UnlockObject(ShmObject& object) {
  ShmObjectState& state = object.state();
  if (!state.locked) return;
  ::ReleaseMutex(state.lock.get());
  state.locked = false;
}

absl::Status SetObjectMode(const ShmObject& /*object*/, uint32_t /*mode*/) {
  return absl::OkStatus();
}

absl::Status ResizeObject(const ShmObject& object, uint64_t size) {
  if (size <= object.state().size) return absl::OkStatus();
  return absl::UnimplementedError(absl::StrCat("a file mapping of ", object.state().size,
                                               " bytes cannot grow to ", size,
                                               " (its size is fixed at creation)"));
}

absl::StatusOr<ObjectInfo> StatObject(const ShmObject& object) {
  // The owner SID stands for the uid: this user's (or this token's default
  // owner's) mapping is CurrentUserId()'s, any other kOtherUserId's, so
  // SharedMemory's owner check refuses a mapping another user made first.
  absl::StatusOr<win::SecurityInfo> security =
      win::SecurityInfoOf(object.state().file.handle(), SE_KERNEL_OBJECT, "shared memory");
  if (!security.ok()) return security.status();
  ObjectInfo info;
  info.size = object.state().size;
  info.mode = 0600;
  info.owner_uid = security->owned_by_me ? CurrentUserId() : kOtherUserId;
  return info;
}

absl::StatusOr<std::vector<std::string>> ListShmObjects() {
  return absl::UnimplementedError("Windows cannot list file mappings (no /dev/shm)");
}

uint64_t ShmBytesAvailable() { return std::numeric_limits<uint64_t>::max(); }

}  // namespace platform
}  // namespace ipckit
