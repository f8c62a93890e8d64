// B+tree benchmarks over both disk managers: 1,000,000 keys of 16 bytes
// with 100-byte values. Random get, full scan, seek + 100 next, random put
// in transactions of 1000, sequential put, and bulk load from sorted input.
// The fills also report the space on disk after them ("space_x": live
// pages x page size / raw key+value bytes).
//
// Each fill starts from an empty file; the read cases share one file per
// manager, filled by random puts (so leaves are as a random fill leaves
// them). The pread manager's pool is 512 MiB, so reads run warm on both
// managers. Files live in $LAURA_BENCH_DIR (default /tmp/laura_bench).
// Keys come from a fixed-seed permutation.
//
// Run: build/bench/btree_bench
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
#include "btree/btree.h"
#include "storage/disk_manager.h"
#include "storage/pager.h"

namespace laura {
namespace {

constexpr uint64_t kKeys = 1'000'000;
constexpr size_t kValueSize = 100;
constexpr uint64_t kTxnSize = 1000;

const std::string& Value() {
  static const std::string v(kValueSize, 'v');
  return v;
}

DiskManagerKind Kind(const benchmark::State& state) {
  return state.range(0) == 0 ? DiskManagerKind::kPread : DiskManagerKind::kMmap;
}

// A database file with its pager and tree.
struct Db {
  std::unique_ptr<DiskManager> dm;
  std::unique_ptr<Pager> pager;
  std::unique_ptr<BTree> tree;

  static std::unique_ptr<Db> Create(DiskManagerKind kind, const std::string& name) {
    const std::string path = BenchDir() + "/" + name + "_" + DiskManagerKindName(kind) + ".ldb";
    std::filesystem::remove(path);
    auto db = std::make_unique<Db>();
    auto dm = DiskManager::Open(kind, path, {});
    CheckOk(dm.status(), "open");
    db->dm = std::move(*dm);
    auto pager = Pager::Create(db->dm.get(), {.cache_bytes = 512 * kMiB});
    CheckOk(pager.status(), "pager");
    db->pager = std::move(*pager);
    db->tree = std::make_unique<BTree>(db->pager.get(), 0, 0);
    return db;
  }

  void Checkpoint() {
    CheckOk(pager->Flush(), "flush");
    CheckOk(dm->Checkpoint(tree->committed_txn(), tree->committed_root()), "checkpoint");
  }

  // Live pages x page size / raw key+value bytes.
  double SpaceRatio() const {
    const DiskStats st = dm->Stats();
    return static_cast<double>(st.page_count - st.free_pages) * st.page_size /
           (kKeys * (16.0 + kValueSize));
  }
};

void FillRandom(Db& db) {
  const auto& order = Permutation(kKeys);
  for (uint64_t i = 0; i < kKeys; ++i) {
    CheckOk(db.tree->Put(HexKey(order[i]), Value()), "put");
    if ((i + 1) % kTxnSize == 0) CheckOk(db.tree->Commit(), "commit");
  }
  CheckOk(db.tree->Commit(), "commit");
  db.Checkpoint();
}

// The shared read database of a manager, filled on first use.
Db& ReadDb(DiskManagerKind kind) {
  static std::map<DiskManagerKind, std::unique_ptr<Db>> dbs;
  auto& db = dbs[kind];
  if (!db) {
    db = Db::Create(kind, "btree_read");
    FillRandom(*db);
  }
  return *db;
}

void BM_RandomGet(benchmark::State& state) {
  Db& db = ReadDb(Kind(state));
  const auto& order = Permutation(kKeys);
  const PageId root = db.tree->committed_root();
  std::string value;
  uint64_t i = 0;
  for (auto _ : state) {
    CheckOk(db.tree->Get(root, HexKey(order[(i++ * 7919) % kKeys]), &value), "get");
    benchmark::DoNotOptimize(value.data());
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_SequentialScan(benchmark::State& state) {
  Db& db = ReadDb(Kind(state));
  uint64_t entries = 0;
  for (auto _ : state) {
    Cursor c(db.pager.get(), db.tree->committed_root());
    size_t bytes = 0;
    for (c.SeekToFirst(); c.Valid(); c.Next()) bytes += c.key().size() + c.value().size();
    benchmark::DoNotOptimize(bytes);
    entries += kKeys;
  }
  state.SetItemsProcessed(entries);
}

void BM_SeekNext100(benchmark::State& state) {
  Db& db = ReadDb(Kind(state));
  const auto& order = Permutation(kKeys);
  uint64_t i = 0;
  for (auto _ : state) {
    Cursor c(db.pager.get(), db.tree->committed_root());
    size_t bytes = 0;
    c.Seek(HexKey(order[i++ % kKeys]));
    for (int n = 0; n < 100 && c.Valid(); ++n, c.Next()) bytes += c.value().size();
    benchmark::DoNotOptimize(bytes);
  }
  state.SetItemsProcessed(state.iterations());
}

// Times fill(db) on a new database per iteration; reports entries per
// second and the space the fill left.
template <typename Fill>
void RunFill(benchmark::State& state, Fill fill) {
  double space = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto db = Db::Create(Kind(state), "btree_fill");
    Permutation(kKeys);
    state.ResumeTiming();
    fill(*db);
    state.PauseTiming();
    space = db->SpaceRatio();
    db.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kKeys);
  state.counters["space_x"] = space;
}

void BM_RandomPut(benchmark::State& state) { RunFill(state, FillRandom); }

void BM_SequentialPut(benchmark::State& state) {
  RunFill(state, [](Db& db) {
    for (uint64_t i = 0; i < kKeys; ++i) {
      CheckOk(db.tree->Put(HexKey(i), Value()), "put");
      if ((i + 1) % kTxnSize == 0) CheckOk(db.tree->Commit(), "commit");
    }
    CheckOk(db.tree->Commit(), "commit");
    db.Checkpoint();
  });
}

void BM_BulkLoad(benchmark::State& state) {
  RunFill(state, [](Db& db) {
    BulkLoader loader(db.pager.get(), db.tree->write_txn());
    for (uint64_t i = 0; i < kKeys; ++i) CheckOk(loader.Add(HexKey(i), Value()), "add");
    auto root = loader.Finish();
    CheckOk(root.status(), "finish");
    CheckOk(db.tree->ReplaceRoot(*root), "replace root");
    CheckOk(db.tree->Commit(), "commit");
    db.Checkpoint();
  });
}

// Arg 0 = pread manager, 1 = mmap manager.
void Managers(benchmark::internal::Benchmark* b) { b->ArgName("mmap")->Arg(0)->Arg(1); }

BENCHMARK(BM_RandomGet)->Apply(Managers);
BENCHMARK(BM_SequentialScan)->Apply(Managers)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SeekNext100)->Apply(Managers);
BENCHMARK(BM_RandomPut)->Apply(Managers)->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK(BM_SequentialPut)->Apply(Managers)->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK(BM_BulkLoad)->Apply(Managers)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace
}  // namespace laura

BENCHMARK_MAIN();
