// PoolPager: a buffer pool of page frames over the pread disk manager.
//
// Invariants (all under mu_):
//  1. table_ maps each resident page id to its frame, and frames_[f].id is
//     that id; a frame not in table_ is on free_frames_.
//  2. A frame with pins > 0 is never evicted or reused.
//  3. A dirty frame holds changes not yet handed to the disk manager; it is
//     written back (through a scratch copy, so pinned readers never see
//     the frame's bytes change) before its frame is reused, and by Flush.
// Eviction is the clock algorithm: a sweep clears reference bits and takes
// the first unpinned frame whose bit is already clear.
#include <algorithm>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "storage/pager_impl.h"
#include "storage/status_macros.h"

namespace laura {
namespace {

constexpr size_t kMinFrames = 16;

class PoolPager final : public Pager {
 public:
  PoolPager(DiskManager* dm, size_t frames)
      : Pager(dm),
        memory_(new char[frames * dm->page_size()]),
        scratch_(dm->page_size(), '\0'),
        frames_(frames) {
    for (size_t f = frames; f > 0; --f) free_frames_.push_back(f - 1);
  }

  absl::StatusOr<PageRef> Fetch(PageId id) override {
    MutexLock lock(&mu_);
    return PinLocked(id, /*dirty=*/false);
  }

  absl::Status Flush() override {
    MutexLock lock(&mu_);
    for (size_t f = 0; f < frames_.size(); ++f) {
      if (frames_[f].dirty) LAURA_RETURN_IF_ERROR(WriteBack(f));
    }
    return absl::OkStatus();
  }

  absl::Status WriteEarly(PageId id) override {
    MutexLock lock(&mu_);
    auto it = table_.find(id);
    if (it == table_.end() || !frames_[it->second].dirty) return absl::OkStatus();
    frames_[it->second].referenced = false;  // the first frame to reuse
    return WriteBack(it->second);
  }

  PagerStats Stats() const override {
    MutexLock lock(&mu_);
    PagerStats st = stats_;
    st.bytes_resident = table_.size() * uint64_t{page_size()};
    return st;
  }

 protected:
  absl::StatusOr<PageRef> NewPage(PageId id) override {
    MutexLock lock(&mu_);
    LAURA_ASSIGN_OR_RETURN(size_t f, TakeFrame());
    Install(f, id, /*dirty=*/true);
    return MakeRef(id, Data(f), static_cast<int64_t>(f));
  }

  absl::StatusOr<PageRef> PinForWrite(PageId id) override {
    MutexLock lock(&mu_);
    return PinLocked(id, /*dirty=*/true);
  }

  absl::Status Forget(PageId id) override {
    MutexLock lock(&mu_);
    auto it = table_.find(id);
    if (it == table_.end()) return absl::OkStatus();
    const size_t f = it->second;
    if (frames_[f].pins > 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot free page ", id, ": it is pinned"));
    }
    frames_[f] = Frame{};
    table_.erase(it);
    free_frames_.push_back(f);
    return absl::OkStatus();
  }

  void Unpin(int64_t frame) override {
    MutexLock lock(&mu_);
    --frames_[frame].pins;
  }

 private:
  struct Frame {
    PageId id = 0;
    uint32_t pins = 0;
    bool dirty = false;
    bool referenced = false;
  };

  char* Data(size_t f) const { return memory_.get() + f * page_size(); }

  absl::StatusOr<PageRef> PinLocked(PageId id, bool dirty)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = table_.find(id);
    if (it != table_.end()) {
      Frame& frame = frames_[it->second];
      ++frame.pins;
      frame.referenced = true;
      frame.dirty |= dirty;
      ++stats_.hits;
      return MakeRef(id, Data(it->second), static_cast<int64_t>(it->second));
    }
    LAURA_ASSIGN_OR_RETURN(size_t f, TakeFrame());
    if (absl::Status s = disk()->ReadPage(id, Data(f)); !s.ok()) {
      free_frames_.push_back(f);
      return s;
    }
    ++stats_.misses;
    Install(f, id, dirty);
    return MakeRef(id, Data(f), static_cast<int64_t>(f));
  }

  void Install(size_t f, PageId id, bool dirty) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    frames_[f] = Frame{id, 1, dirty, true};
    table_[id] = f;
  }

  // A free frame, evicting (and writing back) an unpinned one if needed.
  absl::StatusOr<size_t> TakeFrame() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!free_frames_.empty()) {
      size_t f = free_frames_.back();
      free_frames_.pop_back();
      return f;
    }
    for (size_t step = 0; step < 2 * frames_.size(); ++step) {
      const size_t f = hand_;
      hand_ = (hand_ + 1) % frames_.size();
      Frame& frame = frames_[f];
      if (frame.pins > 0) continue;
      if (frame.referenced) {
        frame.referenced = false;
        continue;
      }
      if (frame.dirty) LAURA_RETURN_IF_ERROR(WriteBack(f));
      table_.erase(frame.id);
      frame = Frame{};
      ++stats_.evictions;
      return f;
    }
    return absl::ResourceExhaustedError(absl::StrCat(
        "buffer pool of ", frames_.size(), " pages is full: every page is pinned"));
  }

  absl::Status WriteBack(size_t f) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    std::copy(Data(f), Data(f) + page_size(), scratch_.begin());
    LAURA_RETURN_IF_ERROR(disk()->WritePage(frames_[f].id, scratch_.data()));
    frames_[f].dirty = false;
    ++stats_.write_backs;
    return absl::OkStatus();
  }

  mutable Mutex mu_;
  const std::unique_ptr<char[]> memory_;
  std::string scratch_ ABSL_GUARDED_BY(mu_);
  std::vector<Frame> frames_ ABSL_GUARDED_BY(mu_);
  std::vector<size_t> free_frames_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<PageId, size_t> table_ ABSL_GUARDED_BY(mu_);
  size_t hand_ ABSL_GUARDED_BY(mu_) = 0;
  PagerStats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

std::unique_ptr<Pager> NewPoolPager(DiskManager* dm, const PagerOptions& options) {
  const size_t frames =
      std::max<size_t>(kMinFrames, options.cache_bytes / dm->page_size());
  return std::make_unique<PoolPager>(dm, frames);
}

}  // namespace laura
