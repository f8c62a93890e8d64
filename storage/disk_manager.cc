// DiskManager: opening and creating the data file, and the page-level logic
// both implementations share (verification, allocation, free list, Sync).
#include "storage/disk_manager.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "storage/coding.h"
#include "storage/disk_manager_impl.h"
#include "storage/status_macros.h"

namespace laura {

const char* DiskManagerKindName(DiskManagerKind kind) {
  return kind == DiskManagerKind::kMmap ? "mmap" : "pread";
}

std::string DiskStats::ToString() const {
  return absl::StrCat(
      "page_size=", page_size, " page_count=", page_count,
      " free_pages=", free_pages, " pinned_pages=", pinned_pages, " pages_read=", pages_read,
      " pages_written=", pages_written, " syncs=", syncs,
      " file_size=", file_size, " mapped_size=", mapped_size,
      " remaps=", remaps, " shrinks=", shrinks);
}

namespace {

absl::Status Annotate(const absl::Status& s, absl::string_view path) {
  return absl::Status(s.code(), absl::StrCat(path, ": ", s.message()));
}

// Fills in the defaults of a kind and checks the options.
absl::StatusOr<DiskManagerOptions> Resolve(DiskManagerKind kind,
                                           DiskManagerOptions o) {
  const bool mmap = kind == DiskManagerKind::kMmap;
  if (o.env == nullptr) o.env = Env::Default();
  LAURA_RETURN_IF_ERROR(ValidatePageSize(o.page_size));
  if (o.initial_size == 0) o.initial_size = kDefaultInitialSize;
  if (mmap && o.initial_size > o.max_map_size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "initial size ", o.initial_size, " exceeds max_map_size ",
        o.max_map_size));
  }
  return o;
}

// Writes a new, empty database file: under a temporary name, synced, then
// renamed into place and the directory synced.
absl::Status CreateDatabaseFile(const std::string& path,
                                const DiskManagerOptions& o) {
  Env* env = o.env;
  const std::string tmp = path + ".creating";
  if (env->FileExists(tmp)) LAURA_RETURN_IF_ERROR(env->DeleteFile(tmp));
  LAURA_ASSIGN_OR_RETURN(std::unique_ptr<File> file,
                         env->OpenFile(tmp, {.create = true, .exclusive = true}));
  const uint64_t size = std::max<uint64_t>(RoundUp(o.initial_size, o.page_size),
                                           2 * uint64_t{o.page_size});
  LAURA_RETURN_IF_ERROR(file->Allocate(0, size));
  Meta meta;
  meta.page_size = o.page_size;
  LAURA_RETURN_IF_ERROR(WriteBothMetaPages(meta, [&](PageId id, const char* page) {
    return file->Write(id * o.page_size, absl::string_view(page, o.page_size));
  }));
  LAURA_RETURN_IF_ERROR(file->Sync());
  file.reset();
  LAURA_RETURN_IF_ERROR(env->RenameFile(tmp, path));
  return env->SyncDir(DirName(path));
}

}  // namespace

absl::StatusOr<std::unique_ptr<DiskManager>> DiskManager::Open(
    DiskManagerKind kind, const std::string& path,
    const DiskManagerOptions& options) {
  LAURA_ASSIGN_OR_RETURN(DiskManagerOptions o, Resolve(kind, options));
  Env* env = o.env;
  if (!env->FileExists(path)) {
    if (o.read_only || !o.create_if_missing) {
      return absl::NotFoundError(
          absl::StrCat("database file ", path, " does not exist"));
    }
    if (absl::Status s = CreateDatabaseFile(path, o); !s.ok()) {
      return Annotate(s, absl::StrCat("creating ", path));
    }
  }
  LAURA_ASSIGN_OR_RETURN(std::unique_ptr<File> file,
                         env->OpenFile(path, {.read_only = o.read_only}));
  LAURA_ASSIGN_OR_RETURN(uint64_t size, file->Size());
  File* raw = file.get();
  absl::StatusOr<Meta> meta = LoadMeta(
      [raw](uint64_t off, size_t n, char* dst) { return raw->Read(off, n, dst); },
      size);
  if (!meta.ok()) return Annotate(meta.status(), path);
  absl::StatusOr<std::unique_ptr<DiskManager>> dm =
      kind == DiskManagerKind::kMmap
          ? NewMmapDiskManager(std::move(file), *meta, o, size)
          : NewFileDiskManager(std::move(file), *meta, o, size);
  if (!dm.ok()) return Annotate(dm.status(), path);
  if (absl::Status s = (*dm)->LoadAllocator(); !s.ok()) return Annotate(s, path);
  if (absl::Status s = (*dm)->CheckRoot(); !s.ok()) return Annotate(s, path);
  return dm;
}

