#include "cc/shm_msg/inspect.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cc/base/error.h"
#include "cc/platform/process/process.h"
#include "cc/platform/shm/shm_object.h"
#include "cc/platform/testing/forked_child.h"
#include "cc/platform/testing/shm_plant.h"
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

// A forked child that runs `join` (true once it joined) and then waits to be
// killed; an error unless it joined.
absl::StatusOr<platform::ForkedChild> StartJoined(const std::function<bool()>& join) {
  absl::StatusOr<platform::ForkedChild> child =
      platform::ForkedChild::Start([&](platform::ForkedChild& self) {
        if (!join()) return 1;
        self.Send('j');
        self.Receive(absl::InfiniteDuration());  // until killed, or the test ends
        return 0;
      });
  if (child.ok() && child->Receive(absl::Seconds(30)) != 'j') {
    return absl::InternalError("the child did not join");
  }
  return child;
}

TEST(InspectTest, ListsParticipantsAndTellsTheDeadFromTheLiving) {
  const std::string name = testing::UniqueServiceName("inspect");
  ServiceConfig config;
  config.max_subscribers = 3;
  absl::StatusOr<Publisher> pub = Publisher::Create(name, config);
  ASSERT_TRUE(pub.ok()) << pub.status();
  std::unique_ptr<Subscriber> kept;  // the child's, alive until it is killed
  absl::StatusOr<platform::ForkedChild> child = StartJoined([&] {
    absl::StatusOr<Subscriber> sub = Subscriber::Create(name, config);
    if (sub.ok()) kept = std::make_unique<Subscriber>(*std::move(sub));
    return sub.ok();
  });
  ASSERT_TRUE(child.ok()) << child.status();

  absl::StatusOr<std::vector<ServiceInfo>> all = ListServices();
  ASSERT_TRUE(all.ok()) << all.status();
  const ServiceInfo* info = Find(*all, name);
  ASSERT_NE(info, nullptr);
  ASSERT_TRUE(info->status.ok()) << info->status;
  EXPECT_EQ(info->config.max_subscribers, 3u);
  EXPECT_EQ(info->state, 1u);
  ASSERT_EQ(info->participants.size(), 2u);
  EXPECT_EQ(info->participants[0].entry, 0u);
  EXPECT_EQ(info->participants[0].pid, platform::CurrentProcessId());
  EXPECT_EQ(info->participants[0].liveness, platform::Liveness::kAlive);
  EXPECT_EQ(info->participants[1].entry, 1u);
  EXPECT_EQ(info->participants[1].pid, static_cast<uint32_t>(child->pid()));
  EXPECT_EQ(info->participants[1].liveness, platform::Liveness::kAlive);

  child->Kill();
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
  std::unique_ptr<Subscriber> kept_sub;  // the child's, alive until it is killed
  std::unique_ptr<Publisher> kept_pub;
  absl::StatusOr<platform::ForkedChild> child = StartJoined([&] {
    absl::StatusOr<Subscriber> sub = Subscriber::Create(name, ServiceConfig());
    absl::StatusOr<Publisher> pub = Publisher::Create(name, ServiceConfig());
    if (!sub.ok() || !pub.ok() || !pub->SendCopy("held").ok()) return false;
    kept_sub = std::make_unique<Subscriber>(*std::move(sub));
    kept_pub = std::make_unique<Publisher>(*std::move(pub));
    return true;
  });
  ASSERT_TRUE(child.ok()) << child.status();
  child->Kill();
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
  platform::PlantShmObject(object, std::string(200, 'z'), 200);
  absl::StatusOr<std::vector<ServiceInfo>> all = ListServices();
  (void)platform::ShmUnlink(object);
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
