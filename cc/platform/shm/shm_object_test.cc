#include "cc/platform/shm/shm_object.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "cc/base/error.h"
#include "cc/platform/shm/mapping.h"
#include "gtest/gtest.h"

namespace ipckit {
namespace platform {
namespace {

// getpid() alone is not unique: sandboxed tests run in their own pid namespaces
// but share /dev/shm.
std::string UniqueObjectName() {
  static const uint64_t run = (uint64_t{std::random_device()()} << 32) | std::random_device()();
  static int counter = 0;
  return absl::StrCat("/ipckit_platshm_", ::getpid(), "_", absl::Hex(run), "_", counter++);
}

struct Cleanup {
  std::string object_name;
  ~Cleanup() { (void)ShmUnlink(object_name); }
};

TEST(ShmObjectTest, CreateStatMapListUnlink) {
  const std::string object_name = UniqueObjectName();
  Cleanup cleanup{object_name};
  absl::StatusOr<ShmObject> object = ShmCreateExclusive(object_name, 0600, 5000);
  ASSERT_TRUE(object.ok()) << object.status();
  EXPECT_EQ(ErrorClassOf(ShmCreateExclusive(object_name, 0600, 5000).status()), kErrInUse);
  ASSERT_TRUE(ResizeObject(*object, 5000).ok());
  absl::StatusOr<ObjectInfo> info = StatObject(*object);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->size, 5000u);
  EXPECT_EQ(info->mode, 0600u);
  EXPECT_EQ(info->owner_uid, static_cast<uint32_t>(::geteuid()));

  absl::StatusOr<Mapping> writer = Mapping::Map(*object, 5000, ShmAccess::kReadWrite);
  ASSERT_TRUE(writer.ok()) << writer.status();
  std::memcpy(writer->data() + 4990, "0123456789", 10);
  absl::StatusOr<ShmObject> again = ShmOpen(object_name, ShmAccess::kReadOnly);
  ASSERT_TRUE(again.ok()) << again.status();
  absl::StatusOr<Mapping> reader = Mapping::Map(*again, 5000, ShmAccess::kReadOnly);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ(std::string(reader->data() + 4990, 10), "0123456789");
  Mapping moved = std::move(*reader);
  EXPECT_FALSE(reader->valid());
  EXPECT_EQ(moved.size(), 5000u);
  moved.Reset();
  EXPECT_FALSE(moved.valid());

  absl::StatusOr<std::vector<std::string>> names = ListShmObjects();
  ASSERT_TRUE(names.ok()) << names.status();
  EXPECT_NE(std::find(names->begin(), names->end(), object_name.substr(1)), names->end());

  ObjectId other = info->id;
  other.inode += 1;
  EXPECT_EQ(ErrorClassOf(ShmUnlinkIfSame(object_name, other)), kErrInUse);
  EXPECT_TRUE(ShmOpen(object_name, ShmAccess::kReadOnly).ok()) << "removed the wrong object";
  EXPECT_TRUE(ShmUnlinkIfSame(object_name, info->id).ok());
  EXPECT_EQ(ErrorClassOf(ShmOpen(object_name, ShmAccess::kReadOnly).status()), kErrNotFound);
  EXPECT_EQ(ErrorClassOf(ShmUnlink(object_name)), kErrNotFound);
  EXPECT_EQ(ErrorClassOf(ShmUnlinkIfSame(object_name, info->id)), kErrNotFound);
}

TEST(ShmObjectTest, RefusesEmptyMappingAndMissingObjects) {
  const std::string object_name = UniqueObjectName();
  Cleanup cleanup{object_name};
  absl::StatusOr<ShmObject> object = ShmCreateExclusive(object_name, 0600, 64);
  ASSERT_TRUE(object.ok()) << object.status();
  EXPECT_EQ(ErrorClassOf(Mapping::Map(*object, 0, ShmAccess::kReadOnly).status()),
            kErrInvalidArgument);
  EXPECT_EQ(ErrorClassOf(ShmOpen(UniqueObjectName(), ShmAccess::kReadWrite).status()),
            kErrNotFound);
  EXPECT_GT(ShmBytesAvailable(), 0u);
}

}  // namespace
}  // namespace platform
}  // namespace ipckit
