// Macro benchmark of whole workloads in the steady state, in the manner of
// LevelDB's db_bench: every workload runs a fixed count of operations
// (--num, default 1,000,000) on the database the workloads before it left,
// so checkpoints, compactions, file growth and free-page reuse happen
// inside the timed part. LauraDB (both disk managers, public API) and each
// peer engine installed (bench/engines/: LMDB, WiredTiger, LevelDB,
// RocksDB, SQLite; scripts/install-deps.sh --peers) run the same sequence
// in one run, one engine after the other, each closed before the next.
//
// Group "small" (16-byte keys, 100-byte values), on one database:
//   fillseq         --num puts in key order, batches of 1000 (own database)
//   fillrandom      --num puts in random order, batches of 1000
//   overwrite       --num random puts over those keys, batches of 1000
//   readrandom      --num gets of random present keys, 1 thread
//   readrandom2     --num gets over 2 threads
//   readrandom_view (LauraDB only) readrandom's gets through
//                   ReadTransaction::GetView, 1000 per transaction
//   readseq         one scan of every entry (--num entries)
//   seekrandom      --num / 10 seeks, each reading 100 entries
//   mixed70_30      --num operations: 70% gets, 30% single-put commits
//   mixed70_30_reader  the same while another process reads random keys
//                   (LauraDB: a read-only open following this writer)
//   fillsync        10,000 durable single-put commits (1 and 4 threads),
//                   beside the floor: a 4 KiB pwrite + fdatasync
// Group "ycsb" (16-byte keys, 1 KiB values, single-operation commits, as
// YCSB's core workloads), on one database loaded with --num records in
// random order, then for uniform and zipfian key choice in turn:
//   a (50% get / 50% update), b (95% / 5%), f (read-modify-write: a get
//   then a put of the same key), e (short scans: seek + 10 entries);
//   --num operations each.
// Group "space" (not run by default; LauraDB only): --num keys in random
// order (16 / 100 bytes), then:
//   deletehalf      every other key deleted, batches of 1000
//   compact         DB::Compact (file size before and after in the table)
//   cp              copying the data file to a new file and syncing it,
//                   while a thread overwrites random keys: the baseline
//   backup          DB::Backup while that writer runs
//   backup_compact  the same with --compact (the copy's size is reported)
//   (ops/s of the backups and cp: 1 / seconds)
// Group "coldread" (not run by default): --num keys filled in order, then
// --reads random gets after the files were dropped from the page cache;
// run it under a memory limit (scripts/bench-small-memory.sh) for a
// database larger than memory.
//
// For every workload the report gives throughput (operations per second of
// wall time, all threads), the p50/p99 latency of single-put commits, the
// database's disk usage after the workload (allocated bytes of every file
// in its directory), the bytes of pages the process dirtied during it
// (/proc/self/io write_bytes: a page dirtied again before it was written
// back counts once) and the bytes written to the device that holds the
// files (/proc/diskstats: all processes, so run on a quiet machine; writes
// the OS defers past the workload's end count in a later one), and that
// per byte of keys and values written, and the CPU time it took: of the
// whole process (every thread the engine runs) and, per operation, of the
// thread that ran it (for a one-thread workload, the engine's writer or
// reader path; the kernel work its system calls and faults did counts).
// Values are incompressible (random bytes) so that compressing
// engines store what the others store. The last table gives each
// workload's ops/s by engine and laura-mmap's ratio to the best peer.
//
// Run: build/bench/db_bench [--num=N] [--engines=laura-mmap,lmdb,...]
//      [--groups=small,ycsb,space,coldread] [--only=WORKLOAD,...] [--reads=N]
//      [--passes=N] [--pinned_budget=BYTES] [--checkpoint_log_bytes=BYTES]
//      [--dir=DIR]. --passes repeats the
//      reads of readrandom(2, _view), readseq and seekrandom N times, so that
//      a small --num (a tree the CPU caches hold) runs long enough to
//      measure the instructions apart from the misses. --pinned_budget and
//      --checkpoint_log_bytes set LauraDB's Options::checkpoint_pinned_bytes
//      and checkpoint_log_bytes (defaults as in Options; 0: off), the
//      checkpoint spacing that trades file size and log length for bytes
//      written. --only runs the workloads listed, and the loads and closes
//      they need (fillrandom, ycsb_load, cold_fillseq) in any case. --dir
//      defaults to $LAURA_BENCH_DIR or /tmp/laura_bench. Every flag is also
//      listed by --help.
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "bench/bench_util.h"
#include "bench/engines/bench_engine.h"
#include "bench/key_chooser.h"
#include "laura/db.h"

