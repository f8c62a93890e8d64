// MmapPager: reads through the disk manager's mapping, writes through
// private frames.
//
// A page this process's writer built since it was last written out lives
// in a private frame, found through frames_ (a lock-free page table); any
// other page is read in place in the mapping (zero copy: a PageRef points
// into the mapping and pins nothing; the mapping never moves while the
// disk manager is open). Frames are written to the file with pwrite
// (DiskManager::WritePage) at a checkpoint (Flush), or earlier once they
// hold more than the budget (PagerOptions::cache_bytes); a page freed
// before that is never written at all. The mapping is read-only.
//
// Why not build pages in the mapping: a store into a shared file mapping
// takes a write fault on every page the last sync cleaned (the kernel
// write-protects a page when it writes it back, and a copy-on-write engine
// keeps storing into reused free pages), the sync that cleans them shoots
// down the mapping's TLB entries on every core, and every page version
// stored there is written back, also the many a checkpoint interval frees
// again. Why not pwrite each page at commit (LMDB's way): a syscall and a
// page cache update per page per commit, where most pages a commit writes
// (the root, the branches) are replaced by the next one. bench/README.md,
// "Steady state", measures the three.
//
// Invariants (writer thread, except where noted):
//  1. dirty_ (and framed_, its lock-free copy for Fetch) holds exactly
//     the pages with a frame in frames_: the pages of the current write
//     batch and the committed pages not yet written.
//     Readers (any thread) find a committed page's frame through frames_;
//     its bytes do not change after its batch ended (copy-on-write).
//  2. A page is written from its frame, sealed in place (only the
//     checksum changes, which no reader of a frame looks at; see
//     DiskManager::WritePage), then its entry is cleared; the frame goes to
//     retired_ tagged with the newest transaction a snapshot could hold
//     then, and is reused only once every live snapshot is newer
//     (ReclaimFrames): a reader that found the frame before the clear
//     holds such an older snapshot.
//  3. A page freed for good (Forget: uncommitted, or no snapshot reaches
//     it any more) gives its frame back at once: no reader can reach it.
//  4. Fetch verifies a mapped page's checksum and id the first time this
//     process reaches it (DiskManager::VerifiedPageData); a frame is the
//     writer's own bytes and a page it wrote counts as verified
//     (PagerTest.DamagedPageOnDiskIsDataLoss/mmap).
//  5. A checkpoint writes its pages beside the writer (DetachCommitted,
//     WriteDetached): detaching moves every dirty page from dirty_ to
//     detached_, framed as before, so readers and the writer still read
//     the frame. The write-out claims each page under detach_mu_, then
//     copies its frame (sealing the copy, so nobody stores into a frame
//     others read) and writes it outside the lock; Forget marks a
//     detached page cancelled under the lock and waits for a write of it
//     in progress, so once it returns the page is never written from its
//     old frame, and the frame and the id are free for reuse. Once the
//     write-out is done the writer (SettleDetached) unframes and retires
//     the written frames as in 2, and makes the unwritten ones (after a
//     failed write) dirty again.
// Invariants 1-3 are proven by MmapPagerTest and, with readers on other
// threads (under TSan), by
// PagerTest.ConcurrentReadersSeeTheirVersionWhilePagesAreWrittenAndReused;
// 5 by MmapPagerTest.Detached* and, with the write-out on its own thread,
// MmapPagerTest.ConcurrentReadersWhileACheckpointWritesBesideTheWriter.
#include <algorithm>
#include <atomic>
#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "storage/coding.h"
#include "storage/frame_arena.h"
#include "storage/frame_table.h"
#include "storage/mutex.h"
#include "storage/page_bitmap.h"
#include "storage/page_id_set.h"
#include "storage/pager_impl.h"
#include "storage/status_macros.h"

namespace laura {
namespace {

class MmapPager final : public Pager {
 public:
  MmapPager(DiskManager* dm, const PagerOptions& options)
      : Pager(dm),
        arena_(dm->page_size()),
        frames_(dm->max_page_count()),
        framed_(dm->max_page_count()),
        budget_frames_(std::max<uint64_t>(16, options.cache_bytes / dm->page_size())) {}

