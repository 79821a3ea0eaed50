// A portable pseudo-random source for splits and synthetic maps.
//
// std::mt19937_64's output sequence is fixed by the C++ standard, but std::uniform_*_distribution
// and std::shuffle are not: libstdc++, libc++ and MSVC give different results for the same seed.
// Everything seeded in wdc::data draws through this class so that a seed means the same split and
// the same synthetic maps on every platform.
#pragma once

#include <cstdint>
#include <random>
#include <utility>
#include <vector>

namespace wdc::data {

class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}

  uint64_t next() { return engine_(); }

  // Uniform in [0, n) for n >= 1, unbiased (rejection of the incomplete top bucket).
  uint64_t below(uint64_t n) {
    if (n <= 1) return 0;
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;  // multiple of n
    uint64_t x;
    do {
      x = next();
    } while (x >= limit);
    return x % n;
  }

  // Uniform integer in [lo, hi], lo <= hi.
  int64_t range(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(below(static_cast<uint64_t>(hi - lo) + 1));
  }

  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  bool bernoulli(double p) { return uniform() < p; }

  // Fisher–Yates, drawing through below() so the permutation is portable.
  template <class T>
  void shuffle(std::vector<T>& v) {
    for (size_t i = v.size(); i > 1; --i) {
      const size_t j = static_cast<size_t>(below(i));
      std::swap(v[i - 1], v[j]);
    }
  }

 private:
  std::mt19937_64 engine_;
};

// SplitMix64 finaliser: turns (seed, index) into well-separated seeds, so that item i of a
// generated set does not depend on how many items were asked for.
inline uint64_t mix_seed(uint64_t seed, uint64_t index) {
  uint64_t z = seed + 0x9E3779B97F4A7C15ull * (index + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace wdc::data