namespace laura {
namespace {

using Clock = std::chrono::steady_clock;

struct Flags {
  uint64_t num = 1'000'000;
  uint64_t reads = 100'000;  // coldread's gets
  uint64_t passes = 1;       // times the read workloads repeat their reads
  std::vector<std::string> engines;  // empty: all
  std::vector<std::string> only;     // workloads to run; empty: all
  std::vector<std::string> groups = {"small", "ycsb"};
  std::string dir;
  std::string reader_child;  // internal: run as the reader process of mixed70_30_reader
};
Flags& flags() {
  static Flags f;
  return f;
}

constexpr uint64_t kBatch = 1000;
constexpr int kSyncCommits = 10'000;
constexpr size_t kSmallValue = 100;
constexpr size_t kLargeValue = 1024;

// Values: windows into 1 MiB of random bytes (seed 20261207), a different
// window per record and per write.
absl::string_view Value(uint64_t seq, size_t size) {
  static const std::string bytes = [] {
    std::string b(1 << 20, '\0');
    std::mt19937_64 rng(20261207);
    for (char& c : b) c = static_cast<char>(rng());
    return b;
  }();
  return absl::string_view(bytes).substr((seq * 4099) % (bytes.size() - size), size);
}

// Bytes this process caused to be written to storage (/proc/self/io).
uint64_t ProcessWriteBytes() {
  std::ifstream io("/proc/self/io");
  std::string name;
  uint64_t value = 0;
  while (io >> name >> value) {
    if (name == "write_bytes:") return value;
  }
  return 0;
}

// Bytes written to the block device that holds dir (/proc/diskstats,
// sectors written; every process's writes, so run on a quiet machine).
// Counts what reached the disk, where ProcessWriteBytes counts pages the
// process dirtied.
uint64_t DeviceWriteBytes(const std::string& dir) {
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) return 0;
  std::ifstream stats("/proc/diskstats");
  std::string line;
  while (std::getline(stats, line)) {
    unsigned major = 0, minor = 0;
    char name[64];
    unsigned long long f[10] = {};
    if (std::sscanf(line.c_str(), "%u %u %63s %llu %llu %llu %llu %llu %llu %llu %llu", &major,
                    &minor, name, &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6],
                    &f[7]) == 11 &&
        major == ::major(st.st_dev) && minor == ::minor(st.st_dev)) {
      return f[6] * 512;  // sectors written
    }
  }
  return 0;
}

// Allocated bytes of every file under dir.
uint64_t DiskUsage(const std::string& dir) {
  uint64_t bytes = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir, ec)) {
    struct stat st;
    if (entry.is_regular_file(ec) && ::stat(entry.path().c_str(), &st) == 0) {
      bytes += static_cast<uint64_t>(st.st_blocks) * 512;
    }
  }
  return bytes;
}

// Latencies of timed operations, in nanoseconds.
class Latencies {
 public:
  void Add(Clock::duration d) {
    ns_.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count());
  }
  bool empty() const { return ns_.empty(); }
  // The q-quantile in microseconds (sorts in place).
  double QuantileUs(double q) {
    if (ns_.empty()) return 0;
    const size_t k = std::min(ns_.size() - 1, static_cast<size_t>(q * ns_.size()));
    std::nth_element(ns_.begin(), ns_.begin() + k, ns_.end());
    return ns_[k] / 1000.0;
  }

 private:
  std::vector<int64_t> ns_;
};

struct Result {
  std::string engine, workload;
  uint64_t ops = 0;
  double seconds = 0;
  double p50_us = 0, p99_us = 0;  // of single-put commits, 0 if none
  uint64_t disk_bytes = 0;        // database after the workload
  uint64_t written_bytes = 0;     // dirtied by the process during it
  uint64_t device_bytes = 0;      // written to the device during it
  uint64_t data_bytes = 0;        // keys and values it wrote
  double cpu_seconds = 0;         // the process's CPU time (user + system), all threads
  double caller_cpu_seconds = 0;  // the CPU time of the thread that ran the workload
  double caller_cpu_us_per_op() const { return 1e6 * caller_cpu_seconds / std::max<uint64_t>(ops, 1); }
};
std::vector<Result>& Results() {
  static std::vector<Result> r;
  return r;
}

// What a workload returns: its operation count, commit latencies and the
// key and value bytes it wrote.
struct Work {
  uint64_t ops = 0;
  Latencies commits;
  uint64_t data_bytes = 0;
};
Work Ops(uint64_t ops, uint64_t data_bytes = 0) {
  Work w;
  w.ops = ops;
  w.data_bytes = data_bytes;
  return w;
}

// CPU seconds (user + system) of the process (RUSAGE_SELF) or of the
// calling thread (RUSAGE_THREAD). Beside wall-clock rates, which this
// shared 2-core machine spreads by +-30% from run to run, the CPU time an
// operation costs varies far less: it is the figure to compare two
// builds by when the rates overlap.
double CpuSeconds(int who) {
  rusage u{};
  getrusage(who, &u);
  auto secs = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return secs(u.ru_utime) + secs(u.ru_stime);
}

