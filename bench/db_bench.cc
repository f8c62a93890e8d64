// Macro benchmark through the public DB API (engine/db.h), in the manner
// of LevelDB's db_bench: 1,000,000 keys of 16 bytes with 100-byte values
// (LAURA_BENCH_KEYS to change), on the default mmap disk manager (arg 1)
// and the pread one (arg 0).
//
//   fillseq / fillrandom   puts in WriteBatches of 1000, no per-commit sync
//   overwrite              random puts over the filled keys, batches of 1000
//   readrandom             Get of random present keys (1 and 2 threads)
//   readseq                a full iteration
//   seekrandom             Seek to a random key + 100 Next
//   mixed                  70% Get / 30% single-put transactions (no sync)
//   fillsync               10,000 single-put commits, each synced to the
//                          log (1 and 4 threads: group commit), beside the
//                          bare floor measured in the same run: a 4 KiB
//                          pwrite + fdatasync of a preallocated file
//
// The read workloads share one database per manager, filled once by
// fillrandom. Files live in $LAURA_BENCH_DIR (default /tmp/laura_bench).
// Rates are per second of wall time (UseRealTime), for all threads.
//
// Run: build/bench/db_bench
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "benchmark/benchmark.h"
#include "engine/db.h"

namespace laura {
namespace {

uint64_t Keys() {
  static const uint64_t n = [] {
    const char* env = std::getenv("LAURA_BENCH_KEYS");
    return env ? std::strtoull(env, nullptr, 10) : 1'000'000ULL;
  }();
  return n;
}
constexpr size_t kValueSize = 100;
constexpr uint64_t kBatch = 1000;
constexpr int kSyncCommits = 10'000;

const std::string& Value() {
  static const std::string v(kValueSize, 'v');
  return v;
}

Options BenchOptions(const benchmark::State& state, Durability durability) {
  Options o;
  o.disk_manager = state.range(0) == 0 ? DiskManagerKind::kPread : DiskManagerKind::kMmap;
  o.cache_size = 512 << 20;  // reads run warm on both managers
  o.durability = durability;
  return o;
}

std::unique_ptr<DB> FreshDb(const benchmark::State& state, const std::string& name,
                            Durability durability = Durability::kNoSync) {
  const std::string path = BenchDir() + "/" + name + (state.range(0) == 0 ? "_pread" : "_mmap");
  std::filesystem::remove_all(path);
  auto db = DB::Open(BenchOptions(state, durability), path);
  CheckOk(db.status(), "open");
  return std::move(*db);
}

// Puts keys order(0..n) in batches of kBatch.
template <typename Order>
void Fill(DB& db, Order order) {
  WriteBatch batch;
  for (uint64_t i = 0; i < Keys(); ++i) {
    batch.Put(HexKey(order(i)), Value());
    if (batch.count() == kBatch) {
      CheckOk(db.Write(batch), "write");
      batch.Clear();
    }
  }
  if (!batch.empty()) CheckOk(db.Write(batch), "write");
}

// The shared read database of a manager, filled by fillrandom on first use.
DB& ReadDb(const benchmark::State& state) {
  static std::map<int64_t, std::unique_ptr<DB>> dbs;
  auto& db = dbs[state.range(0)];
  if (!db) {
    db = FreshDb(state, "db_read");
    Fill(*db, [](uint64_t i) { return Permutation(Keys())[i]; });
    CheckOk(db->Checkpoint(), "checkpoint");
  }
  return *db;
}

void BM_FillSeq(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    auto db = FreshDb(state, "db_fill");
    state.ResumeTiming();
    Fill(*db, [](uint64_t i) { return i; });
    CheckOk(db->Close(), "close");
  }
  state.SetItemsProcessed(state.iterations() * Keys());
}

void BM_FillRandom(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    auto db = FreshDb(state, "db_fill");
    Permutation(Keys());
    state.ResumeTiming();
    Fill(*db, [](uint64_t i) { return Permutation(Keys())[i]; });
    CheckOk(db->Close(), "close");
  }
  state.SetItemsProcessed(state.iterations() * Keys());
}

void BM_Overwrite(benchmark::State& state) {
  DB& db = ReadDb(state);
  uint64_t n = 0;
  for (auto _ : state) {
    Fill(db, [](uint64_t i) { return Permutation(Keys())[(i * 7919) % Keys()]; });
    n += Keys();
  }
  state.SetItemsProcessed(n);
}