DiskManager::DiskManager(DiskManagerKind kind, std::unique_ptr<File> file,
                         const Meta& meta, const DiskManagerOptions& options,
                         uint64_t file_size)
    : kind_(kind),
      options_(options),
      page_size_(meta.page_size),
      file_(std::move(file)),
      durable_(meta) {
  page_count_.store(meta.page_count, std::memory_order_release);
  file_size_.store(file_size, std::memory_order_relaxed);
}

DiskManager::~DiskManager() = default;

absl::Status DiskManager::LoadAllocator() {
  MutexLock lock(&mu_);
  auto read = [this](PageId id, char* out) { return ReadPage(id, out); };
  LAURA_ASSIGN_OR_RETURN(
      allocator_, LoadFreeList(read, page_size_, durable_.free_list_head,
                               durable_.free_count, durable_.page_count));
  PublishCounts();
  return absl::OkStatus();
}

absl::Status DiskManager::CheckRoot() {
  const Meta meta = durable_meta();
  if (meta.root == 0) return absl::OkStatus();
  std::string page(page_size_, '\0');
  LAURA_RETURN_IF_ERROR(ReadPage(meta.root, page.data()));
  const Lsn lsn = DecodeFixed64(page.data() + kPageLsnOffset);
  if (lsn == meta.root_lsn) return absl::OkStatus();
  return absl::DataLossError(absl::StrCat(
      "root page ", meta.root, " holds the version written at LSN ", lsn,
      ", but the meta page expects LSN ", meta.root_lsn, " (a lost or misdirected write)"));
}

Meta DiskManager::durable_meta() const {
  MutexLock lock(&mu_);
  return durable_;
}

absl::Status DiskManager::ReadPage(PageId id, char* out) {
  if (closed_.load(std::memory_order_relaxed)) {
    return absl::FailedPreconditionError("disk manager is closed");
  }
  const uint64_t count = page_count();
  if (id >= count) {
    return absl::OutOfRangeError(absl::StrCat(
        "page ", id, " is past the end of the database (", count, " pages)"));
  }
  if (absl::Status s = ReadRaw(id, out); !s.ok()) {
    if (!absl::IsOutOfRange(s)) return absl::Status(s.code(), absl::StrCat("reading page ", id, ": ", s.message()));
    // A short read: the file was truncated under the database, as a fault
    // on the mapping would say; writes are refused from here.
    s = absl::DataLossError(absl::StrCat("page ", id, " is missing from the file, which was "
                                         "truncated under the database (", s.message(), ")"));
    MutexLock lock(&mu_);
    return Fail(s, "the data file was truncated under the database, reopen it");
  }
  LAURA_RETURN_IF_ERROR(CheckMapping());  // the copy may hold a fault's zeros
  if (KnownValid(id)) {
    // The id still has to match; VerifyPage says how it does not.
    if (DecodeFixed64(out + kPageIdOffset) != id) return VerifyPage(out, page_size_, id);
  } else {
    LAURA_RETURN_IF_ERROR(CheckPage(out, id));
  }
  pages_read_.fetch_add(1, std::memory_order_relaxed);
  return absl::OkStatus();
}

