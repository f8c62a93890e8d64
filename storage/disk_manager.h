// DiskManager: pages of one data file, over pread/pwrite or over mmap.
//
// This is the door of the storage layer. Both implementations share one file
// format (pages, page header, meta pages, free list: see page.h, meta.h and
// free_list.h) and behave the same; a file written by one opens with the
// other.
//
//   FileDiskManager  (kPread): pread/pwrite on a file descriptor.
//   MmapDiskManager  (kMmap):  a MAP_SHARED mapping; the address range is
//       reserved once (max_map_size), and each file extent is mapped into it
//       with MAP_FIXED as the file grows, so a page pointer stays valid for
//       the manager's lifetime. The file grows with fallocate, so a full
//       disk is ResourceExhausted when growing, never a SIGBUS later.
//
// State machine:  Open() -> OPEN --Close()--> CLOSED
//                  any failed Sync() -> FAILED (writes refused until reopen)
// Durability: pages written since the last Sync() are not reachable from the
// durable meta page, so losing or tearing them in a crash is harmless.
// Sync() writes the free list, makes the data durable, then writes and syncs
// the older meta page. Destroying a manager without Close() is a crash: what
// was not synced is not durable.
//
// Size: the file grows in steps (growth_step) and shrinks at checkpoints.
// A checkpoint gives up the free pages at the end of the file that nothing
// reaches (PageAllocator::TrimFreeTail), so its meta page records a lower
// page count; once that meta page is durable the file is truncated, with
// hysteresis: only when the free space past the last page exceeds 1.5
// growth steps, and down to half a step past it, so a file at a boundary
// does not shrink and grow by turns. A crash before the truncation leaves
// a longer file than the meta page needs, which is harmless, and the next
// checkpoint truncates it (DiskManagerTest.FreeTailIsTruncatedAtCheckpoint).
// Over mmap the truncated range is unmapped first (returned to the
// reservation); no snapshot reaches a free page, so no pointer dies.
//
// Thread safety: one writer thread at a time may call AllocatePage,
// FreePage, Sync, Checkpoint, BeginCheckpoint and Close. ReadPage,
// PageData, Stats and the advice calls may run on any thread, concurrently
// with the writer, for pages below page_count(); so may FinishCheckpoint
// (one at a time) and WritePage, for pages no other thread writes at the
// same time (the pread pool writes back evicted pages on readers' threads;
// a checkpoint writes its pages beside the writer, Pager::WriteDetached).
#ifndef LAURA_STORAGE_DISK_MANAGER_H_
#define LAURA_STORAGE_DISK_MANAGER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/optimization.h"
#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "laura/options.h"
#include "laura/stats.h"
#include "storage/env.h"
#include "storage/free_list.h"
#include "storage/mapping_faults.h"
#include "storage/meta.h"
#include "storage/mutex.h"
#include "storage/page.h"