// Times fn (which returns a Work), then records a Result with the disk
// usage of dir.
template <typename Fn>
void Measure(const std::string& engine, const std::string& workload, const std::string& dir,
             Fn fn) {
  const uint64_t written_before = ProcessWriteBytes();
  const uint64_t device_before = DeviceWriteBytes(BenchDir());
  const double cpu_before = CpuSeconds(RUSAGE_SELF);
  const double caller_cpu_before = CpuSeconds(RUSAGE_THREAD);
  const Clock::time_point start = Clock::now();
  Work work = fn();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  Result r;
  r.engine = engine;
  r.workload = workload;
  r.ops = work.ops;
  r.seconds = seconds;
  r.p50_us = work.commits.QuantileUs(0.50);
  r.p99_us = work.commits.QuantileUs(0.99);
  r.disk_bytes = dir.empty() ? 0 : DiskUsage(dir);
  r.written_bytes = ProcessWriteBytes() - written_before;
  r.device_bytes = DeviceWriteBytes(BenchDir()) - device_before;
  r.data_bytes = work.data_bytes;
  r.cpu_seconds = CpuSeconds(RUSAGE_SELF) - cpu_before;
  r.caller_cpu_seconds = CpuSeconds(RUSAGE_THREAD) - caller_cpu_before;
  std::fprintf(stderr,
               "%-12s %-16s %10.0f ops/s  disk %8.1f MiB  dirtied %8.1f MiB  device %8.1f MiB"
               "  cpu %6.2f s  caller %7.3f us/op\n",
               engine.c_str(), workload.c_str(), r.ops / seconds, r.disk_bytes / 1048576.0,
               r.written_bytes / 1048576.0, r.device_bytes / 1048576.0, r.cpu_seconds,
               r.caller_cpu_us_per_op());
  Results().push_back(std::move(r));
}

class EngineRun {
 public:
  EngineRun(std::string name, BenchEngineFactory factory)
      : name_(std::move(name)), factory_(std::move(factory)) {}

  // A new, empty database named `what`, in dir_.
  std::unique_ptr<BenchEngine> Fresh(const std::string& what, bool sync) {
    dir_ = BenchDir() + "/" + what + "_" + name_;
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    std::unique_ptr<BenchEngine> engine = factory_();
    CheckOk(engine->Open(dir_, sync), "open");
    return engine;
  }
  // The database in dir_ again, after Close.
  std::unique_ptr<BenchEngine> Reopen() {
    std::unique_ptr<BenchEngine> engine = factory_();
    CheckOk(engine->Open(dir_, false), "reopen");
    return engine;
  }
  const std::string& dir() const { return dir_; }
  const std::string& name() const { return name_; }

  template <typename Fn>
  void Measure(const std::string& workload, Fn fn) {
    if (!Wanted(workload)) return;
    laura::Measure(name_, workload, dir_, fn);
  }

  // --only: the workloads listed, and those the others need (the loads
  // and closes) whatever it says.
  static bool Wanted(const std::string& workload) {
    const auto& only = flags().only;
    if (only.empty() || workload == "fillrandom" || workload == "ycsb_load" ||
        workload == "cold_fillseq" || workload.find("close") != std::string::npos) {
      return true;
    }
    return std::find(only.begin(), only.end(), workload) != only.end();
  }

 private:
  std::string name_;
  BenchEngineFactory factory_;
  std::string dir_;
};

uint64_t Num() { return flags().num; }
uint64_t Passes() { return flags().passes; }

// Puts records order(0..n) with value_size-byte values in batches of kBatch.
template <typename Order>
Work Fill(BenchEngine& engine, uint64_t n, size_t value_size, uint64_t salt, Order order) {
  std::string key_bytes(kBatch * 16, '\0');  // HexKey's buffer is reused
  std::vector<KeyValue> batch;
  batch.reserve(kBatch);
  for (uint64_t i = 0; i < n; ++i) {
    char* key = key_bytes.data() + 16 * batch.size();
    HexKey(order(i)).copy(key, 16);
    batch.push_back({absl::string_view(key, 16), Value(i + salt, value_size)});
    if (batch.size() == kBatch || i + 1 == n) {
      CheckOk(engine.PutBatch(0, batch), "write");
      batch.clear();
    }
  }
  return Ops(n, n * (16 + value_size));
}

