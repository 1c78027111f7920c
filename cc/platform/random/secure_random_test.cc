#include "cc/platform/random/secure_random.h"

#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "gtest/gtest.h"

namespace ipckit {
namespace {

TEST(SecureRandomTest, GivesTheBytesAskedFor) {
  for (size_t n : {0, 1, 16, 4096}) {
    absl::StatusOr<std::string> bytes = SecureRandomBytes(n);
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    EXPECT_EQ(bytes->size(), n);
  }
}

TEST(SecureRandomTest, DrawsDiffer) {
  // 16 random bytes repeat with probability 2^-128: a repeat is a broken source.
  std::set<std::string> seen;
  for (int i = 0; i < 32; ++i) {
    absl::StatusOr<std::string> bytes = SecureRandomBytes(16);
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    EXPECT_TRUE(seen.insert(*bytes).second);
  }
  // And the bytes are not all one value (an unfilled buffer stays zero).
  absl::StatusOr<std::string> big = SecureRandomBytes(4096);
  ASSERT_TRUE(big.ok());
  EXPECT_NE(big->find_first_not_of((*big)[0]), std::string::npos);
}

TEST(SecureRandomTest, HexIsLowerCaseTwoDigitsPerByte) {
  absl::StatusOr<std::string> hex = SecureRandomHex(16);
  ASSERT_TRUE(hex.ok()) << hex.status();
  ASSERT_EQ(hex->size(), 32u);
  for (char c : *hex) EXPECT_TRUE(absl::ascii_isdigit(c) || (c >= 'a' && c <= 'f')) << *hex;
}

}  // namespace
}  // namespace ipckit
