// PageBitmap (see page_bitmap.h).
#include "storage/page_bitmap.h"

namespace laura {

PageBitmap::PageBitmap(uint64_t max_pages)
    : max_pages_(max_pages),
      leaf_count_((max_pages + kPagesPerLeaf - 1) / kPagesPerLeaf),
      leaves_(new std::atomic<std::atomic<uint64_t>*>[leaf_count_]) {
  for (uint64_t i = 0; i < leaf_count_; ++i) leaves_[i].store(nullptr);
}

PageBitmap::~PageBitmap() {
  for (uint64_t i = 0; i < leaf_count_; ++i) delete[] leaves_[i].load();
}

bool PageBitmap::Contains(PageId id) const {
  if (id >= max_pages_) return false;
  const std::atomic<uint64_t>* leaf =
      leaves_[id / kPagesPerLeaf].load(std::memory_order_acquire);
  if (leaf == nullptr) return false;
  const uint64_t bit = id % kPagesPerLeaf;
  return (leaf[bit / 64].load(std::memory_order_relaxed) >> (bit % 64)) & 1;
}

void PageBitmap::Insert(PageId id) {
  if (id >= max_pages_) return;
  std::atomic<std::atomic<uint64_t>*>& slot = leaves_[id / kPagesPerLeaf];
  std::atomic<uint64_t>* leaf = slot.load(std::memory_order_acquire);
  if (leaf == nullptr) {
    auto* fresh = new std::atomic<uint64_t>[kWordsPerLeaf]();
    if (slot.compare_exchange_strong(leaf, fresh, std::memory_order_acq_rel)) {
      leaf = fresh;
    } else {
      delete[] fresh;  // another thread installed one; `leaf` now holds it
    }
  }
  const uint64_t bit = id % kPagesPerLeaf;
  leaf[bit / 64].fetch_or(uint64_t{1} << (bit % 64), std::memory_order_relaxed);
}

void PageBitmap::Erase(PageId id) {
  if (id >= max_pages_) return;
  std::atomic<uint64_t>* leaf = leaves_[id / kPagesPerLeaf].load(std::memory_order_acquire);
  if (leaf == nullptr) return;
  const uint64_t bit = id % kPagesPerLeaf;
  leaf[bit / 64].fetch_and(~(uint64_t{1} << (bit % 64)), std::memory_order_relaxed);
}

}  // namespace laura
