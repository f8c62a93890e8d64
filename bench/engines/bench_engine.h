// BenchEngine: the few operations db_bench times, over LauraDB (both disk
// managers) and each peer engine installed on the machine (LMDB, RocksDB,
// LevelDB, SQLite, WiredTiger; scripts/install-deps.sh --peers). One file
// per engine in bench/engines/ implements it; the CMake file compiles a
// peer's file only when its library is found, and registry.cc lists them.
//
// Every engine is used the same way: a fresh database in an empty
// directory, batches applied atomically in one commit, reads of one
// consistent state, values copied out. `thread` (0 .. kMaxThreads-1) names
// the calling benchmark thread, for engines that need a handle per thread.
#ifndef LAURA_BENCH_ENGINES_BENCH_ENGINE_H_
#define LAURA_BENCH_ENGINES_BENCH_ENGINE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace laura {

inline constexpr int kMaxThreads = 4;
// Cache given to every engine that has one (LauraDB's pread pool, the
// block caches of RocksDB and LevelDB, SQLite's page cache, WiredTiger's).
inline constexpr uint64_t kBenchCacheBytes = uint64_t{512} << 20;

struct KeyValue {
  absl::string_view key;
  absl::string_view value;
};

class BenchEngine {
 public:
  virtual ~BenchEngine() = default;

  // Creates an empty database in dir (an existing, empty directory). With
  // sync, every commit is durable when it returns (the engine's own
  // fsync/fdatasync per commit, shared by concurrent committers where it
  // can); without, commits are left to the OS.
  virtual absl::Status Open(const std::string& dir, bool sync) = 0;
  // Applies every pair atomically, in one commit.
  virtual absl::Status PutBatch(int thread, absl::Span<const KeyValue> batch) = 0;
  // The value of key into *value; NotFound if absent.
  virtual absl::Status Get(int thread, absl::string_view key, std::string* value) = 0;
  // Reads every entry in key order; returns the bytes of keys and values.
  virtual absl::StatusOr<uint64_t> ScanAll() = 0;
  // Seeks to the first key >= key and reads up to n entries from there;
  // returns their value bytes.
  virtual absl::StatusOr<uint64_t> SeekAndRead(int thread, absl::string_view key, int n) = 0;
  // Makes the database settled for reading: everything written durable
  // (a checkpoint, a flush of the memtable).
  virtual absl::Status Settle() = 0;
  virtual absl::Status Close() = 0;

  // For the "space" group, LauraDB only (Unimplemented elsewhere): deletes
  // keys in one commit, compacts, writes a backup to a new directory.
  virtual absl::Status DeleteBatch(absl::Span<const absl::string_view> keys) {
    return absl::UnimplementedError("no deletes in this benchmark");
  }
  virtual absl::Status Compact() { return absl::UnimplementedError("no compaction"); }
  // Gets every key of one consistent state without copying values where
  // the engine can (LauraDB: ReadTransaction::GetView); returns the bytes
  // of the values found. Default: Get each.
  virtual absl::StatusOr<uint64_t> GetMany(absl::Span<const std::string> keys) {
    std::string value;
    uint64_t bytes = 0;
    for (const std::string& key : keys) {
      absl::Status s = Get(0, key, &value);
      if (!s.ok()) return s;
      bytes += value.size();
    }
    return bytes;
  }
  // The data file's size and pages in use and free, as one line.
  virtual std::string SpaceReport() { return ""; }
  virtual absl::Status Backup(const std::string& dir, bool compact) {
    return absl::UnimplementedError("no online backup");
  }

  absl::Status Put(int thread, absl::string_view key, absl::string_view value) {
    const KeyValue kv{key, value};
    return PutBatch(thread, absl::MakeConstSpan(&kv, 1));
  }
};

// LauraDB's Options::checkpoint_pinned_bytes and checkpoint_log_bytes for
// db_bench (--pinned_budget, --checkpoint_log_bytes).
uint64_t& LauraPinnedBudget();
uint64_t& LauraCheckpointLogBytes();

// Engines by name: "laura-mmap", "laura-pread", then each peer compiled in
// (registry.cc), in that order.
using BenchEngineFactory = std::function<std::unique_ptr<BenchEngine>()>;
std::vector<std::pair<std::string, BenchEngineFactory>> BenchEngines();

// One per file of bench/engines/.
std::unique_ptr<BenchEngine> NewLauraBenchEngine(bool mmap);
std::unique_ptr<BenchEngine> NewLmdbBenchEngine();
std::unique_ptr<BenchEngine> NewRocksDbBenchEngine();
std::unique_ptr<BenchEngine> NewLevelDbBenchEngine();
std::unique_ptr<BenchEngine> NewSqliteBenchEngine();
std::unique_ptr<BenchEngine> NewWiredTigerBenchEngine();

}  // namespace laura

#endif  // LAURA_BENCH_ENGINES_BENCH_ENGINE_H_
