// B+tree behaviour on both disk managers: snapshots that keep their version
// while later transactions split and merge, concurrent snapshot readers,
// reopen, limits, abort, ascending fills, scans, the bulk loader and the
// checker finding damage, and the space a random fill takes.
#include "btree/btree.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "btree/overflow.h"
#include "gtest/gtest.h"
#include "tests/support/manager_params.h"
#include "tests/support/tree_harness.h"

namespace laura {
namespace {

using Model = std::map<std::string, std::string>;

std::string Key(int i) { return absl::StrFormat("key%08d", i); }
std::string Value(int i, size_t size) {
  std::string v(size, static_cast<char>('a' + i % 26));
  if (!v.empty()) v[0] = static_cast<char>(i);
  return v;
}

class BTreeTest : public ::testing::TestWithParam<DiskManagerKind> {
 protected:
  void SetUp() override {
    harness_ = std::make_unique<TreeHarness>(TreeConfig{GetParam(), 4096, 256 * 4096});
    absl::Status opened = harness_->Open();
    ASSERT_TRUE(opened.ok()) << opened;
  }

  BTree& tree() { return harness_->tree(); }

  void PutAll(const Model& entries) {
    for (const auto& [k, v] : entries) ASSERT_TRUE(tree().Put(k, v).ok()) << k;
  }

  // The whole tree under root equals model (forward walk and point gets).
  void ExpectContents(PageId root, const Model& model) {
    Cursor c(&harness_->pager(), root);
    auto it = model.begin();
    for (c.SeekToFirst(); c.Valid(); c.Next(), ++it) {
      ASSERT_NE(it, model.end()) << "extra key " << c.key();
      ASSERT_EQ(c.key(), it->first);
      ASSERT_EQ(c.value(), it->second) << it->first;
    }
    ASSERT_TRUE(c.status().ok()) << c.status();
    ASSERT_EQ(it, model.end()) << "missing key " << it->first;
    for (const auto& [k, v] : model) {
      auto got = tree().Get(root, k);
      ASSERT_TRUE(got.ok()) << k << ": " << got.status();
      ASSERT_EQ(*got, v);
    }
  }

  void ExpectSound() {
    const CheckReport report = harness_->Check();
    EXPECT_TRUE(report.ok()) << report.ToString();
  }

