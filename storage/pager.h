// Pager: the one way the B+tree touches pages (the storage layer's door for
// upper layers, with disk_manager.h).
//
// Over the mmap manager, pages are read straight from the mapping (zero
// copy, no frame), except those the writer changed since they were last
// written: those live in its private frames until a checkpoint (or their
// budget) writes them with pwrite (storage/mmap_pager.cc). Over the pread manager, a pool of frames of
// cache_bytes holds pages with a clock eviction policy; a page read from
// disk is checksum-verified (DataLoss names the page).
//
// Copy-on-write contract (DESIGN.md): a page is writable only from its
// Allocate until EndWriteBatch, i.e. within the write transaction that
// created it; after that it is committed and never changes. Because no
// durable state reaches a page written since the last checkpoint, a dirty
// frame may be written back and evicted at any time.
//
// Freed pages: FreeAfter(id, txn, written) parks a page freed by write
// transaction txn. The version it frees was written by transaction
// `written` (its header LSN), so exactly the versions written .. txn - 1
// reach it. ReleaseFrees hands it to the disk manager's free list (which
// itself holds back pages the durable meta page reaches until the next
// Sync) once txn is published, so no new snapshot can reach it, and no
// live snapshot is of a version in that range. The range matters while a
// long-lived snapshot (a running checkpoint, a long read) is open: the
// pages the writer copies and frees again meanwhile, all written after the
// snapshot, are reused at once instead of growing the file.
//
// Thread safety: Fetch, Stats and PageRef destruction may run on any
// thread; the other calls are for the one writer thread.
#ifndef LAURA_STORAGE_PAGER_H_
#define LAURA_STORAGE_PAGER_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "laura/stats.h"
#include "storage/coding.h"
#include "storage/disk_manager.h"
#include "storage/mutex.h"
#include "storage/page_id_set.h"

namespace laura {

struct PagerOptions {
  // pread: bytes of page frames for the pool (at least 16 frames are
  // used). mmap: bytes of private frames the writer's changed pages may
  // fill before they are written to the file ahead of the next checkpoint.
  // Default: 64 MiB.
  uint64_t cache_bytes = 64 * kMiB;
};

// PagerStats is public (laura/stats.h).

class Pager;

// A pinned page: its bytes stay put until the PageRef is destroyed.
// Move-only.
class PageRef {
 public:
  PageRef() = default;
  PageRef(PageRef&& other) noexcept { *this = std::move(other); }
  PageRef& operator=(PageRef&& other) noexcept;
  PageRef(const PageRef&) = delete;
  PageRef& operator=(const PageRef&) = delete;
  ~PageRef() { Release(); }

  PageId id() const { return id_; }
  const char* data() const { return data_; }
  // REQUIRES: the ref came from Allocate or FetchForWrite.
  char* mutable_data() const { return data_; }
  explicit operator bool() const { return data_ != nullptr; }
  // The LSN in the page's header: the transaction that wrote this version.
  Lsn lsn() const { return DecodeFixed64(data_ + kPageLsnOffset); }
  void Release();

 private:
  friend class Pager;
  PageRef(Pager* pager, PageId id, char* data, int64_t frame)
      : pager_(pager), id_(id), data_(data), frame_(frame) {}

  Pager* pager_ = nullptr;
  PageId id_ = 0;
  char* data_ = nullptr;
  int64_t frame_ = -1;  // pool frame, -1 over mmap
};

class Pager {
 public:
  // A pager over dm (not owned; must outlive the pager).
  static absl::StatusOr<std::unique_ptr<Pager>> Create(DiskManager* dm,
                                                       const PagerOptions& options);
  virtual ~Pager() = default;

  DiskManager* disk() const { return dm_; }
  uint32_t page_size() const { return dm_->page_size(); }

