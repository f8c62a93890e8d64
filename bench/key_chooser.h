// Key choice for db_bench's workloads: uniform over n records, or
// zipfian (theta 0.99, the hot keys scattered over the key space by a hash,
// as YCSB's "scrambled zipfian" does), each from a fixed seed.
#ifndef LAURA_BENCH_KEY_CHOOSER_H_
#define LAURA_BENCH_KEY_CHOOSER_H_

#include <cmath>
#include <cstdint>
#include <random>

namespace laura {

enum class KeyDistribution { kUniform, kZipfian };

// Zipfian over [0, n) after Gray et al., "Quickly generating billion-record
// synthetic databases" (the generator YCSB uses). Rank 0 is the hottest.
class ZipfianRanks {
 public:
  explicit ZipfianRanks(uint64_t n, double theta = 0.99) : n_(n), theta_(theta) {
    double zeta_n = 0;
    for (uint64_t i = 1; i <= n; ++i) zeta_n += 1.0 / std::pow(static_cast<double>(i), theta);
    const double zeta_2 = 1.0 + 1.0 / std::pow(2.0, theta);
    zeta_n_ = zeta_n;
    alpha_ = 1.0 / (1.0 - theta);
    eta_ = (1.0 - std::pow(2.0 / static_cast<double>(n), 1.0 - theta)) / (1.0 - zeta_2 / zeta_n);
    half_pow_theta_ = std::pow(0.5, theta);
  }

  // The rank for a uniform u in [0, 1).
  uint64_t Rank(double u) const {
    const double uz = u * zeta_n_;
    if (uz < 1.0) return 0;
    if (uz < 1.0 + half_pow_theta_) return 1;
    const auto r = static_cast<uint64_t>(static_cast<double>(n_) *
                                         std::pow(eta_ * u - eta_ + 1.0, alpha_));
    return r < n_ ? r : n_ - 1;
  }

 private:
  uint64_t n_;
  double theta_;
  double zeta_n_;
  double alpha_;
  double eta_;
  double half_pow_theta_;
};

// Record numbers in [0, n) from a fixed seed, uniform or zipfian.
class KeyChooser {
 public:
  KeyChooser(KeyDistribution dist, uint64_t n, const ZipfianRanks* zipf, uint64_t seed)
      : dist_(dist), n_(n), zipf_(zipf), rng_(seed) {}

  uint64_t Next() {
    if (dist_ == KeyDistribution::kUniform) return rng_() % n_;
    const double u = static_cast<double>(rng_() >> 11) * 0x1.0p-53;
    return Scatter(zipf_->Rank(u));
  }

 private:
  // FNV-1a of the rank's bytes, so hot records are not neighbours.
  uint64_t Scatter(uint64_t rank) const {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (int i = 0; i < 8; ++i, rank >>= 8) h = (h ^ (rank & 0xff)) * 0x100000001b3ULL;
    return h % n_;
  }

  KeyDistribution dist_;
  uint64_t n_;
  const ZipfianRanks* zipf_;
  std::mt19937_64 rng_;
};

}  // namespace laura

#endif  // LAURA_BENCH_KEY_CHOOSER_H_
