// Tests for the Pager over both disk managers: reading, building and
// committing pages, the copy-on-write contract, parked frees, and, for the
// pool over pread, eviction with write-back, verification and pinning.
#include "storage/pager.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "storage/coding.h"
#include "tests/support/manager_params.h"
#include "tests/support/temp_dir.h"

namespace laura {
namespace {

class PagerTest : public ::testing::TestWithParam<DiskManagerKind> {
 protected:
  void Open(uint64_t cache_bytes = 64 * kMiB, uint64_t write_behind_bytes = 0) {
    pager_.reset();
    dm_.reset();
    DiskManagerOptions o;
    o.initial_size = 256 * 1024;
    o.growth_step = 256 * 1024;
    o.write_behind_bytes = write_behind_bytes;
    auto dm = DiskManager::Open(GetParam(), path_, o);
    ASSERT_TRUE(dm.ok()) << dm.status();
    dm_ = std::move(*dm);
    auto pager = Pager::Create(dm_.get(), {.cache_bytes = cache_bytes});
    ASSERT_TRUE(pager.ok());
    pager_ = std::move(*pager);
  }

  void Commit(Lsn lsn) {
    ASSERT_TRUE(pager_->EndWriteBatch(lsn).ok());
    ASSERT_TRUE(pager_->Flush().ok());
    ASSERT_TRUE(dm_->Checkpoint(lsn, 0).ok());
  }

  // Allocates a page whose payload is the 8-byte tag repeated.
  PageId NewTagged(uint64_t tag) {
    auto ref = pager_->Allocate(PageType::kData, tag);
    EXPECT_TRUE(ref.ok()) << ref.status();
    for (size_t off = kPageHeaderSize; off + 8 <= pager_->page_size(); off += 8) {
      EncodeFixed64(ref->mutable_data() + off, tag);
    }
    return ref->id();
  }

  // Two threads read `committed` committed pages while this one allocates
  // `allocated` new ones.
  struct ReadWhileAllocatingCase {
    uint64_t cache_bytes;
    Lsn lsn;
    uint64_t committed = 64;
    uint64_t allocated = 500;
    uint64_t write_behind_bytes = 0;
  };
  void ReadWhileAllocating(const ReadWhileAllocatingCase& c);

  void ExpectTagged(PageId id, uint64_t tag) {
    auto ref = pager_->Fetch(id);
    ASSERT_TRUE(ref.ok()) << ref.status();
    EXPECT_EQ(DecodeFixed64(ref->data() + kPageLsnOffset), tag);
    EXPECT_EQ(DecodeFixed64(ref->data() + pager_->page_size() - 8), tag);
  }

  // Versions of kSlots pages each, built by the writer (this thread) and
  // read by reader threads on snapshots: each reader takes the newest
  // version as its snapshot and checks that every page of it holds that
  // version's bytes (the tests of concurrent readers below).
  struct Versions {
    std::mutex mu;
    std::vector<std::vector<PageId>> pages;  // by version
    std::multiset<uint64_t> live;            // the readers' snapshots
    uint64_t current = 0;
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> checked{0};        // snapshots read through
  };
  void ReadVersions(Versions& vs) {
    while (!vs.stop.load()) {
      uint64_t v;
      std::vector<PageId> ids;
      {
        std::lock_guard<std::mutex> lock(vs.mu);
        if (vs.current == 0) continue;
        v = vs.current;
        vs.live.insert(v);
        ids = vs.pages[v];
      }
      for (PageId id : ids) {
        auto ref = pager_->Fetch(id);
        ASSERT_TRUE(ref.ok()) << ref.status();
        ASSERT_EQ(DecodeFixed64(ref->data() + kPageLsnOffset), v) << "page " << id;
        ASSERT_EQ(DecodeFixed64(ref->data() + pager_->page_size() - 8), v) << "page " << id;
      }
      vs.checked.fetch_add(1);
      std::lock_guard<std::mutex> lock(vs.mu);
      vs.live.erase(vs.live.find(v));
    }
  }
  // Builds version v (kSlots pages), publishes it, frees version v - 1
  // and releases what no reader holds.
  void BuildVersion(Versions& vs, uint64_t v, int slots) {
    std::vector<PageId> ids;
    for (int i = 0; i < slots; ++i) ids.push_back(NewTagged(v));
    ASSERT_TRUE(pager_->EndWriteBatch(v).ok());
    std::vector<uint64_t> snapshots;
    {
      std::lock_guard<std::mutex> lock(vs.mu);
      vs.pages[v] = ids;
      vs.current = v;
      snapshots.assign(vs.live.begin(), vs.live.end());
    }
    if (v > 1) {
      for (PageId old : vs.pages[v - 1]) pager_->FreeAfter(old, v, v - 1);
    }
    ASSERT_TRUE(pager_->ReleaseFrees(v, snapshots).ok());
  }
  // Lets the readers check a few versions more (or stops at a failure on
  // any thread, which ends that thread), then stops them.
  void StopReaders(Versions& vs, std::vector<std::thread>& threads) {
    const uint64_t until = vs.checked.load() + 20;
    while (vs.checked.load() < until && !HasFailure()) std::this_thread::yield();
    vs.stop.store(true);
    for (auto& t : threads) t.join();
  }

