// Model test: random puts, overwrites, deletes, gets, aborts, cursor walks
// and seeks against std::map, on both disk managers and several page sizes,
// with empty, inline and overflow values and keys that share long
// prefixes. Every batch ends with a commit (or an abort) and the
// structural checker. Seeds are fixed and printed; LAURA_MODEL_OPS sets the
// number of operations per configuration.
#include <cstdlib>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "btree/btree.h"
#include "gtest/gtest.h"
#include "tests/support/sanitizers.h"
#include "tests/support/tree_harness.h"

namespace laura {
namespace {

constexpr uint64_t kDefaultOps = kSanitized ? 40'000 : 160'000;

uint64_t OpsPerConfig() {
  const char* env = std::getenv("LAURA_MODEL_OPS");
  return env ? std::strtoull(env, nullptr, 10) : kDefaultOps;
}

struct ModelParam {
  const char* name;
  TreeConfig config;
  uint64_t seed;
};

class Workload {
 public:
  Workload(uint64_t seed, uint32_t page_size) : rng_(seed), page_size_(page_size) {}

  std::string Key() {
    static const std::string kLongPrefix(300, 'p');
    const uint64_t n = Uniform(6000);
    switch (Uniform(10)) {
      case 0:
        return n % 50 == 0 ? std::string() : std::string(1, static_cast<char>(n % 256));
      case 1:
      case 2:
        return kLongPrefix + std::to_string(n);  // long shared prefix
      case 3: {  // binary keys with NUL and 0xff bytes
        std::string k(8, '\0');
        for (int i = 0; i < 8; ++i) k[i] = static_cast<char>(n >> (i * 3));
        return k;
      }
      case 4:
        if (Uniform(100) == 0) {  // the largest allowed key
          return std::string(MaxKeySize(page_size_) - n % 3, static_cast<char>('a' + n % 26));
        }
        [[fallthrough]];
      default:
        return "user/" + std::to_string(n);
    }
  }

  std::string Value() {
    const uint64_t kind = Uniform(100);
    size_t size;
    const size_t inline_limit = MaxCellSize(page_size_);
    if (kind < 10) {
      size = 0;
    } else if (kind < 85) {
      size = 1 + Uniform(100);
    } else if (kind < 97) {
      size = inline_limit / 2 + Uniform(inline_limit);  // around the inline limit
    } else {
      size = page_size_ + Uniform(3 * page_size_);  // overflow chains
    }
    std::string v(size, '\0');
    const char base = static_cast<char>(Uniform(256));
    for (size_t i = 0; i < size; i += 97) v[i] = static_cast<char>(base + i);
    return v;
  }

  uint64_t Uniform(uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng_); }

 private:
  std::mt19937_64 rng_;
  uint32_t page_size_;
};

using Model = std::map<std::string, std::string>;

class BTreeModelTest : public ::testing::TestWithParam<ModelParam> {
 protected:
  void SetUp() override {
    harness_ = std::make_unique<TreeHarness>(GetParam().config);
    absl::Status opened = harness_->Open();
    ASSERT_TRUE(opened.ok()) << opened;
  }

  // Compares a full walk in both directions and random seeks with model.
  void CompareCursor(PageId root, const Model& model, Workload& w) {
    Cursor c(&harness_->pager(), root);
    auto it = model.begin();
    for (c.SeekToFirst(); c.Valid(); c.Next(), ++it) {
      ASSERT_NE(it, model.end());
      ASSERT_EQ(c.key(), it->first);
      ASSERT_EQ(c.value(), it->second);
    }
    ASSERT_TRUE(c.status().ok()) << c.status();
    ASSERT_EQ(it, model.end());
    auto rit = model.rbegin();
    for (c.SeekToLast(); c.Valid(); c.Prev(), ++rit) {
      ASSERT_NE(rit, model.rend());
      ASSERT_EQ(c.key(), rit->first);
    }
    ASSERT_EQ(rit, model.rend());
    for (int i = 0; i < 50; ++i) {
      const std::string target = w.Key();
      auto lb = model.lower_bound(target);
      c.Seek(target);
      if (lb == model.end()) {
        ASSERT_FALSE(c.Valid());
      } else {
        ASSERT_TRUE(c.Valid());
        ASSERT_EQ(c.key(), lb->first);
        c.Next();
        ++lb;
        ASSERT_EQ(c.Valid(), lb != model.end());
        if (c.Valid()) {
          ASSERT_EQ(c.key(), lb->first);
        }
      }
      auto ub = model.upper_bound(target);  // SeekForPrev: last key <= target
      c.SeekForPrev(target);
      if (ub == model.begin()) {
        ASSERT_FALSE(c.Valid());
      } else {
        --ub;
        ASSERT_TRUE(c.Valid());
        ASSERT_EQ(c.key(), ub->first);
        c.Prev();
        ASSERT_EQ(c.Valid(), ub != model.begin());
        if (c.Valid()) {
          ASSERT_EQ(c.key(), std::prev(ub)->first);
        }
      }
    }
  }

