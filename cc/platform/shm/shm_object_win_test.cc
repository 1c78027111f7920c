// shm_object.h on Windows: 0.1's mapping names, the named-mutex lock (held by
// a live creator, handed over when its holder dies), fixed sizes, no listing.
#include <cstring>
#include <limits>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "cc/base/error.h"
#include "cc/platform/shm/mapping.h"
#include "cc/platform/shm/shm_object.h"
#include "cc/platform/win/shm_win.h"
#include "cc/platform/win/test_util_win.h"
#include "gtest/gtest.h"

namespace ipckit {
namespace platform {
namespace {

// The lock state of `object` as another thread sees it (a mutex is
// re-entrant for the thread holding it).
absl::Status TryLockFromAnotherThread(const std::string& object_name) {
  absl::Status result;
  std::thread([&] {
    absl::StatusOr<ShmObject> other = ShmOpen(object_name, ShmAccess::kReadOnly);
    result = other.ok() ? TryLockObject(*other, ObjectLock::kShared) : other.status();
  }).join();
  return result;
}

TEST(ShmObjectWinTest, NamesAreIpckit01sMappingNames) {
  // ipckit 0.1 names a mapping with the bare name; "/name" is Local\name,
  // the same session-namespace object.
  const std::string name = win::UniqueTestName("shmobj");
  absl::StatusOr<ShmObject> ours = ShmCreateExclusive("/" + name, 0600, 4096);
  ASSERT_TRUE(ours.ok()) << ours.status();
  absl::StatusOr<Mapping> view = Mapping::Map(*ours, 4096, ShmAccess::kReadWrite);
  ASSERT_TRUE(view.ok()) << view.status();
  std::memcpy(view->data() + 4000, "from 0.2", 8);
  absl::StatusOr<win::FileMapping> theirs = win::FileMapping::Open(name);
  ASSERT_TRUE(theirs.ok()) << theirs.status();
  EXPECT_EQ(std::string(theirs->data() + 4000, 8), "from 0.2");

  // And one that 0.1 made is found by its plain name.
  const std::string made_by_01 = win::UniqueTestName("shmobj");
  absl::StatusOr<win::FileMapping> old = win::FileMapping::Create(made_by_01, 100);
  ASSERT_TRUE(old.ok()) << old.status();
  std::memcpy(old->data(), "from 0.1", 8);
  absl::StatusOr<ShmObject> found = ShmOpen("/" + made_by_01, ShmAccess::kReadWrite);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(StatObject(*found)->size, 4096u);  // an opener sees whole pages
  absl::StatusOr<Mapping> old_view = Mapping::Map(*found, 100, ShmAccess::kReadOnly);
  ASSERT_TRUE(old_view.ok()) << old_view.status();
  EXPECT_EQ(std::string(old_view->data(), 8), "from 0.1");
  EXPECT_EQ(ErrorClassOf(ShmCreateExclusive("/" + made_by_01, 0600, 100).status()), kErrInUse);
}

TEST(ShmObjectWinTest, ANewObjectHoldsItsLockUntilClosed) {
  const std::string object_name = "/" + win::UniqueTestName("shmobj");
  absl::StatusOr<ShmObject> created = ShmCreateExclusive(object_name, 0600, 64);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_TRUE(TryLockObject(*created, ObjectLock::kExclusive).ok());  // already ours
  EXPECT_EQ(ErrorClassOf(TryLockFromAnotherThread(object_name)), kErrInUse);
  absl::StatusOr<ShmObject> opened = ShmOpen(object_name, ShmAccess::kReadWrite);
  ASSERT_TRUE(opened.ok()) << opened.status();
  UnlockObject(*created);
  EXPECT_TRUE(TryLockFromAnotherThread(object_name).ok());
  ASSERT_TRUE(TryLockObject(*created, ObjectLock::kExclusive).ok());
  *created = ShmObject();  // closing lets go too
  EXPECT_TRUE(TryLockFromAnotherThread(object_name).ok());
}

TEST(ShmObjectWinTest, ALockWhoseHolderDiedIsHandedOver) {
  const std::string object_name = "/" + win::UniqueTestName("shmobj");
  absl::StatusOr<ShmObject> created = ShmCreateExclusive(object_name, 0600, 64);
  ASSERT_TRUE(created.ok()) << created.status();
  UnlockObject(*created);
  // A thread takes the lock and ends without letting go: the mutex is
  // abandoned, as when a process dies holding it.
  ShmObject holder;
  std::thread([&] {
    absl::StatusOr<ShmObject> mine = ShmOpen(object_name, ShmAccess::kReadOnly);
    ASSERT_TRUE(mine.ok()) << mine.status();
    ASSERT_TRUE(TryLockObject(*mine, ObjectLock::kExclusive).ok());
    holder = *std::move(mine);
  }).join();
  EXPECT_TRUE(TryLockObject(*created, ObjectLock::kShared).ok());
}

TEST(ShmObjectWinTest, AMappingAloneKeepsTheNameOpenable) {
  // Windows drops a mapping's name with its last handle, even while views
  // remain; a Mapping holds a handle so that its segment can still be opened.
  const std::string object_name = "/" + win::UniqueTestName("shmobj");
  absl::StatusOr<ShmObject> created = ShmCreateExclusive(object_name, 0600, 64);
  ASSERT_TRUE(created.ok()) << created.status();
  absl::StatusOr<Mapping> view = Mapping::Map(*created, 64, ShmAccess::kReadWrite);
  ASSERT_TRUE(view.ok()) << view.status();
  *created = ShmObject();
  EXPECT_TRUE(ShmOpen(object_name, ShmAccess::kReadOnly).ok());
  view->Reset();
  EXPECT_EQ(ErrorClassOf(ShmOpen(object_name, ShmAccess::kReadOnly).status()), kErrNotFound);
}

TEST(ShmObjectWinTest, SizeIsFixedAndNothingIsListedOrUnlinked) {
  const std::string object_name = "/" + win::UniqueTestName("shmobj");
  absl::StatusOr<ShmObject> created = ShmCreateExclusive(object_name, 01600, 5000);
  ASSERT_TRUE(created.ok()) << created.status();
  absl::StatusOr<ObjectInfo> info = StatObject(*created);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->size, 5000u);
  EXPECT_EQ(info->mode, 0600u);  // no mode bits, so never the creating mark
  EXPECT_TRUE(ResizeObject(*created, 5000).ok());
  EXPECT_EQ(ResizeObject(*created, 5001).code(), absl::StatusCode::kUnimplemented);
  EXPECT_TRUE(SetObjectMode(*created, 0600).ok());
  EXPECT_EQ(ListShmObjects().status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(ShmBytesAvailable(), std::numeric_limits<uint64_t>::max());
  EXPECT_TRUE(ShmUnlink(object_name).ok());
  EXPECT_TRUE(ShmOpen(object_name, ShmAccess::kReadOnly).ok()) << "unlink removed it";
  EXPECT_EQ(ErrorClassOf(ShmOpen("/" + win::UniqueTestName("shmobj"), ShmAccess::kReadOnly)
                             .status()),
            kErrNotFound);
  EXPECT_EQ(ErrorClassOf(Mapping::Map(*created, 0, ShmAccess::kReadOnly).status()),
            kErrInvalidArgument);
}

}  // namespace
}  // namespace platform
}  // namespace ipckit