Work ReadRandom(BenchEngine& engine, int threads) {
  const auto& order = Permutation(Num());
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&engine, &order, t, threads] {
      std::string value;
      uint64_t i = static_cast<uint64_t>(t) * 104729;
      for (uint64_t k = 0; k < Num() / threads * Passes(); ++k) {
        CheckOk(engine.Get(t, HexKey(order[(i++ * 7919) % Num()]), &value), "get");
      }
    });
  }
  for (auto& w : workers) w.join();
  return Ops(Num() / threads * threads * Passes());
}

// One durable single-put commit per operation, on `threads` threads.
Work FillSync(BenchEngine& engine, int threads) {
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&engine, t, threads] {
      uint64_t i = static_cast<uint64_t>(t) << 40;
      for (int k = 0; k < kSyncCommits / threads; ++k) {
        CheckOk(engine.Put(t, HexKey(i), Value(i, kSmallValue)), "put");
        ++i;
      }
    });
  }
  for (auto& w : workers) w.join();
  const uint64_t ops = kSyncCommits / threads * threads;
  return Ops(ops, ops * (16 + kSmallValue));
}

// A 4 KiB pwrite + fdatasync per operation into a preallocated file.
Work BareWriteSync(const std::string& dir) {
  const std::string path = dir + "/bare_sync";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || ::posix_fallocate(fd, 0, 64 << 20) != 0) CheckOk(absl::InternalError(path), "open");
  ::fdatasync(fd);
  std::string block(4096, 'b');
  for (int i = 0; i < kSyncCommits; ++i) {
    const off_t offset = (static_cast<off_t>(i) * 4096) % (64 << 20);
    if (::pwrite(fd, block.data(), block.size(), offset) != 4096 || ::fdatasync(fd) != 0) {
      CheckOk(absl::InternalError("bare write"), "write");
    }
  }
  ::close(fd);
  std::filesystem::remove(path);
  return Ops(kSyncCommits);
}

// Drops the page cache of every file under dir (clean pages only: call
// after the engine closed and synced), so the next reads come from disk.
void DropCache(const std::string& dir) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir, ec)) {
    if (!entry.is_regular_file(ec)) continue;
    const int fd = ::open(entry.path().c_str(), O_RDONLY);
    if (fd < 0) continue;
    ::fdatasync(fd);
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    ::close(fd);
  }
}

// Group "coldread": --num keys (100-byte values) filled in key order, the
// engine closed and the files dropped from the page cache, then --reads
// gets of random keys on a reopened database. Run inside a memory limit
// smaller than the file (scripts/bench-small-memory.sh) it measures reads
// of a database larger than the memory left to it.
void RunColdRead(EngineRun& run) {
  const uint64_t n = Num();
  auto engine = run.Fresh("cold", false);
  run.Measure("cold_fillseq", [&] { return Fill(*engine, n, kSmallValue, 0, [](uint64_t i) { return i; }); });
  CheckOk(engine->Close(), "close");
  engine.reset();
  DropCache(run.dir());
  engine = run.Reopen();
  run.Measure("cold_readrandom", [&] {
    std::mt19937_64 rng(20261207);
    std::string value;
    for (uint64_t i = 0; i < flags().reads; ++i) CheckOk(engine->Get(0, HexKey(rng() % n), &value), "get");
    return Ops(flags().reads);
  });
  CheckOk(engine->Close(), "close");
  std::filesystem::remove_all(run.dir());
}

// 70% gets, 30% single-put commits of random present keys.
Work Mixed(BenchEngine& engine, const std::vector<uint64_t>& order, uint64_t n) {
  Work w;
  std::string value;
  for (uint64_t i = 0; i < n; ++i) {
    const absl::string_view key = HexKey(order[(i * 7919) % n]);
    if (i % 10 < 7) {
      CheckOk(engine.Get(0, key, &value), "get");
    } else {
      const Clock::time_point t = Clock::now();
      CheckOk(engine.Put(0, key, Value(i, kSmallValue)), "put");
      w.commits.Add(Clock::now() - t);
      w.data_bytes += 16 + kSmallValue;
    }
  }
  w.ops = n;
  return w;
}

