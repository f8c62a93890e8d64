// Tests of the batch prefetcher (engine/batch_prefetcher.h): its window
// and its cancellation on a real tree, that it leaves no snapshot behind,
// and that batches applied with it give exactly the state a model gives.
// The suite names hold "Thread" so that the test command runs them under
// ThreadSanitizer too.
#include "engine/batch_prefetcher.h"

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>

#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "laura/db.h"
#include "laura/write_batch.h"
#include "tests/support/fault_injection_env.h"
#include "tests/support/temp_dir.h"
#include "tests/support/tree_harness.h"

namespace laura {
namespace engine_internal {
namespace {

std::string Key(uint64_t i) { return absl::StrFormat("key%012d", i); }

// Polls until done() or two seconds passed.
template <typename Done>
bool Eventually(Done done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// The encoded batch of n puts of keys i * stride (mod 3000), the keys the
// fixture's tree holds.
std::string PutPayload(int n, int stride) {
  WriteBatch batch;
  for (int i = 0; i < n; ++i) batch.Put(Key(i * stride % 3000), "new");
  return batch.Encode();
}

class PrefetchThreadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(harness_.Open().ok());
    for (int i = 0; i < 3000; ++i) ASSERT_TRUE(tree().Put(Key(i), std::string(100, 'v')).ok());
    ASSERT_TRUE(harness_.Commit().ok());
  }
  BTree& tree() { return harness_.tree(); }

