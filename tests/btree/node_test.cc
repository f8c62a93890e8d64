// Tests for slotted node pages: encoding, insert/remove/compaction, the
// bounds checks of the decoder on damaged pages, separators, and the cell
// list that splits and merges gather cells into.
#include "btree/node.h"

#include "btree/cell_list.h"

#include <algorithm>
#include <cstdio>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "storage/coding.h"
#include "storage/page.h"

namespace laura {
namespace {

constexpr uint32_t kPs = 4096;

class NodeTest : public ::testing::Test {
 protected:
  NodeTest() : page_(kPs, '\0') {
    InitPage(page_.data(), kPs, 7, PageType::kLeaf, 1);
    NodeEditor(page_.data(), kPs).Clear(/*leaf=*/true, {});
  }
  NodeView View() {
    auto v = NodeView::Parse(page_.data(), kPs, 7);
    EXPECT_TRUE(v.ok()) << v.status();
    return *v;
  }
  bool InsertLeaf(int index, const std::string& key, const std::string& value) {
    std::string cell;
    EncodeLeafCell(key, value, &cell);
    return NodeEditor(page_.data(), kPs).Insert(index, cell);
  }
  std::string page_;
};

TEST_F(NodeTest, InsertKeepsSlotOrderAndFindsKeys) {
  ASSERT_TRUE(InsertLeaf(0, "b", "2"));
  ASSERT_TRUE(InsertLeaf(0, "a", "1"));
  ASSERT_TRUE(InsertLeaf(2, "d", ""));
  ASSERT_TRUE(InsertLeaf(2, "c", "three"));
  NodeView v = View();
  ASSERT_EQ(v.count(), 4);
  EXPECT_EQ(v.key(0), "a");
  EXPECT_EQ(v.key(3), "d");
  EXPECT_EQ(v.value(2).inline_bytes, "three");
  EXPECT_EQ(v.value(3).inline_bytes, "");
  absl::string_view key;
  LeafValue value;
  ASSERT_TRUE(v.entry(2, &key, &value));
  EXPECT_EQ(key, "c");
  EXPECT_FALSE(value.overflow);
  EXPECT_EQ(value.inline_bytes, "three");
  EXPECT_EQ(value.length, 5u);
  EXPECT_EQ(v.LowerBound("c"), 2);
  EXPECT_EQ(v.LowerBound("bb"), 2);
  EXPECT_EQ(v.LowerBound("z"), 4);
  EXPECT_TRUE(v.Validate(7).ok());
  EXPECT_FALSE(v.corrupt());
}

TEST_F(NodeTest, RemoveAndCompactionReuseSpace) {
  const std::string value(200, 'v');
  int n = 0;
  while (InsertLeaf(n, "key" + std::to_string(100 + n), value)) ++n;
  ASSERT_GT(n, 10);
  const size_t full_used = View().used_bytes();
  for (int i = n - 1; i >= 0; i -= 2) NodeEditor(page_.data(), kPs).Remove(i);
  EXPECT_LT(View().used_bytes(), full_used);
  // Freed bytes are fragmented; inserting again compacts them.
  int added = 0;
  while (InsertLeaf(View().count(), "zz" + std::to_string(100 + added), value)) ++added;
  EXPECT_GE(added, n / 2);
  EXPECT_TRUE(View().Validate(7).ok());
}

TEST_F(NodeTest, BranchChildren) {
  NodeEditor e(page_.data(), kPs);
  page_[kPageTypeOffset] = static_cast<char>(PageType::kBranch);
  e.Clear(/*leaf=*/false, {10, 7});
  std::string cell;
  EncodeBranchCell("m", {11, 8}, &cell);
  ASSERT_TRUE(e.Insert(0, cell));
  NodeView v = View();
  EXPECT_FALSE(v.is_leaf());
  EXPECT_EQ(v.child(0), 10u);
  EXPECT_EQ(v.child(1), 11u);
  EXPECT_EQ(v.child_ref(0).lsn, 7u);  // what each child's header must hold
  EXPECT_EQ(v.child_ref(1).lsn, 8u);
  EXPECT_EQ(v.ChildIndex("a"), 0);
  EXPECT_EQ(v.ChildIndex("m"), 1);  // keys >= separator go right
  EXPECT_EQ(v.ChildIndex("z"), 1);
  e.SetChild(1, {12, 9});
  EXPECT_EQ(View().child(1), 12u);
  EXPECT_EQ(View().child_ref(1).lsn, 9u);
  e.SetChild(0, {13, 5});
  EXPECT_EQ(View().child_ref(0).id, 13u);
  EXPECT_EQ(View().child_ref(0).lsn, 5u);
}

TEST_F(NodeTest, DamagedSlotsAndCellsAreErrorsNotCrashes) {
  ASSERT_TRUE(InsertLeaf(0, "a", "1"));
  std::string saved = page_;
  EncodeFixed16(page_.data() + 32, 2100);  // slots run past the page
  EXPECT_TRUE(absl::IsDataLoss(NodeView::Parse(page_.data(), kPs, 7).status()));
  page_ = saved;
  EncodeFixed16(page_.data() + kNodeHeaderEnd, 10);  // slot into the header
  auto header_slot = NodeView::Parse(page_.data(), kPs, 7);
  ASSERT_TRUE(header_slot.ok());
  EXPECT_EQ(header_slot->key(0), "");
  EXPECT_TRUE(header_slot->corrupt());
  EXPECT_TRUE(absl::IsDataLoss(header_slot->Validate(7)));
  page_ = saved;
  const uint16_t off = DecodeFixed16(page_.data() + kNodeHeaderEnd);
  page_[off + 1] = static_cast<char>(0x7f);  // key length runs past the page
  auto v = NodeView::Parse(page_.data(), kPs, 7);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->key(0), "");
  EXPECT_TRUE(v->corrupt());
  EXPECT_TRUE(absl::IsDataLoss(v->Validate(7)));
  // entry() (a cursor's and a get's one decode of a cell) says so too and
  // hands out nothing of the page.
  auto e = NodeView::Parse(page_.data(), kPs, 7);
  absl::string_view key = "untouched";
  LeafValue value;
  value.inline_bytes = "untouched";
  EXPECT_FALSE(e->entry(0, &key, &value));
  EXPECT_TRUE(e->corrupt());
  EXPECT_TRUE(key.empty());
  EXPECT_TRUE(value.inline_bytes.empty());
  EXPECT_FALSE(e->entry(1, &key, &value));  // past the last slot
  page_ = saved;
  page_[kPageTypeOffset] = static_cast<char>(PageType::kOverflow);
  EXPECT_TRUE(absl::IsDataLoss(NodeView::Parse(page_.data(), kPs, 7).status()));
}

// Keys over a tiny alphabet with NUL and 0xff bytes, sharing long
// prefixes, so heads tie, prefixes shrink and padding matters.
std::string AwkwardKey(std::mt19937& rng, const std::string& stem) {
  static const char kBytes[] = {'\0', '\x01', 'a', 'b', '\xff'};
  std::string key = stem.substr(0, rng() % (stem.size() + 1));
  for (int n = rng() % 7; n > 0; --n) key.push_back(kBytes[rng() % sizeof(kBytes)]);
  return key;
}

TEST_F(NodeTest, SearchesWithHeadsAgreeWithAPlainBinarySearch) {
  const uint32_t seed = 20261201;
  std::printf("seed %u\n", seed);
  std::mt19937 rng(seed);
  for (int round = 0; round < 200; ++round) {
    NodeEditor(page_.data(), kPs).Clear(/*leaf=*/true, {});
    const std::string stem = round % 2 ? "common/prefix/" : "";
    std::set<std::string> keys;
    for (int n = rng() % 40; n > 0; --n) {
      const std::string key = AwkwardKey(rng, stem);
      if (keys.count(key)) continue;
      const auto at = std::distance(keys.begin(), keys.lower_bound(key));
      ASSERT_TRUE(InsertLeaf(static_cast<int>(at), key, "v"));
      keys.insert(key);
      if (rng() % 4 == 0) {  // removals keep the prefix valid
        const auto victim = std::next(keys.begin(), rng() % keys.size());
        NodeEditor(page_.data(), kPs).Remove(static_cast<int>(std::distance(keys.begin(), victim)));
        keys.erase(victim);
      }
    }
    NodeView v = View();
    ASSERT_TRUE(v.Validate(7).ok()) << v.Validate(7);
    const std::vector<std::string> sorted(keys.begin(), keys.end());
    for (int probe = 0; probe < 50; ++probe) {
      const std::string target = AwkwardKey(rng, stem);
      const auto lower = std::lower_bound(sorted.begin(), sorted.end(), target);
      const auto upper = std::upper_bound(sorted.begin(), sorted.end(), target);
      EXPECT_EQ(v.LowerBound(target), lower - sorted.begin()) << "seed " << seed;
      EXPECT_EQ(v.ChildIndex(target), upper - sorted.begin()) << "seed " << seed;
    }
  }
}

TEST_F(NodeTest, PrefixShrinksAsKeysArriveAndBadHeadsAreCaught) {
  ASSERT_TRUE(InsertLeaf(0, "user/0017", "a"));
  EXPECT_EQ(View().prefix_length(), 9u);  // one key: all of it
  ASSERT_TRUE(InsertLeaf(1, "user/0042", "b"));
  EXPECT_EQ(View().prefix_length(), 7u);
  ASSERT_TRUE(InsertLeaf(0, "item/9", "c"));
  EXPECT_EQ(View().prefix_length(), 0u);
  EXPECT_TRUE(View().Validate(7).ok());
  EXPECT_EQ(View().LowerBound("user/0042"), 2);
  const std::string saved = page_;
  page_[kNodeHeaderEnd + kSlotSize * 1 + 2] ^= 1;  // slot 1's head
  EXPECT_TRUE(absl::IsDataLoss(View().Validate(7)));
  page_ = saved;
  EncodeFixed16(page_.data() + 34, 3);  // a prefix the keys do not share
  EXPECT_TRUE(absl::IsDataLoss(View().Validate(7)));
  EncodeFixed16(page_.data() + 34, 4000);  // longer than key 0: a search says so
  NodeView v = View();
  EXPECT_EQ(v.LowerBound("user"), 0);
  EXPECT_TRUE(v.corrupt());
}

TEST_F(NodeTest, FillBuildsTheNodeThatInsertingEachCellBuilds) {
  // Fill (one pass, the prefix set once) must leave the very bytes that
  // Insert leaves cell by cell: the same prefix, heads, offsets and cells.
  const uint32_t seed = 20261202;
  std::printf("seed %u\n", seed);
  std::mt19937 rng(seed);
  for (int round = 0; round < 300; ++round) {
    const bool leaf = round % 3 != 0;
    const std::string stem = round % 2 ? "common/prefix/" : "";
    std::set<std::string> keys;
    for (int n = 1 + rng() % 30; n > 0; --n) keys.insert(AwkwardKey(rng, stem));
    CellList cells;
    for (const std::string& key : keys) {
      std::string cell;
      if (leaf) {
        EncodeLeafCell(key, std::string(rng() % 60, 'v'), &cell);
      } else {
        EncodeBranchCell(key, {100 + cells.size(), 1}, &cell);
      }
      cells.Append(cell);
    }
    // A window of the list, as a split or a share rewrites part of it.
    const size_t begin = rng() % cells.size();
    const size_t end = begin + 1 + rng() % (cells.size() - begin);
    std::string by_insert(kPs, '\0'), by_fill(kPs, '\0');
    for (std::string* page : {&by_insert, &by_fill}) {
      InitPage(page->data(), kPs, 7, leaf ? PageType::kLeaf : PageType::kBranch, 1);
      NodeEditor(page->data(), kPs).Clear(leaf, /*leftmost_child=*/{leaf ? 0u : 99u, leaf ? 0u : 1u});
    }
    for (size_t i = begin; i < end; ++i) {
      ASSERT_TRUE(NodeEditor(by_insert.data(), kPs).Insert(static_cast<int>(i - begin), cells[i]));
    }
    ASSERT_TRUE(NodeEditor(by_fill.data(), kPs).Fill(cells, begin, end));
    ASSERT_EQ(by_fill, by_insert) << "seed " << seed << " round " << round;
    auto v = NodeView::Parse(by_fill.data(), kPs, 7);
    ASSERT_TRUE(v.ok() && v->Validate(7).ok()) << "round " << round;
  }
}

TEST_F(NodeTest, FillRefusesCellsThatDoNotFitAndLeavesTheNodeEmpty) {
  CellList cells;
  for (int i = 0; i < 4; ++i) {  // 4 x ~1010 bytes > 4040
    std::string cell;
    EncodeLeafCell("key" + std::to_string(i), std::string(1000, 'v'), &cell);
    cells.Append(cell);
  }
  EXPECT_FALSE(NodeEditor(page_.data(), kPs).Fill(cells, 0, 4));
  EXPECT_EQ(View().count(), 0);
  EXPECT_TRUE(View().Validate(7).ok());
  EXPECT_TRUE(NodeEditor(page_.data(), kPs).Fill(cells, 0, 3));
  EXPECT_EQ(View().count(), 3);
}

TEST(NodeKeysTest, HeadsOrderKeysAfterThePrefix) {
  EXPECT_EQ(KeyHead("ab", 0), 0x61620000u);
  EXPECT_EQ(KeyHead("xxabcdef", 2), 0x61626364u);
  EXPECT_EQ(KeyHead("x", 5), 0u);
  EXPECT_LT(KeyHead(std::string("a\xff", 2), 0), KeyHead("b", 0));
}

TEST(NodeKeysTest, CompareIsBytewiseShorterFirst) {
  EXPECT_LT(CompareKeys("", "a"), 0);
  EXPECT_LT(CompareKeys("a", "ab"), 0);
  EXPECT_GT(CompareKeys(std::string(1, '\xff'), "a"), 0);  // unsigned bytes
  EXPECT_LT(CompareKeys(std::string("a\0", 2), "a\x01"), 0);
  EXPECT_EQ(CompareKeys("abc", "abc"), 0);
}

TEST(NodeKeysTest, ShortestSeparatorDividesTheKeys) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"abc", "abd"}, {"a", "b"}, {"ab", "abc"}, {"", "x"}, {"user/1999", "user/2"}};
  for (const auto& [left, right] : cases) {
    const std::string s = ShortestSeparator(left, right);
    EXPECT_LT(CompareKeys(left, s), 0) << left << " " << right;
    EXPECT_LE(CompareKeys(s, right), 0) << left << " " << right;
    EXPECT_LE(s.size(), right.size());
  }
  EXPECT_EQ(ShortestSeparator("user/1999", "user/2"), "user/2");
  EXPECT_EQ(ShortestSeparator("apple", "banana"), "b");
}

TEST(CellListTest, InsertsAnywhereAndKeepsEveryCellIntact) {
  // Against a vector of strings, with cells of many sizes (the buffer
  // grows many times: views must come from offsets, not old pointers).
  std::mt19937 rng(20261201);
  std::printf("seed 20261201\n");
  CellList cells;
  std::vector<std::string> model;
  for (int n = 0; n < 500; ++n) {
    const std::string cell(1 + rng() % 300, static_cast<char>('a' + n % 26));
    const size_t at = rng() % (model.size() + 1);
    if (n % 3 == 0) {
      cells.Append(cell);
      model.push_back(cell);
    } else {
      cells.Insert(at, cell);
      model.insert(model.begin() + static_cast<std::ptrdiff_t>(at), cell);
    }
  }
  ASSERT_EQ(cells.size(), model.size());
  for (size_t i = 0; i < model.size(); ++i) ASSERT_EQ(cells[i], model[i]) << i;
}

}  // namespace
}  // namespace laura
