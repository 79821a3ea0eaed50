// The portable random source behind splits and synthetic maps.
#include "data/rng.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

namespace wdc::data {
namespace {

TEST(Rng, EngineIsTheStandardMt19937_64) {
  // The C++ standard fixes the 10000th output of a default-seeded mt19937_64.
  Rng rng(5489u);
  uint64_t v = 0;
  for (int i = 0; i < 10000; ++i) v = rng.next();
  EXPECT_EQ(v, 9981545732273789042ull);
}

TEST(Rng, PinnedDrawsDoNotDependOnTheStandardLibrary) {
  Rng rng(1);
  std::vector<uint64_t> below;
  for (int i = 0; i < 8; ++i) below.push_back(rng.below(10));
  // Values cross-checked with an independent Python mt19937_64 + the same Fisher-Yates.
  EXPECT_EQ(below, (std::vector<uint64_t>{8, 2, 0, 6, 4, 9, 8, 5}));
  std::vector<int> v(8);
  std::iota(v.begin(), v.end(), 0);
  Rng(2).shuffle(v);
  EXPECT_EQ(v, (std::vector<int>{7, 5, 2, 0, 3, 1, 6, 4}));
}

TEST(Rng, RangesAndUniformity) {
  Rng rng(3);
  std::vector<int> hist(7, 0);
  for (int i = 0; i < 70000; ++i) {
    const int64_t x = rng.range(-3, 3);
    ASSERT_GE(x, -3);
    ASSERT_LE(x, 3);
    ++hist[static_cast<size_t>(x + 3)];
    const double u = rng.uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
  }
  for (int h : hist) EXPECT_NEAR(h, 10000, 500);
  EXPECT_EQ(rng.below(1), 0u);
  EXPECT_EQ(rng.below(0), 0u);
}

TEST(Rng, ShuffleIsAPermutation) {
  std::vector<int> v(100);
  std::iota(v.begin(), v.end(), 0);
  Rng rng(4);
  rng.shuffle(v);
  EXPECT_FALSE(std::is_sorted(v.begin(), v.end()));
  std::sort(v.begin(), v.end());
  for (int i = 0; i < 100; ++i) EXPECT_EQ(v[static_cast<size_t>(i)], i);
}

TEST(Rng, MixedSeedsDiffer) {
  EXPECT_NE(mix_seed(1, 0), mix_seed(1, 1));
  EXPECT_NE(mix_seed(1, 0), mix_seed(2, 0));
  EXPECT_EQ(mix_seed(7, 3), mix_seed(7, 3));
}

}  // namespace
}  // namespace wdc::data
