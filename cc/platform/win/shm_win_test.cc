#include "cc/platform/win/shm_win.h"

#include <windows.h>

#include <atomic>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "cc/base/error.h"
#include "gtest/gtest.h"

namespace ipckit {
namespace platform {
namespace win {
namespace {

std::string UniqueName() {
  static std::atomic<int> counter{0};
  return absl::StrCat("ipckit-test-shm-", ::GetCurrentProcessId(), "-", counter++);
}

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
  // The test's working directory is its runfiles root.
  std::wstring command = L"cc\\platform\\win\\shm_win_peer.exe " + std::wstring(name.begin(), name.end());
  STARTUPINFOW si{};
  si.cb = sizeof(si);
  PROCESS_INFORMATION pi{};
  ASSERT_TRUE(::CreateProcessW(nullptr, &command[0], nullptr, nullptr, FALSE, 0, nullptr, nullptr, &si, &pi))
      << ::GetLastError();
  ::CloseHandle(pi.hThread);
  ASSERT_EQ(::WaitForSingleObject(pi.hProcess, 30000), WAIT_OBJECT_0);
  DWORD code = 99;
  ::GetExitCodeProcess(pi.hProcess, &code);
  ::CloseHandle(pi.hProcess);
  EXPECT_EQ(code, 0u);
  EXPECT_EQ(std::string(m->data(), 4), "pong");
}

}  // namespace
}  // namespace win
}  // namespace platform
}  // namespace ipckit
