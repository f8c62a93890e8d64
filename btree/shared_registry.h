// SharedRegistry: the coordination file (DB/SHARED) through which reader
// processes follow the one writer process of a database.
//
// It is shared memory, never durable state: every process maps it
// MAP_SHARED, and losing it loses nothing committed (DESIGN.md). The first
// process to open it while no other has it open (an exclusive flock
// succeeds) wipes it; every process then holds a shared flock while it has
// it open, so a file left by processes that have all ended (or by a
// reboot) never passes on a stale version.
//
// What it holds:
//  - the published version: generation of the writer process that
//    published it, root, txn, page count, and whether it is valid (its
//    pages are in the file, readable through the page cache). Two records,
//    each read whole through its own sequence counter; a writer fills the
//    one that is not current and then switches, so a writer killed halfway
//    through leaves the current one whole.
//  - the writer: pid, its process start time, and its generation (each
//    writer open takes a new one).
//  - a process table: one entry per attached process (pid, start time);
//    attached() counts them.
//  - kSlots snapshot slots: owner pid, generation and txn of a snapshot a
//    reader process holds.
//  - two futex words: attach requests and the writer's acknowledgement.
//
// Protocol (the writer side lives in BTree and engine/db_impl.cc):
//  1. While no process is attached, the writer keeps committed pages in
//     its private frames as usual and the published version here is
//     invalid. A reader process attaches (an entry, attached() + 1), bumps
//     the attach epoch and wakes the writer, which, as the writer, writes
//     every frame to the file, turns write-through on (each later commit's
//     pages reach the file before it is published), publishes its latest
//     version here and acknowledges the epoch. The reader waits for that
//     acknowledgement before its first snapshot.
//  2. While write-through is on, every version is published here before it
//     is published in the writer's process, so both agree; a writer frees
//     a page only after the version that freed it is published, and then
//     scans these slots as it scans its own (the store-then-recheck
//     argument of btree/snapshot_registry.h holds across processes: the
//     slots and the sequence counter are atomics in one shared mapping).
//  3. A writer that opens while a reader process is attached fences every
//     page that was free at its checkpoint or past its page count
//     (DiskManager::Fence): a version of an earlier writer process may reach
//     them. It frees nothing until it has published its own version and no
//     slot of another generation is left. So a valid published version
//     stays intact until a newer one is published, also when the writer that
//     published it died, and when the next one dies before publishing. A
//     writer that opens with no reader process attached invalidates the
//     published version first. A reader that finds the latest writer gone
//     without a valid version reads the data file's meta page again.
//  4. Entries and slots of dead processes (pid gone, or reused by a process
//     started at another time: entries and slots record their process's
//     start time) are cleared by ReapDeadProcesses, which every opener and
//     the writer's servant (once a second) run.
//
// Proven by SharedRegistryTest and MultiProcessTest
// (tests/engine/multi_process_test.cc).
#ifndef LAURA_BTREE_SHARED_REGISTRY_H_
#define LAURA_BTREE_SHARED_REGISTRY_H_

#include <unistd.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "storage/mutex.h"
#include "storage/page.h"

namespace laura {

// Process pid's start time in clock ticks since boot (/proc/PID/stat), 0
// if unknown.
uint64_t ProcessStartTicks(uint64_t pid);

class SharedRegistry {
 public:
  // File layout (native byte order: it is never moved between machines).
  //   offset  size          field
  //   0       8             magic kMagic
  //   8       4             layout version kLayoutVersion
  //   64      2 x 64        published version records (seq, generation,
  //                         root, txn, page count, valid)
  //   192     8             which record is current
  //   256     64            writer: pid, start, generation; futex words
  //   320     16 x 128      process table (pid, start ticks)
  //   2368    64 x kSlots   snapshot slots (owner pid, generation, txn+1,
  //                         since: SnapshotClockMicros, owner's start time)
  // Version 4: "since" moved from wall-clock to the monotonic coarse clock.
  static constexpr uint64_t kMagic = 0x5248534152554141ull;  // "AAURASHR"
  static constexpr uint32_t kLayoutVersion = 4;
  static constexpr int kProcesses = 128;
  static constexpr int kSlots = 256;

