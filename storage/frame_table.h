// FrameTable: page id -> the writer's private frame holding that page's
// bytes, or nullptr; read on any thread without a lock, changed by one
// thread (the mmap pager's writer, storage/mmap_pager.cc).
//
// Layout: a fixed top-level array of lazily allocated leaves, each holding
// kPagesPerLeaf atomic pointers, installed with compare-and-swap; a leaf
// never moves or goes away before the table does, so a reader's lookup is
// two dependent loads and never waits.
//
// Ordering: Set stores with release, so a reader that sees a frame sees
// the bytes the writer put in it before Set (the writer also publishes
// them through the tree's commit). Clear only stops new lookups: a frame
// cleared may still be read by a thread that looked it up before, so its
// owner keeps it until no such thread can be left (see mmap_pager.cc).
#ifndef LAURA_STORAGE_FRAME_TABLE_H_
#define LAURA_STORAGE_FRAME_TABLE_H_

#include <atomic>
#include <cstdint>
#include <memory>

#include "absl/base/optimization.h"
#include "storage/page.h"

namespace laura {

class FrameTable {
 public:
  // Holds ids below max_pages; Set refuses others (returns false).
  explicit FrameTable(uint64_t max_pages)
      : max_pages_(max_pages),
        leaf_count_((max_pages + kPagesPerLeaf - 1) / kPagesPerLeaf),
        leaves_(new std::atomic<Leaf*>[leaf_count_]) {
    for (uint64_t i = 0; i < leaf_count_; ++i) leaves_[i].store(nullptr, std::memory_order_relaxed);
  }
  ~FrameTable() {
    for (uint64_t i = 0; i < leaf_count_; ++i) delete leaves_[i].load(std::memory_order_relaxed);
  }
  FrameTable(const FrameTable&) = delete;
  FrameTable& operator=(const FrameTable&) = delete;

  // The frame of page id, or nullptr. Any thread.
  char* Get(PageId id) const {
    if (ABSL_PREDICT_FALSE(id >= max_pages_)) return nullptr;
    const Leaf* leaf = leaves_[id / kPagesPerLeaf].load(std::memory_order_acquire);
    if (leaf == nullptr) return nullptr;
    return leaf->frames[id % kPagesPerLeaf].load(std::memory_order_acquire);
  }

  // Page id's frame is now `frame` (nullptr: none). False if id is past
  // max_pages. One thread at a time.
  bool Set(PageId id, char* frame) {
    if (id >= max_pages_) return false;
    std::atomic<Leaf*>& slot = leaves_[id / kPagesPerLeaf];
    Leaf* leaf = slot.load(std::memory_order_acquire);
    if (leaf == nullptr) {
      if (frame == nullptr) return true;
      leaf = new Leaf();
      slot.store(leaf, std::memory_order_release);
    }
    leaf->frames[id % kPagesPerLeaf].store(frame, std::memory_order_release);
    return true;
  }

 private:
  static constexpr uint64_t kPagesPerLeaf = uint64_t{1} << 16;  // 512 KiB leaf
  struct Leaf {
    std::atomic<char*> frames[kPagesPerLeaf] = {};
  };

  const uint64_t max_pages_;
  const uint64_t leaf_count_;
  std::unique_ptr<std::atomic<Leaf*>[]> leaves_;
};

}  // namespace laura

#endif  // LAURA_STORAGE_FRAME_TABLE_H_
