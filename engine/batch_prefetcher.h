// BatchPrefetcher: a helper thread that reads, a little ahead of the
// writer, the leaves that a large write batch is about to change.
//
// Why: a random write copies each leaf it changes (copy-on-write), and in
// a tree larger than the CPU caches that leaf comes from memory: on the
// project machine the first touch and the 4 KiB copy of a cold leaf took
// over a third of a random insert's time. The keys of a batch are known
// before the writer applies them, so a second thread can descend the tree
// for the keys ahead and have the CPU load their leaves; when the writer
// gets there, the leaf is in cache. Measured in bench/README.md.
//
// How: the helper is a snapshot reader like any other (it never blocks the
// writer, and the pages of its snapshot stay unchanged while it reads
// them). It runs at most kWindow operations ahead of the writer's progress
// (Progress), so what it loads is still in cache when the writer needs it,
// and skips the keys the writer has reached already.
// It changes nothing: it only reads, so the outcome of a batch never
// depends on it, only the time it takes.
//
// Thread safety: Start, Progress and Finish are called by the database's
// writer, one batch at a time; the destructor stops the helper.
#ifndef LAURA_ENGINE_BATCH_PREFETCHER_H_
#define LAURA_ENGINE_BATCH_PREFETCHER_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <thread>

#include "absl/strings/string_view.h"
#include "btree/btree.h"
#include "storage/mutex.h"

namespace laura {
namespace engine_internal {

class BatchPrefetcher {
 public:
  // Batches with fewer operations are not worth a hand-over.
  static constexpr size_t kMinOps = 64;
  // How far the helper may run ahead of the writer, in operations: 32
  // leaves of 4 KiB stay in the helper's core cache with room to spare.
  static constexpr size_t kWindow = 32;

  explicit BatchPrefetcher(BTree* tree);
  ~BatchPrefetcher();
  BatchPrefetcher(const BatchPrefetcher&) = delete;
  BatchPrefetcher& operator=(const BatchPrefetcher&) = delete;

  // Starts warming the leaves of payload's keys (an encoded WriteBatch).
  // REQUIRES: payload stays valid until Finish; no batch is running.
  void Start(absl::string_view payload);
  // The writer has started on operation `started` - 1 of the batch.
  void Progress(size_t started) { started_.store(started, std::memory_order_relaxed); }
  // Stops warming and returns once the helper no longer reads the payload
  // (at most the time of one key's descent).
  void Finish();

  // Batches handed to the helper (Start calls), keys whose leaf it warmed,
  // and batches it went through to the end or to Finish, since
  // construction.
  uint64_t batches_started() const { return batches_started_.load(std::memory_order_relaxed); }
  uint64_t keys_warmed() const { return keys_warmed_.load(std::memory_order_relaxed); }
  uint64_t batches_warmed() const { return batches_warmed_.load(std::memory_order_relaxed); }

 private:
  void Run();
  // Warms payload's leaves, from a snapshot, within the window.
  void Warm(absl::string_view payload);

  BTree* const tree_;
  Mutex mu_;
  absl::string_view payload_ ABSL_GUARDED_BY(mu_);
  bool pending_ ABSL_GUARDED_BY(mu_) = false;  // payload_ not yet taken
  bool busy_ ABSL_GUARDED_BY(mu_) = false;     // Warm runs
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<size_t> started_{0};
  std::atomic<bool> cancel_{false};
  std::atomic<bool> posted_{false};  // pending_, for the idle poll
  std::atomic<uint64_t> batches_started_{0};
  std::atomic<uint64_t> keys_warmed_{0};
  std::atomic<uint64_t> batches_warmed_{0};
  std::thread thread_;
};

}  // namespace engine_internal
}  // namespace laura

#endif  // LAURA_ENGINE_BATCH_PREFETCHER_H_