  struct Version {
    uint64_t generation = 0;  // of the writer process that published it
    PageId root = 0;
    uint64_t txn = 0;
    uint64_t page_count = 0;
    bool valid = false;
    bool published = false;  // read from the file (not a reader's fallback)
  };
  // A snapshot registered here.
  struct Entry {
    Version version;
    int slot = -1;
  };
  // A live snapshot slot (for Stats).
  struct SlotInfo {
    uint64_t pid = 0;
    uint64_t generation = 0;
    uint64_t txn = 0;
    int64_t since_us = 0;
  };

  // Opens (creating or wiping it, see above) the coordination file at path.
  static absl::StatusOr<std::unique_ptr<SharedRegistry>> Open(const std::string& path);
  // Releases this process's slots and entry (if attached), unmaps.
  ~SharedRegistry();
  SharedRegistry(const SharedRegistry&) = delete;
  SharedRegistry& operator=(const SharedRegistry&) = delete;

  // Process table. Attach takes an entry for this object (one per open
  // database); ResourceExhausted when the table is full.
  absl::Status Attach();
  void Detach();
  uint64_t attached() const;

  // --- The writer process ---
  // Records this process as the writer under a new generation; returns it.
  uint64_t BeginWriter();
  // The writer closed: no writer is present.
  void EndWriter();
  // Publishes v (v.valid says whether readers may use it). One thread of
  // one process at a time.
  void Publish(const Version& v);
  // The published version is no longer kept current. One thread at a time.
  void Invalidate();
  // With no reader process attached, invalidates the published version
  // and returns true if still none is attached (so none can be using it);
  // false otherwise (one may be). One thread at a time.
  bool InvalidateUnlessAttached();
  // Appends the txns of the live slots of `generation` to *txns; true if a
  // live slot of another generation exists (protocol step 3).
  bool Live(uint64_t generation, std::vector<uint64_t>* txns) const;
  // Attach requests: the writer waits (up to timeout) for the epoch to
  // move past `seen`, then acknowledges what it served.
  uint32_t attach_epoch() const;
  void WaitForAttach(uint32_t seen, absl::Duration timeout) const;
  void Acknowledge(uint32_t epoch);
  // Wakes a writer thread in WaitForAttach (to stop it).
  void WakeWriter();
  // Clears the entries and slots of processes that ended; returns how many
  // processes were cleared.
  int ReapDeadProcesses();

  // --- Reader processes ---
  // True if the recorded writer process is running.
  bool WriterAlive() const;
  // The generation of the writer process that opened last.
  uint64_t writer_generation() const;
  // Asks the writer to publish its latest version and waits until it has
  // (true), the writer is gone or the timeout passed (false).
  bool RequestPublication(absl::Duration timeout);
  Version published() const;
  // Registers a snapshot of the published version, or, while that is
  // invalid, of `fallback` (the data file's meta page as read while no
  // writer ran, with writer_generation() then). Snapshots of one txn in
  // this process share one slot. ResourceExhausted when every slot is
  // taken; Unavailable when the fallback is stale: a writer process
  // started since (RequestPublication if it runs, else read the meta page
  // again, then retry).
  absl::StatusOr<Entry> Acquire(const Version& fallback);
  void Release(const Entry& entry);
  // Every live slot (any process).
  std::vector<SlotInfo> List() const;

  struct Layout;  // shared_registry.cc

 private:
  SharedRegistry(int fd, Layout* layout)
      : fd_(fd), layout_(layout), start_ticks_(ProcessStartTicks(::getpid())) {}
  static bool ProcessAlive(uint64_t pid, uint64_t start_ticks);
  bool ProtectedByAWriter(const Version& v) const;
  // Clears the slots of process pid started at `start` (0: any).
  void ClearSlotsOf(uint64_t pid, uint64_t start);

  const int fd_;
  Layout* const layout_;
  const uint64_t start_ticks_;  // this process's start time
  int process_entry_ = -1;  // this object's entry, when attached

  Mutex mu_;  // this process's slots
  struct Held {
    int slot;
    int refs;
  };
  std::map<std::pair<uint64_t, uint64_t>, Held> held_ ABSL_GUARDED_BY(mu_);
};


}  // namespace laura

#endif  // LAURA_BTREE_SHARED_REGISTRY_H_
