// MmapPager: committed pages are read in place in the disk manager's
// mapping (zero copy: a PageRef points into the mapping and pins nothing;
// the mapping never moves while the disk manager is open); the writer
// builds the pages of its write batch in private frames and writes each
// whole with one pwrite when the batch ends (CommitPages), LMDB's default
// design.
//
// Why not build pages in the mapping: a store into a shared file mapping
// takes a write fault on every page the last sync cleaned (the kernel
// write-protects a page when it writes it back, and a copy-on-write engine
// keeps storing into reused free pages), and the sync that cleans them
// shoots down the mapping's TLB entries on every core. A pwrite of a
// frame dirties the same page cache page with neither (bench/README.md,
// "Steady state"). The mapping is read-only (mmap_disk_manager.cc).
//
// Invariants (writer thread, except framed_ which readers test):
//  1. frames_ holds exactly the pages of the current write batch not yet
//     written (Allocate, or FetchForWrite of a page WriteEarly wrote), and
//     framed_ holds the same ids. No snapshot reaches these pages (they
//     are free in every committed version), so only the writer fetches
//     them; readers test framed_ and find it clear.
//  2. A page leaves frames_ only after its pwrite (CommitPages,
//     WriteEarly) or when it is discarded (Forget): from then on its bytes
//     are the mapping's.
//  3. Fetch verifies a page's checksum and id the first time this process
//     reaches it (DiskManager::VerifiedPageData); a page this process
//     wrote counts as verified.
#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "storage/coding.h"
#include "storage/page_bitmap.h"
#include "storage/pager_impl.h"
#include "storage/status_macros.h"

namespace laura {
namespace {

// Frames kept for reuse between batches; more are freed.
constexpr size_t kSpareFrames = 4096;

class MmapPager final : public Pager {
 public:
  explicit MmapPager(DiskManager* dm)
      : Pager(dm), framed_(dm->max_page_count()) {}

  ~MmapPager() override {
    for (auto& [id, frame] : frames_) FreeFrame(frame);
    for (char* frame : spare_) FreeFrame(frame);
  }

  // Verified once per open (DiskManager::VerifiedPageData), so a damaged
  // page is DataLoss here and can never be copied and resealed by a writer.
  absl::StatusOr<PageRef> Fetch(PageId id) override {
    if (ABSL_PREDICT_FALSE(framed_.Contains(id))) return MakeRef(id, frames_.at(id), -1);
    LAURA_ASSIGN_OR_RETURN(const char* page, disk()->VerifiedPageData(id));
    return MakeRef(id, const_cast<char*>(page), -1);
  }

  // Between write batches there is nothing left in frames; a checkpoint
  // during one (not done today) would write its pages early, which is
  // harmless: nothing committed reaches them.
  absl::Status Flush() override { return WriteFrames(); }

  absl::Status WriteEarly(PageId id) override {
    auto it = frames_.find(id);
    if (it == frames_.end()) return absl::OkStatus();
    LAURA_RETURN_IF_ERROR(disk()->WritePage(id, it->second));
    Drop(it);
    return absl::OkStatus();
  }

  // Frames in use count as resident; fetches are pointers into the
  // mapping and are not counted (a shared counter would cost readers on
  // different cores more than the fetch).
  PagerStats Stats() const override {
    PagerStats stats;
    stats.write_backs = written_;
    return stats;
  }

 protected:
  absl::Status CommitPages() override { return WriteFrames(); }

  absl::StatusOr<PageRef> NewPage(PageId id) override {
    if (id >= disk()->max_page_count()) {  // framed_ could not hold it
      return absl::ResourceExhaustedError(absl::StrCat("page ", id, " is past the mapping"));
    }
    char* frame = TakeFrame();
    frames_[id] = frame;
    framed_.Insert(id);
    return MakeRef(id, frame, -1);
  }

  absl::StatusOr<PageRef> PinForWrite(PageId id) override {
    if (auto it = frames_.find(id); it != frames_.end()) return MakeRef(id, it->second, -1);
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
    if (auto it = frames_.find(id); it != frames_.end()) Drop(it);
    return absl::OkStatus();
  }

  void Unpin(int64_t) override {}

 private:
  using Frames = absl::flat_hash_map<PageId, char*>;

  // Seals and writes every frame, in page order (neighbours go out
  // together), then gives the frames back.
  absl::Status WriteFrames() {
    if (frames_.empty()) return absl::OkStatus();
    order_.clear();
    for (const auto& [id, frame] : frames_) order_.push_back(id);
    std::sort(order_.begin(), order_.end());
    for (PageId id : order_) {
      auto it = frames_.find(id);
      LAURA_RETURN_IF_ERROR(disk()->WritePage(id, it->second));
      ++written_;
      Drop(it);
    }
    return absl::OkStatus();
  }

  void Drop(Frames::iterator it) {
    framed_.Erase(it->first);
    if (spare_.size() < kSpareFrames) {
      spare_.push_back(it->second);
    } else {
      FreeFrame(it->second);
    }
    frames_.erase(it);
  }

  char* TakeFrame() {
    if (!spare_.empty()) {
      char* frame = spare_.back();
      spare_.pop_back();
      return frame;
    }
    return static_cast<char*>(::operator new(page_size(), std::align_val_t{64}));
  }
  static void FreeFrame(char* frame) { ::operator delete(frame, std::align_val_t{64}); }

  Frames frames_;
  PageBitmap framed_;  // the ids in frames_, for Fetch on any thread
  std::vector<char*> spare_;
  std::vector<PageId> order_;  // WriteFrames' scratch
  uint64_t written_ = 0;
};

}  // namespace

std::unique_ptr<Pager> NewMmapPager(DiskManager* dm) {
  return std::make_unique<MmapPager>(dm);
}

}  // namespace laura
