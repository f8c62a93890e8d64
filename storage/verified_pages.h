// VerifiedPages: a lock-free set of page ids whose checksum has been
// verified since the file was opened, or that the writer of this process
// allocated (its own bytes, sealed at the next flush).
//
// Over a mapping, a page's bytes change only through this process's
// writer, on pages it allocated, so a page that verified once stays valid
// for as long as the file is open and need not be hashed again: the mmap
// pager's Fetch (DiskManager::VerifiedPageData) checks this set first and
// hashes only pages it does not hold. (Over pread every read is a fresh
// copy from the file and is always verified.)
//
// Layout: a fixed top-level array of lazily allocated leaf bitmaps, each
// covering kPagesPerLeaf pages, installed with compare-and-swap, so
// readers on any thread never take a lock and never see a leaf move.
#ifndef LAURA_STORAGE_VERIFIED_PAGES_H_
#define LAURA_STORAGE_VERIFIED_PAGES_H_

#include <atomic>
#include <cstdint>
#include <memory>

#include "storage/page.h"

namespace laura {

class VerifiedPages {
 public:
  // Tracks ids below max_pages; others are never reported as verified.
  explicit VerifiedPages(uint64_t max_pages);
  ~VerifiedPages();
  VerifiedPages(const VerifiedPages&) = delete;
  VerifiedPages& operator=(const VerifiedPages&) = delete;

  bool Contains(PageId id) const;
  void Insert(PageId id);

 private:
  static constexpr uint64_t kPagesPerLeaf = uint64_t{1} << 19;  // 64 KiB leaf
  static constexpr uint64_t kWordsPerLeaf = kPagesPerLeaf / 64;

  const uint64_t max_pages_;
  const uint64_t leaf_count_;
  std::unique_ptr<std::atomic<std::atomic<uint64_t>*>[]> leaves_;
};

}  // namespace laura

#endif  // LAURA_STORAGE_VERIFIED_PAGES_H_
