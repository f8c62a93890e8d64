// SharedRegistry (btree/shared_registry.h): the coordination file's
// protocol pieces, in one process and with forked children.
#include "btree/shared_registry.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace laura {
namespace {

using Version = SharedRegistry::Version;

TEST(SharedRegistryTest, AFileNobodyHoldsIsWipedAndOneThatIsHeldIsShared) {
  TempDir dir;
  const std::string path = dir.File("SHARED");
  {
    auto a = SharedRegistry::Open(path);
    ASSERT_TRUE(a.ok()) << a.status();
    const uint64_t gen = (*a)->BeginWriter();
    (*a)->Publish({gen, 7, 42, 100, true});
    auto b = SharedRegistry::Open(path);  // a is open: b sees what a published
    ASSERT_TRUE(b.ok()) << b.status();
    const Version v = (*b)->published();
    EXPECT_TRUE(v.valid);
    EXPECT_EQ(v.root, 7u);
    EXPECT_EQ(v.txn, 42u);
    EXPECT_EQ(v.page_count, 100u);
  }
  // Everyone closed (as after a reboot): nothing stale survives.
  auto c = SharedRegistry::Open(path);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_FALSE((*c)->published().valid);
  EXPECT_FALSE((*c)->WriterAlive());
}

TEST(SharedRegistryTest, SnapshotsOfOneVersionShareASlotAndOthersAreForeign) {
  TempDir dir;
  auto writer = SharedRegistry::Open(dir.File("SHARED"));
  ASSERT_TRUE(writer.ok());
  const uint64_t gen = (*writer)->BeginWriter();
  (*writer)->Publish({gen, 3, 10, 50, true});
  auto reader = SharedRegistry::Open(dir.File("SHARED"));
  ASSERT_TRUE(reader.ok());
  ASSERT_TRUE((*reader)->Attach().ok());
  EXPECT_EQ((*writer)->attached(), 1u);
  auto a = (*reader)->Acquire({});
  auto b = (*reader)->Acquire({});
  ASSERT_TRUE(a.ok() && b.ok()) << a.status() << b.status();
  EXPECT_EQ(a->slot, b->slot);
  EXPECT_EQ(a->version.txn, 10u);
  (*writer)->Publish({gen, 4, 11, 50, true});
  auto c = (*reader)->Acquire({});
  ASSERT_TRUE(c.ok());
  EXPECT_NE(c->slot, a->slot);
  std::vector<uint64_t> txns;
  EXPECT_FALSE((*writer)->Live(gen, &txns));
  std::sort(txns.begin(), txns.end());
  EXPECT_EQ(txns, (std::vector<uint64_t>{10, 11}));
  // A new writer generation: these slots belong to the one before.
  txns.clear();
  EXPECT_TRUE((*writer)->Live(gen + 1, &txns));
  EXPECT_TRUE(txns.empty());
  (*reader)->Release(*a);
  (*reader)->Release(*b);
  (*reader)->Release(*c);
  txns.clear();
  EXPECT_FALSE((*writer)->Live(gen, &txns));
  EXPECT_TRUE(txns.empty());
  (*reader)->Detach();
  EXPECT_EQ((*writer)->attached(), 0u);
}

TEST(SharedRegistryTest, AReaderCannotTakeAVersionARunningWriterDidNotPublish) {
  TempDir dir;
  auto writer = SharedRegistry::Open(dir.File("SHARED"));
  ASSERT_TRUE(writer.ok());
  auto reader = SharedRegistry::Open(dir.File("SHARED"));
  ASSERT_TRUE(reader.ok());
  // No writer: the fallback (the data file's checkpoint) is safe.
  auto fallback = (*reader)->Acquire({0, 5, 9, 20, true});
  ASSERT_TRUE(fallback.ok()) << fallback.status();
  EXPECT_EQ(fallback->version.root, 5u);
  (*reader)->Release(*fallback);
  // A running writer (this process) that has not published: refused,
  // since it may reuse the checkpoint's replaced pages.
  const uint64_t gen = (*writer)->BeginWriter();
  EXPECT_TRUE(absl::IsUnavailable((*reader)->Acquire({0, 5, 9, 20, true}).status()));
  (*writer)->Publish({gen, 6, 12, 20, true});
  auto published = (*reader)->Acquire({0, 5, 9, 20, true});
  ASSERT_TRUE(published.ok());
  EXPECT_EQ(published->version.txn, 12u);
  (*reader)->Release(*published);
  // Published, then no longer kept current: refused again.
  (*writer)->Invalidate();
  EXPECT_TRUE(absl::IsUnavailable((*reader)->Acquire({0, 5, 9, 20, true}).status()));
}

TEST(SharedRegistryTest, DeadProcessesAreReapedWithTheirSlots) {
  TempDir dir;
  const std::string path = dir.File("SHARED");
  auto writer = SharedRegistry::Open(path);
  ASSERT_TRUE(writer.ok());
  const uint64_t gen = (*writer)->BeginWriter();
  (*writer)->Publish({gen, 3, 10, 50, true});
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Attaches, takes a snapshot and dies without releasing either.
    auto reader = SharedRegistry::Open(path);
    if (!reader.ok() || !(*reader)->Attach().ok() || !(*reader)->Acquire({}).ok()) _exit(1);
    _exit(0);  // the destructor never runs
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_EQ((*writer)->attached(), 1u);
  ASSERT_EQ((*writer)->List().size(), 1u);
  EXPECT_EQ((*writer)->List()[0].pid, static_cast<uint64_t>(child));
  EXPECT_EQ((*writer)->ReapDeadProcesses(), 1);
  EXPECT_EQ((*writer)->attached(), 0u);
  EXPECT_TRUE((*writer)->List().empty());
  EXPECT_EQ((*writer)->ReapDeadProcesses(), 0);
}

}  // namespace
}  // namespace laura