absl::Status DiskManager::CheckPage(const char* page, PageId id) const {
  if (!options_.verify_checksums) {
    if (DecodeFixed64(page + kPageIdOffset) != id) return VerifyPage(page, page_size_, id);
    return absl::OkStatus();
  }
  LAURA_RETURN_IF_ERROR(VerifyPage(page, page_size_, id));
  const_cast<DiskManager*>(this)->MarkValid(id);
  return absl::OkStatus();
}

absl::Status DiskManager::CheckWritable() const {
  if (options_.read_only) {
    return absl::FailedPreconditionError("database is opened read-only");
  }
  if (closed_.load(std::memory_order_relaxed)) {
    return absl::FailedPreconditionError("disk manager is closed");
  }
  LAURA_RETURN_IF_ERROR(CheckMapping());
  if (has_failed_.load(std::memory_order_acquire)) {
    MutexLock lock(&mu_);
    return failed_;
  }
  return absl::OkStatus();
}

const std::atomic<uint64_t> DiskManager::kNoFaults{0};

void DiskManager::SetMappingFaults(std::unique_ptr<MappingFaults> faults) {
  fault_counter_ = faults != nullptr ? &faults->counter() : &kNoFaults;
  mapping_faults_ = std::move(faults);
}

absl::Status DiskManager::MappingFaultStatus() const {
  const uint64_t offset = mapping_faults_->first_fault_offset();
  return absl::DataLossError(absl::StrCat(
      file_->path(), ": page ", offset / page_size_, " (offset ", offset,
      ") could not be accessed through the mapping (SIGBUS: the file was truncated "
      "under the database, or the disk failed); reopen the database"));
}

absl::Status DiskManager::WritePage(PageId id, char* page) {
  LAURA_RETURN_IF_ERROR(CheckWritable());
  const uint64_t count = page_count();
  if (id < kFirstDataPage || id >= count) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot write page ", id, ": data pages are 2 to ", count - 1));
  }
  SealPage(page, page_size_, id, /*write_id=*/DecodeFixed64(page + kPageIdOffset) != id);
  LAURA_RETURN_IF_ERROR(WriteRaw(id, page));
  MarkValid(id);
  pages_written_.fetch_add(1, std::memory_order_relaxed);
  WriteBehind(id);
  return absl::OkStatus();
}

void DiskManager::WriteBehind(PageId id) {
  uint64_t step = options_.write_behind_bytes;
  if (step == 0 && sequential_.load(std::memory_order_relaxed)) {
    step = kSequentialWriteBehindBytes;
  }
  if (step == 0) return;
  MutexLock lock(&behind_mu_);
  behind_lo_ = std::min(behind_lo_, id);
  behind_hi_ = std::max(behind_hi_, id + 1);
  behind_bytes_ += page_size_;
  if (behind_bytes_ < step) return;
  // Hints: an error here shows up again at the next Sync.
  file_->StartWriteBack(behind_lo_ * page_size_, (behind_hi_ - behind_lo_) * page_size_)
      .IgnoreError();
  if (has_mapping() && sequential_.load(std::memory_order_relaxed)) {
    // A bulk load writes each page once: keep the mapping's resident set
    // bounded (the pages stay in the page cache, dirty until written).
    Advise(AccessAdvice::kDontNeed, behind_lo_, behind_hi_ - behind_lo_).IgnoreError();
  }
  ResetWriteBehind();
}

void DiskManager::ResetWriteBehind() {
  behind_lo_ = UINT64_MAX;
  behind_hi_ = 0;
  behind_bytes_ = 0;
}

absl::Status DiskManager::EnsureCapacity(uint64_t pages) {
  const uint64_t needed = pages * page_size_;
  const uint64_t current = file_size();
  if (needed <= current) return absl::OkStatus();
  const uint64_t target = std::max(RoundUp(needed, page_size_),
                                   RoundUp(current, page_size_) + GrowthStep(current));
  return GrowTo(target);
}

