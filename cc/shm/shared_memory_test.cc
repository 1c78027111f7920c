#include "cc/shm/shared_memory.h"

#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cc/base/error.h"
#include "cc/platform/io/child_process.h"
#include "cc/platform/process/process.h"
#include "cc/platform/shm/shm_object.h"
#include "cc/platform/testing/forked_child.h"
#include "cc/platform/testing/piped_process.h"
#include "cc/platform/testing/shm_plant.h"
#include "cc/shm/shared_memory_test_util.h"
#include "cc/shm/shm_header.h"
#include "gtest/gtest.h"

namespace ipckit {
namespace {

// Relative to the runfiles root, which is the test's working directory.
constexpr char kPeerPath[] = "cc/shm/shared_memory_peer";

using shm_test::UniqueSegmentName;
std::string UniqueName() { return UniqueSegmentName(); }

// Removes the name at the end of a test whatever happened.
struct NameGuard {
  std::string name;
  ~NameGuard() { (void)platform::ShmUnlink("/" + name); }
};

bool Exists(const std::string& name) {
  return platform::ShmOpen("/" + name, platform::ShmAccess::kReadOnly).ok();
}

// Makes an object by hand, as a foreign program (or ipckit 0.1) would.
void MakeRawObject(const std::string& name, absl::string_view bytes, uint64_t size) {
  platform::PlantShmObject("/" + name, std::string(bytes), size);
}

// The object's stat, as the OS reports it.
platform::ObjectInfo StatOf(const std::string& name) {
  absl::StatusOr<platform::ShmObject> object =
      platform::ShmOpen("/" + name, platform::ShmAccess::kReadOnly);
  EXPECT_TRUE(object.ok()) << object.status();
  if (!object.ok()) return {};
  absl::StatusOr<platform::ObjectInfo> info = platform::StatObject(*object);
  EXPECT_TRUE(info.ok()) << info.status();
  return info.ok() ? *info : platform::ObjectInfo();
}

// A shared_memory_peer process with pipes to its stdin and stdout.
class Peer : public platform::PipedProcess {
 public:
  explicit Peer(const std::vector<std::string>& args) : PipedProcess(kPeerPath, args) {}
};

std::string Hex(absl::string_view bytes) { return absl::BytesToHexString(bytes); }

bool ListedStale(const std::string& name, uint32_t* pid = nullptr) {
  absl::StatusOr<std::vector<StaleSegment>> stale = SharedMemory::FindStale();
  EXPECT_TRUE(stale.ok()) << stale.status();
  if (!stale.ok()) return false;
  for (const StaleSegment& s : *stale) {
    if (s.name == name) {
      if (pid != nullptr) *pid = s.creator_pid;
      return true;
    }
  }
  return false;
}

TEST(SharedMemoryTest, CreatedHereSeenAndChangedByPeer) {
  const std::string name = UniqueName();
  NameGuard guard{name};
  absl::StatusOr<SharedMemory> shm = SharedMemory::Create(name, 4096);
  ASSERT_TRUE(shm.ok()) << shm.status();
  EXPECT_TRUE(shm->is_owner());
  EXPECT_EQ(shm->size(), 4096u);
  EXPECT_EQ(shm->name(), name);
  ASSERT_TRUE(shm->Write(0, "hello from test").ok());
  std::memcpy(shm->data().data() + 1000, "span bytes", 10);

  Peer peer({"open", name});
  EXPECT_EQ(peer.ReadLine(), absl::StrCat("opened 4096 0 ", platform::CurrentProcessId()));
  peer.Send("read 0 15");
  EXPECT_EQ(peer.ReadLine(), "data " + Hex("hello from test"));
  peer.Send("peek 1000 10");
  EXPECT_EQ(peer.ReadLine(), "data " + Hex("span bytes"));
  peer.Send("poke 2000 from-peer");
  EXPECT_EQ(peer.ReadLine(), "ok");
  EXPECT_EQ(*shm->Read(2000, 9), "from-peer");
  EXPECT_EQ(std::string(shm->data().data() + 2000, 9), "from-peer");
  peer.Send("exit");
  const int status = peer.Wait();
  EXPECT_TRUE(ExitedWithCode(status, 0)) << DescribeWaitStatus(status);

  // The opener is gone; it must not have removed the name.
  EXPECT_TRUE(Exists(name));
  absl::StatusOr<SharedMemory> again = SharedMemory::Open(name);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again->Read(2000, 9), "from-peer");
}

TEST(SharedMemoryTest, CreatedByPeerSeenAndChangedHere) {
  const std::string name = UniqueName();
  NameGuard guard{name};
  Peer peer({"create", name, "8192", "peer says hi"});
  EXPECT_EQ(peer.ReadLine(), absl::StrCat("ready ", peer.pid()));

  absl::StatusOr<SharedMemory> shm = SharedMemory::Open(name);
  ASSERT_TRUE(shm.ok()) << shm.status();
  EXPECT_FALSE(shm->is_owner());
  EXPECT_EQ(shm->size(), 8192u);
  EXPECT_EQ(shm->creator_pid(), static_cast<uint32_t>(peer.pid()));
  EXPECT_EQ(*shm->Read(0, 12), "peer says hi");
  EXPECT_EQ(std::string(shm->data().data(), 12), "peer says hi");

  std::memcpy(shm->data().data() + 4000, "test reply", 10);
  peer.Send("read 4000 10");
  EXPECT_EQ(peer.ReadLine(), "data " + Hex("test reply"));
  ASSERT_TRUE(shm->Write(8191, "z").ok());
  peer.Send("peek 8191 1");
  EXPECT_EQ(peer.ReadLine(), "data " + Hex("z"));

  // The owner exits: its destructor removes the name. Our mapping still works.
  peer.Send("exit");
  const int status = peer.Wait();
  EXPECT_TRUE(ExitedWithCode(status, 0)) << DescribeWaitStatus(status);
  EXPECT_FALSE(Exists(name));
  EXPECT_EQ(ErrorClassOf(SharedMemory::Open(name).status()), kErrNotFound);
  EXPECT_EQ(*shm->Read(0, 12), "peer says hi");
}

TEST(SharedMemoryTest, OwnerDestructionUnlinksAndMovesTransferOwnership) {
  const std::string name = UniqueName();
  NameGuard guard{name};
  {
    absl::StatusOr<SharedMemory> created = SharedMemory::Create(name, 64);
    ASSERT_TRUE(created.ok()) << created.status();
    SharedMemory owner = *std::move(created);
    { SharedMemory opener = *SharedMemory::Open(name); }
    EXPECT_TRUE(Exists(name)) << "an opener's destruction removed the name";
    SharedMemory moved = std::move(owner);
    { SharedMemory gone = std::move(owner); }  // moved-from: owns nothing
    EXPECT_TRUE(Exists(name));
    EXPECT_TRUE(moved.is_owner());
  }
  EXPECT_FALSE(Exists(name));
}

TEST(SharedMemoryTest, UnlinkRemovesTheNameButKeepsTheMapping) {
  const std::string name = UniqueName();
  NameGuard guard{name};
  absl::StatusOr<SharedMemory> shm = SharedMemory::Create(name, 128);
  ASSERT_TRUE(shm.ok()) << shm.status();
  ASSERT_TRUE(shm->Write(0, "kept").ok());
  ASSERT_TRUE(shm->Unlink().ok());
  EXPECT_EQ(ErrorClassOf(SharedMemory::Open(name).status()), kErrNotFound);
  EXPECT_EQ(*shm->Read(0, 4), "kept");
}

TEST(SharedMemoryTest, OwnerNeverRemovesANameReusedBySomeoneElse) {
  const std::string name = UniqueName();
  NameGuard guard{name};
  std::unique_ptr<Peer> peer;
  {
    absl::StatusOr<SharedMemory> first = SharedMemory::Create(name, 64);
    ASSERT_TRUE(first.ok()) << first.status();
    // Someone removes the name behind the owner's back and a peer reuses it.
    ASSERT_TRUE(platform::ShmUnlink("/" + name).ok());
    peer = std::make_unique<Peer>(std::vector<std::string>{"create", name, "64", "second"});
    ASSERT_EQ(peer->ReadLine(), absl::StrCat("ready ", peer->pid()));
  }  // the first owner is destroyed here
  EXPECT_TRUE(Exists(name)) << "the first owner removed the peer's segment";
  absl::StatusOr<SharedMemory> second = SharedMemory::Open(name);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(*second->Read(0, 6), "second");
}

TEST(SharedMemoryTest, SegmentIsMode0600WhateverTheUmask) {
  // 0277 would leave 0400 without the fchmod; 0 would leave 0666 were the
  // mode passed to shm_open wider.
  for (const uint32_t mask : {0277, 0, 022, 077}) {
    SCOPED_TRACE(absl::StrCat("umask ", absl::Hex(mask)));
    const std::string name = UniqueName();
    NameGuard guard{name};
    absl::StatusOr<SharedMemory> shm = [&] {
      platform::ScopedUmask scoped(mask);
      return SharedMemory::Create(name, 64);
    }();
    ASSERT_TRUE(shm.ok()) << shm.status();
    const platform::ObjectInfo info = StatOf(name);
    EXPECT_EQ(info.mode, 0600u);
    EXPECT_EQ(info.owner_uid, platform::CurrentUserId());
  }
}

// Another user's segment is refused even where the OS would let us in (root,
// or a 0666 object), unless allow_other_users; it is never removed.
TEST(SharedMemoryTest, AnotherUsersSegmentIsRefusedUnlessAllowed) {
  if (platform::CurrentUserId() != 0) GTEST_SKIP() << "needs root to chown a segment to another user";
  const std::string name = UniqueName();
  NameGuard guard{name};
  absl::StatusOr<SharedMemory> mine = SharedMemory::Create(name, 64);
  ASSERT_TRUE(mine.ok()) << mine.status();
  ASSERT_TRUE(platform::ChownShmObject("/" + name, 65534, 65534));

  absl::Status opened = SharedMemory::Open(name).status();
  EXPECT_EQ(ErrorClassOf(opened), kErrPermissionDenied) << opened;
  EXPECT_NE(opened.message().find("65534"), absl::string_view::npos) << opened;
  EXPECT_EQ(ErrorClassOf(SharedMemory::RemoveIfStale(name)), kErrPermissionDenied);
  EXPECT_EQ(ErrorClassOf(SharedMemory::Create(name, 64).status()), kErrInUse);

  SharedMemoryOpenOptions shared;
  shared.allow_other_users = true;
  absl::StatusOr<SharedMemory> theirs = SharedMemory::Open(name, absl::Seconds(1), shared);
  ASSERT_TRUE(theirs.ok()) << theirs.status();
  EXPECT_EQ(theirs->size(), 64u);
  EXPECT_TRUE(Exists(name));
}

TEST(SharedMemoryTest, ForeignAndCorruptSegmentsAreRefusedAndKept) {
  shm::HeaderFields fields;
  fields.user_size = 4096;
  const std::string good = *shm::BuildHeader(fields);
  std::string v99 = good;
  v99[shm::kVersionOffset] = 99;
  struct Case {
    std::string what;
    std::string bytes;
    uint64_t size;
    absl::string_view error_class;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"wrong magic", std::string(64, 'J'), 4160, kErrCorrupt, "not an ipckit segment"},
      {"ipckit 0.1 raw data", "Shared data here!", 4096, kErrCorrupt, "not an ipckit segment"},
      {"version 99", v99, 4160, kErrUnsupportedVersion, "version 99"},
      {"truncated to 10 bytes", good.substr(0, 10), 10, kErrCorrupt, "truncated"},
      {"header larger than object", good, 1000, kErrCorrupt, "does not fit"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    const std::string name = UniqueName();
    NameGuard guard{name};
    MakeRawObject(name, c.bytes, c.size);
    // Judged at once, without waiting out the timeout.
    const absl::Time start = absl::Now();
    absl::Status opened = SharedMemory::Open(name, absl::Seconds(20)).status();
    EXPECT_LT(absl::Now() - start, absl::Seconds(5));
    EXPECT_EQ(ErrorClassOf(opened), c.error_class) << opened;
    EXPECT_NE(opened.message().find(c.message), absl::string_view::npos) << opened;
    EXPECT_NE(opened.message().find(name), absl::string_view::npos) << opened;
    EXPECT_EQ(ErrorClassOf(SharedMemory::RemoveIfStale(name)), c.error_class);
    absl::Status created = SharedMemory::Create(name, 64).status();
    EXPECT_EQ(ErrorClassOf(created), kErrInUse) << created;
    EXPECT_FALSE(ListedStale(name));
    EXPECT_TRUE(Exists(name)) << "a foreign object was removed";
  }
}

TEST(SharedMemoryTest, OpenTimesOutOnASegmentThatNeverBecomesReady) {
  const std::string name = UniqueName();
  NameGuard guard{name};
  shm::HeaderFields fields;
  fields.user_size = 64;
  fields.creator_pid = platform::CurrentProcessId();
  fields.state = shm::SegmentState::kInitializing;
  MakeRawObject(name, *shm::BuildHeader(fields), 128);
  const absl::Time start = absl::Now();
  absl::Status opened = SharedMemory::Open(name, absl::Milliseconds(100)).status();
  EXPECT_EQ(ErrorClassOf(opened), kErrTimeout) << opened;
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(100));
}

