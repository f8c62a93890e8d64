// PageBitmap: a lock-free set of page ids that threads test without a
// lock while one thread changes it. The mmap disk manager keeps one of the
// pages verified since open (or allocated by this process's writer), so
// Fetch hashes a page only the first time this process reaches it; the
// mmap pager keeps one of the pages its writer holds in private frames
// (storage/mmap_pager.cc).
//
// Over a mapping, a page's bytes change only through this process's
// writer, on pages it allocated, so a page that verified once stays valid
// for as long as the file is open and need not be hashed again. (Over
// pread every read is a fresh copy from the file and is always verified.)
//
// Layout: a fixed top-level array of lazily allocated leaf bitmaps, each
// covering kPagesPerLeaf pages, installed with compare-and-swap, so
// readers on any thread never take a lock and never see a leaf move.
#ifndef LAURA_STORAGE_PAGE_BITMAP_H_
#define LAURA_STORAGE_PAGE_BITMAP_H_

#include <atomic>
#include <cstdint>
#include <memory>

#include "storage/page.h"

namespace laura {

class PageBitmap {
 public:
  // Tracks ids below max_pages; others are never reported as verified.
  explicit PageBitmap(uint64_t max_pages);
  ~PageBitmap();
  PageBitmap(const PageBitmap&) = delete;
  PageBitmap& operator=(const PageBitmap&) = delete;

  bool Contains(PageId id) const;
  void Insert(PageId id);
  // Removes id (no effect if absent or past the end).
  void Erase(PageId id);

 private:
  static constexpr uint64_t kPagesPerLeaf = uint64_t{1} << 19;  // 64 KiB leaf
  static constexpr uint64_t kWordsPerLeaf = kPagesPerLeaf / 64;

  const uint64_t max_pages_;
  const uint64_t leaf_count_;
  std::unique_ptr<std::atomic<std::atomic<uint64_t>*>[]> leaves_;
};

}  // namespace laura

#endif  // LAURA_STORAGE_PAGE_BITMAP_H_
