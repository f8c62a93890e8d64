// import_bench: the import figure of bench/README.md. Writes a sorted TSV
// file of N records (16-byte keys, 100-byte values; default 10,000,000)
// once, then in one run times, each as its own process with its peak
// resident memory taken from the kernel:
//   laura import (mmap and pread disk managers) into an empty database;
//   LMDB loading the same file as `mdb_load -a` does (MDB_APPEND cursor
//     puts, a synced commit every 100 records), and the same in one
//     transaction (LMDB's best case). Debian 12's mdb_load (0.9.24)
//     predates -a, so its loop is reproduced here over liblmdb
//     (built only when liblmdb is found).
// Each figure is the median of 3 runs (1 for the slow batched LMDB load),
// each run after a sync(). Prints records per second and the ratios
// against the LMDB loads.
//
// Usage: import_bench [--records N] [--keep]   (files in $LAURA_BENCH_DIR)
//        import_bench --lmdb-load FILE DBPATH BATCH   (the child mode)
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "bench/bench_util.h"

#ifdef LAURA_HAVE_LMDB
#include <lmdb.h>
#endif

namespace laura {
namespace {

constexpr size_t kValueSize = 100;

// Key i is HexKey(i); value i is 100 letters from a fixed-seed generator.
void WriteSortedTsv(const std::string& path, uint64_t records) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) {
    std::perror(path.c_str());
    std::exit(1);
  }
  std::vector<char> buffer(1 << 20);
  std::setvbuf(f, buffer.data(), _IOFBF, buffer.size());
  uint64_t state = 20261125;
  char line[16 + 1 + kValueSize + 1];
  for (uint64_t i = 0; i < records; ++i) {
    std::memcpy(line, HexKey(i).data(), 16);
    line[16] = '\t';
    for (size_t j = 0; j < kValueSize; ++j) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      line[17 + j] = static_cast<char>('a' + (state >> 59) % 26);
    }
    line[sizeof line - 1] = '\n';
    std::fwrite(line, 1, sizeof line, f);
  }
  if (std::fclose(f) != 0) {
    std::perror(path.c_str());
    std::exit(1);
  }
}

struct RunResult {
  double seconds = 0;
  long max_rss_kib = 0;
};

// Runs argv to completion, its output discarded; exits the benchmark if
// it fails. First writes back what earlier runs left dirty, so no run pays
// for another's writes.
RunResult RunOnce(const std::vector<std::string>& argv) {
  ::sync();
  std::fflush(nullptr);  // or the child writes out our buffered output again
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  if (pid == 0) {
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    std::freopen("/dev/null", "w", stdout);
    std::freopen("/dev/null", "w", stderr);
    ::execv(args[0], args.data());
    std::perror("execv");
    ::_exit(127);
  }
  int status = 0;
  struct rusage usage = {};
  ::wait4(pid, &status, 0, &usage);
  RunResult result;
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result.max_rss_kib = usage.ru_maxrss;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "benchmark failed: %s exited with status %d\n", argv[0].c_str(), status);
    std::exit(1);
  }
  return result;
}

// The run with the median time of `times` runs, each on a fresh target
// made by fresh().
template <typename Fresh>
RunResult Run(int times, Fresh fresh, const std::vector<std::string>& argv) {
  std::vector<RunResult> runs;
  for (int i = 0; i < times; ++i) {
    fresh();
    runs.push_back(RunOnce(argv));
  }
  std::sort(runs.begin(), runs.end(),
            [](const RunResult& a, const RunResult& b) { return a.seconds < b.seconds; });
  return runs[runs.size() / 2];
}

#ifdef LAURA_HAVE_LMDB
void CheckLmdb(int rc, const char* what) {
  if (rc != 0) {
    std::fprintf(stderr, "lmdb: %s: %s\n", what, mdb_strerror(rc));
    std::exit(1);
  }
}

