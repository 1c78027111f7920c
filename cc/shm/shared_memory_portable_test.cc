// The SharedMemory tests that hold on every OS: arguments, bounds, Close.
// shared_memory_test.cc (POSIX) and shared_memory_win_test.cc (Windows) hold
// the OS-specific ones, with other processes.
#include <cstddef>
#include <limits>
#include <string>

#include "cc/base/error.h"
#include "cc/shm/shared_memory.h"
#include "cc/shm/shared_memory_test_util.h"
#include "cc/shm/shm_header.h"
#include "gtest/gtest.h"

namespace ipckit {
namespace {

using shm_test::SegmentExists;
using shm_test::UniqueSegmentName;

TEST(SharedMemoryTest, RefusesBadArguments) {
  const std::string name = UniqueSegmentName();
  EXPECT_EQ(ErrorClassOf(SharedMemory::Open(name).status()), kErrNotFound);
  for (const std::string& bad :
       {std::string(""), std::string("a/b"), std::string("../x"), std::string(".hidden"),
        std::string(65, 'x'), std::string("nul\0x", 5)}) {
    EXPECT_EQ(ErrorClassOf(SharedMemory::Create(bad, 64).status()), kErrInvalidArgument) << bad;
    EXPECT_EQ(ErrorClassOf(SharedMemory::Open(bad).status()), kErrInvalidArgument) << bad;
    EXPECT_EQ(ErrorClassOf(SharedMemory::RemoveIfStale(bad)), kErrInvalidArgument) << bad;
  }
  absl::Status zero = SharedMemory::Create(name, 0).status();
  EXPECT_EQ(ErrorClassOf(zero), kErrInvalidArgument);
  EXPECT_NE(zero.message().find(name), absl::string_view::npos) << zero;
  EXPECT_EQ(ErrorClassOf(SharedMemory::Create(name, shm::kMaxUserSize + 1).status()), kErrTooLarge);
  EXPECT_FALSE(SegmentExists(name)) << "a refused Create left an object behind";

  absl::StatusOr<SharedMemory> first = SharedMemory::Create(name, 64);
  ASSERT_TRUE(first.ok()) << first.status();
  absl::Status twice = SharedMemory::Create(name, 64).status();
  EXPECT_EQ(ErrorClassOf(twice), kErrInUse) << twice;
  EXPECT_TRUE(first->Write(0, "still mine").ok());
  EXPECT_EQ(*first->Read(0, 10), "still mine");
}

TEST(SharedMemoryTest, BoundsAreCheckedWithoutOverflow) {
  const std::string name = UniqueSegmentName();
  absl::StatusOr<SharedMemory> shm = SharedMemory::Create(name, 100);
  ASSERT_TRUE(shm.ok()) << shm.status();
  constexpr size_t kMax = std::numeric_limits<size_t>::max();
  EXPECT_EQ(*shm->Read(100, 0), "");
  EXPECT_TRUE(shm->Write(100, "").ok());
  EXPECT_EQ(shm->Read(0, 100)->size(), 100u);
  EXPECT_EQ(shm->ReadAll()->size(), 100u);
  EXPECT_TRUE(shm->Write(98, "ab").ok());

  absl::Status past = shm->Read(90, 11).status();
  EXPECT_EQ(ErrorClassOf(past), kErrOutOfRange);
  EXPECT_NE(past.message().find("11 bytes at offset 90"), absl::string_view::npos) << past;
  EXPECT_NE(past.message().find("size 100"), absl::string_view::npos) << past;
  EXPECT_NE(past.message().find(name), absl::string_view::npos) << past;
  EXPECT_EQ(ErrorClassOf(shm->Read(101, 0).status()), kErrOutOfRange);
  EXPECT_EQ(ErrorClassOf(shm->Read(kMax, 2).status()), kErrOutOfRange);
  EXPECT_EQ(ErrorClassOf(shm->Read(2, kMax).status()), kErrOutOfRange);  // 2 + len wraps
  EXPECT_EQ(ErrorClassOf(shm->Write(99, "ab")), kErrOutOfRange);
  EXPECT_EQ(ErrorClassOf(shm->Write(kMax, "a")), kErrOutOfRange);

  shm->Close();
  EXPECT_FALSE(shm->is_open());
  EXPECT_TRUE(shm->data().empty());
  EXPECT_EQ(ErrorClassOf(shm->Read(0, 1).status()), kErrClosed);
  EXPECT_EQ(ErrorClassOf(shm->Write(0, "a")), kErrClosed);
  shm->Close();  // idempotent
}

}  // namespace
}  // namespace ipckit
