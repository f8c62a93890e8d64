// Macro benchmark of whole workloads, in the manner of LevelDB's db_bench,
// over LauraDB (both disk managers, through the public API) and each peer
// engine installed (bench/engines/: LMDB, WiredTiger, LevelDB, RocksDB,
// SQLite; scripts/install-deps.sh --peers), all in one run: 1,000,000 keys
// of 16 bytes with 100-byte values (LAURA_BENCH_KEYS to change).
//
//   fillseq / fillrandom   puts in batches of 1000 into a new database,
//                          no per-commit sync
//   overwrite              random puts over the filled keys, batches of 1000
//   readrandom             Get of random present keys (1 and 2 threads)
//   readseq                a full iteration
//   seekrandom             a new iterator, Seek to a random key, read 100
//   mixed                  70% Get / 30% single-put commits (no sync)
//   fillsync               10,000 single-put commits, each durable before
//                          it returns (1 thread, and 4 threads: group
//                          commit), beside the bare floor measured in the
//                          same run: a 4 KiB pwrite + fdatasync
//
// The read workloads share one database per engine, filled once by
// fillrandom and settled (checkpoint, flush and compaction), and settled
// again after overwrite. Engines run
// one after the other, each closed before the next starts. Every engine
// gets a 512 MiB cache. Files live in $LAURA_BENCH_DIR (default
// /tmp/laura_bench). Rates are per second of wall time, for all threads.
//
// Run: build/bench/db_bench [--benchmark_filter=REGEX]
//   e.g. --benchmark_filter='laura-mmap|lmdb' for two engines only.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "bench/engines/bench_engine.h"
#include "benchmark/benchmark.h"

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

using Engines = std::vector<std::pair<std::string, BenchEngineFactory>>;
const Engines& AllEngines() {
  static const Engines engines = BenchEngines();
  return engines;
}

// A new, empty database of engine e in $LAURA_BENCH_DIR/NAME_ENGINE.
std::unique_ptr<BenchEngine> FreshEngine(int e, const std::string& name, bool sync) {
  const auto& [engine_name, factory] = AllEngines()[e];
  const std::string dir = BenchDir() + "/" + name + "_" + engine_name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::unique_ptr<BenchEngine> engine = factory();
  CheckOk(engine->Open(dir, sync), "open");
  return engine;
}

// Puts keys order(0..n) in batches of kBatch.
template <typename Order>
void Fill(BenchEngine& engine, Order order) {
  std::string key_bytes(kBatch * 16, '\0');  // HexKey's buffer is reused
  std::vector<KeyValue> batch;
  batch.reserve(kBatch);
  for (uint64_t i = 0; i < Keys(); ++i) {
    char* key = key_bytes.data() + 16 * batch.size();
    HexKey(order(i)).copy(key, 16);
    batch.push_back({absl::string_view(key, 16), Value()});
    if (batch.size() == kBatch || i + 1 == Keys()) {
      CheckOk(engine.PutBatch(0, batch), "write");
      batch.clear();
    }
  }
}

// The shared read databases, by engine.
std::map<int, std::unique_ptr<BenchEngine>>& ReadEngines() {
  static auto* engines = new std::map<int, std::unique_ptr<BenchEngine>>;
  return *engines;
}

// The shared read database of engine e, filled by fillrandom on first use.
BenchEngine& ReadEngine(int e) {
  auto& engine = ReadEngines()[e];
  if (!engine) {
    engine = FreshEngine(e, "read", /*sync=*/false);
    Fill(*engine, [](uint64_t i) { return Permutation(Keys())[i]; });
    CheckOk(engine->Settle(), "settle");
  }
  return *engine;
}

void FillSeq(benchmark::State& state, int e) {
  for (auto _ : state) {
    state.PauseTiming();
    auto engine = FreshEngine(e, "fill", /*sync=*/false);
    state.ResumeTiming();
    Fill(*engine, [](uint64_t i) { return i; });
    state.PauseTiming();
    CheckOk(engine->Close(), "close");
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * Keys());
}

void FillRandom(benchmark::State& state, int e) {
  for (auto _ : state) {
    state.PauseTiming();
    auto engine = FreshEngine(e, "fill", /*sync=*/false);
    Permutation(Keys());
    state.ResumeTiming();
    Fill(*engine, [](uint64_t i) { return Permutation(Keys())[i]; });
    state.PauseTiming();
    CheckOk(engine->Close(), "close");
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * Keys());
}

// Rewrites every key of the shared read database, then settles it again
// (untimed), so that the workloads after it measure their own work, not
// the checkpoint or compaction that the overwrite left due.
void Overwrite(benchmark::State& state, int e) {
  BenchEngine& engine = ReadEngine(e);
  uint64_t n = 0;
  for (auto _ : state) {
    Fill(engine, [](uint64_t i) { return Permutation(Keys())[(i * 7919) % Keys()]; });
    n += Keys();
  }
  state.SetItemsProcessed(n);
  CheckOk(engine.Settle(), "settle");
}