  TempDir dir_;
  const std::string path_ = dir_.File("data.ldb");
  std::unique_ptr<DiskManager> dm_;
  std::unique_ptr<Pager> pager_;
};

TEST_P(PagerTest, PagesAreReadBackAndSurviveReopen) {
  Open();
  std::vector<PageId> ids;
  for (uint64_t i = 0; i < 50; ++i) ids.push_back(NewTagged(i + 1));
  for (uint64_t i = 0; i < 50; ++i) ExpectTagged(ids[i], i + 1);
  Commit(7);
  ASSERT_TRUE(dm_->Close().ok());
  Open();
  for (uint64_t i = 0; i < 50; ++i) ExpectTagged(ids[i], i + 1);
}

TEST_P(PagerTest, PagesWrittenEarlyAndChangedAgainAreSealedAgain) {
  Open(64 * 4096);  // a small pool: written-early pages are evicted first
  std::vector<PageId> ids;
  for (uint64_t i = 0; i < 100; ++i) {
    ids.push_back(NewTagged(i + 1));
    ASSERT_TRUE(pager_->WriteEarly(ids.back()).ok());
  }
  ASSERT_TRUE(pager_->WriteEarly(ids[0]).ok());  // clean now: no effect
  // Changing a page written early makes it dirty again.
  for (uint64_t i = 0; i < 100; i += 3) {
    auto ref = pager_->FetchForWrite(ids[i]);
    ASSERT_TRUE(ref.ok()) << ref.status();
    EncodeFixed64(ref->mutable_data() + pager_->page_size() - 8, 500 + i);
  }
  Commit(9);
  ASSERT_TRUE(dm_->Close().ok());
  Open();
  std::string page(dm_->page_size(), '\0');
  for (uint64_t i = 0; i < 100; ++i) {
    absl::Status s = dm_->ReadPage(ids[i], page.data());  // verifies the checksum
    ASSERT_TRUE(s.ok()) << "page " << ids[i] << ": " << s;
    EXPECT_EQ(DecodeFixed64(page.data() + page.size() - 8), i % 3 == 0 ? 500 + i : i + 1);
  }
  EXPECT_TRUE(dm_->Close().ok());
}

TEST_P(PagerTest, CommittedPagesCannotChange) {
  Open();
  PageId id = NewTagged(1);
  ASSERT_TRUE(pager_->IsWritable(id));
  {
    auto ref = pager_->FetchForWrite(id);
    ASSERT_TRUE(ref.ok());
    EncodeFixed64(ref->mutable_data() + kPageLsnOffset, 2);
    EncodeFixed64(ref->mutable_data() + pager_->page_size() - 8, 2);
  }
  ASSERT_TRUE(pager_->EndWriteBatch(2).ok());
  EXPECT_FALSE(pager_->IsWritable(id));
  auto again = pager_->FetchForWrite(id);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(pager_->FreeUncommitted(id).code(), absl::StatusCode::kFailedPrecondition);
  ExpectTagged(id, 2);
}

TEST_P(PagerTest, FetchPastTheEndIsOutOfRange) {
  Open();
  EXPECT_EQ(pager_->Fetch(100000).status().code(), absl::StatusCode::kOutOfRange);
}

// Prefetch is a hint a scan gives for a page it has not fetched yet: any
// id (framed, written, past the end, never allocated) is accepted, nothing
// faults (ASan and the mapping's PROT_READ would say so) and no page
// changes.
TEST_P(PagerTest, PrefetchOfAnyIdIsAHarmlessHint) {
  Open();
  const PageId framed = NewTagged(3);
  const PageId written = NewTagged(4);
  ASSERT_TRUE(pager_->WriteEarly(written).ok());
  for (PageId id : {framed, written, PageId{0}, PageId{1}, dm_->page_count(),
                    dm_->max_page_count(), ~PageId{0}}) {
    pager_->Prefetch(id);
  }
  ExpectTagged(framed, 3);
  ExpectTagged(written, 4);
}

TEST_P(PagerTest, ParkedFreesWaitForTheirTransaction) {
  Open();
  PageId a = NewTagged(1), b = NewTagged(2);
  Commit(1);
  pager_->FreeAfter(a, /*txn=*/5);
  pager_->FreeAfter(b, /*txn=*/6);
  ASSERT_TRUE(pager_->ReleaseFrees(/*published_txn=*/4, {}).ok());
  EXPECT_EQ(pager_->parked_frees(), 2u);
  ExpectTagged(a, 1);  // still readable by an old snapshot
  ASSERT_TRUE(pager_->ReleaseFrees(5, {}).ok());
  EXPECT_EQ(pager_->parked_frees(), 1u);
  EXPECT_EQ(dm_->Stats().free_pages, 1u);
  // Durable before: reusable once the next checkpoint is durable.
  Commit(2);
  auto ref = pager_->Allocate(PageType::kData, 3);
  ASSERT_TRUE(ref.ok());
  EXPECT_EQ(ref->id(), a);
}

TEST_P(PagerTest, AFreedVersionWaitsOnlyForSnapshotsThatReachIt) {
  // Versions written by transaction W and freed by T are in versions
  // W .. T - 1: only a snapshot in that range holds the page back.
  Open();
  const PageId old_page = NewTagged(1), young = NewTagged(2), unknown = NewTagged(3),
               damaged = NewTagged(4), late = NewTagged(5);
  Commit(1);
  pager_->FreeAfter(old_page, /*txn=*/6, /*written=*/2);  // versions 2..5
  pager_->FreeAfter(young, 6, /*written=*/4);             // versions 4..5
  pager_->FreeAfter(unknown, 6);                          // written unknown: 0..5
  pager_->FreeAfter(damaged, 6, /*written=*/9);           // an LSN past 6 is damage
  pager_->FreeAfter(late, 8, /*written=*/7);              // txn 8 is not published yet
  const std::vector<uint64_t> snapshots = {3};            // a long reader of version 3
  ASSERT_TRUE(pager_->ReleaseFrees(/*published_txn=*/7, snapshots).ok());
  const std::vector<PageId> parked = pager_->ParkedPages();
  EXPECT_EQ(parked.size(), 4u);
  EXPECT_EQ(std::count(parked.begin(), parked.end(), young), 0);  // free now
  for (PageId id : {old_page, unknown, damaged, late}) {
    EXPECT_EQ(std::count(parked.begin(), parked.end(), id), 1) << id;
  }
  ExpectTagged(old_page, 1);  // the reader of version 3 still sees it
  // Version 3's reader ends; txn 8 is published.
  ASSERT_TRUE(pager_->ReleaseFrees(8, {}).ok());
  EXPECT_EQ(pager_->parked_frees(), 0u);
}

TEST_P(PagerTest, APageFreedBeforeItsTransactionIsPublishedStaysParked) {
  // Until T is published a new reader can still take version T - 1.
  Open();
  const PageId a = NewTagged(1);
  Commit(1);
  pager_->FreeAfter(a, /*txn=*/5, /*written=*/4);
  ASSERT_TRUE(pager_->ReleaseFrees(/*published_txn=*/4, {}).ok());
  EXPECT_EQ(pager_->parked_frees(), 1u);
  ASSERT_TRUE(pager_->ReleaseFrees(5, {}).ok());
  EXPECT_EQ(pager_->parked_frees(), 0u);
}

TEST_P(PagerTest, UncommittedPagesAreReusedAtOnce) {
  Open();
  PageId a = NewTagged(1);
  ASSERT_TRUE(pager_->FreeUncommitted(a).ok());
  EXPECT_EQ(NewTagged(2), a);
  ExpectTagged(a, 2);
}

TEST_P(PagerTest, SmallPoolEvictsAndWritesBack) {
  Open(/*cache_bytes=*/16 * 4096);
  std::vector<PageId> ids;
  for (uint64_t i = 0; i < 300; ++i) ids.push_back(NewTagged(1000 + i));
  for (uint64_t i = 0; i < 300; ++i) ExpectTagged(ids[i], 1000 + i);
  Commit(3);
  for (uint64_t i = 0; i < 300; i += 7) ExpectTagged(ids[i], 1000 + i);
  PagerStats st = pager_->Stats();
  if (GetParam() == DiskManagerKind::kPread) {
    EXPECT_GT(st.evictions, 250u);
    EXPECT_GE(st.write_backs, 300u);
    EXPECT_GT(st.misses, 0u);
    EXPECT_LE(st.bytes_resident, 16u * 4096);
  } else {
    EXPECT_GE(st.write_backs, 300u) << "the checkpoint wrote every frame";
    // Written frames wait for the snapshots that might read them; with
    // none left, they are all reused.
    ASSERT_TRUE(pager_->ReleaseFrees(3, {}).ok());
    EXPECT_EQ(pager_->Stats().bytes_resident, 0u);
  }
  ASSERT_TRUE(dm_->Close().ok());
  Open();
  for (uint64_t i = 0; i < 300; ++i) ExpectTagged(ids[i], 1000 + i);
}

// The pool's own behaviour: frames exist only over the pread manager.
class PoolPagerTest : public PagerTest {};

TEST_P(PoolPagerTest, ShardedPoolEvictsAndWritesBackInEveryShard) {
  // 1024 frames: four shards of 256 (storage/pool_pager.cc), each far too
  // small for the pages that land in it.
  constexpr uint64_t kFrames = 1024, kPages = 6000;
  Open(/*cache_bytes=*/kFrames * 4096);
  std::vector<PageId> ids;
  for (uint64_t i = 0; i < kPages; ++i) ids.push_back(NewTagged(1000 + i));
  for (uint64_t i = 0; i < kPages; ++i) ExpectTagged(ids[i], 1000 + i);
  Commit(3);
  const PagerStats st = pager_->Stats();
  EXPECT_GE(st.write_backs, kPages);  // every page reached the disk once
  EXPECT_GT(st.evictions, kPages - kFrames);
  EXPECT_LE(st.bytes_resident, kFrames * 4096);
  // Pinning every frame of one shard fails, even with the others free;
  // releasing one pin makes room again.
  std::vector<PageRef> pinned;
  absl::Status full;
  for (uint64_t i = 0; i < kPages && full.ok(); i += 4) {  // ids a shard apart
    auto ref = pager_->Fetch(ids[i]);
    if (ref.ok()) pinned.push_back(std::move(*ref));
    full = ref.status();
  }
  EXPECT_EQ(full.code(), absl::StatusCode::kResourceExhausted) << full;
  EXPECT_NE(full.message().find("shard"), std::string::npos) << full;
  EXPECT_EQ(pinned.size() % 256, 0u) << pinned.size() << " pins before the shard was full";
  pinned.pop_back();
  EXPECT_TRUE(pager_->Fetch(ids[0]).ok());
  pinned.clear();
  ASSERT_TRUE(dm_->Close().ok());
  Open(/*cache_bytes=*/kFrames * 4096);
  for (uint64_t i = 0; i < kPages; ++i) ExpectTagged(ids[i], 1000 + i);
}

TEST_P(PoolPagerTest, PoolFullOfPinnedPagesIsAnError) {
  Open(/*cache_bytes=*/16 * 4096);
  std::vector<PageRef> pinned;
  for (int i = 0; i < 16; ++i) {
    auto ref = pager_->Allocate(PageType::kData, 1);
    ASSERT_TRUE(ref.ok());
    pinned.push_back(std::move(*ref));
  }
  auto more = pager_->Allocate(PageType::kData, 1);
  EXPECT_EQ(more.status().code(), absl::StatusCode::kResourceExhausted);
  pinned.pop_back();
  EXPECT_TRUE(pager_->Allocate(PageType::kData, 1).ok());
}

TEST_P(PagerTest, DamagedPageOnDiskIsDataLoss) {
  Open();
  PageId id = NewTagged(9);
  Commit(1);
  ASSERT_TRUE(dm_->Close().ok());
  {
    std::fstream f(path_, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(id * 4096 + 2000);
    f.put('!');
  }
  Open();
  auto ref = pager_->Fetch(id);
  EXPECT_EQ(ref.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(ref.status().message().find("page " + std::to_string(id)),
            std::string::npos);
}

TEST_P(PagerTest, ConcurrentReadersWhileTheWriterAllocates) {
  // A one-shard pool that evicts all the time, and a pool of 16 shards.
  Lsn lsn = 0;
  for (uint64_t frames : {32, 4096}) {
    SCOPED_TRACE(frames);
    ReadWhileAllocating({.cache_bytes = frames * 4096, .lsn = ++lsn});
  }
}

// Readers evict dirty frames of other shards while the writer does too:
// both write pages back, and write-behind's state is shared (run under
// TSan by the test command).
TEST_P(PagerTest, ConcurrentEvictionsWithWriteBehind) {
  ReadWhileAllocating({.cache_bytes = 1024 * 4096, .lsn = 1, .committed = 2048,
                       .allocated = 3000, .write_behind_bytes = 64 * 1024});
}

void PagerTest::ReadWhileAllocating(const ReadWhileAllocatingCase& c) {
  Open(c.cache_bytes, c.write_behind_bytes);
  std::vector<PageId> committed;
  for (uint64_t i = 0; i < c.committed; ++i) committed.push_back(NewTagged(i + 1));
  Commit(c.lsn);
  std::atomic<bool> stop{false};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&, t] {
      for (uint64_t n = 0; !stop.load() || n < 1000; ++n) {
        const uint64_t i = (n * 7 + t) % committed.size();
        auto ref = pager_->Fetch(committed[i]);
        ASSERT_TRUE(ref.ok()) << ref.status();
        ASSERT_EQ(DecodeFixed64(ref->data() + kPageLsnOffset), i + 1);
      }
    });
  }
  for (uint64_t i = 0; i < c.allocated; ++i) NewTagged(c.committed + 100 + i);
  stop.store(true);
  for (auto& r : readers) r.join();
}

// The mmap pager's private frames (storage/mmap_pager.cc).
class MmapPagerTest : public PagerTest {};

// Invariant 2: a frame written out keeps its bytes while a snapshot that
// was live when it was written may still read it; then it is reused, and
// the page is read from the mapping.
TEST_P(MmapPagerTest, WrittenFramesOutliveTheSnapshotsThatCouldReadThem) {
  Open();
  const PageId a = NewTagged(1);
  ASSERT_TRUE(pager_->EndWriteBatch(1).ok());
  auto held = pager_->Fetch(a);  // a reader of snapshot 1
  ASSERT_TRUE(held.ok());
  EXPECT_NE(held->data(), dm_->PageData(a)) << "a changed page is read from its frame";
  ASSERT_TRUE(pager_->Flush().ok());
  EXPECT_EQ(pager_->Stats().write_backs, 1u);
  EXPECT_EQ(pager_->Stats().bytes_resident, pager_->page_size()) << "retired, not reused";
  // New pages while snapshot 1 lives must not take a's frame.
  ASSERT_TRUE(pager_->ReleaseFrees(1, {1}).ok());
  for (uint64_t i = 0; i < 50; ++i) NewTagged(500 + i);
  EXPECT_EQ(DecodeFixed64(held->data() + pager_->page_size() - 8), 1u);
  EXPECT_EQ(DecodeFixed64(held->data() + kPageLsnOffset), 1u);
  ASSERT_TRUE(pager_->EndWriteBatch(2).ok());
  // Snapshot 1 is gone: the frame is reused; a is read from the mapping.
  held->Release();
  ASSERT_TRUE(pager_->ReleaseFrees(2, {}).ok());
  auto again = pager_->Fetch(a);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->data(), dm_->PageData(a));
  ExpectTagged(a, 1);
}