  std::unique_ptr<TreeHarness> harness_;
};

TEST_P(BTreeTest, SnapshotKeepsItsVersionThroughSplitsAndMerges) {
  Model v1;
  for (int i = 0; i < 3000; ++i) v1[Key(i)] = Value(i, i % 50 == 0 ? 9000 : 40);
  PutAll(v1);
  ASSERT_TRUE(harness_->Commit().ok());
  const BTree::Snapshot s1 = tree().AcquireSnapshot();

  Model current = v1;
  std::mt19937_64 rng(42);
  std::cout << "seed 42" << std::endl;
  for (int txn = 0; txn < 20; ++txn) {
    for (int i = 0; i < 400; ++i) {
      const int k = static_cast<int>(rng() % 6000);
      if (rng() % 3 == 0) {
        ASSERT_TRUE(tree().Delete(Key(k)).ok());
        current.erase(Key(k));
      } else {
        const std::string v = Value(k + txn, rng() % 20 == 0 ? 7000 : 1 + rng() % 300);
        ASSERT_TRUE(tree().Put(Key(k), v).ok());
        current[Key(k)] = v;
      }
    }
    ASSERT_TRUE(harness_->Commit().ok());
    // The snapshot's pages are neither freed nor changed.
    const CheckReport old_version = CheckTree(&harness_->pager(), s1.root,
                                              {.verify_checksums = false, .parked_pages_are_free = false});
    ASSERT_TRUE(old_version.ok()) << old_version.ToString();
    ASSERT_EQ(old_version.entries, v1.size());
  }
  ExpectContents(s1.root, v1);
  ExpectContents(tree().committed_root(), current);
  // Delete nearly everything: merges down to a small tree; s1 unchanged.
  for (auto it = current.begin(); it != current.end();) {
    if (std::next(it) == current.end()) break;
    ASSERT_TRUE(tree().Delete(it->first).ok());
    it = current.erase(it);
  }
  ASSERT_TRUE(harness_->Commit().ok());
  ExpectContents(s1.root, v1);
  ExpectContents(tree().committed_root(), current);
  EXPECT_GT(harness_->pager().parked_frees(), 0u);

  tree().ReleaseSnapshot(s1);
  ASSERT_TRUE(tree().Put("after", "release").ok());
  ASSERT_TRUE(harness_->Commit().ok());
  EXPECT_EQ(harness_->pager().parked_frees(), 0u);
  ExpectSound();  // with the leak check: every old page went back
}

TEST_P(BTreeTest, ALongSnapshotHoldsBackOnlyTheVersionsItReaches) {
  // While one snapshot stays open (a long read, a running checkpoint),
  // pages that later transactions write and free again are reused at
  // once: 500 commits of one key take a few pages, not one path each.
  Model v1;
  for (int i = 0; i < 2000; ++i) v1[Key(i)] = Value(i, 40);
  PutAll(v1);
  ASSERT_TRUE(harness_->Commit().ok());
  const BTree::Snapshot s1 = tree().AcquireSnapshot();
  ASSERT_TRUE(tree().Put(Key(7), "first change").ok());
  ASSERT_TRUE(harness_->Commit().ok());
  const uint64_t pages_before = harness_->dm().page_count();
  const size_t parked_before = harness_->pager().parked_frees();
  Model current = v1;
  for (int txn = 0; txn < 500; ++txn) {
    current[Key(7)] = Value(txn, 40);
    ASSERT_TRUE(tree().Put(Key(7), current[Key(7)]).ok());
    ASSERT_TRUE(harness_->Commit().ok());
  }
  // The path to key 7 is 2-3 pages; parking each version until s1 ends
  // would take 500 times that.
  EXPECT_LE(harness_->dm().page_count(), pages_before + 8);
  EXPECT_EQ(harness_->pager().parked_frees(), parked_before);
  ExpectContents(s1.root, v1);
  ExpectContents(tree().committed_root(), current);
  tree().ReleaseSnapshot(s1);
  ASSERT_TRUE(tree().Put("after", "release").ok());
  ASSERT_TRUE(harness_->Commit().ok());
  EXPECT_EQ(harness_->pager().parked_frees(), 0u);
  ExpectSound();
}

TEST_P(BTreeTest, ConcurrentSnapshotReadersWhileWriterCommits) {
  // Each committed version v holds keys k0..k199 with the value "v".
  auto version_value = [](uint64_t v) { return std::to_string(v); };
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(tree().Put(Key(i), version_value(1)).ok());
  ASSERT_TRUE(harness_->Commit().ok());
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0}, reads{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        const BTree::Snapshot s = tree().AcquireSnapshot();
        const std::string want = version_value(s.txn);
        int n = 0;
        Cursor c(&harness_->pager(), s.root);
        for (c.SeekToFirst(); c.Valid(); c.Next(), ++n) {
          if (c.value() != want && c.value() != std::string(3000, want[0])) ++failures;
        }
        if (n != 200 || !c.status().ok()) ++failures;
        tree().ReleaseSnapshot(s);
        ++reads;
      }
    });
  }
  for (uint64_t v = 2; v < 150; ++v) {
    for (int i = 0; i < 200; ++i) {
      // Every 10th version stores large values, so pages split and merge.
      const std::string value = v % 10 == 0 ? std::string(3000, version_value(v)[0])
                                            : version_value(v);
      ASSERT_TRUE(tree().Put(Key(i), value).ok());
    }
    ASSERT_TRUE(harness_->Commit().ok());
    if (v % 25 == 0) {
      ASSERT_TRUE(harness_->Checkpoint().ok());
    }
  }
  while (reads.load() < 20) std::this_thread::yield();
  stop = true;
  for (auto& r : readers) r.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST_P(BTreeTest, ContentsSurviveReopen) {
  Model model;
  for (int i = 0; i < 5000; ++i) model[Key(i * 7 % 5000)] = Value(i, i % 100 == 0 ? 20000 : i % 90);
  model[""] = "empty key";
  model["empty value"] = "";
  PutAll(model);
  ASSERT_TRUE(harness_->Commit().ok());
  ASSERT_TRUE(harness_->Reopen().ok());
  ExpectContents(tree().committed_root(), model);
  ExpectSound();

  // Changes after the last checkpoint are gone after a crash.
  ASSERT_TRUE(tree().Put("uncheckpointed", "x").ok());
  ASSERT_TRUE(tree().Delete(Key(1)).ok());
  ASSERT_TRUE(harness_->Commit().ok());
  harness_->Drop();
  ASSERT_TRUE(harness_->Open().ok());
  ExpectContents(tree().committed_root(), model);
  ExpectSound();
}