// The child mode: loads a key TAB value file into a new LMDB file with
// MDB_APPEND, committing (synced, LMDB's default) every `batch` records
// (0: one transaction).
int LmdbLoad(const std::string& input, const std::string& db_path, uint64_t batch) {
  MDB_env* env;
  CheckLmdb(mdb_env_create(&env), "env_create");
  CheckLmdb(mdb_env_set_mapsize(env, size_t{64} << 30), "set_mapsize");
  CheckLmdb(mdb_env_open(env, db_path.c_str(), MDB_NOSUBDIR, 0644), "env_open");
  MDB_txn* txn;
  MDB_dbi dbi;
  MDB_cursor* cursor;
  CheckLmdb(mdb_txn_begin(env, nullptr, 0, &txn), "txn_begin");
  CheckLmdb(mdb_dbi_open(txn, nullptr, 0, &dbi), "dbi_open");
  CheckLmdb(mdb_cursor_open(txn, dbi, &cursor), "cursor_open");
  std::FILE* f = std::fopen(input.c_str(), "r");
  if (f == nullptr) {
    std::perror(input.c_str());
    return 1;
  }
  char* line = nullptr;
  size_t capacity = 0;
  ssize_t length;
  uint64_t in_batch = 0;
  while ((length = ::getline(&line, &capacity, f)) > 0) {
    char* tab = static_cast<char*>(std::memchr(line, '\t', length));
    if (tab == nullptr) {
      std::fprintf(stderr, "lmdb load: a line without a tab\n");
      return 1;
    }
    MDB_val key{static_cast<size_t>(tab - line), line};
    MDB_val value{static_cast<size_t>(line + length - 1 - (tab + 1)), tab + 1};
    CheckLmdb(mdb_cursor_put(cursor, &key, &value, MDB_APPEND), "cursor_put");
    if (batch != 0 && ++in_batch == batch) {
      CheckLmdb(mdb_txn_commit(txn), "txn_commit");
      CheckLmdb(mdb_txn_begin(env, nullptr, 0, &txn), "txn_begin");
      CheckLmdb(mdb_cursor_open(txn, dbi, &cursor), "cursor_open");
      in_batch = 0;
    }
  }
  std::free(line);
  std::fclose(f);
  CheckLmdb(mdb_txn_commit(txn), "txn_commit");
  mdb_env_close(env);
  return 0;
}
#endif

std::string SelfPath() { return std::filesystem::read_symlink("/proc/self/exe").string(); }

void Report(const char* name, uint64_t records, const RunResult& r, double baseline_rate) {
  const double rate = records / r.seconds;
  std::printf("%-34s %8.2f s %10.0f rec/s %8.1f MiB peak RSS", name, r.seconds, rate,
              r.max_rss_kib / 1024.0);
  if (baseline_rate > 0) std::printf("   laura(mmap) is %.2fx", baseline_rate / rate);
  std::printf("\n");
}

int Main(int argc, char** argv) {
#ifdef LAURA_HAVE_LMDB
  if (argc == 5 && std::strcmp(argv[1], "--lmdb-load") == 0) {
    return LmdbLoad(argv[2], argv[3], std::strtoull(argv[4], nullptr, 10));
  }
#endif
  uint64_t records = 10'000'000;
  bool keep = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--records") == 0 && i + 1 < argc) {
      records = std::strtoull(argv[++i], nullptr, 10);
    } else if (std::strcmp(argv[i], "--keep") == 0) {
      keep = true;
    } else {
      std::fprintf(stderr, "usage: import_bench [--records N] [--keep]\n");
      return 2;
    }
  }
  const std::string dir = BenchDir() + "/import";
  std::filesystem::create_directories(dir);
  const std::string input = dir + "/sorted_" + std::to_string(records) + ".tsv";
  if (!std::filesystem::exists(input)) {
    std::printf("writing %s\n", input.c_str());
    WriteSortedTsv(input, records);
  }
  std::printf("%llu sorted records, 16-byte keys, 100-byte values, %.1f MiB of TSV\n",
              static_cast<unsigned long long>(records),
              std::filesystem::file_size(input) / 1048576.0);

  auto path = [&](const char* name) { return dir + "/" + name; };
  auto fresh = [&](const char* name) {
    return [&, name] {
      std::filesystem::remove_all(path(name));
      std::filesystem::remove_all(path(name) + "-lock");
    };
  };
  const std::string laura = LAURA_BINARY;
  const RunResult mmap = Run(3, fresh("laura_mmap"),
                             {laura, "import", "--quiet", "--mmap", path("laura_mmap"), input});
  Report("laura import --mmap", records, mmap, 0);
  const RunResult pread = Run(3, fresh("laura_pread"),
                              {laura, "import", "--quiet", "--pread", path("laura_pread"), input});
  Report("laura import --pread", records, pread, 0);
  const double laura_rate = records / mmap.seconds;
#ifdef LAURA_HAVE_LMDB
  const std::string self = SelfPath();
  const RunResult lmdb_one = Run(3, fresh("lmdb_one.mdb"),
                                 {self, "--lmdb-load", input, path("lmdb_one.mdb"), "0"});
  Report("lmdb append, one transaction", records, lmdb_one, laura_rate);
  // About 14x slower than the rest: one run.
  const RunResult lmdb_batched = Run(1, fresh("lmdb_batched.mdb"),
                                     {self, "--lmdb-load", input, path("lmdb_batched.mdb"), "100"});
  Report("lmdb append, commit per 100 (-a)", records, lmdb_batched, laura_rate);
#else
  std::printf("(liblmdb not found at build time: no LMDB comparison)\n");
#endif
  if (!keep) {
    for (const char* name : {"laura_mmap", "laura_pread", "lmdb_batched.mdb", "lmdb_one.mdb"}) {
      fresh(name)();
    }
  }
  return 0;
}

}  // namespace
}  // namespace laura

int main(int argc, char** argv) { return laura::Main(argc, argv); }