// Changed pages beyond the budget (cache_bytes) are written when their
// batch ends, without waiting for a checkpoint, and read back whole.
TEST_P(MmapPagerTest, FramesBeyondTheBudgetAreWrittenAtTheEndOfTheirBatch) {
  Open(/*cache_bytes=*/16 * 4096);
  std::vector<PageId> ids;
  for (uint64_t i = 0; i < 10; ++i) ids.push_back(NewTagged(100 + i));
  ASSERT_TRUE(pager_->EndWriteBatch(1).ok());
  EXPECT_EQ(pager_->Stats().write_backs, 0u) << "within the budget: kept in frames";
  for (uint64_t i = 0; i < 40; ++i) ids.push_back(NewTagged(200 + i));
  ASSERT_TRUE(pager_->EndWriteBatch(2).ok());
  EXPECT_EQ(pager_->Stats().write_backs, 50u);
  for (size_t i = 0; i < ids.size(); ++i) {
    ExpectTagged(ids[i], i < 10 ? 100 + i : 200 + (i - 10));
    EXPECT_EQ(pager_->Fetch(ids[i])->data(), dm_->PageData(ids[i]));
  }
}

// A page freed before it was written is never written.
TEST_P(MmapPagerTest, PagesFreedBeforeTheCheckpointAreNeverWritten) {
  Open();
  const PageId keep = NewTagged(1);
  const PageId gone = NewTagged(1);
  ASSERT_TRUE(pager_->EndWriteBatch(1).ok());
  pager_->FreeAfter(gone, 2, 1);
  ASSERT_TRUE(pager_->EndWriteBatch(2).ok());
  ASSERT_TRUE(pager_->ReleaseFrees(2, {}).ok());
  ASSERT_TRUE(pager_->Flush().ok());
  EXPECT_EQ(pager_->Stats().write_backs, 1u);
  ExpectTagged(keep, 1);
}