TEST_P(BTreeTest, LimitsAreEnforced) {
  const uint32_t ps = harness_->pager().page_size();
  const std::string max_key(MaxKeySize(ps), 'k');
  EXPECT_GE(MaxKeySize(ps), (ps - kNodeHeaderEnd) / 4);  // at least 1/4 of a node
  ASSERT_TRUE(tree().Put(max_key, "v").ok());
  absl::Status too_long = tree().Put(max_key + "k", "v");
  EXPECT_TRUE(absl::IsInvalidArgument(too_long)) << too_long;
  EXPECT_NE(too_long.message().find("larger than the limit"), std::string::npos);
  // A value just over the limit (never read: the size is checked first).
  const char byte = 0;
  absl::string_view huge(&byte, kMaxValueSize + 1);
  EXPECT_TRUE(absl::IsInvalidArgument(tree().Put("big", huge)));
  ASSERT_TRUE(tree().Put("", "").ok());
  const std::string large(24 << 20, 'L');  // 24 MiB in overflow pages
  ASSERT_TRUE(tree().Put("large", large).ok());
  ASSERT_TRUE(harness_->Commit().ok());
  EXPECT_EQ(*tree().Get(tree().committed_root(), ""), "");
  EXPECT_EQ(*tree().Get(tree().committed_root(), "large"), large);
  EXPECT_EQ(*tree().Get(tree().committed_root(), max_key), "v");
  EXPECT_TRUE(absl::IsNotFound(tree().Get(tree().committed_root(), "big").status()));
  ExpectSound();
}

// A value of 64 MiB (a 16,000-page overflow chain with 4 KiB pages), or of
// 1 GiB with LAURA_LONG_TESTS=1, survives a commit and a reopen.
TEST_P(BTreeTest, HugeValueSurvivesAReopen) {
  const size_t size =
      std::getenv("LAURA_LONG_TESTS") != nullptr ? size_t{1} << 30 : size_t{64} << 20;
  std::cout << "value of " << size << " bytes" << std::endl;
  std::string value(size, 'G');
  value[12345] = 'x';
  value[size - 1] = 'y';
  ASSERT_TRUE(tree().Put("gib", value).ok());
  ASSERT_TRUE(harness_->Commit().ok());
  ASSERT_TRUE(harness_->Reopen().ok());
  EXPECT_EQ(*tree().Get(tree().committed_root(), "gib"), value);
}

TEST_P(BTreeTest, AbortLeavesTheCommittedTree) {
  Model model;
  for (int i = 0; i < 1000; ++i) model[Key(i)] = Value(i, 50);
  PutAll(model);
  ASSERT_TRUE(harness_->Commit().ok());
  for (int i = 0; i < 3000; ++i) ASSERT_TRUE(tree().Put(Key(i), Value(i, 5000)).ok());
  for (int i = 0; i < 500; ++i) ASSERT_TRUE(tree().Delete(Key(i)).ok());
  ASSERT_TRUE(tree().Abort().ok());
  EXPECT_EQ(tree().write_root(), tree().committed_root());
  ExpectContents(tree().committed_root(), model);
  ExpectSound();  // the aborted pages are free again
}

