// Page allocation policy and the on-disk free list.
//
// PageAllocator is pure bookkeeping (no I/O, no locking): the high-water
// mark (page count), the free page ids, and the pages that hold the durable
// free list. Freed pages are reused before the file grows, the most
// recently freed first: a copy-on-write writer frees the old version of
// each page it copies, so the page it takes next was touched moments ago
// and is more likely to be cached (measured in the random fill and in
// fillsync, bench/README.md). Pages that become allocatable together at
// a checkpoint queue behind those, lowest id first. Freeing a page twice,
// a meta page, a page past the end or a page that holds the durable free
// list is refused.
//
// The free tail: free pages at the very end of the file that nothing
// reaches (allocatable now) are given up at a checkpoint (TrimFreeTail),
// lowering the page count so that the file can shrink.
//
// Invariants (an "epoch" is the time between two durable Syncs):
//  1. A page reachable from the durable meta page is never handed out. So a
//     page freed in this epoch goes to pending_ and becomes allocatable only
//     when the next meta page is durable (CommitFreeList) -- unless it was
//     allocated in this same epoch (state kFresh), in which case no durable
//     state can reach it and it is reusable at once.
//  2. The free list written at a Sync lists free_ + pending_ + the previous
//     list's pages: everything free once that Sync's meta page is durable,
//     and the pages in use only by live snapshots (PlanFreeList's
//     unreachable), which a crash ends.
//     Its own pages come from free_ (or the end of the file), never from
//     pending_, so writing it cannot touch durable state.
//  3. free_, pending_, planned_, list_pages_ and the live pages are
//     disjoint: state_ holds, for every page id below the page count,
//     which of them it is in (one byte per page), so that freeing a page
//     checks it in O(1) instead of searching the sets.
//  5. Fenced pages (Fence) are free but not allocatable: after a writer
//     process died, readers in other processes may still hold snapshots of
//     its versions, whose pages may be any page free at the durable
//     checkpoint or past its page count. They are listed as free in every
//     free list written meanwhile (so a crash loses none) and become
//     allocatable at Unfence, once those readers are gone
//     (btree/shared_registry.h).
//  4. A checkpoint may run while the writer goes on (DiskManager::
//     BeginCheckpoint / FinishCheckpoint): PlanFreeList moves pending_ to
//     planned_, and CommitFreeList makes only planned_ allocatable. Pages
//     freed between the two stay pending for the next checkpoint, whose
//     free list will list them.
//
// Free-list page layout: the common page header (storage/page.h, type
// kFreeList), then, little-endian:
//
//   offset  size  field
//   32      8     next free-list page id (0 = this is the last)
//   40      4     number of entries n on this page
//   44      4     reserved, zero
//   48      8*n   free page ids
#ifndef LAURA_STORAGE_FREE_LIST_H_
#define LAURA_STORAGE_FREE_LIST_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "absl/container/btree_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "storage/page.h"

namespace laura {

inline constexpr size_t kFreeListEntriesOffset = 48;

// Free page ids that fit on one free-list page.
inline size_t FreeListCapacity(uint32_t page_size) {
  return (page_size - kFreeListEntriesOffset) / 8;
}

class PageAllocator {
 public:
  // A fresh database: only the two meta pages exist.
  PageAllocator() = default;
  // State loaded from disk. REQUIRES: ids in free and list_pages are in
  // [2, page_count) and disjoint.
  PageAllocator(uint64_t page_count, absl::btree_set<PageId> free,
                std::vector<PageId> list_pages);

  uint64_t page_count() const { return page_count_; }
  // Free pages, allocatable now or after the next Sync.
  size_t free_count() const {
    return free_.size() + pending_.size() + planned_.size() + fenced_.size();
  }
  // Free pages allocatable now.
  size_t allocatable_count() const { return free_.size(); }
  // Free pages held back by Fence.
  size_t fenced_count() const { return fenced_.size(); }
  // Free pages the durable meta page may still reach, allocatable only
  // after the next checkpoint (pending and planned).
  size_t pinned_count() const { return pending_.size() + planned_.size(); }
  // Every free page id (allocatable now or after the next Sync), sorted.
  std::vector<PageId> FreeIds() const;
  // The pages holding the durable free list.
  const std::vector<PageId>& list_pages() const { return list_pages_; }

  // The most recently freed allocatable id (see the policy above), or a
  // new page at the end (page_count grows by one).
  PageId Allocate();
  // Returns id to the free set; FailedPrecondition on a double free,
  // InvalidArgument for a meta page or a page past the end.
  absl::Status Free(PageId id);