TEST(SharedMemoryTest, OpenWaitsForAnotherProcessToPublishReady) {
  const std::string name = UniqueName();
  NameGuard guard{name};
  shm::HeaderFields fields;
  fields.user_size = 64;
  fields.state = shm::SegmentState::kInitializing;
  MakeRawObject(name, *shm::BuildHeader(fields), 128);
  Peer peer({"publish", name, "300"});
  ASSERT_EQ(peer.ReadLine(), "waiting");
  const absl::Time start = absl::Now();
  absl::StatusOr<SharedMemory> shm = SharedMemory::Open(name, absl::Seconds(10));
  ASSERT_TRUE(shm.ok()) << shm.status();
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(200)) << "Open did not wait for ready";
  EXPECT_EQ(peer.ReadLine(), "published");
  EXPECT_EQ(shm->size(), 64u);
}

TEST(SharedMemoryTest, KilledCreatorIsStaleAndRemovable) {
  const std::string name = UniqueName();
  NameGuard guard{name};
  Peer peer({"create", name, "4096", "doomed"});
  ASSERT_EQ(peer.ReadLine(), absl::StrCat("ready ", peer.pid()));

  // Alive: never stale, never removed, never reclaimed.
  EXPECT_FALSE(ListedStale(name));
  absl::Status removed = SharedMemory::RemoveIfStale(name);
  EXPECT_EQ(ErrorClassOf(removed), kErrInUse) << removed;
  EXPECT_EQ(ErrorClassOf(SharedMemory::Create(name, 64).status()), kErrInUse);
  EXPECT_TRUE(Exists(name));

  peer.Kill();
  // Not reaped yet: a zombie has exited and counts as dead.
  for (int i = 0; i < 200 && !ListedStale(name); ++i) absl::SleepFor(absl::Milliseconds(10));
  uint32_t stale_pid = 0;
  EXPECT_TRUE(ListedStale(name, &stale_pid));
  EXPECT_EQ(stale_pid, static_cast<uint32_t>(peer.pid()));
  const int status = peer.Wait();
  EXPECT_TRUE(WasKilled(status)) << DescribeWaitStatus(status);
  EXPECT_TRUE(ListedStale(name));

  removed = SharedMemory::RemoveIfStale(name);
  EXPECT_TRUE(removed.ok()) << removed;
  EXPECT_FALSE(Exists(name));
  EXPECT_FALSE(ListedStale(name));
  EXPECT_EQ(ErrorClassOf(SharedMemory::RemoveIfStale(name)), kErrNotFound);
}