TEST_P(BTreeTest, AscendingFillPacksLeaves) {
  const int n = 20000;
  for (int i = 0; i < n; ++i) ASSERT_TRUE(tree().Put(Key(i), Value(i, 100)).ok());
  ASSERT_TRUE(harness_->Commit().ok());
  const CheckReport r = harness_->Check();
  ASSERT_TRUE(r.ok()) << r.ToString();
  std::string cell;
  EncodeLeafCell(Key(0), Value(0, 100), &cell);
  const size_t per_leaf = NodeCapacity(4096) / (cell.size() + kSlotSize);
  const uint64_t minimum = (n + per_leaf - 1) / per_leaf;
  EXPECT_LE(r.leaf_pages, minimum + minimum / 50) << "leaves are not packed";
}

// An append split leaves a full leaf behind; Put writes it to the file at
// once (Pager::WriteEarly) instead of keeping it in a frame until the next
// checkpoint, so a sequential load holds few pages in memory. A later
// insert below it in the same transaction brings it back into a frame, and
// everything reads back after commit and after a checkpoint and reopen.
TEST_P(BTreeTest, AnAppendSplitWritesTheFinishedLeafAtOnce) {
  const int n = 5000;
  for (int i = 0; i < n; ++i) ASSERT_TRUE(tree().Put(Key(2 * i), Value(i, 100)).ok());
  // Before any commit or checkpoint: the finished leaves went to the file.
  const uint64_t written = harness_->pager().Stats().write_backs;
  std::string cell;
  EncodeLeafCell(Key(0), Value(0, 100), &cell);
  const uint64_t leaves = n / (NodeCapacity(4096) / (cell.size() + kSlotSize));
  EXPECT_GE(written + 2, leaves) << "finished leaves stayed in frames";
  // Odd keys below the append point: each goes into a leaf written early.
  for (int i = 0; i < n; i += 97) ASSERT_TRUE(tree().Put(Key(2 * i + 1), "odd").ok());
  ASSERT_TRUE(harness_->Commit().ok());
  auto expect_all = [&] {
    for (int i = 0; i < n; ++i) {
      auto got = tree().Get(tree().committed_root(), Key(2 * i));
      ASSERT_TRUE(got.ok()) << Key(2 * i) << ": " << got.status();
      ASSERT_EQ(*got, Value(i, 100));
      if (i % 97 == 0) {
        auto odd = tree().Get(tree().committed_root(), Key(2 * i + 1));
        ASSERT_TRUE(odd.ok()) << odd.status();
        ASSERT_EQ(*odd, "odd");
      }
    }
    const CheckReport r = harness_->Check();
    ASSERT_TRUE(r.ok()) << r.ToString();
    EXPECT_EQ(r.entries, static_cast<uint64_t>(n + (n + 96) / 97));
  };
  expect_all();
  ASSERT_TRUE(harness_->Checkpoint().ok());
  ASSERT_TRUE(harness_->Reopen().ok());
  expect_all();
}

// The space target of a random fill (bench/README.md): the tree's pages
// hold 16-byte keys with 100-byte values in at most 1.36x their raw bytes.
// Sharing cells with a neighbour leaf before a split is what keeps it
// there; splits alone leave leaves about 69% full (about 1.55x). (The
// target was 1.35x, met at 1.3351x, until format 3 gave every child
// pointer the LSN its child must hold: 8 more bytes per branch cell. This
// fill then ends just after its level-1 branches split, 33 -> 64 branch
// pages, and a full parent refuses a few more shares: 1.3510x.)
TEST(BTreeSpaceTest, RandomFillStaysWithinTheSpaceTarget) {
  constexpr int kKeys = 100'000;
  constexpr int kTxn = 1000;
  constexpr uint32_t kSeed = 20261201;
  SCOPED_TRACE(absl::StrCat("seed ", kSeed));
  std::vector<int> order(kKeys);
  for (int i = 0; i < kKeys; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), std::mt19937(kSeed));
  TreeHarness harness(TreeConfig{DiskManagerKind::kMmap, 4096, 64 * kMiB});
  ASSERT_TRUE(harness.Open().ok());
  const std::string value(100, 'v');
  for (int i = 0; i < kKeys; ++i) {
    ASSERT_TRUE(harness.tree().Put(absl::StrFormat("%016x", order[i]), value).ok());
    if ((i + 1) % kTxn == 0) {
      ASSERT_TRUE(harness.Commit().ok());
    }
  }
  const CheckReport r = harness.Check();
  ASSERT_TRUE(r.ok()) << r.ToString();
  ASSERT_EQ(r.entries, static_cast<uint64_t>(kKeys));
  const double ratio = static_cast<double>(r.leaf_pages + r.branch_pages) * 4096 /
                       (kKeys * (16.0 + value.size()));
  std::printf("random fill: %llu leaves, %llu branches, %.4fx the raw bytes\n",
              static_cast<unsigned long long>(r.leaf_pages),
              static_cast<unsigned long long>(r.branch_pages), ratio);
  EXPECT_LE(ratio, 1.36);
}