namespace laura {

// DiskManagerKind, DiskManagerKindName and kMiB are public (laura/options.h).
// A new file's default size: small, so that an empty database is small.
inline constexpr uint64_t kDefaultInitialSize = 64 * 1024;
// Default growth (growth_step 0): a quarter of the file's size, at least
// kMinGrowthStep and at most these caps.
inline constexpr uint64_t kMinGrowthStep = 64 * 1024;
inline constexpr uint64_t kDefaultMmapGrowthStep = 64 * kMiB;
inline constexpr uint64_t kDefaultPreadGrowthStep = 8 * kMiB;

struct DiskManagerOptions {
  // All I/O goes through this Env. Default: nullptr, meaning Env::Default().
  Env* env = nullptr;
  // Create the file if it does not exist. Default: true.
  bool create_if_missing = true;
  // Open read-only (O_RDONLY, PROT_READ): every write call fails with
  // FailedPrecondition. Default: false.
  bool read_only = false;
  // Page size for a new file: a power of two from 4 KiB to 64 KiB. An
  // existing file keeps the size it was created with. Default: 4096.
  uint32_t page_size = kDefaultPageSize;
  // File size at creation, rounded up to whole pages. Default: 0, meaning
  // kDefaultInitialSize (64 KiB).
  uint64_t initial_size = 0;
  // The file grows by this many bytes (rounded up to whole pages) when it
  // is full. Default: 0, meaning geometric growth: a quarter of the file's
  // size, from 64 KiB up to 64 MiB (mmap) or 8 MiB (pread) a step, so a
  // small database stays small and a large one grows rarely.
  uint64_t growth_step = 0;
  // mmap: address space reserved at open; the file cannot grow beyond it.
  // Default: 1 TiB (costs no memory).
  uint64_t max_map_size = uint64_t{1} << 40;
  // ReadPage and VerifiedPageData verify each page's checksum (the page id
  // is always checked). The mmap manager verifies a page once per open: its
  // bytes change only through the writer, which seals them. Default: true.
  bool verify_checksums = true;
  // Write-behind: after this many bytes of pages written since the last
  // start, ask the OS to start writing them back (File::StartWriteBack), so
  // the next Sync has less to wait for. Default: 0, meaning off, except
  // while the sequential access hint is on (a bulk load), when it is
  // kSequentialWriteBehindBytes.
  uint64_t write_behind_bytes = 0;
};

// Write-behind step while the sequential access hint is on.
inline constexpr uint64_t kSequentialWriteBehindBytes = uint64_t{16} << 20;

// DiskStats is public (laura/stats.h).

class DiskManager {
 public:
  // Opens (or creates, see options) the data file at path. Creation writes
  // the file under a temporary name and renames it into place, so a crash
  // never leaves a half-made database. Errors name the path and the
  // problem: NotFound, InvalidArgument (bad options, not a LauraDB file),
  // DataLoss (damaged or truncated file), ResourceExhausted (disk full).
  static absl::StatusOr<std::unique_ptr<DiskManager>> Open(
      DiskManagerKind kind, const std::string& path,
      const DiskManagerOptions& options);

  virtual ~DiskManager();
  DiskManager(const DiskManager&) = delete;
  DiskManager& operator=(const DiskManager&) = delete;

  DiskManagerKind kind() const { return kind_; }
  uint32_t page_size() const { return page_size_; }
  uint64_t page_count() const { return page_count_.load(std::memory_order_acquire); }
  bool read_only() const { return options_.read_only; }
  // The meta page as of the last completed Sync (or as opened).
  Meta durable_meta() const;

  // Copies page id into out (page_size() bytes) and verifies it (see
  // VerifyPage). OutOfRange for an id past the end.
  absl::Status ReadPage(PageId id, char* out);
  // Stamps id and checksum into page (page_size() bytes; type, flags and
  // LSN set by the caller) and writes it. An id already in place is not
  // rewritten, so other threads may read every byte of page but its
  // checksum meanwhile (the mmap pager writes frames readers use).
  // REQUIRES: id was allocated and not freed. InvalidArgument for a meta
  // page or an id past the end.
  absl::Status WritePage(PageId id, char* page);
  // A free page (the most recently freed first, storage/free_list.h) or a
  // new one at the end, growing the file by growth_step when needed. The
  // page's contents are undefined until written.
  absl::StatusOr<PageId> AllocatePage();
  // Puts id on the free list, for reuse by AllocatePage. FailedPrecondition
  // if it is already free. The caller guarantees that no durable state
  // still needs the page (the pager delays frees; see DESIGN.md).
  absl::Status FreePage(PageId id);
  // Makes every written page, the free list and the allocation state
  // durable, keeping the checkpoint LSN and root of the last Checkpoint.
  absl::Status Sync();
  // Sync, recording a new checkpoint LSN and B+tree root in the meta page.
  // The same as BeginCheckpoint then FinishCheckpoint.
  // `unreachable`: pages still in use by live snapshots only, which root
  // does not reach; the durable free list lists them, so a crash does not
  // leak them (PageAllocator::PlanFreeList).
  absl::Status Checkpoint(Lsn checkpoint_lsn, PageId root,
                          const std::vector<PageId>& unreachable = {});