// Invariant 5: a detached page is read from its frame until its write-out
// is done and the writer took the frame back; then from the mapping.
TEST_P(MmapPagerTest, DetachedPagesAreReadFromTheirFramesUntilWritten) {
  Open();
  const PageId a = NewTagged(1);
  ASSERT_TRUE(pager_->EndWriteBatch(1).ok());
  ASSERT_TRUE(pager_->DetachCommitted().ok());
  EXPECT_EQ(pager_->Stats().write_backs, 0u) << "detaching writes nothing";
  EXPECT_NE(pager_->Fetch(a)->data(), dm_->PageData(a)) << "still read from its frame";
  ExpectTagged(a, 1);
  ASSERT_TRUE(pager_->WriteDetached().ok());
  EXPECT_EQ(pager_->Stats().write_backs, 1u);
  EXPECT_EQ(DecodeFixed64(dm_->PageData(a) + pager_->page_size() - 8), 1u) << "in the file";
  // The writer takes the frame back at its next batch; once no snapshot
  // is older, a is read from the mapping.
  NewTagged(2);
  ASSERT_TRUE(pager_->EndWriteBatch(2).ok());
  ASSERT_TRUE(pager_->ReleaseFrees(2, {}).ok());
  EXPECT_EQ(pager_->Fetch(a)->data(), dm_->PageData(a));
  ExpectTagged(a, 1);
}

