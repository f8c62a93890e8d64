// Crash and I/O-error tests of DiskManager over FaultInjectionEnv, for both
// managers: unsynced writes vanish and synced ones stay after a simulated
// power loss; a crash at every I/O operation of a workload (with unsynced
// data dropped, kept or torn) always reopens to the last acknowledged or the
// attempted checkpoint, with every page of it intact; a full disk while
// growing is a clear error and the database stays usable.
#include <cerrno>
#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "storage/coding.h"
#include "storage/disk_manager.h"
#include "tests/support/fault_injection_env.h"
#include "tests/support/manager_params.h"
#include "tests/support/temp_dir.h"

namespace laura {
namespace {

using CrashMode = FaultInjectionEnv::CrashMode;

// The durable state a checkpoint should leave: live page -> tag.
struct ModelState {
  std::map<PageId, uint64_t> live;
  uint64_t free_pages = 0;
};

class FaultTest : public ::testing::TestWithParam<DiskManagerKind> {
 public:
  DiskManagerOptions Options() {
    DiskManagerOptions o;
    o.env = &env_;
    o.initial_size = 32 * 1024;
    o.growth_step = 16 * 1024;
    return o;
  }

  absl::StatusOr<std::unique_ptr<DiskManager>> Open() {
    return DiskManager::Open(GetParam(), path_, Options());
  }

  static std::string Page(uint32_t size, uint64_t tag) {
    std::string page(size, static_cast<char>(tag));
    InitPage(page.data(), size, 0, PageType::kData, tag);
    page[kPageHeaderSize] = static_cast<char>(tag * 7);
    return page;
  }

  static absl::Status Write(DiskManager* dm, PageId id, uint64_t tag) {
    std::string page = Page(dm->page_size(), tag);
    return dm->WritePage(id, page.data());
  }

  static void ExpectState(DiskManager* dm, const ModelState& state) {
    std::string buf(dm->page_size(), '\0');
    for (const auto& [id, tag] : state.live) {
      ASSERT_TRUE(dm->ReadPage(id, buf.data()).ok()) << "page " << id;
      EXPECT_EQ(DecodeFixed64(buf.data() + kPageLsnOffset), tag) << "page " << id;
      EXPECT_EQ(buf.substr(kPageHeaderSize),
                Page(dm->page_size(), tag).substr(kPageHeaderSize));
    }
    EXPECT_EQ(dm->Stats().free_pages, state.free_pages);
  }

