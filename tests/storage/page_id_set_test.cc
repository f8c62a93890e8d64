// Tests for PageIdSet, the dense page-id set of the pagers: random
// operations checked against std::set, and the list it iterates never
// holding an id twice.
#include "storage/page_id_set.h"

#include <algorithm>
#include <cstdio>
#include <random>
#include <set>
#include <vector>

#include "gtest/gtest.h"

namespace laura {
namespace {

TEST(PageIdSetTest, AgreesWithStdSetUnderRandomOperations) {
  const uint32_t seed = 20261203;
  std::printf("seed %u\n", seed);
  std::mt19937 rng(seed);
  PageIdSet set;
  std::set<PageId> model;
  for (int step = 0; step < 200000; ++step) {
    // Ids from a small range (many repeats) and now and then a large one
    // (the byte array grows).
    const PageId id = rng() % 100 == 0 ? rng() % 100000 : rng() % 500;
    switch (rng() % 10) {
      case 0: case 1: case 2: case 3:
        ASSERT_EQ(set.insert(id), model.insert(id).second) << "step " << step;
        break;
      case 4: case 5: case 6:
        ASSERT_EQ(set.erase(id), model.erase(id) == 1) << "step " << step;
        break;
      case 7: case 8:
        ASSERT_EQ(set.contains(id), model.count(id) == 1) << "step " << step;
        break;
      default:
        if (rng() % 50 == 0) {
          set.clear();
          model.clear();
        }
    }
    ASSERT_EQ(set.size(), model.size()) << "step " << step;
  }
  std::vector<PageId> members = set.Members();
  std::sort(members.begin(), members.end());
  EXPECT_EQ(members, std::vector<PageId>(model.begin(), model.end()));
}

TEST(PageIdSetTest, MembersListsEachIdOnceInInsertionOrder) {
  PageIdSet set;
  EXPECT_TRUE(set.empty());
  EXPECT_TRUE(set.insert(9));
  EXPECT_TRUE(set.insert(3));
  EXPECT_FALSE(set.insert(9));
  EXPECT_TRUE(set.erase(9));
  EXPECT_FALSE(set.erase(9));
  EXPECT_TRUE(set.insert(9));  // erased and back: still listed once
  EXPECT_TRUE(set.insert(1 << 20));
  EXPECT_EQ(set.Members(), (std::vector<PageId>{9, 3, 1 << 20}));
  EXPECT_FALSE(set.contains(4));
  EXPECT_FALSE(set.contains(PageId{1} << 40));  // past the array: absent
  set.clear();
  EXPECT_TRUE(set.empty());
  EXPECT_FALSE(set.contains(3));
  EXPECT_TRUE(set.Members().empty());
  EXPECT_TRUE(set.insert(3));
  EXPECT_EQ(set.Members(), std::vector<PageId>{3});
}

}  // namespace
}  // namespace laura
