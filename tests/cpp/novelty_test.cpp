// lib/search/novelty: the threshold that flags a share of calibration scores, the seeded sample
// of training maps the bank keeps, and the k-th-nearest score on vectors whose similarities are
// known by construction.
#include "search/novelty.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <vector>

#include "base/error.h"

namespace {

using wdc::search::bank_rows;
using wdc::search::calibrated_threshold;
using wdc::search::make_novelty;
using wdc::search::novelty_scores;

std::vector<float> one_to(int n) {
  std::vector<float> v(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) v[i] = static_cast<float>(i + 1);
  return v;
}

int above(const std::vector<float>& scores, float threshold) {
  return static_cast<int>(
      std::count_if(scores.begin(), scores.end(), [&](float s) { return s > threshold; }));
}

TEST(Novelty, ThresholdFlagsAtMostTheShare) {
  std::vector<float> scores = one_to(1000);
  std::reverse(scores.begin(), scores.end());  // order does not matter
  // 0.01 * 1000 is 10 in exact arithmetic, 10.000000000000002 in doubles: still 10 maps.
  EXPECT_EQ(calibrated_threshold(scores, 0.01), 990.0f);
  EXPECT_EQ(above(scores, 990.0f), 10);
  EXPECT_EQ(calibrated_threshold(one_to(200), 0.05), 190.0f);
  EXPECT_EQ(calibrated_threshold(one_to(7), 0.1), 7.0f);  // floor(0.7) = 0 flagged: the maximum
  EXPECT_EQ(calibrated_threshold(one_to(7), 0.0), 7.0f);
  EXPECT_EQ(calibrated_threshold({5.0f}, 0.5), 5.0f);
  // Ties at the threshold flag fewer, never more.
  const std::vector<float> ties = {1, 2, 3, 3, 3, 3};
  const float t = calibrated_threshold(ties, 0.34);  // floor(2.04) = 2
  EXPECT_EQ(t, 3.0f);
  EXPECT_LE(above(ties, t), 2);
}

TEST(Novelty, ThresholdRefusesNoScoresAndSharesOutsideTheRange) {
  EXPECT_THROW(calibrated_threshold({}, 0.01), wdc::Error);
  EXPECT_THROW(calibrated_threshold(one_to(10), -0.1), wdc::Error);
  EXPECT_THROW(calibrated_threshold(one_to(10), 1.0), wdc::Error);
  EXPECT_THROW(calibrated_threshold(one_to(10), std::nan("")), wdc::Error);
}

TEST(Novelty, BankRowsAreAllOrASeededSortedSample) {
  const std::vector<int64_t> all = bank_rows(5, 2, 10, 0);
  EXPECT_EQ(all, (std::vector<int64_t>{0, 1, 2, 3, 4}));
  const std::vector<int64_t> a = bank_rows(1000, 5, 100, 7);
  ASSERT_EQ(a.size(), 100u);
  EXPECT_TRUE(std::is_sorted(a.begin(), a.end()));
  EXPECT_EQ(std::set<int64_t>(a.begin(), a.end()).size(), 100u);
  EXPECT_GE(a.front(), 0);
  EXPECT_LT(a.back(), 1000);
  EXPECT_EQ(bank_rows(1000, 5, 100, 7), a);  // the seed fixes the sample
  EXPECT_NE(bank_rows(1000, 5, 100, 8), a);
  EXPECT_THROW(bank_rows(3, 5, 100, 0), wdc::Error);  // fewer maps than k
  EXPECT_THROW(bank_rows(10, 5, 4, 0), wdc::Error);   // a bank smaller than k
  EXPECT_THROW(bank_rows(10, 0, 4, 0), wdc::Error);
}

// A bank of the unit vectors e0, e1, e2 and (e0 + e1) / sqrt(2): every similarity is known.
TEST(Novelty, ScoreIsOneMinusTheKthLargestSimilarity) {
  const float h = static_cast<float>(1 / std::sqrt(2.0));
  const std::vector<float> bank = {1, 0, 0, 0, 1, 0, 0, 0, 1, h, h, 0};
  const std::vector<float> queries = {1,  0, 0,   // sims 1, 0, 0, h
                                      0,  0, 1,   // sims 0, 0, 1, 0
                                      -1, 0, 0};  // sims -1, 0, 0, -h
  wdc::search::Novelty n = make_novelty(bank, 4, 3, 1);
  std::vector<float> s = novelty_scores(n, queries.data(), 3);
  EXPECT_NEAR(s[0], 0, 1e-6);
  EXPECT_NEAR(s[1], 0, 1e-6);
  EXPECT_NEAR(s[2], 1, 1e-6);  // the nearest is at similarity 0
  n = make_novelty(bank, 4, 3, 2);
  s = novelty_scores(n, queries.data(), 3);
  EXPECT_NEAR(s[0], 1 - h, 1e-6);
  EXPECT_NEAR(s[1], 1, 1e-6);
  EXPECT_NEAR(s[2], 1, 1e-6);
  n = make_novelty(bank, 4, 3, 4);
  s = novelty_scores(n, queries.data(), 3);
  EXPECT_NEAR(s[2], 2, 1e-6);  // the farthest of all: similarity -1
  EXPECT_TRUE(novelty_scores(n, queries.data(), 0).empty());
  EXPECT_THROW(make_novelty(bank, 4, 3, 5), wdc::Error);  // k beyond the bank
  EXPECT_THROW(make_novelty(bank, 3, 3, 1), wdc::Error);  // values for 4 maps, said 3
}

}  // namespace