  TempDir dir_;
  const std::string path_ = dir_.File("data.ldb");
  FaultInjectionEnv env_;
};

TEST_P(FaultTest, UnsyncedWriteIsGoneAfterCrashSyncedOneStays) {
  PageId a, b;
  {
    auto dm = Open();
    ASSERT_TRUE(dm.ok()) << dm.status();
    a = *(*dm)->AllocatePage();
    ASSERT_TRUE(Write(dm->get(), a, 1).ok());
    ASSERT_TRUE((*dm)->Checkpoint(1, a).ok());
    b = *(*dm)->AllocatePage();
    ASSERT_TRUE(Write(dm->get(), b, 2).ok());
    ASSERT_TRUE(Write(dm->get(), a, 3).ok());  // overwrite, never synced
  }  // destroyed without Close: a crash
  ASSERT_TRUE(env_.Crash(CrashMode::kDropUnsynced).ok());
  auto dm = Open();
  ASSERT_TRUE(dm.ok()) << dm.status();
  EXPECT_EQ((*dm)->durable_meta().checkpoint_lsn, 1u);
  ExpectState(dm->get(), {{{a, 1}}, 0});
  std::string buf((*dm)->page_size(), '\0');
  EXPECT_EQ((*dm)->ReadPage(b, buf.data()).code(), absl::StatusCode::kOutOfRange)
      << "the page allocated after the checkpoint does not exist";
}

TEST_P(FaultTest, CrashDuringCreationLeavesNoDatabase) {
  for (uint64_t n = 1;; ++n) {
    env_.FailOperation(n, EIO, /*persistent=*/true);
    auto dm = Open();
    env_.ClearFailures();
    if (dm.ok()) break;  // every step of creation has been failed once
    ASSERT_TRUE(env_.Crash(CrashMode::kTearUnsynced, n).ok());
    // Either the database never appeared, or it is complete and empty.
    if (std::filesystem::exists(path_)) {
      DiskManagerOptions o = Options();
      o.create_if_missing = false;
      auto reopened = DiskManager::Open(GetParam(), path_, o);
      ASSERT_TRUE(reopened.ok()) << "after failing op " << n << ": "
                                 << reopened.status();
      EXPECT_EQ((*reopened)->page_count(), 2u);
    }
  }
}

// Runs rounds of allocate / write / free / checkpoint; fails I/O operation n
// (persistently, like a power cut), crashes with `mode`, reopens, and checks
// the state is the last acknowledged checkpoint or the one being attempted.
void RunCrashAt(FaultTest* t, DiskManagerKind kind, uint64_t n, CrashMode mode,
                bool* finished) {
  SCOPED_TRACE(testing::Message() << "crash at operation " << n << " mode "
                                  << static_cast<int>(mode));
  FaultInjectionEnv& env = t->env_;
  std::map<Lsn, ModelState> states;  // by checkpoint LSN
  states[0] = ModelState{};
  Lsn acked = 0;
  {
    auto dm = t->Open();
    ASSERT_TRUE(dm.ok()) << dm.status();
    env.FailOperation(n, EIO, /*persistent=*/true);
    ModelState model;
    bool failed = false;
    for (Lsn round = 1; round <= 8 && !failed; ++round) {
      for (int i = 0; i < 9 && !failed; ++i) {
        auto id = (*dm)->AllocatePage();
        if (!id.ok()) { failed = true; break; }
        failed = !FaultTest::Write(dm->get(), *id, round * 100 + i).ok();
        model.live[*id] = round * 100 + i;
      }
      // Free a few of the live pages (never those of this round).
      for (auto it = model.live.begin(); it != model.live.end() && !failed;) {
        if (it->second / 100 < round && it->first % 3 == 0) {
          failed = !(*dm)->FreePage(it->first).ok();
          it = model.live.erase(it);
        } else {
          ++it;
        }
      }
      if (failed) break;
      states[round] = model;
      if (!(*dm)->Checkpoint(round, 0).ok()) break;
      acked = round;
      // The free count is known once the free list has taken its pages.
      states[round].free_pages = (*dm)->Stats().free_pages;
    }
    *finished = acked == 8;
  }
  ASSERT_TRUE(env.Crash(mode, n).ok());
  auto dm = t->Open();
  ASSERT_TRUE(dm.ok()) << dm.status();
  const Lsn got = (*dm)->durable_meta().checkpoint_lsn;
  EXPECT_TRUE(got == acked || got == acked + 1)
      << "reopened at checkpoint " << got << ", acknowledged " << acked;
  const ModelState& want = states[got];
  std::string buf((*dm)->page_size(), '\0');
  for (const auto& [id, tag] : want.live) {
    ASSERT_TRUE((*dm)->ReadPage(id, buf.data()).ok()) << "page " << id;
    EXPECT_EQ(DecodeFixed64(buf.data() + kPageLsnOffset), tag) << "page " << id;
  }
  if (got == acked) {
    EXPECT_EQ((*dm)->Stats().free_pages, want.free_pages);
  }
  // The reopened database works: allocate, write, checkpoint, reopen.
  auto id = (*dm)->AllocatePage();
  ASSERT_TRUE(id.ok());
  EXPECT_FALSE(want.live.contains(*id)) << "a live page was handed out";
  ASSERT_TRUE(FaultTest::Write(dm->get(), *id, 999).ok());
  ASSERT_TRUE((*dm)->Close().ok());
  ASSERT_TRUE(t->Open().ok());
}

TEST_P(FaultTest, CrashAtEveryOperationRecoversACheckpoint) {
  for (CrashMode mode : {CrashMode::kDropUnsynced, CrashMode::kKeepUnsynced,
                         CrashMode::kTearUnsynced}) {
    bool finished = false;
    uint64_t n = 1;
    for (; !finished; ++n) {
      env_.ClearFailures();
      if (env_.FileExists(path_)) {
        ASSERT_TRUE(env_.DeleteFile(path_).ok());
        ASSERT_TRUE(env_.SyncDir(dir_.path()).ok());
      }
      RunCrashAt(this, GetParam(), n, mode, &finished);
      if (HasFatalFailure()) return;
    }
    std::printf("mode %d: crashed at each of %llu operations\n",
                static_cast<int>(mode), static_cast<unsigned long long>(n - 1));
  }
}

TEST_P(FaultTest, DiskFullWhileGrowingIsAnErrorAndTheDatabaseStaysUsable) {
  auto dm = Open();
  ASSERT_TRUE(dm.ok()) << dm.status();
  env_.SetSpaceLimit(64 * 1024);
  std::vector<PageId> ids;
  absl::Status full;
  for (int i = 0; i < 1000; ++i) {
    auto id = (*dm)->AllocatePage();
    if (!id.ok()) {
      full = id.status();
      break;
    }
    ASSERT_TRUE(Write(dm->get(), *id, i).ok());
    ids.push_back(*id);
  }
  EXPECT_EQ(full.code(), absl::StatusCode::kResourceExhausted) << full;
  EXPECT_NE(full.message().find("No space left"), std::string::npos) << full;
  EXPECT_LT(ids.size(), 1000u);
  // Still usable: reads, a free and reuse, and a checkpoint.
  std::string buf((*dm)->page_size(), '\0');
  ASSERT_TRUE((*dm)->ReadPage(ids[0], buf.data()).ok());
  ASSERT_TRUE((*dm)->FreePage(ids[1]).ok());
  EXPECT_EQ(*(*dm)->AllocatePage(), ids[1]);
  ASSERT_TRUE(Write(dm->get(), ids[1], 77).ok());
  ASSERT_TRUE((*dm)->Checkpoint(5, 0).ok());
  // Space comes back: growth works again.
  env_.SetSpaceLimit(0);
  auto more = (*dm)->AllocatePage();
  ASSERT_TRUE(more.ok()) << more.status();
  ASSERT_TRUE(Write(dm->get(), *more, 78).ok());
  ASSERT_TRUE((*dm)->Close().ok());
  auto again = Open();
  ASSERT_TRUE(again.ok());
  ASSERT_TRUE((*again)->ReadPage(*more, buf.data()).ok());
}

TEST_P(FaultTest, FailedSyncRefusesWritesUntilReopen) {
  PageId a;
  {
    auto dm = Open();
    ASSERT_TRUE(dm.ok());
    a = *(*dm)->AllocatePage();
    ASSERT_TRUE(Write(dm->get(), a, 1).ok());
    ASSERT_TRUE((*dm)->Checkpoint(1, a).ok());
    ASSERT_TRUE(Write(dm->get(), a, 2).ok());
    env_.FailOperation(1, EIO, false, FaultInjectionEnv::kSync);
    absl::Status s = (*dm)->Checkpoint(2, a);
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find("injected fault"), std::string::npos) << s;
    // Even though the fault was one-off, the manager refuses to go on.
    absl::Status again = (*dm)->Checkpoint(2, a);
    EXPECT_NE(again.message().find("an earlier sync failed"), std::string::npos);
    EXPECT_FALSE((*dm)->AllocatePage().ok());
    // Every other write is refused too, with the reason.
    std::string page((*dm)->page_size(), '\0');
    absl::Status write = (*dm)->WritePage(a, page.data());
    EXPECT_NE(write.message().find("an earlier sync failed"), std::string::npos) << write;
    absl::Status free = (*dm)->FreePage(a);
    EXPECT_NE(free.message().find("an earlier sync failed"), std::string::npos) << free;
  }
  ASSERT_TRUE(env_.Crash(CrashMode::kDropUnsynced).ok());
  auto dm = Open();
  ASSERT_TRUE(dm.ok()) << dm.status();
  EXPECT_EQ((*dm)->durable_meta().checkpoint_lsn, 1u);
  ExpectState(dm->get(), {{{a, 1}}, 0});
}

INSTANTIATE_TEST_SUITE_P(BothManagers, FaultTest, BothManagers(), ManagerName());

}  // namespace
}  // namespace laura
