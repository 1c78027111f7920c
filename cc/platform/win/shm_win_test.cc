#include "cc/platform/win/shm_win.h"

#include <windows.h>

#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "cc/base/error.h"
#include "cc/platform/win/test_util_win.h"
#include "gtest/gtest.h"

namespace ipckit {
namespace platform {
namespace win {
namespace {

std::string UniqueName() { return UniqueTestName("shm"); }

TEST(FileMappingTest, TwoViewsShareBytes) {
  const std::string name = UniqueName();
  absl::StatusOr<FileMapping> owner = FileMapping::Create(name, 10000);
  ASSERT_TRUE(owner.ok()) << owner.status();
  EXPECT_EQ(owner->size(), 10000u);
  EXPECT_EQ(owner->data()[9999], 0);  // zero-filled
  absl::StatusOr<FileMapping> other = FileMapping::Open(name);
  ASSERT_TRUE(other.ok()) << other.status();
  // A reader sees whole pages.
  EXPECT_GE(other->size(), 10000u);
  EXPECT_EQ(other->size() % 4096, 0u);
  std::memcpy(owner->data() + 9000, "abc", 3);
  EXPECT_EQ(std::string(other->data() + 9000, 3), "abc");
}

TEST(FileMappingTest, LocalPrefixNamesTheSameObjectAsABareName) {
  // ipckit names a mapping Local\{name}; ipckit 0.1 passes {name} bare, which
  // is the same session-namespace object.
  const std::string name = UniqueName();
  absl::StatusOr<FileMapping> ours = FileMapping::Create("Local\\" + name, 64);
  ASSERT_TRUE(ours.ok()) << ours.status();
  absl::StatusOr<FileMapping> theirs = FileMapping::Open(name);
  ASSERT_TRUE(theirs.ok()) << theirs.status();
  std::memcpy(theirs->data(), "0.1", 3);
  EXPECT_EQ(std::string(ours->data(), 3), "0.1");
  EXPECT_EQ(ErrorClassOf(FileMapping::Create(name, 64).status()), kErrInUse);
}

TEST(FileMappingTest, CreateOnAnExistingNameIsInUse) {
  const std::string name = UniqueName();
  absl::StatusOr<FileMapping> first = FileMapping::Create(name, 64);
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<FileMapping> second = FileMapping::Create(name, 64);
  EXPECT_EQ(ErrorClassOf(second.status()), kErrInUse) << second.status();
}

TEST(FileMappingTest, OpenMissingIsNotFoundAndSizeZeroIsInvalid) {
  EXPECT_EQ(ErrorClassOf(FileMapping::Open(UniqueName()).status()), kErrNotFound);
  EXPECT_EQ(ErrorClassOf(FileMapping::Create(UniqueName(), 0).status()), kErrInvalidArgument);
}

TEST(FileMappingTest, GoneWhenTheLastHolderCloses) {
  const std::string name = UniqueName();
  {
    absl::StatusOr<FileMapping> m = FileMapping::Create(name, 64);
    ASSERT_TRUE(m.ok()) << m.status();
    ASSERT_TRUE(FileMapping::Open(name).ok());
  }
  EXPECT_EQ(ErrorClassOf(FileMapping::Open(name).status()), kErrNotFound);
  // And the name can be created again.
  EXPECT_TRUE(FileMapping::Create(name, 64).ok());
}

TEST(FileMappingTest, AnotherProcessReadsAndWrites) {
  const std::string name = UniqueName();
  absl::StatusOr<FileMapping> m = FileMapping::Create(name, 4096);
  ASSERT_TRUE(m.ok()) << m.status();
  std::memcpy(m->data(), "ping", 4);
  absl::StatusOr<UniqueHandle> child =
      StartProcess(L"cc\\platform\\win\\shm_win_peer.exe " + std::wstring(name.begin(), name.end()));
  ASSERT_TRUE(child.ok()) << child.status();
  absl::StatusOr<uint32_t> code = WaitForExitCode(child->get(), absl::Seconds(30));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 0u);
  EXPECT_EQ(std::string(m->data(), 4), "pong");
}

}  // namespace
}  // namespace win
}  // namespace platform
}  // namespace ipckit