// The reader process of mixed70_30_reader: this program again, with
// --reader_child=DB; returns once it has read its first key.
pid_t StartReaderProcess(const std::string& db) {
  const std::string ready = db + ".reader-ready";
  std::filesystem::remove(ready);
  const pid_t pid = ::fork();
  if (pid == 0) {
    const std::string num = absl::StrFormat("--num=%d", Num());
    const std::string child = "--reader_child=" + db;
    ::execl("/proc/self/exe", "db_bench", num.c_str(), child.c_str(), nullptr);
    ::_exit(127);
  }
  while (!std::filesystem::exists(ready)) {
    int status;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      std::fprintf(stderr, "db_bench: the reader process ended before reading\n");
      std::exit(1);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return pid;
}

void StopReaderProcess(pid_t pid, const std::string& db) {
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  std::ifstream count(db + ".reader-gets");
  uint64_t gets = 0;
  double seconds = 0;
  count >> gets >> seconds;
  std::fprintf(stderr, "  reader process: %llu gets in %.2f s (%.0f /s)\n",
               static_cast<unsigned long long>(gets), seconds, seconds > 0 ? gets / seconds : 0.0);
}

std::atomic<bool> reader_child_stop{false};

// --reader_child: random gets on the database, read-only beside its writer,
// until SIGTERM; then writes "GETS SECONDS" to DB.reader-gets.
int RunReaderChild(const std::string& path) {
  ::signal(SIGTERM, [](int) { reader_child_stop.store(true); });
  Options o;
  o.read_only = true;
  absl::StatusOr<std::unique_ptr<DB>> db = DB::Open(o, path);
  CheckOk(db.status(), "reader open");
  std::mt19937_64 rng(20261207);
  std::string value;
  uint64_t gets = 0;
  const Clock::time_point start = Clock::now();
  while (!reader_child_stop.load()) {
    CheckOk((*db)->Get(HexKey(rng() % Num()), &value), "reader get");
    if (++gets == 1) std::ofstream(path + ".reader-ready") << "";
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::ofstream(path + ".reader-gets") << gets << " " << seconds;
  CheckOk((*db)->Close(), "reader close");
  return 0;
}

void RunSmall(EngineRun& run) {
  const uint64_t n = Num();
  Permutation(n);
  {
    auto engine = run.Fresh("fillseq", false);
    run.Measure("fillseq", [&] { return Fill(*engine, n, kSmallValue, 0, [](uint64_t i) { return i; }); });
    CheckOk(engine->Close(), "close");
    std::filesystem::remove_all(run.dir());
  }
  auto engine = run.Fresh("small", false);
  const auto& order = Permutation(n);
  run.Measure("fillrandom", [&] {
    return Fill(*engine, n, kSmallValue, 0, [&](uint64_t i) { return order[i]; });
  });
  run.Measure("overwrite", [&] {
    return Fill(*engine, n, kSmallValue, n, [&](uint64_t i) { return order[(i * 7919) % n]; });
  });
  run.Measure("readrandom", [&] { return ReadRandom(*engine, 1); });
  run.Measure("readrandom2", [&] { return ReadRandom(*engine, 2); });
  if (run.name().rfind("laura", 0) == 0) {
    // The same gets as readrandom, through views, 1000 per read transaction.
    run.Measure("readrandom_view", [&] {
      std::vector<std::string> keys;
      for (uint64_t pass = 0; pass < Passes(); ++pass) {
        for (uint64_t i = 0; i < n; i += kBatch) {
          keys.clear();
          for (uint64_t k = i; k < std::min(n, i + kBatch); ++k) {
            keys.emplace_back(HexKey(order[(k * 7919) % n]));
          }
          CheckOk(engine->GetMany(keys).status(), "get");
        }
      }
      return Ops(n * Passes());
    });
  }
  run.Measure("readseq", [&] {
    uint64_t entries = 0;
    for (uint64_t pass = 0; pass < Passes(); ++pass) {
      absl::StatusOr<uint64_t> bytes = engine->ScanAll();
      CheckOk(bytes.status(), "scan");
      entries += *bytes / (16 + kSmallValue);
    }
    return Ops(entries);
  });
  run.Measure("seekrandom", [&] {
    const uint64_t seeks = std::max<uint64_t>(1, n / 10) * Passes();
    for (uint64_t i = 0; i < seeks; ++i) {
      CheckOk(engine->SeekAndRead(0, HexKey(order[(i * 7919) % n]), 100).status(), "seek");
    }
    return Ops(seeks);
  });
  run.Measure("mixed70_30", [&] { return Mixed(*engine, order, n); });
  if (run.name().rfind("laura", 0) == 0) {
    // The same mix while another process reads the database (read-only,
    // following this writer: btree/shared_registry.h): the writer then
    // writes each commit's pages to the file before publishing it.
    run.Measure("mixed70_30_reader", [&] {
      const pid_t reader = StartReaderProcess(run.dir() + "/db");
      Work w = Mixed(*engine, order, n);
      StopReaderProcess(reader, run.dir() + "/db");
      return w;
    });
  }
  run.Measure("close", [&] {
    CheckOk(engine->Close(), "close");
    return Ops(1);
  });
  std::filesystem::remove_all(run.dir());
  for (int threads : {1, 4}) {
    auto sync_engine = run.Fresh("sync", true);
    run.Measure(absl::StrFormat("fillsync%d", threads), [&] { return FillSync(*sync_engine, threads); });
    CheckOk(sync_engine->Close(), "close");
    std::filesystem::remove_all(run.dir());
  }
}

// Copies file `from` to a new file `to` and fdatasyncs it (a backup's
// floor: every byte read and written once).
void CopyFileSynced(const std::string& from, const std::string& to) {
  const int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  const int out = ::open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (in < 0 || out < 0) CheckOk(absl::InternalError("cp: cannot open " + from + " or " + to), "cp");
  std::string buffer(1 << 20, '\0');
  for (;;) {
    const ssize_t n = ::read(in, buffer.data(), buffer.size());
    if (n <= 0) break;
    if (::write(out, buffer.data(), n) != n) CheckOk(absl::InternalError("cp: short write"), "cp");
  }
  ::fdatasync(out);
  ::close(in);
  ::close(out);
}

// A thread that overwrites random keys of [0, n) until destroyed.
class BackgroundWriter {
 public:
  BackgroundWriter(BenchEngine& engine, uint64_t n) {
    thread_ = std::thread([this, &engine, n] {
      const auto& order = Permutation(n);
      for (uint64_t i = 0; !stop_.load(); ++i) {
        CheckOk(engine.Put(1, HexKey(order[(i * 7919) % n]), Value(i, kSmallValue)), "put");
      }
    });
  }
  ~BackgroundWriter() {
    stop_.store(true);
    thread_.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

void RunSpace(EngineRun& run) {
  if (run.name().rfind("laura", 0) != 0) return;
  const uint64_t n = Num();
  const auto& order = Permutation(n);
  auto engine = run.Fresh("space", false);
  run.Measure("fillrandom", [&] {
    return Fill(*engine, n, kSmallValue, 0, [&](uint64_t i) { return order[i]; });
  });
  run.Measure("deletehalf", [&] {
    std::vector<std::string> keys;
    std::vector<absl::string_view> views;
    for (uint64_t i = 0; i < n; i += 2 * kBatch) {
      keys.clear();
      for (uint64_t k = i; k < std::min(n, i + 2 * kBatch); k += 2) keys.emplace_back(HexKey(k));
      views.assign(keys.begin(), keys.end());
      CheckOk(engine->DeleteBatch(views), "delete");
    }
    return Ops((n + 1) / 2);
  });
  std::fprintf(stderr, "  space before compact: %s\n", engine->SpaceReport().c_str());
  run.Measure("compact", [&] {
    CheckOk(engine->Compact(), "compact");
    return Ops(1);
  });
  std::fprintf(stderr, "  space after compact: %s\n", engine->SpaceReport().c_str());
  const std::string backups = run.dir() + "_backups";
  std::filesystem::remove_all(backups);
  std::filesystem::create_directories(backups);
  {
    BackgroundWriter writer(*engine, n);
    const Clock::time_point start = Clock::now();
    Measure(run.name(), "cp", backups + "/cp", [&] {
      std::filesystem::create_directories(backups + "/cp");
      CopyFileSynced(run.dir() + "/db/data.ldb", backups + "/cp/data.ldb");
      return Ops(1);
    });
    std::fprintf(stderr, "  cp of the data file: %.2f s\n",
                 std::chrono::duration<double>(Clock::now() - start).count());
    for (const bool compact : {false, true}) {
      const std::string target = backups + (compact ? "/packed" : "/copy");
      const Clock::time_point start = Clock::now();
      Measure(run.name(), compact ? "backup_compact" : "backup", target, [&] {
        CheckOk(engine->Backup(target, compact), "backup");
        return Ops(1);
      });
      std::fprintf(stderr, "  %s: %.2f s\n", compact ? "backup_compact" : "backup",
                   std::chrono::duration<double>(Clock::now() - start).count());
    }
  }
  run.Measure("close", [&] {
    CheckOk(engine->Close(), "close");
    return Ops(1);
  });
  std::filesystem::remove_all(backups);
  std::filesystem::remove_all(run.dir());
}

// YCSB-style single-operation workloads over `engine`'s n records.
struct YcsbMix {
  const char* name;
  int read_percent;  // the rest: updates (or the workload's own operation)
  enum Kind { kReadUpdate, kReadModifyWrite, kScan } kind;
};

Work RunYcsbMix(BenchEngine& engine, const YcsbMix& mix, KeyDistribution dist,
                const ZipfianRanks& zipf, uint64_t salt) {
  const uint64_t n = Num();
  KeyChooser keys(dist, n, &zipf, 20261207 + salt);
  std::mt19937_64 coin(salt);
  Work w;
  std::string value;
  for (uint64_t i = 0; i < n; ++i) {
    const absl::string_view key = HexKey(keys.Next());
    if (mix.kind == YcsbMix::kScan) {
      CheckOk(engine.SeekAndRead(0, key, 10).status(), "scan");
      continue;
    }
    if (mix.kind == YcsbMix::kReadUpdate && static_cast<int>(coin() % 100) < mix.read_percent) {
      CheckOk(engine.Get(0, key, &value), "get");
      continue;
    }
    const Clock::time_point t = Clock::now();
    if (mix.kind == YcsbMix::kReadModifyWrite) CheckOk(engine.Get(0, key, &value), "get");
    CheckOk(engine.Put(0, key, Value(salt + i, kLargeValue)), "put");
    w.commits.Add(Clock::now() - t);
    w.data_bytes += 16 + kLargeValue;
  }
  w.ops = n;
  return w;
}

void RunYcsb(EngineRun& run) {
  const uint64_t n = Num();
  const auto& order = Permutation(n);
  static const ZipfianRanks zipf(n);
  auto engine = run.Fresh("ycsb", false);
  run.Measure("ycsb_load", [&] {
    return Fill(*engine, n, kLargeValue, 0, [&](uint64_t i) { return order[i]; });
  });
  const YcsbMix mixes[] = {{"a", 50, YcsbMix::kReadUpdate},
                           {"b", 95, YcsbMix::kReadUpdate},
                           {"f", 0, YcsbMix::kReadModifyWrite},
                           {"e", 0, YcsbMix::kScan}};
  uint64_t salt = n;
  for (KeyDistribution dist : {KeyDistribution::kUniform, KeyDistribution::kZipfian}) {
    for (const YcsbMix& mix : mixes) {
      const std::string name = absl::StrFormat(
          "ycsb_%s_%s", mix.name, dist == KeyDistribution::kUniform ? "uniform" : "zipfian");
      run.Measure(name, [&] { return RunYcsbMix(*engine, mix, dist, zipf, salt); });
      salt += n;
    }
  }
  run.Measure("ycsb_close", [&] {
    CheckOk(engine->Close(), "close");
    return Ops(1);
  });
  std::filesystem::remove_all(run.dir());
}

double Mib(uint64_t bytes) { return bytes / 1048576.0; }

void Report() {
  std::printf("\n| engine | workload | ops | ops/s | commit p50 us | commit p99 us | disk MiB after "
              "| dirtied MiB | device MiB | device / data | cpu s | caller cpu us/op |\n"
              "|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (const Result& r : Results()) {
    std::printf("| %s | %s | %llu | %.0f | %s | %s | %.1f | %.1f | %.1f | %s | %.2f | %.3f |\n",
                r.engine.c_str(),
                r.workload.c_str(), static_cast<unsigned long long>(r.ops), r.ops / r.seconds,
                r.p50_us > 0 ? absl::StrFormat("%.1f", r.p50_us).c_str() : "",
                r.p99_us > 0 ? absl::StrFormat("%.1f", r.p99_us).c_str() : "", Mib(r.disk_bytes),
                Mib(r.written_bytes), Mib(r.device_bytes),
                r.data_bytes > 0
                    ? absl::StrFormat("%.2f", static_cast<double>(r.device_bytes) / r.data_bytes)
                          .c_str()
                    : "",
                r.cpu_seconds, r.caller_cpu_us_per_op());
  }
  // Throughput by workload and engine, and laura-mmap against the best peer.
  std::vector<std::string> engines, workloads;
  std::map<std::pair<std::string, std::string>, double> rate;
  for (const Result& r : Results()) {
    if (std::find(engines.begin(), engines.end(), r.engine) == engines.end()) engines.push_back(r.engine);
    if (r.workload.find("close") != std::string::npos) continue;
    if (std::find(workloads.begin(), workloads.end(), r.workload) == workloads.end()) {
      workloads.push_back(r.workload);
    }
    rate[{r.workload, r.engine}] = r.ops / r.seconds;
  }
  std::printf("\n| workload (k ops/s) |");
  for (const auto& e : engines) std::printf(" %s |", e.c_str());
  std::printf(" mmap / best peer | mmap / pread |\n|---|");
  for (size_t i = 0; i < engines.size() + 2; ++i) std::printf("---|");
  std::printf("\n");
  for (const auto& w : workloads) {
    std::printf("| %s |", w.c_str());
    double best_peer = 0;
    for (const auto& e : engines) {
      auto it = rate.find({w, e});
      if (it == rate.end()) {
        std::printf(" |");
        continue;
      }
      std::printf(" %.1f |", it->second / 1000);
      if (e.rfind("laura", 0) != 0) best_peer = std::max(best_peer, it->second);
    }
    auto mmap = rate.find({w, "laura-mmap"});
    auto pread = rate.find({w, "laura-pread"});
    if (mmap != rate.end() && best_peer > 0) {
      std::printf(" %.2fx |", mmap->second / best_peer);
    } else {
      std::printf(" |");
    }
    if (mmap != rate.end() && pread != rate.end()) {
      std::printf(" %.2fx |\n", mmap->second / pread->second);
    } else {
      std::printf(" |\n");
    }
  }
}

bool ParseFlags(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const size_t eq = arg.find('=');
    const std::string name = arg.substr(0, eq);
    const std::string value = eq == std::string::npos ? "" : arg.substr(eq + 1);
    if (name == "--num") {
      char* end = nullptr;
      flags().num = std::strtoull(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0' || flags().num < 10) {
        std::fprintf(stderr, "--num wants a count of at least 10, not '%s'\n", value.c_str());
        return false;
      }
    } else if (name == "--reads") {
      flags().reads = std::strtoull(value.c_str(), nullptr, 10);
      if (flags().reads == 0) {
        std::fprintf(stderr, "--reads wants a positive count, not '%s'\n", value.c_str());
        return false;
      }
    } else if (name == "--passes") {
      char* end = nullptr;
      flags().passes = std::strtoull(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0' || flags().passes == 0) {
        std::fprintf(stderr, "--passes wants a positive count, not '%s'\n", value.c_str());
        return false;
      }
    } else if (name == "--engines") {
      flags().engines = absl::StrSplit(value, ',', absl::SkipEmpty());
    } else if (name == "--only") {
      flags().only = absl::StrSplit(value, ',', absl::SkipEmpty());
    } else if (name == "--groups") {
      flags().groups = absl::StrSplit(value, ',', absl::SkipEmpty());
    } else if (name == "--dir") {
      flags().dir = value;
    } else if (name == "--reader_child") {
      flags().reader_child = value;
    } else if (name == "--pinned_budget" || name == "--checkpoint_log_bytes") {
      char* end = nullptr;
      const uint64_t bytes = std::strtoull(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0') {
        std::fprintf(stderr, "%s wants a byte count, not '%s'\n", name.c_str(), value.c_str());
        return false;
      }
      (name == "--pinned_budget" ? LauraPinnedBudget() : LauraCheckpointLogBytes()) = bytes;
    } else {
      std::fprintf(stderr,
                   "usage: db_bench [--num=N (1000000)] [--engines=NAME,...] "
                   "[--groups=small,ycsb,space,coldread] [--only=WORKLOAD,...] "
                   "[--reads=N (100000)] [--passes=N (1)] [--pinned_budget=BYTES] "
                   "[--checkpoint_log_bytes=BYTES] "
                   "[--dir=DIR]\nengines:");
      for (const auto& [engine, factory] : BenchEngines()) std::fprintf(stderr, " %s", engine.c_str());
      std::fprintf(stderr, "\n");
      if (name == "--help") std::exit(0);
      return false;
    }
  }
  if (!flags().dir.empty()) ::setenv("LAURA_BENCH_DIR", flags().dir.c_str(), 1);
  return true;
}

int Main(int argc, char** argv) {
  if (!ParseFlags(argc, argv)) return 2;
  if (!flags().reader_child.empty()) return RunReaderChild(flags().reader_child);
  for (const std::string& group : flags().groups) {
    if (group != "small" && group != "ycsb" && group != "space" && group != "coldread") {
      std::fprintf(stderr, "unknown group '%s' (small, ycsb, space, coldread)\n", group.c_str());
      return 2;
    }
  }
  auto wanted = [](const std::string& name) {
    const auto& e = flags().engines;
    return e.empty() || std::find(e.begin(), e.end(), name) != e.end();
  };
  for (const std::string& name : flags().engines) {
    bool known = false;
    for (const auto& [engine, factory] : BenchEngines()) known |= engine == name;
    if (!known) {
      std::fprintf(stderr, "engine '%s' is not built in (see --help)\n", name.c_str());
      return 2;
    }
  }
  std::fprintf(stderr, "db_bench: %llu operations per workload, files in %s\n",
               static_cast<unsigned long long>(Num()), BenchDir().c_str());
  const bool small = std::find(flags().groups.begin(), flags().groups.end(), "small") !=
                     flags().groups.end();
  if (small && EngineRun::Wanted("fillsync_bare")) {
    Measure("floor", "fillsync_bare", "", [] { return BareWriteSync(BenchDir()); });
  }
  for (const auto& [name, factory] : BenchEngines()) {
    if (!wanted(name)) continue;
    EngineRun run(name, factory);
    for (const std::string& group : flags().groups) {
      if (group == "small") RunSmall(run);
      if (group == "ycsb") RunYcsb(run);
      if (group == "space") RunSpace(run);
      if (group == "coldread") RunColdRead(run);
    }
  }
  Report();
  return 0;
}

}  // namespace
}  // namespace laura

int main(int argc, char** argv) { return laura::Main(argc, argv); }
