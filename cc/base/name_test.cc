#include "cc/base/name.h"

#include <string>

#include "cc/base/error.h"
#include "gtest/gtest.h"

namespace ipckit {
namespace {

TEST(NameTest, AcceptsPlainNames) {
  EXPECT_TRUE(ValidateName("my_pipe").ok());
  EXPECT_TRUE(ValidateName("a").ok());
  EXPECT_TRUE(ValidateName("A.b-c_9").ok());
  EXPECT_TRUE(ValidateName(std::string(kMaxNameLength, 'x')).ok());
}

TEST(NameTest, RejectsBadNamesWithReason) {
  struct Case { std::string name; std::string reason; };
  for (const Case& c : std::vector<Case>{{"", "empty"},
                                         {std::string(kMaxNameLength + 1, 'x'), "limit is 64"},
                                         {".hidden", "starts with '.'"},
                                         {"-flag", "starts with '-'"},
                                         {"a/b", "at byte 1"},
                                         {"sp ace", "at byte 2"},
                                         {std::string("nul\0x", 5), "at byte 3"}}) {
    absl::Status s = ValidateName(c.name);
    EXPECT_EQ(ErrorClassOf(s), "invalid_argument") << c.name;
    EXPECT_NE(s.message().find(c.reason), absl::string_view::npos) << s.message();
  }
}

TEST(NameTest, SocketPaths) {
  EXPECT_EQ(*SocketPathFor("my_pipe"), "/tmp/my_pipe.sock");
  EXPECT_EQ(*SocketPathFor("/run/app/x.sock"), "/run/app/x.sock");
  EXPECT_FALSE(SocketPathFor("../x").ok());
  EXPECT_FALSE(SocketPathFor("/" + std::string(kMaxSocketPathLength, 'x')).ok());
  EXPECT_TRUE(SocketPathFor("/" + std::string(kMaxSocketPathLength - 1, 'x')).ok());
}

TEST(NameTest, ShmNames) {
  EXPECT_EQ(*ShmObjectNameFor("my_shm"), "/my_shm");
  EXPECT_EQ(ErrorClassOf(ShmObjectNameFor("/abs").status()), "invalid_argument");
}

}  // namespace
}  // namespace ipckit
