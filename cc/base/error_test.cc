#include "cc/base/error.h"

#include <cerrno>

#include "gtest/gtest.h"

namespace ipckit {
namespace {

TEST(ErrorTest, ClassTravelsWithStatus) {
  absl::Status s = TruncatedError("frame cut at byte 3");
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(ErrorClassOf(s), "truncated");
  EXPECT_EQ(s.message(), "frame cut at byte 3");
  // Same code, different class: the payload is what tells them apart.
  EXPECT_EQ(ErrorClassOf(CorruptError("x")), "corrupt");
}

TEST(ErrorTest, ClassDerivedFromCodeWithoutPayload) {
  EXPECT_EQ(ErrorClassOf(absl::OkStatus()), "");
  EXPECT_EQ(ErrorClassOf(absl::DeadlineExceededError("x")), "timeout");
  EXPECT_EQ(ErrorClassOf(absl::InternalError("x")), "io");
}

TEST(ErrorTest, ErrnoMapping) {
  EXPECT_EQ(ErrorClassOf(ErrnoError(ENOENT, "open")), "not_found");
  EXPECT_EQ(ErrorClassOf(ErrnoError(EADDRINUSE, "bind")), "in_use");
  EXPECT_EQ(ErrorClassOf(ErrnoError(EPIPE, "write")), "peer_closed");
  EXPECT_EQ(ErrorClassOf(ErrnoError(EIO, "read")), "io");
  EXPECT_EQ(ErrnoError(ENOENT, "open /x").message(), "open /x: No such file or directory");
}

}  // namespace
}  // namespace ipckit