  // A checkpoint begun by the writer and finished on any thread.
  struct PendingCheckpoint {
    Meta next;                    // the meta page to write
    PageAllocator::ListPlan plan; // the free list written for it
  };
  // A checkpoint in two steps, so that its syncs run while the writer goes
  // on (DESIGN.md: a checkpoint holds a snapshot like a reader).
  // BeginCheckpoint (writer thread, once every page the root reaches was
  // written) writes the free list and takes what must be synced;
  // FinishCheckpoint (any thread; the writer may meanwhile write, allocate
  // and free pages) syncs it, then writes and syncs the meta page. Pages
  // freed in between stay unreusable until the next checkpoint. At most
  // one checkpoint in flight; a failure fails the manager.
  absl::StatusOr<PendingCheckpoint> BeginCheckpoint(Lsn checkpoint_lsn, PageId root,
                                                    const std::vector<PageId>& unreachable = {}) {
    return BeginCheckpointOf(checkpoint_lsn, root, std::nullopt, unreachable);
  }
  // The same for pages still being written: the caller gives the LSN in
  // the root page's header and writes every page the root reaches before
  // FinishCheckpoint starts (Pager::DetachCommitted and WriteDetached), so
  // the writer need not wait for those writes.
  absl::StatusOr<PendingCheckpoint> BeginCheckpoint(Lsn checkpoint_lsn, PageId root,
                                                    Lsn root_lsn,
                                                    const std::vector<PageId>& unreachable) {
    return BeginCheckpointOf(checkpoint_lsn, root, root_lsn, unreachable);
  }
  absl::Status FinishCheckpoint(const PendingCheckpoint& pending);
  // A begun checkpoint that will not be finished, because a page it needs
  // could not be written: fails the manager like a failed sync (writes
  // are refused until reopen; recovery redoes the work from the log).
  // Returns why.
  absl::Status AbandonCheckpoint(const absl::Status& why);
  // Syncs (unless read-only) and releases the file. Later calls fail.
  absl::Status Close();

  // mmap: DataLoss naming the page if an access to the mapping faulted
  // since open (SIGBUS: the file was truncated under the process, or the
  // disk failed while a page was read in; storage/mapping_faults.h). Once
  // not OK it stays so, and every write is refused until reopen. OK for
  // pread. One atomic load: callers check it after touching mapped pages
  // and before reporting success.
  absl::Status CheckMapping() const {
    if (ABSL_PREDICT_TRUE(!mapping_faulted())) return absl::OkStatus();
    return MappingFaultStatus();
  }
  // The fast test behind CheckMapping: one relaxed load, inlined.
  bool mapping_faulted() const {
    return fault_counter_->load(std::memory_order_relaxed) != 0;
  }
  // The counter mapping_faulted reads, for a caller that tests it per
  // entry (an iterator); it stays valid, and 0 for pread, until Close.
  const std::atomic<uint64_t>* fault_counter() const { return fault_counter_; }

  DiskStats Stats() const;
  // Compaction (writer thread): the page id from which pages in use can
  // move down into allocatable pages (PageAllocator::CompactionThreshold),
  // and a switch of AllocatePage to the lowest allocatable ids first.
  PageId CompactionThreshold() const;
  void PreferLowestFreePages();
  // Free pages that only the last durable checkpoint still reaches: they
  // become reusable at the next checkpoint (DiskStats::pinned_pages), and
  // pages in use (page count minus free pages). Any thread; cheap.
  uint64_t pinned_pages() const { return pinned_pages_.load(std::memory_order_relaxed); }
  uint64_t live_pages() const { return live_pages_.load(std::memory_order_relaxed); }
  // Writer processes (btree/shared_registry.h). Fence (writer thread,
  // before the first allocation) holds back every allocatable page and
  // every page past the page count up to the file's end: readers in other
  // processes may hold snapshots of a writer process that died, which
  // reach any of them (PageAllocator::Fence). LiftFence makes them
  // allocatable once those readers are gone; returns how many.
  void Fence();
  uint64_t LiftFence();
  bool fenced() const { return fenced_.load(std::memory_order_relaxed); }
  // Read-only managers that follow a writer in another process: the
  // writer published a version reaching pages below `pages`; extends the
  // page count (and the mapping) to cover them, up to the file's end.
  // Any thread.
  absl::Status FollowWriter(uint64_t pages);
  // Read-only: the file's current meta page, read again (a writer process
  // may have checkpointed since this manager opened). Any thread.
  absl::StatusOr<Meta> ReadDurableMeta();