  // A committed or own page, for reading. OutOfRange past the end;
  // DataLoss if a page read from disk fails verification.
  virtual absl::StatusOr<PageRef> Fetch(PageId id) = 0;
  // A hint that Fetch(id) follows soon (a scan's next leaf): where that
  // costs no I/O (mmap), the processor starts loading the page's header
  // and its address translation now. Any thread; never fails, whatever
  // the id (PagerTest.PrefetchOfAnyIdIsAHarmlessHint).
  virtual void Prefetch(PageId id) const {}
  // A new page whose header holds id, type and lsn, writable until
  // EndWriteBatch.
  absl::StatusOr<PageRef> Allocate(PageType type, Lsn lsn);
  // A new page whose bytes after the header are a copy of page's (the
  // copy-on-write of a committed page), with its own id, page's type and
  // lsn; writable until EndWriteBatch.
  absl::StatusOr<PageRef> AllocateCopy(const PageRef& page, Lsn lsn);
  // A page allocated in the current write batch, for further changes;
  // FailedPrecondition for a committed page (copy it instead).
  absl::StatusOr<PageRef> FetchForWrite(PageId id);
  // FetchForWrite for a page of the current write batch; an empty ref
  // for any other page.
  absl::StatusOr<PageRef> FetchIfWritable(PageId id);
  // True if id was allocated in the current write batch.
  bool IsWritable(PageId id) const { return fresh_.contains(id); }
  // Ends the write batch of transaction txn: its pages become committed
  // (read-only). Over mmap this may write pages out (when the frames hold
  // more than their budget); an error there leaves the database unusable,
  // and the caller must fail it.
  // With write-through on, every page of the batch is then written to the
  // file (WriteEarly, in page order), so that readers in other processes
  // can read it.
  absl::Status EndWriteBatch(uint64_t txn) {
    absl::Status s = CommitPages(txn);
    if (s.ok() && write_through_) s = WriteBatchPages();
    fresh_.clear();
    return s;
  }
  // Write-through: on while readers in other processes follow the writer
  // (btree/shared_registry.h). Writer thread.
  void set_write_through(bool on) { write_through_ = on; }
  bool write_through() const { return write_through_; }
  // Discards a page of the current write batch at once (it was never
  // committed, so nothing can reach it).
  absl::Status FreeUncommitted(PageId id);
  // Abandons the write batch of transaction txn: frees every page it
  // allocated and forgets the committed pages it parked.
  absl::Status AbortWriteBatch(uint64_t txn);
  // Parks committed page id, freed by write transaction txn; the version
  // freed was written by transaction `written` (0 if unknown: treated as
  // reachable from every snapshot older than txn). REQUIRES: txn is not
  // below that of an earlier call, except after AbortWriteBatch.
  void FreeAfter(PageId id, uint64_t txn, uint64_t written = 0);
  // Frees the parked pages no reader can reach any more: those freed by
  // transactions <= published_txn (new snapshots are of published_txn or
  // later) that no snapshot in `snapshots` (the versions of the live
  // snapshots, ascending) reaches.
  absl::Status ReleaseFrees(uint64_t published_txn, const std::vector<uint64_t>& snapshots);
  size_t parked_frees() const;
  // Pages freed by published transactions that snapshots still hold, as
  // of the last ReleaseFrees. Any thread.
  uint64_t held_pages() const { return held_pages_.load(std::memory_order_relaxed); }
  // For each of `snapshots` (ascending txns), how many of those pages it
  // reaches. Any thread.
  std::vector<uint64_t> PagesHeldBy(const std::vector<uint64_t>& snapshots) const;
  // The parked page ids (for the structural checker).
  std::vector<PageId> ParkedPages() const;
  // The parked pages freed by transactions <= txn: the version txn does
  // not reach them, only older snapshots do (for a checkpoint of txn's
  // version, DiskManager::Checkpoint's unreachable).
  std::vector<PageId> ParkedPagesFreedBy(uint64_t txn) const;
  // Seals and writes every page changed since the last Flush, so that a
  // following DiskManager::Checkpoint makes them durable.
  virtual absl::Status Flush() = 0;
  // Flush in two steps, so that a checkpoint writes its pages while the
  // writer goes on (engine/checkpoint.cc). DetachCommitted (writer thread,
  // between batches, every page committed) hands every page changed since
  // the last write-out to a write-out; WriteDetached (any thread, also
  // beside the writer) performs it. Until then a detached page is read
  // from its frame as before; one freed for good meanwhile is not written
  // (no snapshot reaches it, and its id may already hold a newer page).
  // The writer takes the written frames back over its next batches
  // (a bounded number per batch) or at a Flush, which first finishes a
  // write-out still running, on the writer's thread. Over pread,
  // DetachCommitted is Flush and WriteDetached has nothing left to do.
  // Proven by MmapPagerTest.Detached* and, under TSan,
  // MmapPagerTest.ConcurrentReadersWhileACheckpointWritesBesideTheWriter.
  virtual absl::Status DetachCommitted() { return Flush(); }
  virtual absl::Status WriteDetached() { return absl::OkStatus(); }
  // Page id, of the current write batch, is complete for now: seal and
  // write it at once instead of at Flush, so its write-back can start
  // early (the bulk loader calls this for each node it closes). A later
  // FetchForWrite makes it dirty again. No effect on a clean page.
  virtual absl::Status WriteEarly(PageId id) = 0;
  virtual PagerStats Stats() const = 0;

