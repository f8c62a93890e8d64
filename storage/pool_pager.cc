// PoolPager: a buffer pool of page frames over the pread disk manager.
//
// The pool is split into shards (a power of two, up to kMaxShards, each of
// at least kFramesPerShard frames), each with its own mutex, frames, page
// table and clock hand; page id p lives in shard p mod shard count, so
// readers on different pages rarely share a lock. A pool of fewer than
// 2 * kFramesPerShard frames is one shard. A PageRef's frame number is
// (frame in the shard << shard bits) | shard.
//
// Invariants of a shard (under its mutex, except as noted for pins):
//  1. table maps each resident page id to its frame, and the frame's id is
//     that id; a frame not in table is on free_frames.
//  2. A frame with pins > 0 is never evicted or reused. Pins rise under
//     the mutex; Unpin lowers them without it (a stale nonzero count only
//     makes the clock skip the frame once more).
//  3. A dirty frame holds changes not yet handed to the disk manager; it is
//     written back (through a scratch copy, so pinned readers never see
//     the frame's bytes change) before its frame is reused, and by Flush.
// Eviction is the clock algorithm, per shard: a sweep clears reference
// bits and takes the first unpinned frame whose bit is already clear.
#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "storage/pager_impl.h"
#include "storage/status_macros.h"

namespace laura {
namespace {

constexpr size_t kMinFrames = 16;
constexpr size_t kFramesPerShard = 256;  // at least, when there are several
constexpr size_t kMaxShards = 16;

// pins is atomic (Unpin takes no lock); the rest is guarded by the
// shard's mutex. Kept together: a fetch touches one line of metadata.
struct Frame {
  PageId id = 0;
  std::atomic<uint32_t> pins{0};
  bool dirty = false;
  bool referenced = false;
};

class Shard {
 public:
  // name: how errors call it ("buffer pool", or "buffer pool shard 3/16").
  Shard(DiskManager* disk, char* memory, size_t frames, std::string name)
      : disk_(disk),
        memory_(memory),
        name_(std::move(name)),
        scratch_(disk->page_size(), '\0'),
        frame_count_(frames),
        frames_(new Frame[frames]) {
    for (size_t f = frames; f > 0; --f) free_frames_.push_back(f - 1);
  }

  char* Data(size_t f) const { return memory_ + f * disk_->page_size(); }

  // The frame holding page id, pinned (read from disk on a miss).
  absl::StatusOr<size_t> Pin(PageId id, bool dirty) {
    MutexLock lock(&mu_);
    auto it = table_.find(id);
    if (it != table_.end()) {
      Frame& frame = frames_[it->second];
      frame.pins.fetch_add(1, std::memory_order_relaxed);
      frame.referenced = true;
      frame.dirty |= dirty;
      ++stats_.hits;
      return it->second;
    }
    LAURA_ASSIGN_OR_RETURN(size_t f, TakeFrame());
    if (absl::Status s = disk_->ReadPage(id, Data(f)); !s.ok()) {
      free_frames_.push_back(f);
      return s;
    }
    ++stats_.misses;
    Install(f, id, dirty);
    return f;
  }

  // A frame for new page id (no read), pinned and dirty.
  absl::StatusOr<size_t> PinNew(PageId id) {
    MutexLock lock(&mu_);
    LAURA_ASSIGN_OR_RETURN(size_t f, TakeFrame());
    Install(f, id, /*dirty=*/true);
    return f;
  }

  void Unpin(size_t f) { frames_[f].pins.fetch_sub(1, std::memory_order_release); }

  absl::Status Flush() {
    MutexLock lock(&mu_);
    for (size_t f = 0; f < frame_count_; ++f) {
      if (frames_[f].dirty) LAURA_RETURN_IF_ERROR(WriteBack(f));
    }
    return absl::OkStatus();
  }

  absl::Status WriteEarly(PageId id) {
    MutexLock lock(&mu_);
    auto it = table_.find(id);
    if (it == table_.end() || !frames_[it->second].dirty) return absl::OkStatus();
    frames_[it->second].referenced = false;  // the first frame to reuse
    return WriteBack(it->second);
  }

  absl::Status Forget(PageId id) {
    MutexLock lock(&mu_);
    auto it = table_.find(id);
    if (it == table_.end()) return absl::OkStatus();
    const size_t f = it->second;
    if (frames_[f].pins.load(std::memory_order_acquire) > 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot free page ", id, ": it is pinned"));
    }
    Reset(f);
    table_.erase(it);
    free_frames_.push_back(f);
    return absl::OkStatus();
  }

  // Adds this shard's counters and resident bytes to *st.
  void AddStats(PagerStats* st) const {
    MutexLock lock(&mu_);
    st->hits += stats_.hits;
    st->misses += stats_.misses;
    st->evictions += stats_.evictions;
    st->write_backs += stats_.write_backs;
    st->bytes_resident += table_.size() * uint64_t{disk_->page_size()};
  }

 private:
  void Install(size_t f, PageId id, bool dirty) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    Frame& frame = frames_[f];
    frame.id = id;
    frame.pins.store(1, std::memory_order_relaxed);
    frame.dirty = dirty;
    frame.referenced = true;
    table_[id] = f;
  }

  // An unused frame (unpinned, not in table_).
  void Reset(size_t f) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    frames_[f].id = 0;
    frames_[f].dirty = false;
    frames_[f].referenced = false;
  }