TEST_P(BTreeTest, RangeAndPrefixScans) {
  Model model;
  for (const char* k : {"a", "ab", "abc", "abd", "b", "b\xff", "b\xff\xff", "c"}) {
    model[k] = std::string("v_") + k;
  }
  PutAll(model);
  ASSERT_TRUE(harness_->Commit().ok());
  const PageId root = tree().committed_root();
  auto collect = [&](auto scan) {
    std::vector<std::string> keys;
    EXPECT_TRUE(scan([&](absl::string_view k, absl::string_view v) {
                  EXPECT_EQ(v, "v_" + std::string(k));
                  keys.emplace_back(k);
                  return true;
                }).ok());
    return keys;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(collect([&](auto fn) { return ScanRange(&harness_->pager(), root, "ab", "b", fn); }),
            (V{"ab", "abc", "abd"}));
  EXPECT_EQ(collect([&](auto fn) {
              return ScanRange(&harness_->pager(), root, "abz", std::nullopt, fn);
            }),
            (V{"b", "b\xff", "b\xff\xff", "c"}));
  EXPECT_EQ(collect([&](auto fn) { return ScanPrefix(&harness_->pager(), root, "ab", fn); }),
            (V{"ab", "abc", "abd"}));
  EXPECT_EQ(collect([&](auto fn) { return ScanPrefix(&harness_->pager(), root, "b\xff", fn); }),
            (V{"b\xff", "b\xff\xff"}));
  EXPECT_EQ(collect([&](auto fn) { return ScanPrefix(&harness_->pager(), root, "", fn); }).size(),
            model.size());
  EXPECT_EQ(PrefixEnd("ab"), "ac");
  EXPECT_EQ(PrefixEnd("a\xff"), "b");
  EXPECT_EQ(PrefixEnd("\xff\xff"), std::nullopt);
  int seen = 0;  // the callback stops the scan
  ASSERT_TRUE(ScanRange(&harness_->pager(), root, "", std::nullopt,
                        [&](auto, auto) { return ++seen < 3; })
                  .ok());
  EXPECT_EQ(seen, 3);
  Cursor empty(&harness_->pager(), 0);
  empty.SeekToFirst();
  EXPECT_FALSE(empty.Valid());
  empty.SeekForPrev("x");
  EXPECT_FALSE(empty.Valid());
}

TEST_P(BTreeTest, LeafPagesInRangeFindsTheLeavesFromBranchesAlone) {
  for (int i = 0; i < 5000; ++i) ASSERT_TRUE(tree().Put(Key(i), Value(i, 80)).ok());
  ASSERT_TRUE(harness_->Commit().ok());
  const PageId root = tree().committed_root();
  const CheckReport r = harness_->Check();
  ASSERT_GE(r.depth, 2u);
  std::vector<PageId> all, one, some, none;
  ASSERT_TRUE(LeafPagesInRange(&harness_->pager(), root, "", std::nullopt, &all).ok());
  EXPECT_EQ(all.size(), r.leaf_pages);
  ASSERT_TRUE(LeafPagesInRange(&harness_->pager(), root, Key(1234), Key(1235), &one).ok());
  EXPECT_EQ(one.size(), 1u);
  ASSERT_TRUE(LeafPagesInRange(&harness_->pager(), root, Key(1000), Key(2000), &some).ok());
  EXPECT_GT(some.size(), 10u);
  EXPECT_LT(some.size(), all.size() / 3);
  // Every leaf holding a key of the range is listed.
  auto first = std::find(all.begin(), all.end(), some.front());
  ASSERT_NE(first, all.end());
  EXPECT_TRUE(std::equal(some.begin(), some.end(), first));
  ASSERT_TRUE(LeafPagesInRange(&harness_->pager(), root, "z", "a", &none).ok());
  EXPECT_TRUE(none.empty());
}

TEST_P(BTreeTest, BulkLoadBuildsASoundTree) {
  Model old;
  for (int i = 0; i < 2000; ++i) old[Key(i) + "old"] = Value(i, i % 200 == 0 ? 9000 : 30);
  PutAll(old);
  ASSERT_TRUE(harness_->Commit().ok());

  Model model;
  BulkLoader loader(&harness_->pager(), tree().write_txn(), {.fill_factor = 0.8});
  for (int i = 0; i < 50000; ++i) {
    const std::string v = Value(i, i % 1000 == 0 ? 10000 : 100);
    ASSERT_TRUE(loader.Add(Key(i), v).ok());
    model[Key(i)] = v;
  }
  auto root = loader.Finish();
  ASSERT_TRUE(root.ok()) << root.status();
  ASSERT_TRUE(tree().ReplaceRoot(*root).ok());
  ASSERT_TRUE(harness_->Commit().ok());
  ExpectSound();  // the old tree's pages were freed
  ExpectContents(tree().committed_root(), model);
  const CheckReport r = harness_->Check();
  std::string cell;
  EncodeLeafCell(Key(0), Value(0, 100), &cell);
  const double leaf_fill = 50000.0 * (cell.size() + kSlotSize) /
                           (r.leaf_pages * static_cast<double>(NodeCapacity(4096)));
  EXPECT_NEAR(leaf_fill, 0.8, 0.05);
  // The loaded tree takes ordinary changes afterwards.
  ASSERT_TRUE(tree().Put(Key(25000) + "x", "between").ok());
  ASSERT_TRUE(tree().Delete(Key(7)).ok());
  ASSERT_TRUE(harness_->Commit().ok());
  ExpectSound();
}

TEST_P(BTreeTest, BulkLoadRefusesUnsortedAndDuplicateInput) {
  {
    BulkLoader loader(&harness_->pager(), tree().write_txn());
    ASSERT_TRUE(loader.Add("a", "1").ok());
    ASSERT_TRUE(loader.Add("b", "2").ok());
    absl::Status s = loader.Add("aa", "3");
    EXPECT_TRUE(absl::IsInvalidArgument(s));
    EXPECT_NE(s.message().find("entry 3"), std::string::npos) << s;
    EXPECT_NE(s.message().find("sorts before"), std::string::npos) << s;
    EXPECT_FALSE(loader.Finish().ok());  // a failed load stays failed
  }
  ASSERT_TRUE(tree().Abort().ok());
  {
    BulkLoader loader(&harness_->pager(), tree().write_txn());
    ASSERT_TRUE(loader.Add("a", "1").ok());
    absl::Status s = loader.Add("a", "2");
    EXPECT_NE(s.message().find("entry 2"), std::string::npos) << s;
    EXPECT_NE(s.message().find("repeats"), std::string::npos) << s;
  }
  ASSERT_TRUE(tree().Abort().ok());
  BulkLoader bad_fill(&harness_->pager(), tree().write_txn(), {.fill_factor = 1.5});
  EXPECT_TRUE(absl::IsInvalidArgument(bad_fill.Add("a", "1")));
  BulkLoader empty(&harness_->pager(), tree().write_txn());
  EXPECT_EQ(*empty.Finish(), 0u);
  ExpectSound();
}

TEST_P(BTreeTest, CheckerFindsDamage) {
  for (int i = 0; i < 3000; ++i) ASSERT_TRUE(tree().Put(Key(i), Value(i, 60)).ok());
  ASSERT_TRUE(harness_->Commit().ok());
  ASSERT_TRUE(harness_->Reopen().ok());
  const PageId root = tree().committed_root();
  CheckReport r = harness_->Check();
  ASSERT_TRUE(r.ok()) << r.ToString();
  ASSERT_GE(r.depth, 2u);

  // A reachable page on the free list.
  auto leaf_id = [&] {  // the first leaf: the leftmost child of the root
    auto ref = harness_->pager().Fetch(root);
    return NodeView::Parse(ref->data(), 4096, root)->child(0);
  }();
  ASSERT_TRUE(harness_->dm().FreePage(leaf_id).ok());
  r = CheckTree(&harness_->pager(), root);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.ToString().find("reachable and free"), std::string::npos) << r.ToString();

  // A damaged page on disk: its checksum no longer holds.
  harness_->Drop();
  {
    const int fd = ::open(harness_->path().c_str(), O_WRONLY);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::pwrite(fd, "garbage", 7, leaf_id * 4096 + 100), 7);
    ::close(fd);
  }
  ASSERT_TRUE(harness_->Open().ok());
  r = CheckTree(&harness_->pager(), root, {.check_free_pages = false});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.ToString().find(std::to_string(leaf_id)), std::string::npos) << r.ToString();
}

