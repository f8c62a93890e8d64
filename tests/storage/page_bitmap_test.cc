// Tests for PageBitmap: membership, bounds, and concurrent inserts into
// the same leaf from several threads.
#include "storage/page_bitmap.h"

#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace laura {
namespace {

TEST(PageBitmapTest, InsertAndContains) {
  PageBitmap set(uint64_t{1} << 22);
  EXPECT_FALSE(set.Contains(5));
  set.Insert(5);
  set.Insert((uint64_t{1} << 22) - 1);
  EXPECT_TRUE(set.Contains(5));
  EXPECT_FALSE(set.Contains(4));
  EXPECT_FALSE(set.Contains(6));
  EXPECT_TRUE(set.Contains((uint64_t{1} << 22) - 1));
  set.Insert(uint64_t{1} << 22);  // past the end: ignored
  EXPECT_FALSE(set.Contains(uint64_t{1} << 22));
}

TEST(PageBitmapTest, EraseRemovesOnlyThatId) {
  PageBitmap set(uint64_t{1} << 22);
  set.Erase(9);  // absent, in a leaf never allocated: no effect
  for (PageId id = 0; id < 130; ++id) set.Insert(id);
  set.Erase(64);
  set.Erase(uint64_t{1} << 22);  // past the end: ignored
  for (PageId id = 0; id < 130; ++id) EXPECT_EQ(set.Contains(id), id != 64) << id;
  set.Insert(64);
  EXPECT_TRUE(set.Contains(64));
}

TEST(PageBitmapTest, ConcurrentInsertsAreAllKept) {
  PageBitmap set(uint64_t{1} << 21);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&set, t] {
      for (uint64_t id = t; id < 200000; id += 4) set.Insert(id * 7);
    });
  }
  for (auto& th : threads) th.join();
  for (uint64_t id = 0; id < 200000; ++id) {
    ASSERT_TRUE(set.Contains(id * 7)) << id * 7;
    if (id % 7 != 0) {
      ASSERT_FALSE(set.Contains(id * 7 + 1));
    }
  }
}

}  // namespace
}  // namespace laura