  // A free frame, evicting (and writing back) an unpinned one if needed.
  absl::StatusOr<size_t> TakeFrame() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!free_frames_.empty()) {
      size_t f = free_frames_.back();
      free_frames_.pop_back();
      return f;
    }
    for (size_t step = 0; step < 2 * frame_count_; ++step) {
      const size_t f = hand_;
      hand_ = (hand_ + 1) % frame_count_;
      Frame& frame = frames_[f];
      if (frame.pins.load(std::memory_order_acquire) > 0) continue;
      if (frame.referenced) {
        frame.referenced = false;
        continue;
      }
      if (frame.dirty) LAURA_RETURN_IF_ERROR(WriteBack(f));
      table_.erase(frame.id);
      Reset(f);
      ++stats_.evictions;
      return f;
    }
    return absl::ResourceExhaustedError(absl::StrCat(
        name_, " of ", frame_count_, " pages is full: every page is pinned"));
  }

  absl::Status WriteBack(size_t f) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    std::copy(Data(f), Data(f) + disk_->page_size(), scratch_.begin());
    LAURA_RETURN_IF_ERROR(disk_->WritePage(frames_[f].id, scratch_.data()));
    frames_[f].dirty = false;
    ++stats_.write_backs;
    return absl::OkStatus();
  }

  DiskManager* const disk_;
  char* const memory_;  // frame_count_ pages, owned by the pool
  const std::string name_;
  mutable Mutex mu_;
  std::string scratch_ ABSL_GUARDED_BY(mu_);
  const size_t frame_count_;
  const std::unique_ptr<Frame[]> frames_;  // see Frame for what guards what
  std::vector<size_t> free_frames_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<PageId, size_t> table_ ABSL_GUARDED_BY(mu_);
  size_t hand_ ABSL_GUARDED_BY(mu_) = 0;
  PagerStats stats_ ABSL_GUARDED_BY(mu_);
};

class PoolPager final : public Pager {
 public:
  PoolPager(DiskManager* dm, size_t frames)
      : Pager(dm),
        shard_bits_(ShardBits(frames)),
        shard_frames_(frames >> shard_bits_),
        memory_(new char[(shard_frames_ << shard_bits_) * dm->page_size()]) {
    const size_t shards = size_t{1} << shard_bits_;
    for (size_t i = 0; i < shards; ++i) {
      shards_.push_back(std::make_unique<Shard>(
          dm, memory_.get() + i * shard_frames_ * dm->page_size(), shard_frames_,
          shards == 1 ? std::string("buffer pool")
                      : absl::StrCat("buffer pool shard ", i + 1, "/", shards)));
    }
  }

  // log2 of the shard count: a power of two with at least kFramesPerShard
  // frames per shard, up to kMaxShards.
  static int ShardBits(size_t frames) {
    int bits = 0;
    while ((size_t{2} << bits) <= kMaxShards && (frames >> (bits + 1)) >= kFramesPerShard) ++bits;
    return bits;
  }

  absl::StatusOr<PageRef> Fetch(PageId id) override { return PinRef(id, /*dirty=*/false); }

  absl::Status Flush() override {
    for (auto& shard : shards_) LAURA_RETURN_IF_ERROR(shard->Flush());
    return absl::OkStatus();
  }

  absl::Status WriteEarly(PageId id) override { return ShardOf(id).WriteEarly(id); }

  PagerStats Stats() const override {
    PagerStats st;
    for (const auto& shard : shards_) shard->AddStats(&st);
    return st;
  }

 protected:
  absl::StatusOr<PageRef> NewPage(PageId id) override {
    LAURA_ASSIGN_OR_RETURN(size_t f, ShardOf(id).PinNew(id));
    return Ref(id, f);
  }

  absl::StatusOr<PageRef> PinForWrite(PageId id) override { return PinRef(id, /*dirty=*/true); }

  absl::Status Forget(PageId id) override { return ShardOf(id).Forget(id); }

  void Unpin(int64_t frame) override {
    const size_t f = static_cast<size_t>(frame);
    shards_[f & ShardMask()]->Unpin(f >> shard_bits_);
  }

 private:
  size_t ShardMask() const { return (size_t{1} << shard_bits_) - 1; }
  size_t ShardIndex(PageId id) const { return id & ShardMask(); }
  Shard& ShardOf(PageId id) const { return *shards_[ShardIndex(id)]; }

  absl::StatusOr<PageRef> PinRef(PageId id, bool dirty) {
    LAURA_ASSIGN_OR_RETURN(size_t f, ShardOf(id).Pin(id, dirty));
    return Ref(id, f);
  }

  // The ref for frame f of id's shard, with its pool-wide frame number.
  PageRef Ref(PageId id, size_t f) {
    const size_t shard = ShardIndex(id);
    return MakeRef(id, shards_[shard]->Data(f),
                   static_cast<int64_t>((f << shard_bits_) | shard));
  }

  const int shard_bits_;
  const size_t shard_frames_;
  const std::unique_ptr<char[]> memory_;
  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace

std::unique_ptr<Pager> NewPoolPager(DiskManager* dm, const PagerOptions& options) {
  const size_t frames =
      std::max<size_t>(kMinFrames, options.cache_bytes / dm->page_size());
  return std::make_unique<PoolPager>(dm, frames);
}

}  // namespace laura