// Invariant 5: the writer takes back a large write-out's frames a bounded
// number per batch (no single commit pays for a whole checkpoint), and
// every page then reads back from the mapping.
TEST_P(MmapPagerTest, DetachedFramesAreTakenBackOverSeveralBatches) {
  Open();
  std::vector<PageId> ids;
  for (uint64_t i = 0; i < 300; ++i) ids.push_back(NewTagged(1));
  ASSERT_TRUE(pager_->EndWriteBatch(1).ok());
  ASSERT_TRUE(pager_->DetachCommitted().ok());
  ASSERT_TRUE(pager_->WriteDetached().ok());
  EXPECT_EQ(pager_->Stats().write_backs, 300u);
  auto in_mapping = [&] {
    size_t n = 0;
    for (PageId id : ids) n += pager_->Fetch(id)->data() == dm_->PageData(id);
    return n;
  };
  std::vector<size_t> taken;
  for (uint64_t v = 2; v <= 5; ++v) {
    ASSERT_TRUE(pager_->EndWriteBatch(v).ok());
    ASSERT_TRUE(pager_->ReleaseFrees(v, {}).ok());
    taken.push_back(in_mapping());
  }
  EXPECT_GT(taken[0], 0u);
  EXPECT_LT(taken[0], ids.size()) << "one batch took back every frame";
  EXPECT_EQ(taken.back(), ids.size());
  for (PageId id : ids) ExpectTagged(id, 1);
}