TEST_P(BTreeTest, CheckerFindsOrderAndDepthProblems) {
  Pager& pager = harness_->pager();
  // A leaf with keys out of order under a branch whose separator it breaks.
  auto leaf = pager.Allocate(PageType::kLeaf, 1);
  ASSERT_TRUE(leaf.ok());
  NodeEditor le(leaf->mutable_data(), 4096);
  le.Clear(true, {});
  std::string cell;
  EncodeLeafCell("m", "1", &cell);
  ASSERT_TRUE(le.Insert(0, cell));
  cell.clear();
  EncodeLeafCell("c", "2", &cell);
  ASSERT_TRUE(le.Insert(1, cell));  // "c" after "m"
  auto sub = pager.Allocate(PageType::kBranch, 1);  // a branch over a leaf
  NodeEditor se(sub->mutable_data(), 4096);
  se.Clear(false, {leaf->id(), 1});
  auto other = pager.Allocate(PageType::kLeaf, 1);
  NodeEditor oe(other->mutable_data(), 4096);
  oe.Clear(true, {});
  auto root = pager.Allocate(PageType::kBranch, 1);
  NodeEditor re(root->mutable_data(), 4096);
  re.Clear(false, {sub->id(), 1});
  cell.clear();
  EncodeBranchCell("k", {other->id(), 1}, &cell);  // sub holds keys < "k"
  ASSERT_TRUE(re.Insert(0, cell));
  const PageId root_id = root->id();
  leaf->Release();
  sub->Release();
  other->Release();
  root->Release();
  const CheckReport r = CheckTree(&pager, root_id, {.verify_checksums = false});
  const std::string text = r.ToString();
  EXPECT_NE(text.find("is not above key"), std::string::npos) << text;
  EXPECT_NE(text.find("at depth"), std::string::npos) << text;
  EXPECT_NE(text.find("is empty"), std::string::npos) << text;
}