void BM_ReadRandom(benchmark::State& state) {
  DB& db = ReadDb(state);
  const auto& order = Permutation(Keys());
  uint64_t i = static_cast<uint64_t>(state.thread_index()) * 104729;
  for (auto _ : state) {
    auto v = db.Get(HexKey(order[(i++ * 7919) % Keys()]));
    if (!v.ok()) CheckOk(v.status(), "get");
    benchmark::DoNotOptimize(v->data());
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_ReadSeq(benchmark::State& state) {
  DB& db = ReadDb(state);
  uint64_t n = 0;
  for (auto _ : state) {
    auto it = db.NewIterator();
    size_t bytes = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) bytes += it->key().size() + it->value().size();
    benchmark::DoNotOptimize(bytes);
    n += Keys();
  }
  state.SetItemsProcessed(n);
}

void BM_SeekRandom(benchmark::State& state) {
  DB& db = ReadDb(state);
  const auto& order = Permutation(Keys());
  uint64_t i = 0;
  auto it = db.NewIterator();
  for (auto _ : state) {
    size_t bytes = 0;
    it->Seek(HexKey(order[i++ % Keys()]));
    for (int n = 0; n < 100 && it->Valid(); ++n, it->Next()) bytes += it->value().size();
    benchmark::DoNotOptimize(bytes);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Mixed70Read30Write(benchmark::State& state) {
  DB& db = ReadDb(state);
  const auto& order = Permutation(Keys());
  uint64_t i = 0;
  for (auto _ : state) {
    const absl::string_view key = HexKey(order[(i * 7919) % Keys()]);
    if (i++ % 10 < 7) {
      auto v = db.Get(key);
      benchmark::DoNotOptimize(v.ok());
    } else {
      CheckOk(db.Put(key, Value()), "put");
    }
  }
  state.SetItemsProcessed(state.iterations());
}

// One durable commit per iteration, on each thread.
void BM_FillSync(benchmark::State& state) {
  static std::unique_ptr<DB> db;
  if (state.thread_index() == 0) db = FreshDb(state, "db_sync", Durability::kSyncEveryCommit);
  uint64_t i = static_cast<uint64_t>(state.thread_index()) << 40;
  for (auto _ : state) CheckOk(db->Put(HexKey(i++), Value()), "put");
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    state.counters["syncs_per_commit"] =
        static_cast<double>(db->Stats().log_syncs) / static_cast<double>(db->Stats().commits);
  }
}

// The floor of a durable commit: a 4 KiB pwrite into a preallocated file
// and one fdatasync.
void BM_BareWriteSync(benchmark::State& state) {
  const std::string path = BenchDir() + "/bare_sync";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || ::posix_fallocate(fd, 0, 64 << 20) != 0) CheckOk(absl::InternalError(path), "open");
  ::fdatasync(fd);
  std::string block(4096, 'b');
  uint64_t offset = 0;
  for (auto _ : state) {
    if (::pwrite(fd, block.data(), block.size(), offset) != 4096 || ::fdatasync(fd) != 0) {
      CheckOk(absl::InternalError("bare write"), "write");
    }
    offset = (offset + 4096) % (64 << 20);
  }
  ::close(fd);
  state.SetItemsProcessed(state.iterations());
}

void Managers(benchmark::internal::Benchmark* b) { b->ArgName("mmap")->Arg(0)->Arg(1); }

BENCHMARK(BM_FillSeq)->Apply(Managers)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_FillRandom)->Apply(Managers)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Overwrite)->Apply(Managers)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ReadRandom)->Apply(Managers)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_ReadSeq)->Apply(Managers)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_SeekRandom)->Apply(Managers)->UseRealTime();
BENCHMARK(BM_Mixed70Read30Write)->Apply(Managers)->UseRealTime();
BENCHMARK(BM_BareWriteSync)->Iterations(kSyncCommits)->UseRealTime();
BENCHMARK(BM_FillSync)->Arg(1)->ArgName("mmap")->Threads(1)->Iterations(kSyncCommits)->UseRealTime();
BENCHMARK(BM_FillSync)->Arg(1)->ArgName("mmap")->Threads(4)->Iterations(kSyncCommits / 4)->UseRealTime();

}  // namespace
}  // namespace laura

BENCHMARK_MAIN();
