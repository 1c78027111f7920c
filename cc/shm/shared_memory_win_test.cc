// SharedMemory on Windows (spec/windows.md, "Shared memory"), with other
// processes: shared_memory_peer.exe in its stdin-free modes, started and
// killed through cc/platform/io/child_process.h.
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cc/base/error.h"
#include "cc/platform/io/child_process.h"
#include "cc/platform/shm/shm_object.h"
#include "cc/shm/shared_memory.h"
#include "cc/shm/shared_memory_test_util.h"
#include "gtest/gtest.h"

namespace ipckit {
namespace {

using shm_test::SegmentExists;
using shm_test::UniqueSegmentName;

// Relative to the runfiles root, the test's working directory (".exe" added).
constexpr char kPeerPath[] = "cc/shm/shared_memory_peer";

// Opens `name` once another process has made it: not_found until then, so
// this waits for the event "the name exists", up to 30 s.
absl::StatusOr<SharedMemory> OpenOnceMade(const std::string& name) {
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (true) {
    absl::StatusOr<SharedMemory> shm = SharedMemory::Open(name, absl::Seconds(5));
    if (ErrorClassOf(shm.status()) != kErrNotFound || absl::Now() > deadline) return shm;
    absl::SleepFor(absl::Milliseconds(1));
  }
}

// The raw object `name` once another process has made it, as above.
absl::StatusOr<platform::ShmObject> HoldOnceMade(const std::string& name) {
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (true) {
    absl::StatusOr<platform::ShmObject> object =
        platform::ShmOpen("/" + name, platform::ShmAccess::kReadOnly);
    if (ErrorClassOf(object.status()) != kErrNotFound || absl::Now() > deadline) return object;
    absl::SleepFor(absl::Milliseconds(1));
  }
}

// Whether `expected` appears at `offset` within 30 s: the peer writes its
// text just after Create has published the segment.
bool WaitForBytes(const SharedMemory& shm, size_t offset, const std::string& expected) {
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (*shm.Read(offset, expected.size()) != expected) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(1));
  }
  return true;
}

void ExpectExitCode(pid_t pid, int code) {
  absl::StatusOr<int> status = WaitChild(pid, absl::Seconds(30));
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_TRUE(ExitedWithCode(*status, code)) << DescribeWaitStatus(*status);
}

TEST(SharedMemoryWinTest, CreatedHereReadAndChangedByAnotherProcess) {
  const std::string name = UniqueSegmentName();
  absl::StatusOr<SharedMemory> shm = SharedMemory::Create(name, 4096);
  ASSERT_TRUE(shm.ok()) << shm.status();
  EXPECT_TRUE(shm->is_owner());
  ASSERT_TRUE(shm->Write(100, "hello-from-test").ok());
  absl::StatusOr<pid_t> peer =
      SpawnChild(kPeerPath, {"reply", name, "100", "hello-from-test", "4090", "peer!!"});
  ASSERT_TRUE(peer.ok()) << peer.status();
  ExpectExitCode(*peer, 0);
  EXPECT_EQ(*shm->Read(4090, 6), "peer!!");
  EXPECT_EQ(std::string(shm->data().data() + 4090, 6), "peer!!");
}

TEST(SharedMemoryWinTest, CreatedByAnotherProcessOutlivesItWhileHeld) {
  const std::string name = UniqueSegmentName();
  absl::StatusOr<pid_t> peer =
      SpawnChild(kPeerPath, {"create_until", name, "8192", "peer-says-hi", "8000", "bye"});
  ASSERT_TRUE(peer.ok()) << peer.status();
  absl::StatusOr<SharedMemory> shm = OpenOnceMade(name);
  ASSERT_TRUE(shm.ok()) << shm.status();
  EXPECT_FALSE(shm->is_owner());
  EXPECT_EQ(shm->size(), 8192u);  // from the header, not the page-rounded view
  EXPECT_EQ(shm->creator_pid(), static_cast<uint32_t>(*peer));
  EXPECT_TRUE(WaitForBytes(*shm, 0, "peer-says-hi"));
  ASSERT_TRUE(shm->Write(8000, "bye").ok());
  ExpectExitCode(*peer, 0);

  // No unlink on Windows: the owner is gone, but the mapping lives while
  // anyone holds it, and goes with its last holder.
  EXPECT_EQ(*shm->Read(0, 12), "peer-says-hi");
  EXPECT_TRUE(SegmentExists(name));
  shm->Close();
  EXPECT_FALSE(SegmentExists(name));
}

TEST(SharedMemoryWinTest, UnlinkHasNoEffectAndTheLastHolderEndsTheSegment) {
  const std::string name = UniqueSegmentName();
  {
    absl::StatusOr<SharedMemory> owner = SharedMemory::Create(name, 64);
    ASSERT_TRUE(owner.ok()) << owner.status();
    ASSERT_TRUE(owner->Write(0, "kept").ok());
    EXPECT_TRUE(owner->Unlink().ok());
    absl::StatusOr<SharedMemory> opener = SharedMemory::Open(name);
    ASSERT_TRUE(opener.ok()) << opener.status();
    EXPECT_EQ(*opener->Read(0, 4), "kept");
    EXPECT_EQ(ErrorClassOf(SharedMemory::Create(name, 64).status()), kErrInUse);
  }
  EXPECT_FALSE(SegmentExists(name));
  EXPECT_TRUE(SharedMemory::Create(name, 64).ok());
}

// The creation lock is a named mutex: a creator killed mid-creation leaves it
// abandoned, and an opener judges the half-made segment at once instead of
// waiting for a creator that will never publish it.
TEST(SharedMemoryWinTest, CreatorKilledMidCreationIsToldAtOnce) {
  const std::string name = UniqueSegmentName();
  absl::StatusOr<pid_t> peer = SpawnChild(kPeerPath, {"create_hang", name, "4096", "sized"});
  ASSERT_TRUE(peer.ok()) << peer.status();
  // Holding the object keeps it after the creator dies. It exists only once
  // its creator holds the lock, so from here on the creator is alive or dead,
  // never "not yet locked".
  absl::StatusOr<platform::ShmObject> held = HoldOnceMade(name);
  ASSERT_TRUE(held.ok()) << held.status();
  absl::Status waiting = SharedMemory::Open(name, absl::Milliseconds(50)).status();
  EXPECT_EQ(ErrorClassOf(waiting), kErrTimeout) << waiting;

  KillChild(*peer);
  const absl::Time start = absl::Now();
  absl::Status dead = SharedMemory::Open(name, absl::Seconds(20)).status();
  EXPECT_EQ(ErrorClassOf(dead), kErrCorrupt) << dead;
  EXPECT_LT(absl::Now() - start, absl::Seconds(10)) << "waited for a dead creator";
  // Nothing to reclaim by name: the object goes when its last holder does.
  EXPECT_EQ(ErrorClassOf(SharedMemory::Create(name, 64).status()), kErrInUse);
  *held = platform::ShmObject();
  absl::StatusOr<SharedMemory> fresh = SharedMemory::Create(name, 64);
  EXPECT_TRUE(fresh.ok()) << fresh.status();
}

TEST(SharedMemoryWinTest, ListingIsUnimplemented) {
  EXPECT_EQ(SharedMemory::FindStale().status().code(), absl::StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace ipckit