// Invariant 5: a detached page freed for good before its write-out runs is
// not written, so the newer page its id holds by then is not overwritten
// with the old bytes.
TEST_P(MmapPagerTest, DetachedPageFreedAndReusedIsNotWrittenOverItsNewVersion) {
  Open();
  const PageId a = NewTagged(1);
  ASSERT_TRUE(pager_->EndWriteBatch(1).ok());
  ASSERT_TRUE(pager_->DetachCommitted().ok());
  pager_->FreeAfter(a, 2, 1);
  ASSERT_TRUE(pager_->EndWriteBatch(2).ok());
  ASSERT_TRUE(pager_->ReleaseFrees(2, {}).ok());  // a is free for good
  const PageId again = NewTagged(3);
  ASSERT_EQ(again, a) << "the scenario needs a's id reused";
  ASSERT_TRUE(pager_->WriteEarly(again).ok());  // the new version reaches the file first
  ASSERT_TRUE(pager_->EndWriteBatch(3).ok());
  ASSERT_TRUE(pager_->WriteDetached().ok());  // the checkpoint's write-out, late
  EXPECT_EQ(pager_->Stats().write_backs, 1u) << "only the new version was written";
  EXPECT_EQ(DecodeFixed64(dm_->PageData(a) + kPageLsnOffset), 3u);
  EXPECT_EQ(DecodeFixed64(dm_->PageData(a) + pager_->page_size() - 8), 3u);
}