 protected:
  explicit Pager(DiskManager* dm) : dm_(dm) {}
  // Space for a new page id (no read); header set by Allocate.
  virtual absl::StatusOr<PageRef> NewPage(PageId id) = 0;
  virtual absl::StatusOr<PageRef> PinForWrite(PageId id) = 0;
  // Drops a resident copy of a freed page, if any.
  virtual absl::Status Forget(PageId id) = 0;
  virtual void Unpin(int64_t frame) = 0;
  // The write batch of transaction txn ends.
  virtual absl::Status CommitPages(uint64_t txn) { return absl::OkStatus(); }
  // Reuses what readers may have been holding, once no snapshot in
  // `snapshots` (the live ones, ascending) is that old (ReleaseFrees).
  virtual void ReclaimFrames(const std::vector<uint64_t>& snapshots) {}
  PageRef MakeRef(PageId id, char* data, int64_t frame) {
    return PageRef(this, id, data, frame);
  }

 private:
  friend class PageRef;
  // A page id from the disk manager and a writable ref to its space,
  // registered in the write batch; the caller fills in every byte.
  absl::StatusOr<PageRef> AllocateUninitialized();

  DiskManager* const dm_;
  bool write_through_ = false;
  PageIdSet fresh_;                                    // writable pages
  struct Parked {
    uint64_t txn;      // the transaction that freed the page
    uint64_t written;  // the transaction that wrote the freed version
    PageId id;
  };
  absl::Status Release(PageId id);
  absl::Status WriteBatchPages();
  // Freed by transactions not published at the last ReleaseFrees, in
  // transaction order.
  std::deque<Parked> parked_;
  // Published but reachable from a snapshot at the ReleaseFrees that looked
  // at them; freed once the oldest snapshot is past their txn. In
  // transaction order.
  std::deque<Parked> pinned_ ABSL_GUARDED_BY(pinned_mu_);
  // pinned_ is changed by the writer (ReleaseFrees) and read by Stats.
  mutable Mutex pinned_mu_;
  std::atomic<uint64_t> held_pages_{0};
};

// Inline: every step of a descent moves and drops a ref, and over mmap
// (no pin) that is three stores.
inline PageRef& PageRef::operator=(PageRef&& other) noexcept {
  if (this != &other) {
    Release();
    pager_ = std::exchange(other.pager_, nullptr);
    id_ = other.id_;
    data_ = std::exchange(other.data_, nullptr);
    frame_ = std::exchange(other.frame_, -1);
  }
  return *this;
}

inline void PageRef::Release() {
  if (frame_ >= 0 && pager_ != nullptr) pager_->Unpin(frame_);
  pager_ = nullptr;
  data_ = nullptr;
  frame_ = -1;
}

}  // namespace laura

#endif  // LAURA_STORAGE_PAGER_H_