  // The arena unmaps every frame.
  ~MmapPager() override = default;

  absl::StatusOr<PageRef> Fetch(PageId id) override {
    // framed_ first: one bit per page stays in cache where the table's
    // eight bytes per page would not.
    if (ABSL_PREDICT_FALSE(framed_.Contains(id))) {
      if (char* frame = frames_.Get(id); frame != nullptr) return MakeRef(id, frame, -1);
    }
    LAURA_ASSIGN_OR_RETURN(const char* page, disk()->VerifiedPageData(id));
    return MakeRef(id, const_cast<char*>(page), -1);
  }

  void Prefetch(PageId id) const override {
    const char* page = framed_.Contains(id) ? frames_.Get(id) : nullptr;
    if (page == nullptr) page = disk()->PageData(id);
    if (page != nullptr) __builtin_prefetch(page);
  }

  // Called as the writer between batches: every frame is committed.
  absl::Status Flush() override {
    LAURA_RETURN_IF_ERROR(SettleDetached(/*finish=*/true));
    return WriteOut();
  }

  absl::Status DetachCommitted() override {
    LAURA_RETURN_IF_ERROR(SettleDetached(/*finish=*/true));
    if (dirty_.empty()) return absl::OkStatus();
    std::vector<PageId> ids = dirty_.Members();
    std::sort(ids.begin(), ids.end());  // neighbours go out together
    std::vector<Detached> pages;
    pages.reserve(ids.size());
    detached_index_.reserve(ids.size());
    for (PageId id : ids) {
      detached_index_[id] = pages.size();
      pages.push_back(Detached{.id = id, .frame = frames_.Get(id)});
    }
    dirty_.clear();
    {
      MutexLock lock(&detach_mu_);
      detached_ = std::move(pages);
      detached_next_ = 0;
      detached_settled_ = 0;
      detached_status_ = absl::OkStatus();
    }
    detached_done_.store(false, std::memory_order_release);
    NoteResident();
    return absl::OkStatus();
  }

  absl::Status WriteDetached() override {
    std::string copy(page_size(), '\0');
    while (true) {
      size_t i;
      PageId id;
      const char* frame;
      {
        MutexLock lock(&detach_mu_);
        while (detached_next_ < detached_.size() && detached_[detached_next_].cancelled) {
          ++detached_next_;
        }
        if (!detached_status_.ok() || detached_next_ == detached_.size()) {
          // Done once no other thread still writes one of the pages.
          detach_mu_.Await(absl::Condition(&Counter::IsZero, &detached_writes_));
          detached_done_.store(true, std::memory_order_release);
          return detached_status_;
        }
        i = detached_next_++;
        detached_[i].writing = true;
        ++detached_writes_.n;
        id = detached_[i].id;
        frame = detached_[i].frame;
      }
      // Outside the lock: a page being written can only be cancelled,
      // and CancelDetached waits for its write to end.
      std::memcpy(copy.data(), frame, page_size());
      const absl::Status s = disk()->WritePage(id, copy.data());
      MutexLock lock(&detach_mu_);
      detached_[i].writing = false;
      --detached_writes_.n;
      if (s.ok()) {
        detached_[i].written = true;
        written_.fetch_add(1, std::memory_order_relaxed);
      } else if (detached_status_.ok()) {
        detached_status_ = s;  // the next turn of the loop ends the write-out
      }
    }
  }

  absl::Status WriteEarly(PageId id) override {
    char* frame = frames_.Get(id);
    if (frame == nullptr) return absl::OkStatus();
    // A page of the current batch: no reader has seen it, so the frame
    // can be written and reused at once.
    LAURA_RETURN_IF_ERROR(disk()->WritePage(id, frame));
    written_.fetch_add(1, std::memory_order_relaxed);
    ReleaseFrame(id, frame);
    return absl::OkStatus();
  }