// Lengths decoded from a page are bounded before they size anything: an
// overflow length no file could hold is DataLoss, never bad_alloc or a
// walk of 2^50 pages; a chain that loops back on itself ends in DataLoss.
TEST_P(BTreeTest, DamagedOverflowLengthsAreDataLossNotACrash) {
  const std::string big(20000, 'b');
  ASSERT_TRUE(tree().Put("k", big).ok());
  ASSERT_TRUE(harness_->Commit().ok());
  // The chain's first page: the one overflow page no other page links to.
  PageId first = 0;
  for (PageId id = 2; id < harness_->dm().page_count() && first == 0; ++id) {
    absl::StatusOr<PageRef> ref = harness_->pager().Fetch(id);
    if (!ref.ok() || static_cast<PageType>(ref->data()[kPageTypeOffset]) != PageType::kOverflow) {
      continue;
    }
    if (OverflowPages(&harness_->pager(), id, big.size()).ok()) first = id;
  }
  ASSERT_NE(first, 0u);
  std::string out;
  for (uint64_t length : {uint64_t{1} << 62, ~uint64_t{0}, uint64_t{1} << 40}) {
    absl::Status s = ReadOverflow(&harness_->pager(), first, length, &out);
    EXPECT_TRUE(absl::IsDataLoss(s)) << length << ": " << s;
    EXPECT_TRUE(absl::IsDataLoss(OverflowPages(&harness_->pager(), first, length).status()));
  }
  // A shorter length than the chain holds: the walk ends early and says so.
  EXPECT_TRUE(absl::IsDataLoss(ReadOverflow(&harness_->pager(), first, 100, &out)));
  EXPECT_TRUE(ReadOverflow(&harness_->pager(), first, big.size(), &out).ok());
  EXPECT_EQ(out, big);
}