  std::unique_ptr<TreeHarness> harness_;
};

TEST_P(BTreeModelTest, RandomOperationsMatchStdMap) {
  const ModelParam& p = GetParam();
  // Fewer operations where each costs more: 64 KiB pages copy 16 times the
  // bytes per change, and a 64-page pool re-reads the whole tree from the
  // file at every batch's check.
  const bool costly = p.config.page_size > 4096 ||
                      (p.config.kind == DiskManagerKind::kPread && p.config.cache_bytes < kMiB);
  const uint64_t ops = OpsPerConfig() / (costly ? 4 : 1);
  std::cout << "model test " << p.name << ": seed " << p.seed << ", " << ops
            << " operations" << std::endl;
  Workload w(p.seed, p.config.page_size);
  BTree& tree = harness_->tree();
  Model model;  // the writer's view; equal to the committed tree after a commit
  std::vector<std::pair<std::string, std::optional<std::string>>> undo;  // for aborts
  auto remember = [&](const std::string& key) {
    auto it = model.find(key);
    undo.emplace_back(key, it == model.end() ? std::nullopt
                                             : std::optional<std::string>(it->second));
  };
  uint64_t done = 0, batches = 0, appended = 0, deleted_appends = 0;
  while (done < ops) {
    const uint64_t batch = 1 + w.Uniform(600);
    undo.clear();
    for (uint64_t i = 0; i < batch; ++i, ++done) {
      const uint64_t op = w.Uniform(100);
      const std::string key = w.Key();
      if (op == 0) {  // an ascending run above every key (the append path)
        for (int r = 0; r < 40; ++r) {
          std::string k = "\xff" + std::to_string(1000000 + appended++);
          std::string value = w.Value();
          ASSERT_TRUE(tree.Put(k, value).ok()) << "op " << done;
          remember(k);
          model[k] = std::move(value);
        }
        if (w.Uniform(2) == 0) {  // and delete the oldest of them
          const std::string k = "\xff" + std::to_string(1000000 + deleted_appends++);
          ASSERT_TRUE(tree.Delete(k).ok());
          remember(k);
          model.erase(k);
        }
      } else if (op < 45) {
        std::string value = w.Value();
        ASSERT_TRUE(tree.Put(key, value).ok()) << "op " << done;
        remember(key);
        model[key] = std::move(value);
      } else if (op < 70) {
        auto deleted = tree.Delete(key);
        ASSERT_TRUE(deleted.ok()) << deleted.status() << " op " << done;
        remember(key);
        ASSERT_EQ(*deleted, model.erase(key) == 1) << "op " << done;
      } else {
        std::string value;
        absl::Status s = tree.Get(tree.write_root(), key, &value);
        auto it = model.find(key);
        if (it == model.end()) {
          ASSERT_TRUE(absl::IsNotFound(s)) << s << " op " << done;
        } else {
          ASSERT_TRUE(s.ok()) << s << " op " << done;
          ASSERT_EQ(value, it->second) << "op " << done;
        }
      }
    }
    ++batches;
    if (w.Uniform(10) == 0) {  // abort: the committed version stays
      ASSERT_TRUE(tree.Abort().ok());
      for (auto it = undo.rbegin(); it != undo.rend(); ++it) {
        if (it->second.has_value()) {
          model[it->first] = std::move(*it->second);
        } else {
          model.erase(it->first);
        }
      }
    } else {
      ASSERT_TRUE(harness_->Commit().ok());
    }
    if (batches % 7 == 0) {
      ASSERT_TRUE(harness_->Checkpoint().ok());
    }
    const CheckReport report = harness_->Check(/*verify_checksums=*/batches % 10 == 0);
    ASSERT_TRUE(report.ok()) << "after batch " << batches << ":\n" << report.ToString();
    ASSERT_EQ(report.entries, model.size());
    if (batches % 5 == 0) {
      CompareCursor(tree.committed_root(), model, w);
      if (HasFatalFailure()) return;
    }
  }
  // Delete everything: the tree collapses to the empty root.
  for (const auto& [key, value] : model) {
    auto deleted = tree.Delete(key);
    ASSERT_TRUE(deleted.ok() && *deleted) << deleted.status();
  }
  ASSERT_TRUE(harness_->Commit().ok());
  EXPECT_EQ(tree.committed_root(), 0u);
  const CheckReport report = harness_->Check();
  EXPECT_TRUE(report.ok()) << report.ToString();
}

INSTANTIATE_TEST_SUITE_P(
    Configs, BTreeModelTest,
    ::testing::Values(
        ModelParam{"pread_4k", {DiskManagerKind::kPread, 4096, 64 * kMiB}, 1001},
        ModelParam{"pread_4k_small_pool", {DiskManagerKind::kPread, 4096, 64 * 4096}, 1002},
        ModelParam{"mmap_4k", {DiskManagerKind::kMmap, 4096, 0}, 1003},
        // mmap: 0 is a budget of 16 frames (pages written out at nearly
        // every commit); 64 MiB keeps them in frames until a checkpoint.
        ModelParam{"mmap_64k", {DiskManagerKind::kMmap, 65536, 64 * kMiB}, 1004},
        ModelParam{"pread_64k", {DiskManagerKind::kPread, 65536, 64 * kMiB}, 1005}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace laura