// A Flush while a write-out is still pending finishes it on the writer's
// thread, so that every page is in the file when Flush returns.
TEST_P(MmapPagerTest, DetachedPagesAreWrittenByAFlushThatComesFirst) {
  Open();
  const PageId a = NewTagged(1);
  ASSERT_TRUE(pager_->EndWriteBatch(1).ok());
  ASSERT_TRUE(pager_->DetachCommitted().ok());
  const PageId b = NewTagged(2);
  ASSERT_TRUE(pager_->EndWriteBatch(2).ok());
  ASSERT_TRUE(pager_->Flush().ok());
  EXPECT_EQ(pager_->Stats().write_backs, 2u);
  ASSERT_TRUE(pager_->WriteDetached().ok());
  EXPECT_EQ(pager_->Stats().write_backs, 2u) << "nothing is written twice";
  ASSERT_TRUE(dm_->Checkpoint(2, 0).ok());
  Open();  // reopened: read from the file
  ExpectTagged(a, 1);
  ExpectTagged(b, 2);
}

// Invariant 5 with the write-out on its own thread, as a checkpoint runs
// it: readers on snapshots see their version's bytes while the writer
// builds, frees and reuses pages and a second thread writes each
// detached set (under TSan in scripts/test.sh).
TEST_P(MmapPagerTest, ConcurrentReadersWhileACheckpointWritesBesideTheWriter) {
  constexpr int kSlots = 24, kVersions = 150, kReaders = 2;
  Open();
  Versions vs;
  vs.pages.resize(kVersions + 1);
  std::atomic<int> write_outs_asked{0}, write_outs_done{0};
  std::vector<std::thread> threads;
  for (int r = 0; r < kReaders; ++r) threads.emplace_back([&] { ReadVersions(vs); });
  threads.emplace_back([&] {  // the checkpoint's second step
    while (!vs.stop.load()) {
      if (write_outs_done.load() == write_outs_asked.load()) {
        std::this_thread::yield();
        continue;
      }
      ASSERT_TRUE(pager_->WriteDetached().ok());
      write_outs_done.fetch_add(1);
    }
  });
  for (uint64_t v = 1; v <= kVersions; ++v) {
    BuildVersion(vs, v, kSlots);
    // One write-out at a time, as one checkpoint runs at a time; it runs
    // beside the next ten batches.
    if (v % 10 == 0) {
      while (write_outs_done.load() != write_outs_asked.load() && !HasFailure()) {
        std::this_thread::yield();
      }
      ASSERT_TRUE(pager_->DetachCommitted().ok());
      write_outs_asked.fetch_add(1);
    }
  }
  while (write_outs_done.load() != write_outs_asked.load() && !HasFailure()) {
    std::this_thread::yield();
  }
  StopReaders(vs, threads);
  ASSERT_FALSE(HasFailure());
  // Every page of the last version reaches the file and reads back.
  ASSERT_TRUE(pager_->Flush().ok());
  ASSERT_TRUE(dm_->Checkpoint(kVersions, 0).ok());
  for (PageId id : vs.pages[kVersions]) {
    EXPECT_EQ(DecodeFixed64(dm_->PageData(id) + kPageLsnOffset), kVersions) << "page " << id;
  }
}