void ReadRandom(benchmark::State& state, int e) {
  BenchEngine& engine = ReadEngine(e);
  const auto& order = Permutation(Keys());
  const int thread = state.thread_index();
  uint64_t i = static_cast<uint64_t>(thread) * 104729;
  std::string value;
  for (auto _ : state) {
    CheckOk(engine.Get(thread, HexKey(order[(i++ * 7919) % Keys()]), &value), "get");
    benchmark::DoNotOptimize(value.data());
  }
  state.SetItemsProcessed(state.iterations());
}

void ReadSeq(benchmark::State& state, int e) {
  BenchEngine& engine = ReadEngine(e);
  for (auto _ : state) {
    absl::StatusOr<uint64_t> bytes = engine.ScanAll();
    CheckOk(bytes.status(), "scan");
    benchmark::DoNotOptimize(*bytes);
  }
  state.SetItemsProcessed(state.iterations() * Keys());
}

void SeekRandom(benchmark::State& state, int e) {
  BenchEngine& engine = ReadEngine(e);
  const auto& order = Permutation(Keys());
  uint64_t i = 0;
  for (auto _ : state) {
    absl::StatusOr<uint64_t> bytes = engine.SeekAndRead(0, HexKey(order[i++ % Keys()]), 100);
    CheckOk(bytes.status(), "seek");
    benchmark::DoNotOptimize(*bytes);
  }
  state.SetItemsProcessed(state.iterations());
}

void Mixed70Read30Write(benchmark::State& state, int e) {
  BenchEngine& engine = ReadEngine(e);
  const auto& order = Permutation(Keys());
  uint64_t i = 0;
  std::string value;
  for (auto _ : state) {
    const absl::string_view key = HexKey(order[(i * 7919) % Keys()]);
    if (i++ % 10 < 7) {
      CheckOk(engine.Get(0, key, &value), "get");
    } else {
      CheckOk(engine.Put(0, key, Value()), "put");
    }
  }
  state.SetItemsProcessed(state.iterations());
}

// Closes engine e's read database once its workloads ran, so that its
// background threads (LSM compactions) and caches do not run into the
// next engine's figures.
void CloseReadEngine(benchmark::State& state, int e) {
  for (auto _ : state) {
    auto it = ReadEngines().find(e);
    if (it != ReadEngines().end()) CheckOk(it->second->Close(), "close");
    ReadEngines().erase(e);
  }
}

// One durable commit per iteration, on each thread.
void FillSync(benchmark::State& state, int e) {
  static std::unique_ptr<BenchEngine> engine;
  if (state.thread_index() == 0) engine = FreshEngine(e, "sync", /*sync=*/true);
  const int thread = state.thread_index();
  uint64_t i = static_cast<uint64_t>(thread) << 40;
  for (auto _ : state) CheckOk(engine->Put(thread, HexKey(i++), Value()), "put");
  state.SetItemsProcessed(state.iterations());
  if (thread == 0) {
    CheckOk(engine->Close(), "close");
    engine.reset();
  }
}

// The floor of a durable commit: a 4 KiB pwrite into a preallocated file
// and one fdatasync.
void BareWriteSync(benchmark::State& state) {
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

// Every workload for one engine, then the next engine: an engine's
// background work (compactions after overwrite) never overlaps another's
// figures.
void RegisterAll() {
  using Fn = void (*)(benchmark::State&, int);
  struct Workload {
    const char* name;
    Fn fn;
    bool once;  // one iteration (fills)
  };
  const Workload workloads[] = {
      {"fillseq", FillSeq, true},          {"fillrandom", FillRandom, true},
      {"overwrite", Overwrite, true},      {"readrandom", ReadRandom, false},
      {"readseq", ReadSeq, false},         {"seekrandom", SeekRandom, false},
      {"mixed70_30", Mixed70Read30Write, false},
  };
  benchmark::RegisterBenchmark("fillsync/bare_pwrite_fdatasync", BareWriteSync)
      ->Iterations(kSyncCommits)
      ->UseRealTime();
  for (int e = 0; e < static_cast<int>(AllEngines().size()); ++e) {
    const std::string& engine = AllEngines()[e].first;
    for (const Workload& w : workloads) {
      const std::string name = std::string(w.name) + "/" + engine;
      auto* b = benchmark::RegisterBenchmark(name.c_str(), w.fn, e)->UseRealTime();
      if (w.once) b->Iterations(1)->Unit(benchmark::kMillisecond);
      if (w.fn == ReadRandom) b->Threads(1)->Threads(2);
      if (w.fn == ReadSeq) b->Unit(benchmark::kMillisecond);
    }
    benchmark::RegisterBenchmark(("close/" + engine).c_str(), CloseReadEngine, e)
        ->Iterations(1)
        ->Unit(benchmark::kMillisecond);
    const std::string sync_name = "fillsync/" + engine;
    benchmark::RegisterBenchmark(sync_name.c_str(), FillSync, e)
        ->Threads(1)
        ->Iterations(kSyncCommits)
        ->UseRealTime();
    benchmark::RegisterBenchmark(sync_name.c_str(), FillSync, e)
        ->Threads(4)
        ->Iterations(kSyncCommits / 4)
        ->UseRealTime();
  }
}

}  // namespace
}  // namespace laura

int main(int argc, char** argv) {
  laura::RegisterAll();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