// A leaf cell whose bytes are malformed (a page that passed its checksum
// but holds a bad length) stops a cursor and a get with DataLoss naming the
// page: never an empty key read as data, never a silent "not found".
TEST_P(BTreeTest, AMalformedLeafCellIsDataLossForCursorsAndGets) {
  for (const char* key : {"a", "b", "c"}) ASSERT_TRUE(tree().Put(key, "v").ok());
  ASSERT_TRUE(harness_->Commit().ok());
  const PageId root = tree().committed_root();
  {
    // The root is the only leaf, and still the writer's frame (no
    // checkpoint ran): corrupt the key length of "a", whose cell was
    // stored first, at the page's end.
    absl::StatusOr<PageRef> leaf = harness_->pager().Fetch(root);
    ASSERT_TRUE(leaf.ok()) << leaf.status();
    const uint16_t off = DecodeFixed16(leaf->data() + kNodeHeaderEnd);
    leaf->mutable_data()[off + 1] = static_cast<char>(0x7f);  // runs past the page
  }
  Cursor c(&harness_->pager(), root);
  c.SeekToFirst();
  EXPECT_FALSE(c.Valid());
  EXPECT_TRUE(absl::IsDataLoss(c.status())) << c.status();
  EXPECT_NE(c.status().message().find(absl::StrCat("node page ", root)), std::string::npos)
      << c.status();
  const absl::StatusOr<std::string> got = tree().Get(root, "a");
  EXPECT_TRUE(absl::IsDataLoss(got.status())) << got.status();
  EXPECT_TRUE(tree().Get(root, "b").ok());  // the other cells still read
}

// A value that cannot be read (its overflow chain is damaged) ends the
// cursor: value() is empty, Valid() turns false, status() is DataLoss,
// and Next() stays put rather than stepping on from a failed entry.
TEST_P(BTreeTest, AFailedValueReadEndsTheCursor) {
  const std::string big(20000, 'b');
  ASSERT_TRUE(tree().Put("a", "small").ok());
  ASSERT_TRUE(tree().Put("k", big).ok());
  ASSERT_TRUE(tree().Put("z", "small").ok());
  ASSERT_TRUE(harness_->Commit().ok());
  // Every overflow page is still the writer's frame (no checkpoint ran):
  // turn their type into a leaf's, so the chain cannot be followed.
  int damaged = 0;
  for (PageId id = 2; id < harness_->dm().page_count(); ++id) {
    absl::StatusOr<PageRef> ref = harness_->pager().Fetch(id);
    if (!ref.ok() || static_cast<PageType>(ref->data()[kPageTypeOffset]) != PageType::kOverflow) {
      continue;
    }
    ref->mutable_data()[kPageTypeOffset] = static_cast<char>(PageType::kLeaf);
    ++damaged;
  }
  ASSERT_GT(damaged, 0);
  Cursor c(&harness_->pager(), tree().committed_root());
  c.SeekToFirst();
  ASSERT_TRUE(c.Valid());
  EXPECT_EQ(c.value(), "small");
  c.Next();
  ASSERT_TRUE(c.Valid());
  EXPECT_EQ(c.key(), "k");
  EXPECT_EQ(c.value(), "");
  EXPECT_FALSE(c.Valid());
  EXPECT_TRUE(absl::IsDataLoss(c.status())) << c.status();
  c.Next();
  EXPECT_FALSE(c.Valid());
  EXPECT_TRUE(absl::IsDataLoss(c.status())) << c.status();
}

INSTANTIATE_TEST_SUITE_P(Managers, BTreeTest, BothManagers(), ManagerName());

}  // namespace
}  // namespace laura