// Readers on snapshots read every page of their version while the writer
// builds new versions, frees the old ones, and (with a small budget)
// writes pages out and reuses frames and pages: each reader must see its
// version's bytes only. Over mmap this is the frame life cycle of
// storage/mmap_pager.cc (invariants 1-3) under TSan.
TEST_P(PagerTest, ConcurrentReadersSeeTheirVersionWhilePagesAreWrittenAndReused) {
  constexpr int kSlots = 24, kVersions = 150, kReaders = 2;
  Open(/*cache_bytes=*/64 * 4096);
  Versions vs;
  vs.pages.resize(kVersions + 1);
  std::vector<std::thread> readers;
  for (int r = 0; r < kReaders; ++r) readers.emplace_back([&] { ReadVersions(vs); });
  for (uint64_t v = 1; v <= kVersions; ++v) {
    BuildVersion(vs, v, kSlots);
    if (v % 10 == 0) {
      ASSERT_TRUE(pager_->Flush().ok());
    }
  }
  StopReaders(vs, readers);
}

INSTANTIATE_TEST_SUITE_P(BothManagers, PagerTest, BothManagers(), ManagerName());
INSTANTIATE_TEST_SUITE_P(Mmap, MmapPagerTest, ::testing::Values(DiskManagerKind::kMmap),
                         ManagerName());
INSTANTIATE_TEST_SUITE_P(Pread, PoolPagerTest, ::testing::Values(DiskManagerKind::kPread),
                         ManagerName());

}  // namespace
}  // namespace laura
