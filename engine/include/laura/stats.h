// LauraDB's public statistics: what DB::Stats and DB::Check report, with
// the counters of the data file (DiskStats) and of the buffer layer
// (PagerStats) that the lower layers fill in. Part of the public API
// (<laura/db.h> includes it); includes nothing of the engine's internals.
#ifndef LAURA_STATS_H_
#define LAURA_STATS_H_

#include <cstdint>
#include <string>
#include <vector>

namespace laura {

// The data file (the disk manager, storage/disk_manager.h).
struct DiskStats {
  uint32_t page_size = 0;
  uint64_t page_count = 0;     // pages [0, page_count) exist
  uint64_t free_pages = 0;     // on the free list
  uint64_t pinned_pages = 0;   // of them, reusable only after the next checkpoint
  uint64_t pages_read = 0;     // ReadPage calls that returned a page
  uint64_t pages_written = 0;  // WritePage calls
  uint64_t syncs = 0;          // completed Sync/Checkpoint calls
  uint64_t file_size = 0;      // bytes
  uint64_t mapped_size = 0;    // bytes mapped (0 for pread)
  uint64_t remaps = 0;         // file extents mapped after the first
  uint64_t shrinks = 0;        // times a checkpoint truncated the file
  std::string ToString() const;
};

// The buffer layer (the pager, storage/pager.h).
struct PagerStats {
  // Pool counters. Over mmap only write_backs (pages written) and
  // bytes_resident (the writer's frames) count: a fetch is a pointer.
  uint64_t hits = 0;            // Fetch found the page resident
  uint64_t misses = 0;          // Fetch read it from the disk manager
  uint64_t evictions = 0;       // frames reused for another page
  uint64_t write_backs = 0;     // dirty pages written to the disk manager
  uint64_t bytes_resident = 0;  // frames in use x page size (0 over mmap)
  std::string ToString() const;
};

// What the structural checker found (DB::Check, btree/check.h).
struct CheckReport {
  std::vector<std::string> problems;
  uint64_t depth = 0;  // levels; 0 for the empty tree
  uint64_t entries = 0;
  uint64_t leaf_pages = 0;
  uint64_t branch_pages = 0;
  uint64_t overflow_pages = 0;
  uint64_t used_bytes = 0;      // bytes of cells and slots in nodes
  uint64_t capacity_bytes = 0;  // bytes the nodes have for cells and slots
                                // (their fill is used / capacity)

  bool ok() const { return problems.empty(); }
  // Problems, one per line ("OK" if none).
  std::string ToString() const;
};

// An open read snapshot (DBStats::open_snapshots).
struct SnapshotStats {
  uint64_t lsn = 0;           // the commit it reads
  double age_seconds = 0;     // since it was taken
  uint64_t pages_held = 0;    // replaced pages only it (and older ones) keep
  uint64_t pid = 0;           // the process holding it (readers in other
                              // processes too: btree/shared_registry.h)
};

// Counters and sizes, as of the call.
struct DBStats {
  uint64_t commits = 0;          // write transactions committed since open
  uint64_t checkpoints = 0;      // since open
  uint64_t last_lsn = 0;         // LSN of the latest commit
  uint64_t checkpoint_lsn = 0;   // LSN the data file holds durably
  uint64_t log_syncs = 0;        // log fdatasyncs since open
  uint64_t log_segments = 0;     // segment files in log/
  uint64_t snapshots = 0;        // live read snapshots
  uint64_t prefetched_keys = 0;  // leaves warmed for large batches since
                                 // open (Options::prefetch_batches)
  // Large batches whose leaves a helper thread warmed ahead of the writer,
  // since open: not an append stream (its keys above every key), which
  // needs no warming.
  uint64_t prefetched_batches = 0;
  // Pages at the end of the data file that Compact would give back: the
  // pages in use there fit into free pages nearer the start (the cost of
  // working it out grows with the free list).
  uint64_t compactable_pages = 0;
  // Named key spaces, and dropped ones whose keys are still being deleted.
  uint64_t key_spaces = 0;
  uint64_t dropping_spaces = 0;
  // The read snapshots open (read transactions, iterators, calls in
  // flight), in this process and in reader processes following this
  // writer, oldest first, with the pages each holds and its process.
  std::vector<SnapshotStats> open_snapshots;
  DiskStats disk;                // the data file (storage/disk_manager.h)
  PagerStats pager;              // the buffer layer (storage/pager.h)
  // Three lines ("db: ...", "disk: ...", "pager: ...") of name=value pairs.
  std::string ToString() const;
};

}  // namespace laura

#endif  // LAURA_STATS_H_