  // For the structural checker: every free page id (sorted), and the pages
  // that hold the durable free list.
  std::vector<PageId> FreePageIds() const;
  std::vector<PageId> FreeListPageIds() const;

  // Access hints for the whole file (madvise for mmap, fadvise for pread).
  // Sequential also turns on write-behind (see DiskManagerOptions), and
  // with mmap drops the written-behind pages from the resident set; random
  // turns both off again.
  absl::Status AdviseRandom();
  absl::Status AdviseSequential();
  // Hints that pages [first, last] will be read soon.
  absl::Status AdviseWillNeed(PageId first, PageId last);

  // Zero-copy access: a pointer to page id's bytes inside the mapping,
  // valid until Close. Not verified. nullptr for an id past the end, and
  // always for the pread manager.
  virtual const char* PageData(PageId id) const { return nullptr; }
  // Zero-copy reading (mmap): PageData, verified as ReadPage verifies
  // (checksum, id and type; only the id with verify_checksums off) the first
  // time this process reaches the page after open. A page this process
  // allocated counts as verified: its bytes are the writer's own, sealed at
  // the next Flush. OutOfRange past the end, DataLoss naming the page on a
  // mismatch, Unimplemented for the pread manager. Any thread.
  // Proven by PagerTest.DamagedPageOnDiskIsDataLoss/mmap.
  virtual absl::StatusOr<const char*> VerifiedPageData(PageId id) {
    return absl::UnimplementedError("no mapping (pread)");
  }
  // True if PageData is available (mmap). The mapping is read-only, also
  // for the writer: pages are written with WritePage (pwrite), and a
  // stray store into the mapping faults instead of changing a committed
  // page.
  bool has_mapping() const { return kind_ == DiskManagerKind::kMmap; }
  // The most pages the file can ever hold: the reserved address space over
  // mmap, unbounded (UINT64_MAX) over pread.
  virtual uint64_t max_page_count() const { return UINT64_MAX; }

 protected:
  DiskManager(DiskManagerKind kind, std::unique_ptr<File> file,
              const Meta& meta, const DiskManagerOptions& options,
              uint64_t file_size);

  // Implementation I/O. ReadRaw/WriteRaw move one whole page; GrowTo
  // extends the file (and mapping) to `bytes`. SyncData (any thread)
  // makes every page written so far and the file's size durable
  // (fdatasync: both managers write pages with pwrite); WriteMeta (any
  // thread) writes and syncs a meta page without touching the writer's
  // state.
  virtual absl::Status ReadRaw(PageId id, char* out) = 0;
  virtual absl::Status WriteRaw(PageId id, const char* page) = 0;
  virtual absl::Status GrowTo(uint64_t bytes) = 0;
  // Truncates the file (and mapping) to `bytes`, below its size; no page
  // at or past it is in use.
  virtual absl::Status ShrinkTo(uint64_t bytes) = 0;
  // Read-only: shows the file's first `bytes` (below its size) through
  // the mapping, if any (FollowWriter). Under mu_.
  virtual absl::Status ExtendReadOnly(uint64_t bytes) { return absl::OkStatus(); }
  virtual absl::Status SyncData() = 0;
  virtual absl::Status WriteMeta(PageId id, const char* page) = 0;
  virtual absl::Status Advise(AccessAdvice advice, PageId first,
                              uint64_t count) = 0;
  // Called once by Close() and the destructor of the subclass.
  virtual void Release() = 0;
  // True if page id's current bytes are known to be valid, so ReadPage may
  // skip the checksum (mmap: verified once per open). Default: never.
  virtual bool KnownValid(PageId id) const { return false; }
  // Records that page id verified (or was just sealed by WritePage, or
  // allocated to the writer).
  virtual void MarkValid(PageId id) {}
  // The checks of ReadPage on page bytes at `page` (see VerifiedPageData).
  absl::Status CheckPage(const char* page, PageId id) const;

  File* file() const { return file_.get(); }
  const DiskManagerOptions& options() const { return options_; }
  uint64_t file_size() const { return file_size_.load(std::memory_order_relaxed); }
  void set_file_size(uint64_t bytes) { file_size_.store(bytes, std::memory_order_relaxed); }

