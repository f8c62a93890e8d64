// SnapshotRegistry: the published version of the tree, and the versions
// that live snapshots read, kept without a process-wide lock so that
// readers on many threads scale.
//
// The published version (root, txn) is read whole through a sequence
// counter: Publish makes the counter odd, stores root and txn, and makes it
// even again; a reader retries while the counter is odd or moved.
//
// A reader registers in a slot of its own, one cache line each: a thread
// starts at the slot its id hashes to and takes the first free one (a
// compare-and-swap). It stores the txn it read there, then reads the
// published txn again; if that moved, it reads the newer version and
// stores again. The writer, before it frees pages (Live), reads the
// published txn and then scans the slots. All of these are sequentially
// consistent, so of a reader's store and a Publish that follows the
// version it read, either the scan after that Publish sees the store or
// the reader sees the newer txn and registers again: a scan never misses
// a snapshot whose pages it could free. With every slot taken, snapshots
// go to an overflow set under a mutex.
//
// Proven by SnapshotRegistryTest (the protocol under many threads, also
// under TSan) and PagerTest.ConcurrentReadersSeeTheirVersionWhilePagesAreWrittenAndReused.
#ifndef LAURA_BTREE_SNAPSHOT_REGISTRY_H_
#define LAURA_BTREE_SNAPSHOT_REGISTRY_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <set>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "storage/mutex.h"
#include "storage/page.h"

namespace laura {

// The clock of snapshot ages (Entry::since_us, SharedRegistry's slots):
// microseconds of CLOCK_MONOTONIC_COARSE, one system-wide clock for every
// process, read in about 6 ns where a precise clock takes about 28 ns on
// the project machine; every point get takes a snapshot, and an age is
// reported in seconds.
int64_t SnapshotClockMicros();

class SnapshotRegistry {
 public:
  struct Version {
    PageId root = 0;
    uint64_t txn = 0;
  };
  // A registered snapshot: the version and where it is registered.
  struct Entry {
    Version version;
    int slot = kNone;
    int64_t since_us = 0;  // when it was taken (SnapshotClockMicros)
  };
  static constexpr int kNone = -1;      // not registered (a writer's view)
  static constexpr int kOverflow = -2;  // in the overflow set
  static constexpr int kSlots = 64;

  explicit SnapshotRegistry(Version initial);

  // The published version, read whole. Any thread.
  Version published() const;
  uint64_t published_txn() const { return txn_.load(std::memory_order_seq_cst); }
  // Publishes v. One thread at a time (the caller serializes).
  void Publish(Version v);

  // Registers a snapshot of the published version. Any thread.
  Entry Acquire();
  // Ends a snapshot Acquire returned. Any thread.
  void Release(const Entry& entry);

  // The txns of the live snapshots, ascending, without repeats.
  void Live(std::vector<uint64_t>* out) const;
  size_t count() const;
  // Every live snapshot: its txn and when it was taken (for Stats; a
  // snapshot registering meanwhile may be missed or shown).
  std::vector<Entry> List() const;

 private:
  static constexpr uint64_t kFree = 0;
  static constexpr uint64_t kReserved = ~uint64_t{0};  // taken, txn not stored yet
  struct alignas(64) Slot {
    std::atomic<uint64_t> value{kFree};  // kFree, kReserved or txn + 1
    std::atomic<int64_t> since_us{0};
  };

  int TakeSlot();

  Slot slots_[kSlots];
  std::atomic<uint64_t> seq_{0};
  std::atomic<PageId> root_;
  std::atomic<uint64_t> txn_;
  mutable Mutex overflow_mu_;
  std::multiset<std::pair<uint64_t, int64_t>> overflow_ ABSL_GUARDED_BY(overflow_mu_);
  std::atomic<size_t> overflow_count_{0};
};

}  // namespace laura

#endif  // LAURA_BTREE_SNAPSHOT_REGISTRY_H_