  PagerStats Stats() const override {
    PagerStats stats;
    // Any thread: the writer's containers are not read here.
    stats.write_backs = written_.load(std::memory_order_relaxed);
    stats.bytes_resident = resident_frames_.load(std::memory_order_relaxed) * page_size();
    return stats;
  }

 protected:
  absl::Status CommitPages(uint64_t txn) override {
    last_ended_txn_ = txn;
    LAURA_RETURN_IF_ERROR(SettleDetached(/*finish=*/false));
    if (dirty_.size() <= budget_frames_) return absl::OkStatus();
    return WriteOut();
  }

  absl::StatusOr<PageRef> NewPage(PageId id) override {
    char* frame = arena_.Take();
    if (frame == nullptr) {
      return absl::ResourceExhaustedError(
          absl::StrCat("no memory for a frame of page ", id, " (", page_size(), " bytes)"));
    }
    if (!frames_.Set(id, frame)) {
      arena_.Give(frame);
      return absl::ResourceExhaustedError(absl::StrCat("page ", id, " is past the mapping"));
    }
    framed_.Insert(id);
    dirty_.insert(id);
    NoteResident();
    return MakeRef(id, frame, -1);
  }

  absl::StatusOr<PageRef> PinForWrite(PageId id) override {
    if (char* frame = frames_.Get(id); frame != nullptr) return MakeRef(id, frame, -1);
    // Written early (WriteEarly) and changed again: back into a frame.
    const char* page = disk()->PageData(id);
    if (page == nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat("page ", id, " is past the end of the mapping"));
    }
    LAURA_ASSIGN_OR_RETURN(PageRef ref, NewPage(id));
    std::memcpy(ref.mutable_data(), page, page_size());
    return ref;
  }

  absl::Status Forget(PageId id) override {
    if (!detached_index_.empty()) CancelDetached(id);
    if (char* frame = frames_.Get(id); frame != nullptr) ReleaseFrame(id, frame);
    return absl::OkStatus();
  }

  void ReclaimFrames(const std::vector<uint64_t>& snapshots) override {
    // A failed write-out is the checkpoint's error; here its pages only
    // become dirty again.
    SettleDetached(/*finish=*/false).IgnoreError();
    while (!retired_.empty() &&
           (snapshots.empty() || snapshots.front() > retired_.front().newest_snapshot)) {
      arena_.Give(retired_.front().frame);
      retired_.pop_front();
    }
    NoteResident();
  }

  void Unpin(int64_t) override {}

 private:
  struct Retired {
    uint64_t newest_snapshot;  // the newest txn a snapshot could hold at retirement
    char* frame;
  };

  // Writes every frame, in page order (neighbours go out together), and
  // retires the frames (invariant 2).
  absl::Status WriteOut() {
    if (dirty_.empty()) return absl::OkStatus();
    std::vector<PageId> ids = dirty_.Members();
    std::sort(ids.begin(), ids.end());
    for (PageId id : ids) {
      char* frame = frames_.Get(id);
      LAURA_RETURN_IF_ERROR(disk()->WritePage(id, frame));
      written_.fetch_add(1, std::memory_order_relaxed);
      Unframe(id);
      retired_.push_back(Retired{last_ended_txn_, frame});
    }
    NoteResident();
    return absl::OkStatus();
  }

  // A page detached for a write-out (invariant 5).
  struct Detached {
    PageId id;
    char* frame;
    bool cancelled = false;  // freed for good first: never written
    bool writing = false;    // a thread copies and writes it now
    bool written = false;
    static bool NotWriting(Detached* page) { return !page->writing; }
  };
  struct Counter {
    size_t n = 0;
    static bool IsZero(Counter* c) { return c->n == 0; }
  };

  // Page id is freed for good: if a write-out still holds it, it is not
  // written; a write of it in progress is waited for (it is the only one
  // the writer ever waits for).
  void CancelDetached(PageId id) {
    auto it = detached_index_.find(id);
    if (it == detached_index_.end()) return;
    {
      MutexLock lock(&detach_mu_);
      Detached& page = detached_[it->second];
      page.cancelled = true;
      detach_mu_.Await(absl::Condition(&Detached::NotWriting, &page));
    }
    detached_index_.erase(it);
  }

