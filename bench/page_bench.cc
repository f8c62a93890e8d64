// The page-level table: pread/pwrite manager vs mmap manager, for read page,
// write page, 70/30 read/write mix and sync after a write, each beside its
// bare baseline measured in the same run (a 4 KiB pread/pwrite of a file,
// a 4 KiB memcpy out of / into a plain mapping). Also the mmap manager's
// zero-copy read (pointer access, no copy).
//
// Files live in $LAURA_BENCH_DIR (default /tmp/laura_bench): one database
// per manager of 64 MiB of pages, in a 128 MiB file whose unused upper half
// holds the bare baselines (same file, same disk region), all warm in the
// page cache. Page ids are drawn from a fixed-seed sequence.
//
// Run: build/bench/page_bench   (bench/page_table.py turns --benchmark_format=json
// output into the README table)
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "benchmark/benchmark.h"
#include "storage/disk_manager.h"

namespace laura {
namespace {

constexpr uint32_t kPage = 4096;
constexpr uint64_t kPages = 16384;  // 64 MiB
constexpr size_t kIdCount = 1 << 16;

void Die(const std::string& what) {
  std::fprintf(stderr, "page_bench: %s\n", what.c_str());
  std::exit(1);
}

// Random data-page ids (2 .. kPages-1), fixed seed.
const std::vector<PageId>& RandomIds() {
  static const std::vector<PageId> ids = [] {
    std::vector<PageId> v(kIdCount);
    uint64_t x = 0x9e3779b97f4a7c15ULL;  // seed
    for (auto& id : v) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      id = 2 + x % (kPages - 2);
    }
    return v;
  }();
  return ids;
}

std::string DataPage(uint64_t tag) {
  std::string page(kPage, static_cast<char>(tag));
  InitPage(page.data(), kPage, 0, PageType::kData, tag);
  return page;
}

std::string DbPath(DiskManagerKind kind) {
  return BenchDir() + "/page_bench_" + DiskManagerKindName(kind) + ".ldb";
}

// A database of kPages written pages for one manager, built once. The file
// is twice that size: the upper half, which the manager never uses, is
// where the bare baselines run, so that they and the manager share one
// file (sync latency on a virtual disk differs from file to file).
DiskManager* Db(DiskManagerKind kind) {
  static std::unique_ptr<DiskManager> dbs[2];
  auto& db = dbs[kind == DiskManagerKind::kMmap];
  if (db) return db.get();
  const std::string path = DbPath(kind);
  std::filesystem::remove(path);
  DiskManagerOptions o;
  o.initial_size = 2 * kPages * kPage;
  auto opened = DiskManager::Open(kind, path, o);
  if (!opened.ok()) Die(opened.status().ToString());
  db = std::move(*opened);
  for (uint64_t i = 2; i < kPages; ++i) {
    auto id = db->AllocatePage();
    std::string page = DataPage(i);
    if (!id.ok() || !db->WritePage(*id, page.data()).ok()) Die("fill failed");
  }
  if (!db->Sync().ok()) Die("sync failed");
  return db.get();
}

// Raw access to the upper half of a manager's file, for the baselines.
// Page id p of the random sequence maps to file page kPages + p.
struct Bare {
  int fd = -1;
  char* map = nullptr;  // mapping of the upper half
  off_t Offset(PageId id) const { return (kPages + id) * kPage; }
  char* Addr(PageId id) const { return map + id * kPage; }
};

const Bare& BareFile(DiskManagerKind kind) {
  static Bare bares[2];
  Bare& b = bares[kind == DiskManagerKind::kMmap];
  if (b.fd >= 0) return b;
  Db(kind);
  b.fd = ::open(DbPath(kind).c_str(), O_RDWR);
  if (b.fd < 0) Die("bare open");
  std::string page = DataPage(1);
  for (uint64_t i = 0; i < kPages; ++i) {
    if (::pwrite(b.fd, page.data(), kPage, b.Offset(i)) != kPage) Die("bare fill");
  }
  if (::fdatasync(b.fd) != 0) Die("bare sync");
  void* m = ::mmap(nullptr, kPages * kPage, PROT_READ | PROT_WRITE, MAP_SHARED,
                   b.fd, kPages * kPage);
  if (m == MAP_FAILED) Die("bare mmap");
  b.map = static_cast<char*>(m);
  return b;
}

constexpr DiskManagerKind kPread = DiskManagerKind::kPread;
constexpr DiskManagerKind kMmap = DiskManagerKind::kMmap;

// --- Read page -----------------------------------------------------------

void BM_ReadPage_BarePread(benchmark::State& state) {
  const Bare& b = BareFile(kPread);
  const auto& ids = RandomIds();
  alignas(64) char buf[kPage];
  size_t i = 0;
  for (auto _ : state) {
    if (::pread(b.fd, buf, kPage, b.Offset(ids[i++ % kIdCount])) != kPage) Die("pread");
    benchmark::DoNotOptimize(buf);
  }
}

void BM_ReadPage_BareMemcpy(benchmark::State& state) {
  const Bare& b = BareFile(kMmap);
  const auto& ids = RandomIds();
  alignas(64) char buf[kPage];
  size_t i = 0;
  for (auto _ : state) {
    std::memcpy(buf, b.Addr(ids[i++ % kIdCount]), kPage);
    benchmark::DoNotOptimize(buf);
    benchmark::ClobberMemory();
  }
}

void BM_ReadPage(benchmark::State& state, DiskManagerKind kind, bool verify) {
  DiskManager* db = Db(kind);
  const auto& ids = RandomIds();
  alignas(64) char buf[kPage];
  size_t i = 0;
  for (auto _ : state) {
    absl::Status s = verify ? db->ReadPage(ids[i++ % kIdCount], buf) : absl::OkStatus();
    if (!s.ok()) Die(s.ToString());
    benchmark::DoNotOptimize(buf);
    benchmark::ClobberMemory();
  }
}

void BM_ReadPageZeroCopy(benchmark::State& state) {
  DiskManager* db = Db(DiskManagerKind::kMmap);
  const auto& ids = RandomIds();
  size_t i = 0;
  for (auto _ : state) {
    const char* p = db->PageData(ids[i++ % kIdCount]);
    // Touch the page as a reader would: load a header word.
    uint64_t word;
    std::memcpy(&word, p + kPageLsnOffset, sizeof(word));
    benchmark::DoNotOptimize(word);
  }
}

// --- Write page ----------------------------------------------------------

void BM_WritePage_BarePwrite(benchmark::State& state) {
  const Bare& b = BareFile(kPread);
  const auto& ids = RandomIds();
  std::string page = DataPage(3);
  size_t i = 0;
  for (auto _ : state) {
    if (::pwrite(b.fd, page.data(), kPage, b.Offset(ids[i++ % kIdCount])) != kPage) {
      Die("pwrite");
    }
  }
}

void BM_WritePage_BareMemcpy(benchmark::State& state) {
  const Bare& b = BareFile(kMmap);
  const auto& ids = RandomIds();
  std::string page = DataPage(3);
  size_t i = 0;
  for (auto _ : state) {
    std::memcpy(b.Addr(ids[i++ % kIdCount]), page.data(), kPage);
    benchmark::ClobberMemory();
  }
}

void BM_WritePage(benchmark::State& state, DiskManagerKind kind) {
  DiskManager* db = Db(kind);
  const auto& ids = RandomIds();
  std::string page = DataPage(3);
  size_t i = 0;
  for (auto _ : state) {
    PageId id = ids[i++ % kIdCount];
    if (!db->WritePage(id, page.data()).ok()) Die("write");
  }
}

// --- Mixed 70% read / 30% write -----------------------------------------

bool IsWrite(size_t i) { return i % 10 >= 7; }

void BM_Mixed_BarePread(benchmark::State& state) {
  const Bare& b = BareFile(kPread);
  const auto& ids = RandomIds();
  alignas(64) char buf[kPage];
  std::string page = DataPage(4);
  size_t i = 0;
  for (auto _ : state) {
    const off_t off = b.Offset(ids[i % kIdCount]);
    ssize_t n = IsWrite(i) ? ::pwrite(b.fd, page.data(), kPage, off)
                           : ::pread(b.fd, buf, kPage, off);
    if (n != kPage) Die("mixed");
    ++i;
    benchmark::DoNotOptimize(buf);
  }
}

void BM_Mixed_BareMemcpy(benchmark::State& state) {
  const Bare& b = BareFile(kMmap);
  const auto& ids = RandomIds();
  alignas(64) char buf[kPage];
  std::string page = DataPage(4);
  size_t i = 0;
  for (auto _ : state) {
    char* p = b.Addr(ids[i % kIdCount]);
    if (IsWrite(i)) {
      std::memcpy(p, page.data(), kPage);
    } else {
      std::memcpy(buf, p, kPage);
    }
    ++i;
    benchmark::DoNotOptimize(buf);
    benchmark::ClobberMemory();
  }
}

void BM_Mixed(benchmark::State& state, DiskManagerKind kind) {
  DiskManager* db = Db(kind);
  const auto& ids = RandomIds();
  alignas(64) char buf[kPage];
  std::string page = DataPage(4);
  size_t i = 0;
  for (auto _ : state) {
    PageId id = ids[i % kIdCount];
    absl::Status s = IsWrite(i) ? db->WritePage(id, page.data()) : db->ReadPage(id, buf);
    if (!s.ok()) Die(s.ToString());
    ++i;
    benchmark::DoNotOptimize(buf);
  }
}

// --- Sync after a write --------------------------------------------------

// Flushes what earlier benchmarks left dirty, outside the timed loop.
void FlushBare(const Bare& b) {
  if (::fdatasync(b.fd) != 0) Die("fdatasync");
}

void BM_Sync_BarePwrite(benchmark::State& state) {
  const Bare& b = BareFile(kPread);
  FlushBare(b);
  const auto& ids = RandomIds();
  std::string page = DataPage(5);
  size_t i = 0;
  for (auto _ : state) {
    if (::pwrite(b.fd, page.data(), kPage, b.Offset(ids[i++ % kIdCount])) != kPage ||
        ::fdatasync(b.fd) != 0) {
      Die("sync");
    }
  }
}

// The floor of a checkpoint: data write + sync, then header write + sync.
void BM_Sync_BarePwrite2x(benchmark::State& state) {
  const Bare& b = BareFile(kPread);
  FlushBare(b);
  const auto& ids = RandomIds();
  std::string page = DataPage(5);
  size_t i = 0;
  for (auto _ : state) {
    if (::pwrite(b.fd, page.data(), kPage, b.Offset(ids[i++ % kIdCount])) != kPage ||
        ::fdatasync(b.fd) != 0 || ::pwrite(b.fd, page.data(), kPage, b.Offset(0)) != kPage ||
        ::fdatasync(b.fd) != 0) {
      Die("sync");
    }
  }
}

void BM_Sync_BareMsync(benchmark::State& state) {
  const Bare& b = BareFile(kMmap);
  FlushBare(b);
  const auto& ids = RandomIds();
  std::string page = DataPage(5);
  size_t i = 0;
  for (auto _ : state) {
    char* p = b.Addr(ids[i++ % kIdCount]);
    std::memcpy(p, page.data(), kPage);
    if (::msync(p, kPage, MS_SYNC) != 0) Die("msync");
  }
}

// The floor of a checkpoint over a mapping: data page + msync, then the
// header page + msync.
void BM_Sync_BareMsync2x(benchmark::State& state) {
  const Bare& b = BareFile(kMmap);
  FlushBare(b);
  const auto& ids = RandomIds();
  std::string page = DataPage(5);
  size_t i = 0;
  for (auto _ : state) {
    char* p = b.Addr(ids[i++ % kIdCount]);
    std::memcpy(p, page.data(), kPage);
    if (::msync(p, kPage, MS_SYNC) != 0) Die("msync");
    std::memcpy(b.Addr(0), page.data(), kPage);
    if (::msync(b.Addr(0), kPage, MS_SYNC) != 0) Die("msync");
  }
}

void BM_Sync(benchmark::State& state, DiskManagerKind kind) {
  DiskManager* db = Db(kind);
  if (!db->Sync().ok()) Die("sync");  // flush earlier benchmarks' writes
  const auto& ids = RandomIds();
  std::string page = DataPage(5);
  size_t i = 0;
  for (auto _ : state) {
    if (!db->WritePage(ids[i++ % kIdCount], page.data()).ok() || !db->Sync().ok()) {
      Die("sync");
    }
  }
}

BENCHMARK(BM_ReadPage_BarePread);
BENCHMARK(BM_ReadPage_BareMemcpy);
BENCHMARK_CAPTURE(BM_ReadPage, pread, kPread, true);
BENCHMARK_CAPTURE(BM_ReadPage, mmap, kMmap, true);
BENCHMARK(BM_ReadPageZeroCopy);
BENCHMARK(BM_WritePage_BarePwrite);
BENCHMARK(BM_WritePage_BareMemcpy);
BENCHMARK_CAPTURE(BM_WritePage, pread, kPread);
BENCHMARK_CAPTURE(BM_WritePage, mmap, kMmap);
BENCHMARK(BM_Mixed_BarePread);
BENCHMARK(BM_Mixed_BareMemcpy);
BENCHMARK_CAPTURE(BM_Mixed, pread, kPread);
BENCHMARK_CAPTURE(BM_Mixed, mmap, kMmap);
BENCHMARK(BM_Sync_BarePwrite);
BENCHMARK(BM_Sync_BarePwrite2x);
BENCHMARK(BM_Sync_BareMsync);
BENCHMARK(BM_Sync_BareMsync2x);
BENCHMARK_CAPTURE(BM_Sync, pread, kPread);
BENCHMARK_CAPTURE(BM_Sync, mmap, kMmap);

}  // namespace
}  // namespace laura

BENCHMARK_MAIN();
