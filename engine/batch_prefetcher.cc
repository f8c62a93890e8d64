// BatchPrefetcher: the helper thread that warms a batch's leaves ahead of
// the writer (see batch_prefetcher.h).
#include "engine/batch_prefetcher.h"

#include <chrono>

#include "laura/write_batch.h"

namespace laura {
namespace engine_internal {

namespace {

// After a batch the helper polls this long for the next one before it
// sleeps: a sleeper takes 50-100 us to run again here (storage/mutex.h),
// and a loader's next batch usually comes sooner.
constexpr std::chrono::microseconds kIdleSpin{200};

}  // namespace

BatchPrefetcher::BatchPrefetcher(BTree* tree) : tree_(tree) {
  thread_ = std::thread([this] { Run(); });
}

BatchPrefetcher::~BatchPrefetcher() {
  {
    MutexLock lock(&mu_);
    stop_ = true;
  }
  cancel_.store(true, std::memory_order_relaxed);
  thread_.join();
}

void BatchPrefetcher::Start(absl::string_view payload) {
  batches_started_.fetch_add(1, std::memory_order_relaxed);
  started_.store(0, std::memory_order_relaxed);
  cancel_.store(false, std::memory_order_relaxed);
  MutexLock lock(&mu_);
  payload_ = payload;
  pending_ = true;
  posted_.store(true, std::memory_order_relaxed);
}

void BatchPrefetcher::Finish() {
  cancel_.store(true, std::memory_order_relaxed);
  MutexLock lock(&mu_);
  pending_ = false;  // not taken yet: never will be
  posted_.store(false, std::memory_order_relaxed);
  mu_.Await(absl::Condition(
      +[](bool* busy) { return !*busy; }, &busy_));
}

void BatchPrefetcher::Run() {
  MutexLock lock(&mu_);
  while (true) {
    if (!pending_ && !stop_) {
      mu_.Unlock();
      SpinUntil([this] { return posted_.load(std::memory_order_relaxed); }, kIdleSpin);
      mu_.Lock();
    }
    mu_.Await(absl::Condition(
        +[](BatchPrefetcher* p) ABSL_NO_THREAD_SAFETY_ANALYSIS { return p->pending_ || p->stop_; },
        this));
    if (stop_) return;
    const absl::string_view payload = payload_;
    pending_ = false;
    posted_.store(false, std::memory_order_relaxed);
    busy_ = true;
    mu_.Unlock();
    Warm(payload);
    mu_.Lock();
    busy_ = false;
  }
}

void BatchPrefetcher::Warm(absl::string_view payload) {
  const BTree::Snapshot snap = tree_->AcquireSnapshot();
  size_t index = 0;
  auto warm = [&](absl::string_view key) -> absl::Status {
    const size_t i = index++;
    while (true) {
      if (cancel_.load(std::memory_order_relaxed)) return absl::CancelledError();
      const size_t started = started_.load(std::memory_order_relaxed);
      if (i < started) return absl::OkStatus();  // the writer is there already
      if (i < started + kWindow) break;
      std::this_thread::yield();
    }
    // A damaged page stops only this key's warming; the writer reports it.
    tree_->Warm(snap.root, key).IgnoreError();
    keys_warmed_.fetch_add(1, std::memory_order_relaxed);
    return absl::OkStatus();
  };
  WriteBatch::Iterate(
      payload, [&](absl::string_view key, absl::string_view) { return warm(key); }, warm)
      .IgnoreError();
  tree_->ReleaseSnapshot(snap);
  batches_warmed_.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace engine_internal
}  // namespace laura
