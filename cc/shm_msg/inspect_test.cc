#include "cc/shm_msg/inspect.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "cc/base/error.h"
#include "cc/shm_msg/publisher.h"
#include "cc/shm_msg/subscriber.h"
#include "cc/shm_msg/test_util.h"
#include "gtest/gtest.h"

namespace ipckit {
namespace shm_msg {
namespace {

const ServiceInfo* Find(const std::vector<ServiceInfo>& all, const std::string& name) {
  for (const ServiceInfo& s : all) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

// Waits for the child's byte on `ready` (it has joined), then closes the pipe.
bool ChildJoined(int ready[2]) {
  char c = 0;
  const bool joined = ::read(ready[0], &c, 1) == 1;
  ::close(ready[0]);
  ::close(ready[1]);
  return joined;
}

TEST(InspectTest, ListsParticipantsAndTellsTheDeadFromTheLiving) {
  const std::string name = testing::UniqueServiceName("inspect");
  ServiceConfig config;
  config.max_subscribers = 3;
  absl::StatusOr<Publisher> pub = Publisher::Create(name, config);
  ASSERT_TRUE(pub.ok()) << pub.status();
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    absl::StatusOr<Subscriber> sub = Subscriber::Create(name, config);
    if (!sub.ok()) ::_exit(1);
    (void)!::write(ready[1], "j", 1);
    while (true) ::pause();
  }
  ASSERT_TRUE(ChildJoined(ready));

  absl::StatusOr<std::vector<ServiceInfo>> all = ListServices();
  ASSERT_TRUE(all.ok()) << all.status();
  const ServiceInfo* info = Find(*all, name);
  ASSERT_NE(info, nullptr);
  ASSERT_TRUE(info->status.ok()) << info->status;
  EXPECT_EQ(info->config.max_subscribers, 3u);
  EXPECT_EQ(info->state, 1u);
  ASSERT_EQ(info->participants.size(), 2u);
  EXPECT_EQ(info->participants[0].entry, 0u);
  EXPECT_EQ(info->participants[0].pid, static_cast<uint32_t>(::getpid()));
  EXPECT_EQ(info->participants[0].liveness, platform::Liveness::kAlive);
  EXPECT_EQ(info->participants[1].entry, 1u);
  EXPECT_EQ(info->participants[1].pid, static_cast<uint32_t>(child));
  EXPECT_EQ(info->participants[1].liveness, platform::Liveness::kAlive);

  ASSERT_EQ(::kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  absl::StatusOr<ServiceInfo> after = InspectService(name);
  ASSERT_TRUE(after.ok()) << after.status();
  ASSERT_EQ(after->participants.size(), 2u);  // inspecting reclaims nothing
  EXPECT_EQ(after->participants[1].liveness, platform::Liveness::kDead);
  EXPECT_EQ(after->participants[0].liveness, platform::Liveness::kAlive);

  // Cleanup: a live publisher keeps it; once it is gone too, it is removed.
  absl::StatusOr<bool> removed = RemoveIfAbandoned(name);
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_FALSE(*removed);
  EXPECT_TRUE(testing::ServiceExists(name));
  after = InspectService(name);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->participants.size(), 1u);  // the dead subscriber was reclaimed
}

TEST(InspectTest, AServiceWhoseEveryParticipantWasKilledIsRemoved) {
  const std::string name = testing::UniqueServiceName("inspect_dead");
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    absl::StatusOr<Subscriber> sub = Subscriber::Create(name, ServiceConfig());
    absl::StatusOr<Publisher> pub = Publisher::Create(name, ServiceConfig());
    if (!sub.ok() || !pub.ok() || !pub->SendCopy("held").ok()) ::_exit(1);
    (void)!::write(ready[1], "j", 1);
    while (true) ::pause();
  }
  ASSERT_TRUE(ChildJoined(ready));
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(testing::ServiceExists(name));
  absl::StatusOr<bool> removed = RemoveIfAbandoned(name);
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_TRUE(*removed);
  EXPECT_FALSE(testing::ServiceExists(name));
  EXPECT_EQ(ErrorClassOf(RemoveIfAbandoned(name).status()), "not_found");
}

TEST(InspectTest, AForeignObjectIsListedAsCorruptAndAMissingOneIsNotFound) {
  const std::string name = testing::UniqueServiceName("inspect_foreign");
  const std::string object = "/ipckit_msg." + name;
  const int fd = ::shm_open(object.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, std::string(200, 'z').data(), 200), 200);
  ::close(fd);
  absl::StatusOr<std::vector<ServiceInfo>> all = ListServices();
  ::shm_unlink(object.c_str());
  ASSERT_TRUE(all.ok()) << all.status();
  const ServiceInfo* info = Find(*all, name);
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(ErrorClassOf(info->status), "corrupt") << info->status;
  EXPECT_TRUE(info->participants.empty());
  EXPECT_EQ(ErrorClassOf(InspectService(name).status()), "not_found");
}

}  // namespace
}  // namespace shm_msg
}  // namespace ipckit
