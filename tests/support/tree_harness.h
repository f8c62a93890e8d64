// TreeHarness: a disk manager, a pager and a BTree on one temporary file,
// with checkpoint, reopen and the structural checker, for B+tree tests.
#ifndef LAURA_TESTS_SUPPORT_TREE_HARNESS_H_
#define LAURA_TESTS_SUPPORT_TREE_HARNESS_H_

#include <memory>
#include <string>

#include "btree/btree.h"
#include "gtest/gtest.h"
#include "storage/disk_manager.h"
#include "storage/pager.h"
#include "tests/support/temp_dir.h"

namespace laura {

struct TreeConfig {
  DiskManagerKind kind = DiskManagerKind::kMmap;
  uint32_t page_size = 4096;
  // A small pool makes the pread manager evict and write back.
  uint64_t cache_bytes = 64 * kMiB;
};

class TreeHarness {
 public:
  explicit TreeHarness(const TreeConfig& config) : config_(config) {}
  ~TreeHarness() { Drop(); }

  // Opens (creating if needed) and loads the tree of the durable meta page.
  absl::Status Open() {
    DiskManagerOptions o;
    o.page_size = config_.page_size;
    o.initial_size = 1 * kMiB;
    o.growth_step = 1 * kMiB;
    auto dm = DiskManager::Open(config_.kind, path_, o);
    if (!dm.ok()) return dm.status();
    dm_ = std::move(*dm);
    auto pager = Pager::Create(dm_.get(), {.cache_bytes = config_.cache_bytes});
    if (!pager.ok()) return pager.status();
    pager_ = std::move(*pager);
    const Meta meta = dm_->durable_meta();
    tree_ = std::make_unique<BTree>(pager_.get(), meta.root, meta.checkpoint_lsn);
    return absl::OkStatus();
  }

  // Commits the tree's write transaction.
  absl::Status Commit() { return tree_->Commit(); }

  // Flushes the pager and records the committed root durably.
  absl::Status Checkpoint() {
    if (absl::Status s = pager_->Flush(); !s.ok()) return s;
    return dm_->Checkpoint(tree_->committed_txn(), tree_->committed_root());
  }

  // Closes cleanly and opens again.
  absl::Status Reopen() {
    if (absl::Status s = Checkpoint(); !s.ok()) return s;
    tree_.reset();
    pager_.reset();
    if (absl::Status s = dm_->Close(); !s.ok()) return s;
    dm_.reset();
    return Open();
  }

  // Runs the checker on the committed tree (flushing first so checksums
  // can be verified); leaks are checked when no snapshot is held.
  CheckReport Check(bool verify_checksums = true) {
    EXPECT_TRUE(pager_->Flush().ok());
    CheckOptions options;
    options.verify_checksums = verify_checksums;
    options.check_leaks = tree_->snapshot_count() == 0;
    return CheckTree(pager_.get(), tree_->committed_root(), options);
  }

  // Destroys everything without a checkpoint (a crash for the tree).
  void Drop() {
    tree_.reset();
    pager_.reset();
    dm_.reset();
  }

  BTree& tree() { return *tree_; }
  Pager& pager() { return *pager_; }
  DiskManager& dm() { return *dm_; }
  const TreeConfig& config() const { return config_; }
  const std::string& path() const { return path_; }

 private:
  TreeConfig config_;
  TempDir dir_;
  const std::string path_ = dir_.File("tree.ldb");
  std::unique_ptr<DiskManager> dm_;
  std::unique_ptr<Pager> pager_;
  std::unique_ptr<BTree> tree_;
};

}  // namespace laura

#endif  // LAURA_TESTS_SUPPORT_TREE_HARNESS_H_
