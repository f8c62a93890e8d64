// MmapDiskManager: the DiskManager over a MAP_SHARED mapping of the file.
//
// Invariants:
//  1. base_ never changes: max_map_size bytes of address space are reserved
//     at open (PROT_NONE, MAP_NORESERVE) and each file extent is mapped into
//     the reservation with MAP_FIXED, so pointers from PageData stay valid.
//  2. Every mapped byte is backed by allocated file blocks (fallocate before
//     mapping), so a store into the mapping can never fault for lack of
//     disk space (no SIGBUS); a full disk is an error from GrowTo.
//  3. The mapping is read-only (PROT_READ), for the writer too: every page
//     write is a pwrite of a whole sealed page (WritePage, WriteMeta), which
//     the mapping shows at once (one page cache). So no store through the
//     mapping ever takes a write fault, a sync never write-protects mapped
//     pages (no TLB shootdowns on the readers' cores), and a stray store
//     into a committed page faults instead of changing it
//     (DiskManagerTest.WrittenPagesShowInTheMappingAtOnceAndSurviveReopen).
//  4. A page in verified_ holds bytes that passed VerifyPage, or is the
//     writer's own: allocated in this process (built in a private frame by
//     the mmap pager and written whole with WritePage; only the writer
//     writes, and only pages it allocated). It stays in verified_ until
//     Close; a freed page is reached by nobody until it is allocated again.
//  5. Syncs are fdatasync, as for pread: no byte is ever dirtied through
//     the mapping, so there is nothing for msync to find, and one
//     fdatasync covers the pages and the file's size together (an msync of
//     the written range plus an fdatasync for a grown size cost two device
//     flushes). Meta pages are written and synced on their own
//     (WriteMeta).
//  6. SIGBUS on the reservation (a truncated file, a failed read-in) is
//     counted by mapping_faults_ (storage/mapping_faults.h) instead of
//     ending the process; CheckMapping reports it and writes are refused.
//  7. Every mapped extent carries the whole file's access advice: random
//     (MADV_RANDOM) from open, so a fault on a point read brings in its
//     page and no readahead (a file larger than the memory left to it
//     would otherwise thrash: each fault's readahead evicts what the next
//     read needs), until AdviseSequential (bulk loads, exports) asks for
//     readahead; extents mapped as the file grows get the same advice
//     (MmapAdviceTest.EveryExtentIsRandomUntilSequentialIsAskedFor).
#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "storage/disk_manager_impl.h"
#include "storage/status_macros.h"
#include "storage/page_bitmap.h"

namespace laura {
namespace {

class MmapDiskManager final : public DiskManager {
 public:
  MmapDiskManager(std::unique_ptr<File> file, const Meta& meta,
                  const DiskManagerOptions& options, uint64_t file_size)
      : DiskManager(DiskManagerKind::kMmap, std::move(file), meta, options,
                    file_size) {}
  ~MmapDiskManager() override { Release(); }

