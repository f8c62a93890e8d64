// Tests for SnapshotRegistry: registration and release, the overflow set,
// and the protocol under threads: a scan never misses a snapshot whose
// version it could reclaim (also run under TSan).
#include "btree/snapshot_registry.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace laura {
namespace {

TEST(SnapshotRegistryTest, SnapshotsAreOfThePublishedVersionUntilReleased) {
  SnapshotRegistry registry({/*root=*/7, /*txn=*/3});
  EXPECT_EQ(registry.published().root, 7u);
  EXPECT_EQ(registry.published_txn(), 3u);
  const SnapshotRegistry::Entry a = registry.Acquire();
  EXPECT_EQ(a.version.root, 7u);
  EXPECT_EQ(a.version.txn, 3u);
  registry.Publish({9, 4});
  const SnapshotRegistry::Entry b = registry.Acquire();
  EXPECT_EQ(b.version.root, 9u);
  EXPECT_EQ(b.version.txn, 4u);
  std::vector<uint64_t> live;
  registry.Live(&live);
  EXPECT_EQ(live, (std::vector<uint64_t>{3, 4}));
  EXPECT_EQ(registry.count(), 2u);
  registry.Release(a);
  registry.Live(&live);
  EXPECT_EQ(live, (std::vector<uint64_t>{4}));
  registry.Release(b);
  EXPECT_EQ(registry.count(), 0u);
}

TEST(SnapshotRegistryTest, MoreSnapshotsThanSlotsGoToTheOverflowSet) {
  SnapshotRegistry registry({1, 1});
  std::vector<SnapshotRegistry::Entry> held;
  for (int i = 0; i < 3 * SnapshotRegistry::kSlots; ++i) {
    if (i == SnapshotRegistry::kSlots) registry.Publish({2, 2});
    held.push_back(registry.Acquire());
  }
  EXPECT_EQ(registry.count(), held.size());
  EXPECT_EQ(std::count_if(held.begin(), held.end(),
                          [](const auto& e) { return e.slot == SnapshotRegistry::kOverflow; }),
            2 * SnapshotRegistry::kSlots);
  std::vector<uint64_t> live;
  registry.Live(&live);
  EXPECT_EQ(live, (std::vector<uint64_t>{1, 2}));
  for (const auto& e : held) registry.Release(e);
  EXPECT_EQ(registry.count(), 0u);
  registry.Live(&live);
  EXPECT_TRUE(live.empty());
}

// A writer publishes versions 1, 2, ... and after each computes the oldest
// version a reader may still hold (the oldest live snapshot, or the
// published version), as it does before freeing pages. Readers, more
// than there are slots, check while they hold a snapshot that nothing at
// or above their version was ever deemed reclaimable, and that root and
// txn came from the same Publish.
TEST(SnapshotRegistryTest, AScanNeverMissesASnapshotItCouldReclaim) {
  SnapshotRegistry registry({0, 0});
  std::atomic<uint64_t> reclaimable_below{0};
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> violations{0}, torn{0}, acquired{0};
  constexpr int kReaders = 6;
  constexpr int kHeldPerReader = 16;  // 96 > kSlots: the overflow set too
  std::vector<std::thread> readers;
  for (int r = 0; r < kReaders; ++r) {
    readers.emplace_back([&] {
      std::vector<SnapshotRegistry::Entry> held;
      while (!stop.load()) {
        held.push_back(registry.Acquire());
        const SnapshotRegistry::Entry& e = held.back();
        if (e.version.root != e.version.txn * 10) torn.fetch_add(1);
        acquired.fetch_add(1);
        for (const auto& h : held) {
          if (reclaimable_below.load() > h.version.txn) violations.fetch_add(1);
        }
        if (held.size() == kHeldPerReader) {
          for (const auto& h : held) registry.Release(h);
          held.clear();
        }
      }
      for (const auto& h : held) registry.Release(h);
    });
  }
  std::vector<uint64_t> live;
  for (uint64_t v = 1; v <= 200000; ++v) {
    registry.Publish({v * 10, v});
    const uint64_t published = registry.published_txn();
    registry.Live(&live);
    reclaimable_below.store(live.empty() ? published : std::min(live.front(), published));
  }
  stop.store(true);
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(violations.load(), 0u);
  EXPECT_EQ(torn.load(), 0u);
  EXPECT_GT(acquired.load(), 0u);
  EXPECT_EQ(registry.count(), 0u);
}

// Snapshot ages come from the coarse monotonic clock: it never goes back,
// and it counts microseconds (a sleep of 20 ms reads as at least 10 ms even
// with the clock's tick of a few milliseconds; no upper bound, the machine
// may be busy).
TEST(SnapshotClockTest, IsMonotonicAndCountsMicroseconds) {
  const int64_t start = SnapshotClockMicros();
  int64_t last = start;
  for (int i = 0; i < 1000; ++i) {
    const int64_t now = SnapshotClockMicros();
    ASSERT_GE(now, last);
    last = now;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_GE(SnapshotClockMicros() - start, 10000);
  // A snapshot carries the time it was taken.
  SnapshotRegistry registry({10, 1});
  const SnapshotRegistry::Entry e = registry.Acquire();
  EXPECT_GE(e.since_us, start + 10000);
  EXPECT_LE(e.since_us, SnapshotClockMicros());
  registry.Release(e);
}

}  // namespace
}  // namespace laura
