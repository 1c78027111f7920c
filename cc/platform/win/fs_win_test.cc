#include "cc/platform/win/fs_win.h"

#include <windows.h>

#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cc/base/deadline.h"
#include "cc/base/error.h"
#include "cc/platform/win/test_util_win.h"
#include "cc/platform/win/wide_win.h"
#include "gtest/gtest.h"

namespace ipckit {
namespace platform {
namespace win {
namespace {

Deadline In(absl::Duration d) { return Deadline::After(d); }

// A fresh directory under the test's TEST_TMPDIR (wine_run.sh gives it as a
// Z: path) or the Windows temp directory.
std::string FreshDir() {
  std::string base;
  if (const char* t = std::getenv("TEST_TMPDIR")) {
    base = t;
  } else {
    wchar_t buf[MAX_PATH];
    const DWORD n = ::GetTempPathW(MAX_PATH, buf);
    base.assign(buf, buf + n);  // ASCII in practice
  }
  const std::string dir = absl::StrCat(base, "\\", UniqueTestName("fs"));
  EXPECT_TRUE(::CreateDirectoryW(Widen(dir).c_str(), nullptr)) << ::GetLastError();
  return dir;
}

void WriteWhole(const std::string& path, const std::string& text) {
  absl::StatusOr<UniqueHandle> h = OpenShared(path, /*create=*/true);
  ASSERT_TRUE(h.ok()) << h.status();
  DWORD n = 0;
  ASSERT_TRUE(::WriteFile(h->get(), text.data(), static_cast<DWORD>(text.size()), &n, nullptr));
  ASSERT_TRUE(::SetEndOfFile(h->get()));
}

std::string ReadWhole(const std::string& path) {
  UniqueHandle h(::CreateFileW(Widen(path).c_str(), GENERIC_READ,
                               FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr, OPEN_EXISTING,
                               FILE_ATTRIBUTE_NORMAL, nullptr));
  if (!h.valid()) return absl::StrCat("<open failed: ", ::GetLastError(), ">");
  std::string out(4096, '\0');
  DWORD n = 0;
  ::ReadFile(h.get(), &out[0], static_cast<DWORD>(out.size()), &n, nullptr);
  out.resize(n);
  return out;
}

// Wine exports wine_get_version from ntdll; Windows does not.
bool UnderWine() {
  return ::GetProcAddress(::GetModuleHandleW(L"ntdll.dll"), "wine_get_version") != nullptr;
}

TEST(LockTest, ExclusiveAcrossHandlesAndFreedOnClose) {
  const std::string path = FreshDir() + "\\.lock";
  absl::StatusOr<UniqueHandle> first = OpenShared(path, /*create=*/true);
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<UniqueHandle> second = OpenShared(path, /*create=*/false);
  ASSERT_TRUE(second.ok()) << second.status();
  ASSERT_TRUE(LockExclusive(first->get(), In(absl::Seconds(5)), ".lock").ok());
  const absl::Status busy = LockExclusive(second->get(), In(absl::Milliseconds(50)), ".lock");
  EXPECT_EQ(ErrorClassOf(busy), kErrTimeout) << busy;
  first->reset();  // closing the holder's handle drops its lock
  EXPECT_TRUE(LockExclusive(second->get(), In(absl::Seconds(5)), ".lock").ok());
  Unlock(second->get());
}

TEST(ReplaceTest, ReplacesWhileAReaderSharesDelete) {
  const std::string dir = FreshDir();
  WriteWhole(dir + "\\channel.json", "old");
  WriteWhole(dir + "\\channel.json.tmp", "new");
  absl::StatusOr<UniqueHandle> reader = OpenShared(dir + "\\channel.json", /*create=*/false);
  ASSERT_TRUE(reader.ok()) << reader.status();
  const absl::Status s =
      ReplaceByMove(dir + "\\channel.json.tmp", dir + "\\channel.json", In(absl::Milliseconds(200)));
  if (UnderWine()) {
    // Wine 8 refuses to rename over any open file, FILE_SHARE_DELETE or not
    // (spec/windows.md); the retry then sees it through once the reader goes.
    EXPECT_EQ(ErrorClassOf(s), kErrInUse) << s;
    reader->reset();
    ASSERT_TRUE(ReplaceByMove(dir + "\\channel.json.tmp", dir + "\\channel.json", In(absl::Seconds(5))).ok());
  } else {
    ASSERT_TRUE(s.ok()) << s;
  }
  EXPECT_EQ(ReadWhole(dir + "\\channel.json"), "new");
}

TEST(ReplaceTest, WaitsOutAReaderWithoutShareDelete) {
  const std::string dir = FreshDir();
  WriteWhole(dir + "\\channel.json", "old");
  WriteWhole(dir + "\\channel.json.tmp", "new");
  // As 0.1's Rust std::fs opens a file: no FILE_SHARE_DELETE.
  UniqueHandle reader(::CreateFileW(Widen(dir + "\\channel.json").c_str(), GENERIC_READ, FILE_SHARE_READ, nullptr,
                                    OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr));
  ASSERT_TRUE(reader.valid()) << ::GetLastError();
  const absl::Status blocked =
      ReplaceByMove(dir + "\\channel.json.tmp", dir + "\\channel.json", In(absl::Milliseconds(100)));
  EXPECT_EQ(ErrorClassOf(blocked), kErrInUse) << blocked;
  EXPECT_EQ(ReadWhole(dir + "\\channel.json"), "old");
  reader.reset();
  ASSERT_TRUE(ReplaceByMove(dir + "\\channel.json.tmp", dir + "\\channel.json", In(absl::Seconds(5))).ok());
  EXPECT_EQ(ReadWhole(dir + "\\channel.json"), "new");
}

TEST(DirWatchTest, ReportsChangesAndTimesOutWithoutThem) {
  const std::string dir = FreshDir();
  absl::StatusOr<DirWatch> watch = DirWatch::Open(dir);
  ASSERT_TRUE(watch.ok()) << watch.status();
  absl::StatusOr<bool> quiet = watch->Wait(In(absl::Milliseconds(50)));
  ASSERT_TRUE(quiet.ok()) << quiet.status();
  EXPECT_FALSE(*quiet);

  WriteWhole(dir + "\\frontend_to_backend.json", "[]");
  absl::StatusOr<bool> changed = watch->Wait(In(absl::Seconds(10)));
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_TRUE(*changed);

  // A change made while nobody waits is reported by the next Wait.
  WriteWhole(dir + "\\backend_to_frontend.json", "[]");
  changed = watch->Wait(In(absl::Seconds(10)));
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_TRUE(*changed);
}

}  // namespace
}  // namespace win
}  // namespace platform
}  // namespace ipckit