uint64_t DiskManager::GrowthStep(uint64_t size) const {
  if (options_.growth_step != 0) return RoundUp(options_.growth_step, page_size_);
  const uint64_t cap =
      kind_ == DiskManagerKind::kMmap ? kDefaultMmapGrowthStep : kDefaultPreadGrowthStep;
  const uint64_t step = std::clamp<uint64_t>(size / 4, kMinGrowthStep, cap);
  return RoundUp(step, std::max<uint64_t>(page_size_, OsPageSize()));
}

absl::Status DiskManager::ShrinkIfWorthIt() {
  const uint64_t used = std::max(allocator_.page_count(), durable_.page_count) * page_size_;
  const uint64_t step = GrowthStep(used);
  const uint64_t size = file_size();
  if (size < used + step + step / 2) return absl::OkStatus();
  const uint64_t target = RoundUp(used + step / 2, std::max<uint64_t>(page_size_, OsPageSize()));
  if (target >= size) return absl::OkStatus();
  LAURA_RETURN_IF_ERROR(ShrinkTo(target));
  shrinks_.fetch_add(1, std::memory_order_relaxed);
  return absl::OkStatus();
}

void DiskManager::PublishPageCount() {
  page_count_.store(allocator_.page_count(), std::memory_order_release);
  PublishCounts();
}

void DiskManager::Fence() {
  MutexLock lock(&mu_);
  allocator_.Fence(file_size() / page_size_);
  fenced_.store(true, std::memory_order_relaxed);
  PublishPageCount();
  PublishCounts();
}

uint64_t DiskManager::LiftFence() {
  MutexLock lock(&mu_);
  fenced_.store(false, std::memory_order_relaxed);
  const uint64_t count = allocator_.Unfence();
  PublishCounts();
  return count;
}

absl::Status DiskManager::FollowWriter(uint64_t pages) {
  if (pages <= page_count()) return absl::OkStatus();
  if (!read_only()) {
    return absl::FailedPreconditionError("only a read-only manager follows a writer");
  }
  MutexLock lock(&mu_);
  if (pages <= page_count()) return absl::OkStatus();
  LAURA_ASSIGN_OR_RETURN(const uint64_t size, file_->Size());
  const uint64_t bytes = std::min(pages, size / page_size_) * page_size_;
  if (bytes <= page_count() * page_size_) return absl::OkStatus();
  LAURA_RETURN_IF_ERROR(ExtendReadOnly(bytes));
  set_file_size(std::max(size, file_size()));
  page_count_.store(bytes / page_size_, std::memory_order_release);
  return absl::OkStatus();
}

absl::StatusOr<Meta> DiskManager::ReadDurableMeta() {
  LAURA_ASSIGN_OR_RETURN(const uint64_t size, file_->Size());
  File* file = file_.get();
  return LoadMeta([file](uint64_t off, size_t n, char* dst) { return file->Read(off, n, dst); },
                  size);
}

void DiskManager::PublishCounts() {
  pinned_pages_.store(allocator_.pinned_count(), std::memory_order_relaxed);
  live_pages_.store(allocator_.page_count() - allocator_.free_count(), std::memory_order_relaxed);
}

absl::StatusOr<PageId> DiskManager::AllocatePage() {
  LAURA_RETURN_IF_ERROR(CheckWritable());
  MutexLock lock(&mu_);
  LAURA_RETURN_IF_ERROR(failed_);
  if (allocator_.allocatable_count() == 0) {
    LAURA_RETURN_IF_ERROR(EnsureCapacity(allocator_.page_count() + 1));
  }
  const PageId id = allocator_.Allocate();
  PublishPageCount();
  MarkValid(id);  // the writer's own bytes from now on (VerifiedPageData)
  return id;
}