TEST(SharedMemoryTest, CreateReclaimsASegmentWhoseCreatorWasKilled) {
  const std::string name = UniqueName();
  NameGuard guard{name};
  Peer peer({"create", name, "4096", "old contents"});
  ASSERT_EQ(peer.ReadLine(), absl::StrCat("ready ", peer.pid()));
  peer.Kill();
  peer.Wait();
  EXPECT_TRUE(Exists(name));

  absl::StatusOr<SharedMemory> shm = SharedMemory::Create(name, 256);
  ASSERT_TRUE(shm.ok()) << shm.status();
  EXPECT_TRUE(shm->is_owner());
  EXPECT_EQ(shm->size(), 256u);
  EXPECT_EQ(*shm->Read(0, 12), std::string(12, '\0')) << "got the old segment back";
}

// An object of 0 bytes or all zeros that no creator holds locked is a
// half-created segment whose creator died: corrupt for Open, at once, and
// reclaimed by RemoveIfStale, FindStale and Create.
TEST(SharedMemoryTest, HalfCreatedObjectWithoutACreatorIsCorruptAndReclaimed) {
  struct Case {
    std::string what;
    uint64_t size;
  };
  for (const Case& c : std::vector<Case>{{"empty object", 0}, {"all zeros", 4160}}) {
    SCOPED_TRACE(c.what);
    const std::string name = UniqueName();
    NameGuard guard{name};
    MakeRawObject(name, "", c.size);
    const absl::Time start = absl::Now();
    absl::Status opened = SharedMemory::Open(name, absl::Seconds(20)).status();
    EXPECT_LT(absl::Now() - start, absl::Seconds(5)) << "waited for a dead creator";
    EXPECT_EQ(ErrorClassOf(opened), kErrCorrupt) << opened;
    EXPECT_NE(opened.message().find("died"), absl::string_view::npos) << opened;
    EXPECT_TRUE(ListedStale(name));
    absl::Status removed = SharedMemory::RemoveIfStale(name);
    EXPECT_TRUE(removed.ok()) << removed;
    EXPECT_FALSE(Exists(name));

    MakeRawObject(name, "", c.size);
    absl::StatusOr<SharedMemory> shm = SharedMemory::Create(name, 64);
    EXPECT_TRUE(shm.ok()) << shm.status();
  }
}

