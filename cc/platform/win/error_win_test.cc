#include "cc/platform/win/error_win.h"

#include <windows.h>

#include "cc/base/error.h"
#include "gtest/gtest.h"

namespace ipckit {
namespace platform {
namespace {

TEST(WindowsErrorTest, ClassesMatchTheErrnoMapping) {
  EXPECT_EQ(ErrorClassOf(WindowsError(ERROR_FILE_NOT_FOUND, "x")), kErrNotFound);
  EXPECT_EQ(ErrorClassOf(WindowsError(ERROR_ALREADY_EXISTS, "x")), kErrInUse);
  EXPECT_EQ(ErrorClassOf(WindowsError(ERROR_PIPE_BUSY, "x")), kErrInUse);
  EXPECT_EQ(ErrorClassOf(WindowsError(ERROR_ACCESS_DENIED, "x")), kErrPermissionDenied);
  EXPECT_EQ(ErrorClassOf(WindowsError(ERROR_BROKEN_PIPE, "x")), kErrPeerClosed);
  EXPECT_EQ(ErrorClassOf(WindowsError(WAIT_TIMEOUT, "x")), kErrTimeout);
  EXPECT_EQ(ErrorClassOf(WindowsError(ERROR_INVALID_PARAMETER, "x")), kErrInvalidArgument);
  EXPECT_EQ(ErrorClassOf(WindowsError(ERROR_DISK_FULL, "x")), kErrIo);
}

TEST(WindowsErrorTest, MessageNamesContextAndCode) {
  const absl::Status s = WindowsError(ERROR_FILE_NOT_FOUND, "open pipe 'jobs'");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(s.message().find("open pipe 'jobs': "), absl::string_view::npos) << s;
  EXPECT_NE(s.message().find("(Win32 error 2)"), absl::string_view::npos) << s;
}

TEST(WindowsErrorTest, RealFailureFromTheSystem) {
  const HANDLE h = ::CreateFileW(L"Z:\\ipckit-no-such-dir\\no-such-file", GENERIC_READ, 0, nullptr,
                                 OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr);
  ASSERT_EQ(h, INVALID_HANDLE_VALUE);
  EXPECT_EQ(ErrorClassOf(WindowsError(::GetLastError(), "open")), kErrNotFound);
}

}  // namespace
}  // namespace platform
}  // namespace ipckit