absl::Status DiskManager::FreePage(PageId id) {
  LAURA_RETURN_IF_ERROR(CheckWritable());
  MutexLock lock(&mu_);
  LAURA_RETURN_IF_ERROR(allocator_.Free(id));
  PublishCounts();
  return absl::OkStatus();
}

absl::Status DiskManager::WriteFreeList(const PageAllocator::ListPlan& plan,
                                        Lsn lsn) {
  return WriteFreeListPages(plan, page_size_, lsn,
                            [this](PageId id, const char* page) { return WriteRaw(id, page); });
}

absl::StatusOr<DiskManager::PendingCheckpoint> DiskManager::BeginCheckpointOf(
    Lsn lsn, PageId root, std::optional<Lsn> known_root_lsn,
    const std::vector<PageId>& unreachable) {
  LAURA_RETURN_IF_ERROR(CheckWritable());
  MutexLock lock(&mu_);
  LAURA_RETURN_IF_ERROR(failed_);
  if (checkpoint_in_flight_) {
    return absl::FailedPreconditionError("a checkpoint is already in flight");
  }
  if (root == 1 || (root != 0 && root >= allocator_.page_count())) {
    return absl::InvalidArgumentError(absl::StrCat("root page ", root, " out of range"));
  }
  // Free-list pages come from the free set first, then from the end.
  const uint64_t list_pages = allocator_.FreeListPagesNeeded(page_size_, unreachable.size());
  if (list_pages > allocator_.allocatable_count()) {
    if (absl::Status s = EnsureCapacity(allocator_.page_count() + list_pages -
                                        allocator_.allocatable_count());
        !s.ok()) {
      return FailCheckpoint(s);
    }
  }
  // The root's LSN, for the meta page (what the parent expects of it).
  Lsn root_lsn = known_root_lsn.value_or(0);
  if (root != 0 && !known_root_lsn.has_value()) {
    std::string page(page_size_, '\0');
    if (absl::Status s = ReadPage(root, page.data()); !s.ok()) return FailCheckpoint(s);
    root_lsn = DecodeFixed64(page.data() + kPageLsnOffset);
  }
  PendingCheckpoint pending;
  allocator_.TrimFreeTail();  // the file may shrink once this checkpoint is durable
  pending.plan = allocator_.PlanFreeList(page_size_, unreachable);
  PublishPageCount();
  checkpoint_in_flight_ = true;
  if (absl::Status s = WriteFreeList(pending.plan, lsn); !s.ok()) return FailCheckpoint(s);
  {
    MutexLock behind_lock(&behind_mu_);
    ResetWriteBehind();  // the sync writes all of it back
  }
  Meta& next = pending.next;
  next = durable_;
  next.generation = durable_.generation + 1;
  next.checkpoint_lsn = lsn;
  next.root = root;
  next.root_lsn = root_lsn;
  next.free_list_head = pending.plan.pages.empty() ? 0 : pending.plan.pages.front();
  next.free_count = pending.plan.entries.size();
  next.page_count = allocator_.page_count();
  return pending;
}

absl::Status DiskManager::FinishCheckpoint(const PendingCheckpoint& pending) {
  // The slow part runs without mu_: the writer goes on allocating.
  absl::Status s = SyncData();
  if (s.ok()) {
    std::string page(page_size_, '\0');
    EncodeMeta(pending.next, page.data());
    s = WriteMeta(pending.next.generation % 2, page.data());
  }
  MutexLock lock(&mu_);
  if (!s.ok()) return FailCheckpoint(s);
  allocator_.CommitFreeList(pending.plan);
  PublishCounts();
  durable_ = pending.next;
  checkpoint_in_flight_ = false;
  syncs_.fetch_add(1, std::memory_order_relaxed);
  // The durable meta page no longer counts the trimmed tail.
  if (absl::Status shrunk = ShrinkIfWorthIt(); !shrunk.ok()) {
    return Fail(shrunk, "truncating the free end of the data file failed, reopen the database");
  }
  return absl::OkStatus();
}

