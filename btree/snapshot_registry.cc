// SnapshotRegistry (snapshot_registry.h): the protocol is described there.
#include "btree/snapshot_registry.h"

#include <time.h>

#include <algorithm>
#include <functional>
#include <thread>

namespace laura {

int64_t SnapshotClockMicros() {
  timespec now;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
  return int64_t{now.tv_sec} * 1000000 + now.tv_nsec / 1000;
}

SnapshotRegistry::SnapshotRegistry(Version initial) : root_(initial.root), txn_(initial.txn) {}

SnapshotRegistry::Version SnapshotRegistry::published() const {
  for (;;) {
    const uint64_t before = seq_.load(std::memory_order_seq_cst);
    if (before & 1) continue;  // a Publish is storing
    Version v{root_.load(std::memory_order_seq_cst), txn_.load(std::memory_order_seq_cst)};
    if (seq_.load(std::memory_order_seq_cst) == before) return v;
  }
}

void SnapshotRegistry::Publish(Version v) {
  seq_.fetch_add(1, std::memory_order_seq_cst);  // odd: readers wait
  root_.store(v.root, std::memory_order_seq_cst);
  txn_.store(v.txn, std::memory_order_seq_cst);
  seq_.fetch_add(1, std::memory_order_seq_cst);
}

int SnapshotRegistry::TakeSlot() {
  thread_local const int home =
      static_cast<int>(std::hash<std::thread::id>()(std::this_thread::get_id()) % kSlots);
  for (int i = 0; i < kSlots; ++i) {
    const int slot = (home + i) % kSlots;
    uint64_t expected = kFree;
    if (slots_[slot].value.load(std::memory_order_relaxed) == kFree &&
        slots_[slot].value.compare_exchange_strong(expected, kReserved,
                                                   std::memory_order_seq_cst)) {
      return slot;
    }
  }
  return kOverflow;
}

SnapshotRegistry::Entry SnapshotRegistry::Acquire() {
  Entry entry;
  entry.slot = TakeSlot();
  if (entry.slot == kOverflow) {
    // The same protocol, with the count standing for the slot's store.
    MutexLock lock(&overflow_mu_);
    entry.since_us = SnapshotClockMicros();
    for (;;) {
      entry.version = published();
      auto it = overflow_.insert({entry.version.txn, entry.since_us});
      overflow_count_.fetch_add(1, std::memory_order_seq_cst);
      if (txn_.load(std::memory_order_seq_cst) == entry.version.txn) return entry;
      overflow_.erase(it);
      overflow_count_.fetch_sub(1, std::memory_order_relaxed);
    }
  }
  entry.since_us = SnapshotClockMicros();
  slots_[entry.slot].since_us.store(entry.since_us, std::memory_order_relaxed);
  std::atomic<uint64_t>& value = slots_[entry.slot].value;
  for (;;) {
    entry.version = published();
    value.store(entry.version.txn + 1, std::memory_order_seq_cst);
    if (txn_.load(std::memory_order_seq_cst) == entry.version.txn) return entry;
  }
}

void SnapshotRegistry::Release(const Entry& entry) {
  if (entry.slot >= 0) {
    slots_[entry.slot].value.store(kFree, std::memory_order_release);
  } else if (entry.slot == kOverflow) {
    MutexLock lock(&overflow_mu_);
    auto it = overflow_.find({entry.version.txn, entry.since_us});
    if (it != overflow_.end()) {
      overflow_.erase(it);
      overflow_count_.fetch_sub(1, std::memory_order_relaxed);
    }
  }
}

void SnapshotRegistry::Live(std::vector<uint64_t>* out) const {
  out->clear();
  for (const Slot& slot : slots_) {
    const uint64_t v = slot.value.load(std::memory_order_seq_cst);
    if (v != kFree && v != kReserved) out->push_back(v - 1);
  }
  if (overflow_count_.load(std::memory_order_seq_cst) > 0) {
    MutexLock lock(&overflow_mu_);
    for (const auto& [txn, since] : overflow_) out->push_back(txn);
  }
  std::sort(out->begin(), out->end());
  out->erase(std::unique(out->begin(), out->end()), out->end());
}

std::vector<SnapshotRegistry::Entry> SnapshotRegistry::List() const {
  std::vector<Entry> out;
  for (int i = 0; i < kSlots; ++i) {
    const uint64_t v = slots_[i].value.load(std::memory_order_acquire);
    if (v == kFree || v == kReserved) continue;
    out.push_back(Entry{{0, v - 1}, i, slots_[i].since_us.load(std::memory_order_relaxed)});
  }
  if (overflow_count_.load(std::memory_order_seq_cst) > 0) {
    MutexLock lock(&overflow_mu_);
    for (const auto& [txn, since] : overflow_) out.push_back(Entry{{0, txn}, kOverflow, since});
  }
  return out;
}

size_t SnapshotRegistry::count() const {
  size_t n = overflow_count_.load(std::memory_order_relaxed);
  for (const Slot& slot : slots_) {
    const uint64_t v = slot.value.load(std::memory_order_relaxed);
    n += v != kFree && v != kReserved;
  }
  return n;
}

}  // namespace laura