// A creator stopped (by the test hook, not by luck) right after it locked the
// new object (0 bytes) or sized it (all zeros): while it lives, Open waits and
// reports timeout, and nothing reclaims the object; once it is SIGKILLed, Open
// reports corrupt at once and the object is stale, removable and reclaimable.
TEST(SharedMemoryTest, CreatorStoppedMidCreationIsWaitedForThenReclaimedWhenKilled) {
  for (const std::string step : {"locked", "sized"}) {
    for (const bool reclaim_by_create : {false, true}) {
      SCOPED_TRACE(absl::StrCat(step, reclaim_by_create ? " create" : " remove_if_stale"));
      const std::string name = UniqueName();
      NameGuard guard{name};
      Peer creator({"create_stop", name, "4096", step});
      ASSERT_EQ(creator.ReadLine(), absl::StrCat("stopped ", creator.pid()));

      absl::Status opened = SharedMemory::Open(name, absl::Milliseconds(300)).status();
      EXPECT_EQ(ErrorClassOf(opened), kErrTimeout) << opened;
      EXPECT_FALSE(ListedStale(name));
      EXPECT_EQ(ErrorClassOf(SharedMemory::RemoveIfStale(name)), kErrInUse);
      EXPECT_EQ(ErrorClassOf(SharedMemory::Create(name, 64).status()), kErrInUse);
      EXPECT_TRUE(Exists(name));

      creator.Kill();
      creator.Wait();
      const absl::Time start = absl::Now();
      opened = SharedMemory::Open(name, absl::Seconds(20)).status();
      EXPECT_LT(absl::Now() - start, absl::Seconds(5)) << "waited for a dead creator";
      EXPECT_EQ(ErrorClassOf(opened), kErrCorrupt) << opened;
      EXPECT_TRUE(ListedStale(name));
      if (reclaim_by_create) {
        absl::StatusOr<SharedMemory> shm = SharedMemory::Create(name, 64);
        ASSERT_TRUE(shm.ok()) << shm.status();
        EXPECT_EQ(shm->size(), 64u);
      } else {
        absl::Status removed = SharedMemory::RemoveIfStale(name);
        EXPECT_TRUE(removed.ok()) << removed;
        EXPECT_FALSE(Exists(name));
      }
    }
  }
}