  // Takes back the frames of a finished write-out (invariant 5): with
  // finish, all of them, first finishing a write-out still running on
  // this thread; without, at most kSettleBatch per call, so that no
  // single commit pays for a whole checkpoint's pages.
  absl::Status SettleDetached(bool finish) {
    if (!detached_done_.load(std::memory_order_acquire)) {
      if (!finish) return absl::OkStatus();
      WriteDetached().IgnoreError();  // a failure leaves its pages dirty
    }
    if (detached_index_.empty()) return absl::OkStatus();  // none, or all cancelled or taken
    MutexLock lock(&detach_mu_);
    for (size_t taken = 0; detached_settled_ < detached_.size(); ++detached_settled_) {
      const Detached& page = detached_[detached_settled_];
      if (page.cancelled) continue;
      if (!finish && taken++ == kSettleBatch) break;
      if (page.written) {
        Unframe(page.id);
        retired_.push_back(Retired{last_ended_txn_, page.frame});
      } else {
        dirty_.insert(page.id);  // not written
      }
      detached_index_.erase(page.id);
    }
    NoteResident();
    if (detached_settled_ < detached_.size()) return absl::OkStatus();
    detached_.clear();
    detached_next_ = 0;
    detached_settled_ = 0;
    return detached_status_;
  }

  // Drops page id's frame, which no reader can reach (invariant 3).
  void ReleaseFrame(PageId id, char* frame) {
    Unframe(id);
    arena_.Give(frame);
  }

  void Unframe(PageId id) {
    framed_.Erase(id);
    frames_.Set(id, nullptr);
    dirty_.erase(id);
    NoteResident();
  }

  // Publishes the frame count for Stats (writer thread).
  void NoteResident() {
    resident_frames_.store(dirty_.size() + retired_.size() + detached_index_.size(),
                           std::memory_order_relaxed);
  }

  // Every frame, in use or spare (declared first: destroyed last).
  FrameArena arena_;
  FrameTable frames_;
  // The ids in frames_, as a filter for Fetch. Set after the table entry
  // and cleared before it; a reader that sees the bit but no entry reads
  // the mapping, which by then holds the page.
  PageBitmap framed_;
  const uint64_t budget_frames_;  // dirty frames before a write-out
  PageIdSet dirty_;
  std::deque<Retired> retired_;  // in retirement order
  uint64_t last_ended_txn_ = 0;  // the newest write batch ended
  std::atomic<uint64_t> written_{0};           // for Stats, any thread
  std::atomic<uint64_t> resident_frames_{0};   // dirty_ + retired_ + detached, for Stats
  // The write-out of a checkpoint (invariant 5). The index is the
  // writer's; the rest is shared with the thread that writes.
  // Detached pages neither cancelled nor taken back, to their entry.
  absl::flat_hash_map<PageId, size_t> detached_index_;
  Mutex detach_mu_;
  std::vector<Detached> detached_ ABSL_GUARDED_BY(detach_mu_);
  size_t detached_next_ ABSL_GUARDED_BY(detach_mu_) = 0;     // the next entry to write
  size_t detached_settled_ ABSL_GUARDED_BY(detach_mu_) = 0;  // the next entry to take back
  static constexpr size_t kSettleBatch = 128;
  Counter detached_writes_ ABSL_GUARDED_BY(detach_mu_);    // writes in progress
  absl::Status detached_status_ ABSL_GUARDED_BY(detach_mu_);
  // No write-out, or the last one ended (written through, or failed).
  std::atomic<bool> detached_done_{true};
};

}  // namespace

std::unique_ptr<Pager> NewMmapPager(DiskManager* dm, const PagerOptions& options) {
  return std::make_unique<MmapPager>(dm, options);
}

}  // namespace laura