  absl::Status Map() {
    const uint64_t size = file_size() / page_size() * page_size();
    if (size > options().max_map_size) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "file of ", size, " bytes exceeds max_map_size ",
          options().max_map_size));
    }
    // Reserve max_map_size; where the address space is limited (ulimit -v,
    // sanitizers), settle for less, halving down to 4x the file's size.
    reserved_ = RoundUp(options().max_map_size, OsPageSize());
    absl::StatusOr<char*> base = options().env->ReserveAddressSpace(reserved_);
    const uint64_t floor = RoundUp(std::max<uint64_t>(4 * size, 64 * kMiB), OsPageSize());
    while (absl::IsResourceExhausted(base.status()) && reserved_ / 2 >= floor) {
      reserved_ = RoundUp(reserved_ / 2, OsPageSize());
      base = options().env->ReserveAddressSpace(reserved_);
    }
    LAURA_RETURN_IF_ERROR(base.status());
    base_ = *base;
    LAURA_ASSIGN_OR_RETURN(std::unique_ptr<MappingFaults> faults,
                           MappingFaults::Register(base_, reserved_));
    SetMappingFaults(std::move(faults));
    verified_ = std::make_unique<PageBitmap>(reserved_ / page_size());
    LAURA_RETURN_IF_ERROR(file()->MapAt(base_, 0, size, /*writable=*/false));
    LAURA_RETURN_IF_ERROR(AdviseExtent(0, size));
    mapped_size_.store(size, std::memory_order_release);
    return absl::OkStatus();
  }

  uint64_t max_page_count() const override { return reserved_ / page_size(); }

  bool KnownValid(PageId id) const override { return verified_->Contains(id); }
  void MarkValid(PageId id) override { verified_->Insert(id); }

  const char* PageData(PageId id) const override {
    if (id >= page_count()) return nullptr;
    return base_ + id * page_size();
  }

  absl::StatusOr<const char*> VerifiedPageData(PageId id) override {
    const char* page = PageData(id);
    if (page == nullptr) {
      return absl::OutOfRangeError(absl::StrCat(
          "page ", id, " is past the end of the database (", page_count(), " pages)"));
    }
    if (!verified_->Contains(id)) {
      if (absl::Status s = CheckPage(page, id); !s.ok()) {
        LAURA_RETURN_IF_ERROR(CheckMapping());  // zeros a fault put there
        return s;
      }
    }
    return page;
  }

 protected:
  absl::Status ReadRaw(PageId id, char* out) override {
    std::memcpy(out, base_ + id * page_size(), page_size());
    return absl::OkStatus();
  }

  absl::Status WriteRaw(PageId id, const char* page) override {
    const uint64_t offset = id * page_size();
    return file()->Write(offset, absl::string_view(page, page_size()));
  }

  absl::Status GrowTo(uint64_t bytes) override {
    const uint64_t mapped = mapped_size_.load(std::memory_order_relaxed);
    if (bytes > reserved_) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "cannot grow the file to ", bytes, " bytes: ", reserved_,
          " bytes of address space are reserved (max_map_size ", options().max_map_size,
          ")"));
    }
    LAURA_RETURN_IF_ERROR(file()->Allocate(mapped, bytes - mapped));
    set_file_size(std::max(bytes, file_size()));
    return MapExtent(mapped, bytes);
  }

  absl::Status ShrinkTo(uint64_t bytes) override {
    // Unmap first: no access can then reach past the new end of the file.
    const uint64_t mapped = mapped_size_.load(std::memory_order_relaxed);
    if (bytes < mapped) {
      LAURA_RETURN_IF_ERROR(options().env->ReturnToReservation(base_ + bytes, mapped - bytes));
      mapped_size_.store(bytes, std::memory_order_release);
    }
    LAURA_RETURN_IF_ERROR(file()->Truncate(bytes));
    set_file_size(bytes);
    return absl::OkStatus();
  }

  absl::Status ExtendReadOnly(uint64_t bytes) override {
    const uint64_t mapped = mapped_size_.load(std::memory_order_relaxed);
    if (bytes <= mapped) return absl::OkStatus();
    if (bytes > reserved_) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "the file grew to ", bytes, " bytes, past the ", reserved_,
          " bytes of address space reserved (max_map_size)"));
    }
    return MapExtent(mapped, bytes);
  }

  absl::Status SyncData() override { return file()->Sync(); }

  absl::Status WriteMeta(PageId id, const char* page) override {
    LAURA_RETURN_IF_ERROR(WriteRaw(id, page));
    return file()->Sync();
  }

  absl::Status Advise(AccessAdvice advice, PageId first,
                      uint64_t count) override {
    const uint64_t mapped = mapped_size_.load(std::memory_order_relaxed);
    if (first == 0 && (advice == AccessAdvice::kRandom || advice == AccessAdvice::kSequential)) {
      // The whole file's advice (invariant 7): every mapped byte, also past
      // the last allocated page, and every extent mapped later.
      file_advice_.store(advice, std::memory_order_relaxed);
      return AdviseExtent(0, mapped);
    }
    const uint64_t lo = first * page_size() / OsPageSize() * OsPageSize();
    const uint64_t hi = std::min((first + count) * page_size(), mapped);
    if (hi <= lo) return absl::OkStatus();
    return options().env->AdviseMemory(base_ + lo, hi - lo, advice);
  }

  void Release() override {
    if (base_ == nullptr) return;
    options().env->ReleaseAddressSpace(base_, reserved_);
    SetMappingFaults(nullptr);  // after the unmap: the range is no longer ours
    base_ = nullptr;
  }

 private:
  // Maps the file's bytes [mapped, bytes) after the mapped ones.
  absl::Status MapExtent(uint64_t mapped, uint64_t bytes) {
    LAURA_RETURN_IF_ERROR(
        file()->MapAt(base_ + mapped, mapped, bytes - mapped, /*writable=*/false));
    LAURA_RETURN_IF_ERROR(AdviseExtent(mapped, bytes));
    mapped_size_.store(bytes, std::memory_order_release);
    remaps_.fetch_add(1, std::memory_order_relaxed);
    return absl::OkStatus();
  }

  // Gives the mapped bytes [lo, hi), newly mapped, the whole file's
  // access advice (invariant 7).
  absl::Status AdviseExtent(uint64_t lo, uint64_t hi) {
    if (hi <= lo) return absl::OkStatus();
    return options().env->AdviseMemory(base_ + lo, hi - lo,
                                       file_advice_.load(std::memory_order_relaxed));
  }

  char* base_ = nullptr;
  uint64_t reserved_ = 0;
  std::atomic<AccessAdvice> file_advice_{AccessAdvice::kRandom};
  std::unique_ptr<PageBitmap> verified_;  // pages whose checksum held
};

}  // namespace

absl::StatusOr<std::unique_ptr<DiskManager>> NewMmapDiskManager(
    std::unique_ptr<File> file, const Meta& meta,
    const DiskManagerOptions& options, uint64_t file_size) {
  auto dm = std::make_unique<MmapDiskManager>(std::move(file), meta, options,
                                              file_size);
  LAURA_RETURN_IF_ERROR(dm->Map());
  return std::unique_ptr<DiskManager>(std::move(dm));
}

}  // namespace laura