// Open waits for a creator that is alive but not done, and gets the segment
// when it finishes: the creator is stopped after sizing, an Open with a long
// timeout starts, and only then is the creator let go.
TEST(SharedMemoryTest, OpenWaitsForACreatorStoppedMidCreation) {
  const std::string name = UniqueName();
  NameGuard guard{name};
  Peer creator({"create_stop", name, "4096", "sized"});
  ASSERT_EQ(creator.ReadLine(), absl::StrCat("stopped ", creator.pid()));
  // Proof that it is waiting, not judging: a short Open times out.
  absl::Status short_open = SharedMemory::Open(name, absl::Milliseconds(200)).status();
  ASSERT_EQ(ErrorClassOf(short_open), kErrTimeout) << short_open;
  creator.Send("go");
  absl::StatusOr<SharedMemory> shm = SharedMemory::Open(name, absl::Seconds(20));
  ASSERT_TRUE(shm.ok()) << shm.status();
  EXPECT_EQ(shm->size(), 4096u);
  EXPECT_EQ(creator.ReadLine(), absl::StrCat("ready ", creator.pid()));
}

// Shrinking an object under a mapping makes every access past the new end
// SIGBUS. ipckit itself never resizes an existing object: Create over a live
// segment is refused, and reclaiming a dead creator's segment unlinks it and
// makes a new object, so a process still mapping the old one keeps all of it.
TEST(SharedMemoryTest, NothingIsEverTruncatedUnderAMapping) {
  const std::string name = UniqueName();
  NameGuard guard{name};
  Peer creator({"create", name, "8192", "old"});
  ASSERT_EQ(creator.ReadLine(), absl::StrCat("ready ", creator.pid()));
  absl::StatusOr<SharedMemory> mapped = SharedMemory::Open(name);
  ASSERT_TRUE(mapped.ok()) << mapped.status();
  ASSERT_TRUE(mapped->Write(8192 - 4, "tail").ok());

  // Live creator: refused, and the object keeps its size.
  EXPECT_EQ(ErrorClassOf(SharedMemory::Create(name, 64).status()), kErrInUse);
  EXPECT_EQ(StatOf(name).size, 64u + 8192u);

  // Dead creator: reclaimed as a new, smaller object; the old mapping still
  // reads its last bytes (a truncated object would raise SIGBUS here).
  creator.Kill();
  creator.Wait();
  absl::StatusOr<SharedMemory> fresh = SharedMemory::Create(name, 64);
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  EXPECT_EQ(*mapped->Read(8192 - 4, 4), "tail");
  EXPECT_EQ(std::string(mapped->data().data() + 8192 - 4, 4), "tail");
  EXPECT_EQ(fresh->size(), 64u);
}