absl::Status DiskManager::AbandonCheckpoint(const absl::Status& why) {
  MutexLock lock(&mu_);
  return FailCheckpoint(why);
}

absl::Status DiskManager::FailCheckpoint(const absl::Status& s) {
  // A failed sync cannot be retried safely: what reached the disk is
  // unknown. Refuse writes until the database is reopened.
  return Fail(s, "an earlier sync failed, reopen the database");
}

absl::Status DiskManager::Fail(const absl::Status& s, absl::string_view why) {
  if (failed_.ok()) {
    failed_ = absl::Status(s.code(), absl::StrCat(why, ": ", s.message()));
    has_failed_.store(true, std::memory_order_release);
  }
  return s;
}

absl::Status DiskManager::Checkpoint(Lsn checkpoint_lsn, PageId root,
                                     const std::vector<PageId>& unreachable) {
  LAURA_ASSIGN_OR_RETURN(PendingCheckpoint pending,
                         BeginCheckpoint(checkpoint_lsn, root, unreachable));
  return FinishCheckpoint(pending);
}

absl::Status DiskManager::Sync() {
  Meta current = durable_meta();
  return Checkpoint(current.checkpoint_lsn, current.root);
}

absl::Status DiskManager::Close() {
  if (closed_.load()) return absl::FailedPreconditionError("disk manager is closed");
  absl::Status s;
  if (!options_.read_only) {
    bool healthy;
    {
      MutexLock lock(&mu_);
      healthy = failed_.ok();
    }
    if (healthy) s = Sync();
  }
  closed_.store(true);
  page_count_.store(0, std::memory_order_release);
  Release();
  return s;
}

PageId DiskManager::CompactionThreshold() const {
  MutexLock lock(&mu_);
  return allocator_.CompactionThreshold();
}

void DiskManager::PreferLowestFreePages() {
  MutexLock lock(&mu_);
  allocator_.SortFreeLowestFirst();
}

std::vector<PageId> DiskManager::FreePageIds() const {
  MutexLock lock(&mu_);
  return allocator_.FreeIds();
}

std::vector<PageId> DiskManager::FreeListPageIds() const {
  MutexLock lock(&mu_);
  return allocator_.list_pages();
}

DiskStats DiskManager::Stats() const {
  DiskStats st;
  st.page_size = page_size_;
  st.page_count = page_count();
  {
    MutexLock lock(&mu_);
    st.free_pages = allocator_.free_count();
    st.pinned_pages = allocator_.pinned_count();
  }
  st.pages_read = pages_read_.load(std::memory_order_relaxed);
  st.pages_written = pages_written_.load(std::memory_order_relaxed);
  st.syncs = syncs_.load(std::memory_order_relaxed);
  st.file_size = file_size();
  st.mapped_size = mapped_size_.load(std::memory_order_relaxed);
  st.remaps = remaps_.load(std::memory_order_relaxed);
  st.shrinks = shrinks_.load(std::memory_order_relaxed);
  return st;
}

absl::Status DiskManager::AdviseRandom() {
  sequential_.store(false, std::memory_order_relaxed);
  return Advise(AccessAdvice::kRandom, 0, page_count());
}

absl::Status DiskManager::AdviseSequential() {
  sequential_.store(true, std::memory_order_relaxed);
  return Advise(AccessAdvice::kSequential, 0, page_count());
}

absl::Status DiskManager::AdviseWillNeed(PageId first, PageId last) {
  const uint64_t count = page_count();
  if (first > last || last >= count) {
    return absl::InvalidArgumentError(absl::StrCat(
        "will-need range [", first, ", ", last, "] is not within pages 0 to ",
        count - 1));
  }
  return Advise(AccessAdvice::kWillNeed, first, last - first + 1);
}

}  // namespace laura
