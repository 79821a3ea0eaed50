// Stratified train/val/test splits.
#include "data/split.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "test_util.h"

namespace wdc::data {
namespace {

using test::data_error_of;

// 1x1 maps; type t appears 5 + 13 * t times, interleaved, plus 7 maps whose label vector is none
// of the 38 types.
WaferSet labelled_set(std::vector<int64_t>* per_type) {
  per_type->assign(kNumPatternTypes + 1, 0);
  WaferSet set;
  set.height = set.width = 1;
  std::vector<int> order;
  for (int t = 0; t < kNumPatternTypes; ++t)
    for (int k = 0; k < 5 + 13 * t; ++k) order.push_back(t);
  for (int k = 0; k < 7; ++k) order.push_back(-1);
  std::rotate(order.begin(), order.begin() + 101, order.end());  // not sorted by type
  for (int t : order) {
    if (t >= 0) {
      const auto& l = kPatternTypes[static_cast<size_t>(t)].labels;
      set.labels.insert(set.labels.end(), l.begin(), l.end());
    } else {
      const uint8_t bad[kNumLabels] = {1, 1, 0, 0, 0, 0, 0, 1};
      set.labels.insert(set.labels.end(), bad, bad + kNumLabels);
    }
    set.maps.push_back(kPass);
    ++(*per_type)[static_cast<size_t>(t < 0 ? kNumPatternTypes : t)];
  }
  set.count = static_cast<int64_t>(order.size());
  return set;
}

std::vector<int64_t> count_types(const WaferSet& set, const std::vector<int64_t>& part) {
  std::vector<int64_t> n(kNumPatternTypes + 1, 0);
  for (int64_t i : part) {
    const int t = set.pattern_type(i);
    ++n[static_cast<size_t>(t < 0 ? kNumPatternTypes : t)];
  }
  return n;
}

TEST(StratifiedSplit, EachTypeKeepsItsShareInEveryPart) {
  std::vector<int64_t> per_type;
  const WaferSet set = labelled_set(&per_type);
  for (auto [val, test] : {std::pair{0.1, 0.1}, std::pair{0.15, 0.25}, std::pair{0.0, 0.3}}) {
    const Split split = stratified_split(set, val, test, 5);
    const auto n_val = count_types(set, split.val);
    const auto n_test = count_types(set, split.test);
    const auto n_train = count_types(set, split.train);
    for (size_t t = 0; t < per_type.size(); ++t) {
      SCOPED_TRACE(t);
      const double n = static_cast<double>(per_type[t]);
      EXPECT_LE(std::fabs(static_cast<double>(n_val[t]) - n * val), 1.0);
      EXPECT_LE(std::fabs(static_cast<double>(n_test[t]) - n * test), 1.0);
      EXPECT_LE(std::fabs(static_cast<double>(n_train[t]) - n * (1 - val - test)), 1.0);
    }
  }
}

TEST(StratifiedSplit, PartsAreSortedDisjointAndCoverEverything) {
  std::vector<int64_t> per_type;
  const WaferSet set = labelled_set(&per_type);
  const Split split = stratified_split(set, 0.1, 0.1, 1);
  std::vector<int64_t> all;
  for (const auto* part : {&split.train, &split.val, &split.test}) {
    EXPECT_TRUE(std::is_sorted(part->begin(), part->end()));
    all.insert(all.end(), part->begin(), part->end());
  }
  std::sort(all.begin(), all.end());
  std::vector<int64_t> expected(static_cast<size_t>(set.count));
  std::iota(expected.begin(), expected.end(), 0);
  EXPECT_EQ(all, expected);
}

TEST(StratifiedSplit, ReproducibleForASeedAndDifferentAcrossSeeds) {
  std::vector<int64_t> per_type;
  const WaferSet set = labelled_set(&per_type);
  const Split a = stratified_split(set, 0.1, 0.1, 123);
  const Split b = stratified_split(set, 0.1, 0.1, 123);
  const Split c = stratified_split(set, 0.1, 0.1, 124);
  EXPECT_EQ(a.train, b.train);
  EXPECT_EQ(a.val, b.val);
  EXPECT_EQ(a.test, b.test);
  EXPECT_NE(a.val, c.val);
  EXPECT_NE(a.test, c.test);
}

TEST(StratifiedSplit, PortableAcrossStandardLibraries) {
  // Pinned output: this must not change with the compiler or standard library (own Fisher-Yates
  // over std::mt19937_64, whose sequence the standard fixes). Update only on purpose.
  std::vector<int64_t> per_type;
  const WaferSet set = labelled_set(&per_type);
  const Split split = stratified_split(set, 0.1, 0.1, 2024);
  const std::vector<int64_t> first_val(split.val.begin(), split.val.begin() + 5);
  const std::vector<int64_t> first_test(split.test.begin(), split.test.begin() + 5);
  EXPECT_EQ(first_val, (std::vector<int64_t>{10, 34, 40, 44, 46}));
  EXPECT_EQ(first_test, (std::vector<int64_t>{9, 24, 33, 45, 52}));
}

TEST(StratifiedSplit, EdgeFractionsAndErrors) {
  std::vector<int64_t> per_type;
  const WaferSet set = labelled_set(&per_type);
  const Split none = stratified_split(set, 0, 0, 3);
  EXPECT_EQ(none.train.size(), static_cast<size_t>(set.count));
  const Split halves = stratified_split(set, 0.5, 0.5, 3);
  EXPECT_TRUE(halves.train.empty());
  EXPECT_EQ(halves.val.size() + halves.test.size(), static_cast<size_t>(set.count));
  const double nan = std::nan("");
  for (const auto& [val, test] : {std::pair{-0.1, 0.1}, std::pair{0.6, 0.5}, std::pair{nan, 0.1}}) {
    const double v = val, t = test;  // structured bindings cannot be captured in C++17
    EXPECT_NE(data_error_of([&] { stratified_split(set, v, t, 0); }).find("invalid fractions"),
              std::string::npos);
  }
  EXPECT_TRUE(stratified_split(WaferSet{}, 0.1, 0.1, 0).train.empty());
}

TEST(StratifiedFolds, EachTypeIsDealtEvenlyAndFoldSizesDifferByAtMostOne) {
  std::vector<int64_t> per_type;
  const WaferSet set = labelled_set(&per_type);
  for (int32_t folds : {2, 5, 7}) {
    const std::vector<int32_t> fold_of = stratified_folds(set, folds, 9);
    ASSERT_EQ(fold_of.size(), static_cast<size_t>(set.count));
    std::vector<int64_t> sizes(static_cast<size_t>(folds), 0);
    // per_fold[t][k]: maps of type t in fold k.
    std::vector<std::vector<int64_t>> per_fold(per_type.size(), sizes);
    for (int64_t i = 0; i < set.count; ++i) {
      const int32_t k = fold_of[static_cast<size_t>(i)];
      ASSERT_GE(k, 0);
      ASSERT_LT(k, folds);
      ++sizes[static_cast<size_t>(k)];
      const int t = set.pattern_type(i);
      ++per_fold[static_cast<size_t>(t < 0 ? kNumPatternTypes : t)][static_cast<size_t>(k)];
    }
    const auto [small, large] = std::minmax_element(sizes.begin(), sizes.end());
    EXPECT_LE(*large - *small, 1) << folds << " folds";
    for (size_t t = 0; t < per_type.size(); ++t) {
      const auto [fewest, most] = std::minmax_element(per_fold[t].begin(), per_fold[t].end());
      EXPECT_LE(*most - *fewest, 1) << "type " << t << ", " << folds << " folds";
      EXPECT_EQ(std::accumulate(per_fold[t].begin(), per_fold[t].end(), int64_t{0}), per_type[t]);
    }
  }
}

TEST(StratifiedFolds, ReproducibleForASeedAndDifferentAcrossSeeds) {
  std::vector<int64_t> per_type;
  const WaferSet set = labelled_set(&per_type);
  EXPECT_EQ(stratified_folds(set, 5, 1), stratified_folds(set, 5, 1));
  EXPECT_NE(stratified_folds(set, 5, 1), stratified_folds(set, 5, 2));
}

TEST(StratifiedFolds, RefusesFewerThanTwoFoldsOrMoreFoldsThanMaps) {
  std::vector<int64_t> per_type;
  const WaferSet set = labelled_set(&per_type);
  for (int32_t folds : {-1, 0, 1, static_cast<int32_t>(set.count + 1)})
    EXPECT_NE(data_error_of([&] { stratified_folds(set, folds, 0); }).find("folds"),
              std::string::npos);
  EXPECT_EQ(stratified_folds(set, static_cast<int32_t>(set.count), 0).size(),
            static_cast<size_t>(set.count));
}

}  // namespace
}  // namespace wdc::data
