// Tests for PageAllocator's bookkeeping: which freed pages are reusable
// when (invariants 1 and 4 of storage/free_list.h), and that every double
// free, free of a free-list page or of a page out of range is refused.
#include "storage/free_list.h"

#include <algorithm>
#include <string>

#include "gtest/gtest.h"

namespace laura {
namespace {

constexpr uint32_t kPs = 4096;

// A checkpoint's two steps, with nothing freed in between.
void Checkpoint(PageAllocator* a) { a->CommitFreeList(a->PlanFreeList(kPs)); }

void ExpectRefused(PageAllocator* a, PageId id, absl::StatusCode code, const std::string& why) {
  const absl::Status s = a->Free(id);
  EXPECT_EQ(s.code(), code) << "page " << id << ": " << s;
  EXPECT_NE(s.message().find(why), std::string::npos) << s;
}

TEST(PageAllocatorTest, APageAllocatedThisEpochIsReusableAtOnceMostRecentFirst) {
  PageAllocator a;
  EXPECT_EQ(a.Allocate(), 2u);
  EXPECT_EQ(a.Allocate(), 3u);
  EXPECT_EQ(a.Allocate(), 4u);
  ASSERT_TRUE(a.Free(3).ok());
  ASSERT_TRUE(a.Free(4).ok());
  EXPECT_EQ(a.allocatable_count(), 2u);
  EXPECT_EQ(a.Allocate(), 4u);  // freed last
  EXPECT_EQ(a.Allocate(), 3u);
  EXPECT_EQ(a.Allocate(), 5u);  // then the file grows
  EXPECT_EQ(a.page_count(), 6u);
}

TEST(PageAllocatorTest, PagesReleasedByACheckpointQueueBehindPagesFreedSince) {
  PageAllocator a;
  for (int i = 0; i < 8; ++i) a.Allocate();  // 2..9
  Checkpoint(&a);                            // durable now
  ASSERT_TRUE(a.Free(7).ok());
  ASSERT_TRUE(a.Free(3).ok());
  ASSERT_TRUE(a.Free(5).ok());  // all three wait for the next checkpoint
  PageAllocator::ListPlan plan = a.PlanFreeList(kPs);
  ASSERT_EQ(plan.pages.size(), 1u);
  const PageId fresh = a.Allocate();  // allocated and freed in this epoch
  ASSERT_TRUE(a.Free(fresh).ok());
  a.CommitFreeList(plan);
  EXPECT_EQ(a.Allocate(), fresh);  // the one freed most recently
  EXPECT_EQ(a.Allocate(), 3u);     // then the released pages, lowest first
  EXPECT_EQ(a.Allocate(), 5u);
  EXPECT_EQ(a.Allocate(), 7u);
}

TEST(PageAllocatorTest, ACommittedPageWaitsForTheFreeListThatListsIt) {
  PageAllocator a;
  for (int i = 0; i < 4; ++i) a.Allocate();  // 2..5
  Checkpoint(&a);                            // durable now
  const uint64_t count = a.page_count();
  ASSERT_TRUE(a.Free(3).ok());
  EXPECT_EQ(a.allocatable_count(), 0u);      // the durable tree may reach it
  EXPECT_EQ(a.free_count(), 1u);
  PageAllocator::ListPlan plan = a.PlanFreeList(kPs);
  ASSERT_TRUE(a.Free(4).ok());  // freed while that checkpoint runs
  a.CommitFreeList(plan);
  // 3 is allocatable; 4 waits for the next free list.
  EXPECT_EQ(a.FreeIds(), (std::vector<PageId>{3, 4}));
  EXPECT_EQ(a.allocatable_count(), 1u);
  EXPECT_EQ(a.Allocate(), 3u);
  EXPECT_GE(a.Allocate(), count);  // not 4: a new page
  Checkpoint(&a);
  EXPECT_GE(a.allocatable_count(), 1u);
  EXPECT_EQ(a.Allocate(), 4u);
}

TEST(PageAllocatorTest, EveryDoubleFreeIsRefusedWhereverThePageIs) {
  PageAllocator a;
  for (int i = 0; i < 6; ++i) a.Allocate();  // 2..7
  ASSERT_TRUE(a.Free(2).ok());               // fresh: free at once
  ExpectRefused(&a, 2, absl::StatusCode::kFailedPrecondition, "freed twice");
  Checkpoint(&a);
  ASSERT_TRUE(a.Free(5).ok());  // pending
  ExpectRefused(&a, 5, absl::StatusCode::kFailedPrecondition, "freed twice");
  PageAllocator::ListPlan plan = a.PlanFreeList(kPs);  // 5 is planned now
  ExpectRefused(&a, 5, absl::StatusCode::kFailedPrecondition, "freed twice");
  a.CommitFreeList(plan);
  ASSERT_FALSE(plan.pages.empty());
  ExpectRefused(&a, plan.pages[0], absl::StatusCode::kFailedPrecondition,
                "holds the durable free list");
  ExpectRefused(&a, 5, absl::StatusCode::kFailedPrecondition, "freed twice");  // free
  ExpectRefused(&a, 1, absl::StatusCode::kInvalidArgument, "valid data pages");
  ExpectRefused(&a, a.page_count(), absl::StatusCode::kInvalidArgument, "valid data pages");
  // Nothing refused changed the books.
  EXPECT_EQ(a.FreeIds(), (std::vector<PageId>{2, 5}));
}

TEST(PageAllocatorTest, StateLoadedFromDiskKnowsItsFreeAndListPages) {
  PageAllocator a(/*page_count=*/10, /*free=*/{5, 6}, /*list_pages=*/{7});
  ExpectRefused(&a, 5, absl::StatusCode::kFailedPrecondition, "freed twice");
  ExpectRefused(&a, 7, absl::StatusCode::kFailedPrecondition, "holds the durable free list");
  ASSERT_TRUE(a.Free(8).ok());  // live in the durable tree: pending
  EXPECT_EQ(a.allocatable_count(), 2u);
  EXPECT_EQ(a.Allocate(), 5u);
  EXPECT_EQ(a.Allocate(), 6u);
  EXPECT_EQ(a.Allocate(), 10u);
}

TEST(PageAllocatorTest, TrimFreeTailDropsOnlyAllocatablePagesAtTheEnd) {
  // Pages 2..11; 4, 9, 10 and 11 free; page 7 holds the free list.
  PageAllocator a(/*page_count=*/12, /*free=*/{4, 9, 10, 11}, /*list_pages=*/{7});
  EXPECT_EQ(a.TrimFreeTail(), 3u);
  EXPECT_EQ(a.page_count(), 9u);
  EXPECT_EQ(a.FreeIds(), (std::vector<PageId>{4}));
  ExpectRefused(&a, 9, absl::StatusCode::kInvalidArgument, "valid data pages");
  // A page the durable tree may still reach stops the run until the
  // checkpoint that lists it is durable.
  ASSERT_TRUE(a.Free(8).ok());
  EXPECT_EQ(a.TrimFreeTail(), 0u);
  PageAllocator::ListPlan plan = a.PlanFreeList(kPs);  // takes page 4 for the list
  EXPECT_EQ(a.TrimFreeTail(), 0u) << "a planned page stops the run too";
  a.CommitFreeList(plan);  // 8 and the old list page 7 are free now
  EXPECT_EQ(a.TrimFreeTail(), 2u);
  EXPECT_EQ(a.page_count(), 7u);
  EXPECT_EQ(a.list_pages(), (std::vector<PageId>{4}));
  EXPECT_TRUE(a.FreeIds().empty());
  // The file grows again from the new end.
  EXPECT_EQ(a.Allocate(), 7u);
  EXPECT_EQ(a.TrimFreeTail(), 0u) << "an allocated page is not free";
}

}  // namespace
}  // namespace laura