// A recorded identity whose pid is live but whose start time differs is a
// reused pid: the creator is dead. Simulated with this process's own pid.
TEST(SharedMemoryTest, ReusedPidIsToldApartByStartTime) {
  const platform::ProcessIdentity me = platform::CurrentProcess();
  ASSERT_NE(me.start_time, 0u);
  struct Case {
    std::string what;
    platform::ProcessIdentity creator;
    bool stale;
  };
  const std::vector<Case> cases = {
      {"this process", me, false},
      {"reused pid", {me.pid, me.pid_namespace, me.start_time + 1}, true},
      {"pid from another namespace", {0x7ffffff0, me.pid_namespace + 1, 1}, false},
      {"unknown creator", {0, 0, 0}, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    const std::string name = UniqueName();
    NameGuard guard{name};
    shm::HeaderFields fields;
    fields.user_size = 64;
    fields.creator_pid = c.creator.pid;
    fields.creator_pid_namespace = c.creator.pid_namespace;
    fields.creator_start_time = c.creator.start_time;
    MakeRawObject(name, *shm::BuildHeader(fields), 128);
    EXPECT_EQ(ListedStale(name), c.stale);
    absl::Status removed = SharedMemory::RemoveIfStale(name);
    EXPECT_EQ(ErrorClassOf(removed), c.stale ? "" : kErrInUse) << removed;
    EXPECT_EQ(Exists(name), !c.stale);
  }
}

}  // namespace
}  // namespace ipckit