  TreeHarness harness_{TreeConfig{}};
};

TEST_F(PrefetchThreadTest, RunsAtMostAWindowAheadOfTheWriterAndStopsAtFinish) {
  const std::string payload = PutPayload(500, 7);
  BatchPrefetcher prefetcher(&tree());
  prefetcher.Start(payload);
  // The writer has not started: the helper warms one window, then waits.
  ASSERT_TRUE(Eventually([&] { return prefetcher.keys_warmed() == BatchPrefetcher::kWindow; }))
      << prefetcher.keys_warmed();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(prefetcher.keys_warmed(), BatchPrefetcher::kWindow);
  EXPECT_EQ(tree().snapshot_count(), 1u);  // its snapshot
  // The writer moves on by 10: the window moves with it.
  prefetcher.Progress(10);
  ASSERT_TRUE(
      Eventually([&] { return prefetcher.keys_warmed() == BatchPrefetcher::kWindow + 10; }))
      << prefetcher.keys_warmed();
  prefetcher.Finish();
  EXPECT_EQ(tree().snapshot_count(), 0u);
  const uint64_t warmed = prefetcher.keys_warmed();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(prefetcher.keys_warmed(), warmed);  // stopped for good
}

TEST_F(PrefetchThreadTest, SkipsTheKeysTheWriterHasReachedAndRunsAgainForTheNextBatch) {
  const std::string payload = PutPayload(200, 13);
  BatchPrefetcher prefetcher(&tree());
  prefetcher.Start(payload);
  prefetcher.Progress(200);  // the writer has reached every key already
  // The helper goes through the batch without waiting and without warming
  // what the writer passed: at most the window it saw before Progress.
  ASSERT_TRUE(Eventually([&] { return prefetcher.batches_warmed() == 1; }));
  EXPECT_EQ(tree().snapshot_count(), 0u);
  EXPECT_LE(prefetcher.keys_warmed(), BatchPrefetcher::kWindow);
  prefetcher.Finish();
  // The next batch on the same helper, the writer waiting at its start:
  // exactly one window again.
  const uint64_t before = prefetcher.keys_warmed();
  prefetcher.Start(payload);
  ASSERT_TRUE(Eventually(
      [&] { return prefetcher.keys_warmed() - before == BatchPrefetcher::kWindow; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(prefetcher.keys_warmed() - before, BatchPrefetcher::kWindow);
  prefetcher.Finish();
  EXPECT_EQ(tree().snapshot_count(), 0u);
}

TEST_F(PrefetchThreadTest, FinishBeforeTheHelperTookTheBatchAndDestructionWhileIdle) {
  const std::string payload = PutPayload(100, 1);
  for (int round = 0; round < 200; ++round) {
    BatchPrefetcher prefetcher(&tree());
    prefetcher.Start(payload);
    prefetcher.Finish();  // often before the helper woke up
    EXPECT_EQ(tree().snapshot_count(), 0u) << "round " << round;
  }
}

// Random batches of puts and deletes, large enough for the helper, against
// a std::map, on a database whose leaves outgrow one page many times.
TEST(PrefetchThreadDBTest, LargeBatchesGiveExactlyTheModelState) {
  constexpr uint32_t kSeed = 20261204;
  std::printf("seed %u\n", kSeed);
  std::mt19937 rng(kSeed);
  TempDir dir;
  Options options;
  options.durability = Durability::kNoSync;
  auto db = DB::Open(options, dir.File("db"));
  ASSERT_TRUE(db.ok()) << db.status();
  std::map<std::string, std::string> model;
  for (int round = 0; round < 60; ++round) {
    WriteBatch batch;
    const int ops = round % 5 == 0 ? 10 : 64 + static_cast<int>(rng() % 400);
    for (int i = 0; i < ops; ++i) {
      const std::string key = Key(rng() % 20000);
      if (rng() % 4 == 0) {
        batch.Delete(key);
        model.erase(key);
      } else {
        const std::string value(rng() % 300, static_cast<char>('a' + rng() % 26));
        batch.Put(key, value);
        model[key] = value;
      }
    }
    ASSERT_TRUE((*db)->Write(batch).ok()) << "round " << round;
  }
  auto it = (*db)->NewIterator();
  auto expected = model.begin();
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++expected) {
    ASSERT_NE(expected, model.end());
    ASSERT_EQ(it->key(), expected->first);
    ASSERT_EQ(it->value(), expected->second) << expected->first;
  }
  ASSERT_TRUE(it->status().ok()) << it->status();
  EXPECT_EQ(expected, model.end());
  it.reset();
  // The helper ran (its reads, not its results, are what differ).
  EXPECT_GT((*db)->Stats().prefetched_keys, 0u);
  const CheckReport report = (*db)->Check();
  EXPECT_TRUE(report.ok()) << report.ToString();
  ASSERT_TRUE((*db)->Close().ok());
}

// An append batch (every key above the tree's last) goes straight to the
// rightmost leaf: the helper is not started for it (it could warm nothing
// the writer needs). A batch whose keys land inside the tree starts it
// from the first such key on.
TEST(PrefetchThreadDBTest, AnAppendBatchRunsWithoutThePrefetcher) {
  TempDir dir;
  Options options;
  options.durability = Durability::kNoSync;
  auto db = DB::Open(options, dir.File("db"));
  ASSERT_TRUE(db.ok()) << db.status();
  for (int round = 0; round < 20; ++round) {
    WriteBatch batch;
    for (int i = 0; i < 500; ++i) batch.Put(Key(round * 500 + i), std::string(100, 'a'));
    ASSERT_TRUE((*db)->Write(batch).ok()) << "round " << round;
  }
  EXPECT_EQ((*db)->Stats().prefetched_batches, 0u);
  EXPECT_EQ((*db)->Stats().prefetched_keys, 0u);
  // Appends first, then keys below them: the helper warms the rest.
  WriteBatch mixed;
  for (int i = 0; i < 100; ++i) mixed.Put(Key(10000 + i), "append");
  for (int i = 0; i < 400; ++i) mixed.Put(Key(i * 23), "inside");
  ASSERT_TRUE((*db)->Write(mixed).ok());
  EXPECT_EQ((*db)->Stats().prefetched_batches, 1u);  // how far it got is timing
  for (int i = 0; i < 10100; ++i) {
    auto got = (*db)->Get(Key(i));
    ASSERT_TRUE(got.ok()) << Key(i) << ": " << got.status();
    const bool inside = i < 400 * 23 && i % 23 == 0;
    ASSERT_EQ(*got, inside ? "inside" : i >= 10000 ? "append" : std::string(100, 'a')) << Key(i);
  }
  ASSERT_TRUE((*db)->Close().ok());
}

// Recovery replays logged batches through the same path: after a power
// loss with checkpoints off, every acknowledged large batch comes back.
TEST(PrefetchThreadDBTest, RecoveryReplaysLargeBatchesWithTheHelper) {
  constexpr uint32_t kSeed = 20261205;
  std::printf("seed %u\n", kSeed);
  std::mt19937 rng(kSeed);
  TempDir dir;
  FaultInjectionEnv env;
  Options options;
  options.env = &env;
  options.checkpoint_log_bytes = 0;  // everything is replayed from the log
  options.checkpoint_interval_ms = 0;
  std::map<std::string, std::string> model;
  {
    auto db = DB::Open(options, dir.File("db"));
    ASSERT_TRUE(db.ok()) << db.status();
    for (int round = 0; round < 40; ++round) {
      WriteBatch batch;
      for (int i = 0; i < 400; ++i) {
        const std::string key = Key(rng() % 30000);
        const std::string value(100, static_cast<char>('a' + rng() % 26));
        batch.Put(key, value);
        model[key] = value;
      }
      ASSERT_TRUE((*db)->Write(batch).ok()) << "round " << round;  // synced
    }
    // Power loss: no clean close, unsynced writes dropped.
    env.FailOperation(1, EIO, /*persistent=*/true);
    db->reset();
    env.ClearFailures();
    ASSERT_TRUE(env.Crash(FaultInjectionEnv::CrashMode::kDropUnsynced, 7).ok());
  }
  auto db = DB::Open(options, dir.File("db"));
  ASSERT_TRUE(db.ok()) << db.status();
  EXPECT_GT((*db)->Stats().prefetched_keys, 0u);  // the replay used the helper
  for (const auto& [key, value] : model) {
    auto got = (*db)->Get(key);
    ASSERT_TRUE(got.ok()) << key << ": " << got.status();
    ASSERT_EQ(*got, value) << key;
  }
  const CheckReport report = (*db)->Check();
  EXPECT_TRUE(report.ok()) << report.ToString();
  EXPECT_EQ(report.entries, model.size());
  ASSERT_TRUE((*db)->Close().ok());
}

}  // namespace
}  // namespace engine_internal
}  // namespace laura