  std::atomic<uint64_t> mapped_size_{0};
  std::atomic<uint64_t> remaps_{0};
  // mmap: faults taken on the mapping (set by the subclass while mapped,
  // with SetMappingFaults).
  void SetMappingFaults(std::unique_ptr<MappingFaults> faults);
  std::unique_ptr<MappingFaults> mapping_faults_;

 private:
  friend class DiskManagerOpener;

  absl::Status LoadAllocator();
  // DataLoss unless the root page holds the LSN the meta page expects.
  absl::Status CheckRoot();
  // OK unless read-only, closed, failed or faulted.
  absl::Status CheckWritable() const;
  absl::Status MappingFaultStatus() const;
  absl::Status EnsureCapacity(uint64_t pages) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Bytes the file grows by when it is `size` bytes and full.
  uint64_t GrowthStep(uint64_t size) const;
  // Truncates the file if the free space past the last page is large
  // enough (see Size above). Called once a checkpoint is durable.
  absl::Status ShrinkIfWorthIt() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status WriteFreeList(const PageAllocator::ListPlan& plan, Lsn lsn)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // BeginCheckpoint; without root_lsn it reads the root page for it.
  absl::StatusOr<PendingCheckpoint> BeginCheckpointOf(Lsn checkpoint_lsn, PageId root,
                                                      std::optional<Lsn> root_lsn,
                                                      const std::vector<PageId>& unreachable);
  // Sets failed_ from a failed checkpoint step.
  absl::Status FailCheckpoint(const absl::Status& s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Sets failed_ (writes refused until reopen) to why plus s; returns s.
  absl::Status Fail(const absl::Status& s, absl::string_view why)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void PublishPageCount() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // After page id was written: starts write-back when enough has piled up.
  void WriteBehind(PageId id);
  void ResetWriteBehind() ABSL_EXCLUSIVE_LOCKS_REQUIRED(behind_mu_);

  const DiskManagerKind kind_;
  const DiskManagerOptions options_;
  const uint32_t page_size_;
  std::unique_ptr<File> file_;

  mutable Mutex mu_;
  PageAllocator allocator_ ABSL_GUARDED_BY(mu_);
  Meta durable_ ABSL_GUARDED_BY(mu_);
  absl::Status failed_ ABSL_GUARDED_BY(mu_);  // set by a failed Sync
  std::atomic<bool> has_failed_{false};        // !failed_.ok(), read without mu_
  bool checkpoint_in_flight_ ABSL_GUARDED_BY(mu_) = false;

  std::atomic<bool> closed_{false};
  std::atomic<bool> fenced_{false};
  // mapping_faults_'s counter, or a counter that stays 0.
  static const std::atomic<uint64_t> kNoFaults;
  const std::atomic<uint64_t>* fault_counter_ = &kNoFaults;
  std::atomic<uint64_t> page_count_{0};  // mirrors allocator_.page_count()
  std::atomic<uint64_t> file_size_{0};
  std::atomic<uint64_t> pages_read_{0};
  std::atomic<uint64_t> pages_written_{0};
  std::atomic<uint64_t> syncs_{0};
  std::atomic<uint64_t> shrinks_{0};
  // Mirrors of the allocator's counts, updated under mu_.
  std::atomic<uint64_t> pinned_pages_{0};
  std::atomic<uint64_t> live_pages_{0};
  void PublishCounts() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::atomic<bool> sequential_{false};  // the sequential hint is on
  // Pages written since write-back last started. WritePage runs on reader
  // threads too (the pread pool writes back the dirty frames it evicts),
  // so this has its own lock, taken only while write-behind is on.
  Mutex behind_mu_;
  PageId behind_lo_ ABSL_GUARDED_BY(behind_mu_) = UINT64_MAX;
  PageId behind_hi_ ABSL_GUARDED_BY(behind_mu_) = 0;  // one past the last
  uint64_t behind_bytes_ ABSL_GUARDED_BY(behind_mu_) = 0;
};

}  // namespace laura

#endif  // LAURA_STORAGE_DISK_MANAGER_H_
