// Helpers the benchmark binaries share: where their files go, failing
// loudly, the 16-byte keys and the fixed-seed key order.
#ifndef LAURA_BENCH_BENCH_UTIL_H_
#define LAURA_BENCH_BENCH_UTIL_H_

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace laura {

// $LAURA_BENCH_DIR (default /tmp/laura_bench), created if missing.
inline std::string BenchDir() {
  const char* dir = std::getenv("LAURA_BENCH_DIR");
  std::string path = dir ? dir : "/tmp/laura_bench";
  std::filesystem::create_directories(path);
  return path;
}

// Exits the benchmark with the message if s is not OK.
inline void CheckOk(const absl::Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "benchmark failed: %s: %s\n", what, s.ToString().c_str());
    std::exit(1);
  }
}

// Key i: 16 bytes, the big-endian hex of i, so numeric and key order
// agree. Written into a per-thread buffer (16 bytes do not fit the
// small-string buffer, and the allocation would be the benchmark's).
inline absl::string_view HexKey(uint64_t i) {
  static constexpr char kHex[] = "0123456789abcdef";
  thread_local char key[16];
  for (int d = 15; d >= 0; --d, i >>= 4) key[d] = kHex[i & 15];
  return absl::string_view(key, 16);
}

// 0 .. n-1 in a fixed random order (seed 20261124), built once per
// process. REQUIRES: the same n on every call.
inline const std::vector<uint64_t>& Permutation(uint64_t n) {
  static const std::vector<uint64_t> p = [n] {
    std::vector<uint64_t> v(n);
    for (uint64_t i = 0; i < n; ++i) v[i] = i;
    std::shuffle(v.begin(), v.end(), std::mt19937_64(20261124));
    return v;
  }();
  return p;
}

}  // namespace laura

#endif  // LAURA_BENCH_BENCH_UTIL_H_
