// LauraDB's public options: how a database is opened (Options) and how a
// commit is made durable (WriteOptions). Part of the public API
// (<laura/db.h> includes it); includes nothing of the engine's internals.
#ifndef LAURA_OPTIONS_H_
#define LAURA_OPTIONS_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace laura {

class Env;  // the file seam (storage/env.h); tests and tools substitute it

inline constexpr uint64_t kMiB = uint64_t{1} << 20;

// How the data file is read and written. Both use one file format.
enum class DiskManagerKind {
  // pread/pwrite through a buffer pool of private frames.
  kPread,
  // Reads through a shared read-only mapping of the file; the writer's
  // changed pages live in private frames until written with pwrite.
  kMmap,
};

// "pread" or "mmap".
const char* DiskManagerKindName(DiskManagerKind kind);

enum class Durability {
  // Each commit is synced to the log before it is acknowledged.
  // Concurrent committers share one fdatasync (group commit): a commit
  // that arrives while a sync runs rides on the next one, whose leader
  // first waits, up to 50 us, for the committers the last sync released.
  kSyncEveryCommit,
  // Commits are written to the log and synced every sync_interval_ms by
  // a background thread: a crash can lose the commits of the last
  // interval, never leave half of one.
  kSyncOnTimer,
  // Commits are written to the log but synced only by Sync, checkpoints
  // and Close (the OS writes them back when it likes): a crash can lose
  // the latest acknowledged commits, never leave half of one.
  kNoSync,
};

// Per-write options (DB::Write, WriteTransaction::Commit).
struct WriteOptions {
  // Whether the commit is durable (its log record synced) when the call
  // returns: true syncs it (sharing the sync with concurrent committers),
  // false hands it to the OS (a later sync, the timer or a checkpoint makes
  // it durable; a crash before can lose it, never half of it). Unset: as
  // Options::durability says. Proven by DBTest.WriteOptionsSyncOverridesTheDatabaseMode.
  std::optional<bool> sync;
};

struct Options {
  // Disk manager for the data file. Default: mmap.
  DiskManagerKind disk_manager = DiskManagerKind::kMmap;
  // Page size of a new database (4096 .. 65536, a power of two).
  uint32_t page_size = 4096;
  // pread: bytes of the buffer pool. mmap: bytes of private frames that
  // pages changed since the last checkpoint may fill before they are
  // written to the file early (reads go through the mapping and the OS
  // page cache either way). Default: 64 MiB.
  uint64_t cache_size = 64 * kMiB;
  // mmap: initial data file size and growth step (0: 64 KiB, and growth
  // by a quarter of the file's size, up to 64 MiB a step). The file also
  // shrinks at checkpoints when its end is free (storage/disk_manager.h).
  uint64_t mmap_initial_size = 0;
  uint64_t mmap_growth_step = 0;
  Durability durability = Durability::kSyncEveryCommit;
  // kSyncOnTimer: milliseconds between log syncs. Default: 100.
  uint32_t sync_interval_ms = 100;
  // Automatic checkpoints run on a background thread while writers go on:
  // once this many log bytes were written since the last checkpoint
  // (default: 64 MiB; 0: never by size), and this many milliseconds after
  // the last one if anything was committed since (default: 30 s; 0: never
  // by time). With both 0, only Checkpoint() and Close() checkpoint.
  uint64_t checkpoint_log_bytes = 64 * kMiB;
  uint32_t checkpoint_interval_ms = 30'000;
  // Space between checkpoints: a page of the last durable checkpoint that
  // a later commit replaced can be reused only after the next checkpoint,
  // so a random workload keeps old copies of the pages it changes. A
  // checkpoint also runs once such pinned pages take this many bytes and
  // half the pages in use (default: 256 MiB; 0: never for this reason), so
  // the file stays within about 1.5x its live data plus the log. Each
  // checkpoint writes every page changed since the last, and a random
  // workload changes most of a small tree between two: measured on 1M
  // keys (bench/README.md, "Space"), a 64 MiB budget cut the file by 3%
  // and the random fill's throughput by 45%, writing 7x the bytes.
  uint64_t checkpoint_pinned_bytes = 256 * kMiB;
  // Log segment size (each is preallocated). Default: 16 MiB.
  uint64_t log_segment_size = 16 * kMiB;
  bool create_if_missing = true;
  bool error_if_exists = false;
  // Another writer holding the database: Open fails at once with
  // FailedPrecondition naming its pid (0, the default), or retries for up
  // to this many milliseconds first (DBTest.SecondOpenWaitsForTheLockUpToTheTimeout).
  uint32_t lock_timeout_ms = 0;
  // Open for reading only; writes fail with FailedPrecondition. Takes no
  // lock: beside a writer (in any process) it reads the writer's latest
  // commit and each snapshot stays as taken while the writer goes on
  // (MultiProcessTest); with no writer open, the database must have been
  // closed cleanly (no log to replay). Reads through a read-only mapping
  // whatever disk_manager says.
  bool read_only = false;
  // mmap manager: a helper thread reads ahead, from a snapshot, the
  // leaves that a Write of at least 64 operations (or its replay at
  // recovery) is about to change, so that the writer finds them in the CPU
  // cache (a random bulk fill of a tree larger than the caches ran about
  // 25% faster, bench/README.md).
  // It keeps a second core busy while such a batch is applied, except
  // while the batch only appends (keys above every key: a sequential
  // load), which it leaves alone (PrefetchThreadDBTest.
  // AnAppendBatchRunsWithoutThePrefetcher). Off, or with the pread
  // manager, no thread is started.
  bool prefetch_batches = true;
  // All file I/O goes through this Env. Default: nullptr, Env::Default().
  Env* env = nullptr;
  // Long readers: a read snapshot (a read transaction, an iterator) keeps
  // every page it reaches, so pages the writers replace meanwhile cannot
  // be reused and the file grows. Once snapshots hold more than this many
  // bytes of such pages, a warning naming the oldest snapshot and its age
  // goes to info_log, once per snapshot (default: 256 MiB; 0: never).
  // Proven by SpaceTest.ALongReaderIsListedAndWarnedAboutOnce.
  uint64_t long_snapshot_warning_bytes = 256 * kMiB;
  // Where the database's warnings go, one line each. Default: nullptr,
  // standard error ("laura: ..."). Called on whichever thread takes the
  // writer role (a committer, the background checkpointer).
  std::function<void(const std::string&)> info_log;
};

}  // namespace laura

#endif  // LAURA_OPTIONS_H_