  // Fence: every allocatable page, and every id from page_count() up to
  // min_page_count (which becomes the page count), is held back: free,
  // but not handed out until Unfence (invariant 5). Unfence makes them
  // allocatable (beneath the pages freed since) and returns how many.
  void Fence(uint64_t min_page_count);
  uint64_t Unfence();

  // Compaction. CompactionThreshold: the lowest id T such that the
  // allocatable pages below T can take every page in use at or past T,
  // with a margin for the ancestors that moving them also copies (so
  // moving those pages down frees the end of the file from T on);
  // page_count() when nothing can move. SortFreeLowestFirst: Allocate
  // hands out the lowest allocatable ids first from now on (until the next
  // checkpoint queues released pages).
  PageId CompactionThreshold() const;
  void SortFreeLowestFirst();

  // Drops the run of allocatable pages at the end (ids page_count-1,
  // page_count-2, ... while each is allocatable now): the page count falls
  // by that many and they are no longer free pages. Pending, planned and
  // list pages stop the run. Returns the number of pages dropped.
  uint64_t TrimFreeTail();

  // A plan for writing the free list: the pages to write (the chain order)
  // and the ids to list on them. Takes the pages from the allocator
  // (invariant 2).
  struct ListPlan {
    std::vector<PageId> pages;
    std::vector<PageId> entries;
  };
  //
  // unreachable: pages in use here that the meta page this list goes with
  // will not reach, and that only a live snapshot still holds (the pager
  // parks them until it ends). They are listed as free, so that after a
  // crash, when no snapshot is left, they are not lost; here they stay in
  // use until the pager frees them (then they are pending, and listed by
  // the next free list again).
  ListPlan PlanFreeList(uint32_t page_size, const std::vector<PageId>& unreachable = {});
  // How many pages PlanFreeList will take.
  size_t FreeListPagesNeeded(uint32_t page_size, size_t unreachable = 0) const;
  // After the meta pointing at plan.pages is durable: the pages pending at
  // PlanFreeList and the previous list's pages become allocatable,
  // plan.pages become the durable list, and a new epoch starts.
  void CommitFreeList(const ListPlan& plan);

 private:
  // Where a page id below page_count_ is (invariant 3).
  enum class PageState : uint8_t {
    kLive,     // in use since before this epoch
    kFresh,    // in use, allocated in this epoch
    kFree,     // in free_
    kPending,  // in pending_
    kPlanned,  // in planned_
    kList,     // holds the durable free list
    kFenced,   // in fenced_
  };
  PageState& state(PageId id) { return state_[id]; }

  uint64_t page_count_ = 2;
  std::vector<PageState> state_ = std::vector<PageState>(2, PageState::kLive);
  std::vector<PageId> free_;      // allocatable now, a stack: next on top
  std::vector<PageId> pending_;   // freed this epoch, durable before
  std::vector<PageId> planned_;   // pending_ as of the last PlanFreeList
  std::vector<PageId> list_pages_;  // pages holding the durable free list
  std::vector<PageId> fenced_;      // held back by Fence
};

// Encodes free-list page `id` holding entries[0, n) and link `next`.
// REQUIRES: n <= FreeListCapacity(page_size).
void EncodeFreeListPage(char* page, uint32_t page_size, PageId id, PageId next,
                        const PageId* entries, size_t n, Lsn lsn);

// Writes a whole page (page_size bytes, sealed) as page `id`.
using WritePageFn = std::function<absl::Status(PageId id, const char* page)>;

// Encodes the free list of plan: its entries spread over plan.pages in
// order, each page linked to the next, stamped with lsn; hands each page
// to write.
absl::Status WriteFreeListPages(const PageAllocator::ListPlan& plan, uint32_t page_size,
                                Lsn lsn, const WritePageFn& write);

// Reads page `id` (already checksum-verified) into out.
using ReadPageFn = std::function<absl::Status(PageId id, char* out)>;

// Walks the free-list chain from head and returns the allocator state.
// DataLoss naming the page if the chain loops, an id is out of range or
// repeated, or the entry count differs from expected_count.
absl::StatusOr<PageAllocator> LoadFreeList(const ReadPageFn& read,
                                           uint32_t page_size, PageId head,
                                           uint64_t expected_count,
                                           uint64_t page_count);

}  // namespace laura

#endif  // LAURA_STORAGE_FREE_LIST_H_
