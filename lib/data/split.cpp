#include "data/split.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "data/data_error.h"
#include "data/rng.h"

namespace wdc::data {

Split stratified_split(const WaferSet& set, double val_fraction, double test_fraction,
                       uint64_t seed) {
  const bool fractions_ok = val_fraction >= 0 && val_fraction <= 1 && test_fraction >= 0 &&
                            test_fraction <= 1 && val_fraction + test_fraction <= 1;
  if (!fractions_ok)
    fail("stratified_split", "invalid fractions val=" + std::to_string(val_fraction) +
                                 " test=" + std::to_string(test_fraction));
  set.validate("stratified_split");
  std::vector<std::vector<int64_t>> strata = label_groups(set);

  Split split;
  Rng rng(seed);
  for (auto& members : strata) {
    rng.shuffle(members);
    const double n = static_cast<double>(members.size());
    const auto n_val = static_cast<size_t>(std::llround(n * val_fraction));
    // Both rounded up at .5 could overshoot by one when the fractions sum to 1.
    const auto n_test =
        std::min(static_cast<size_t>(std::llround(n * test_fraction)), members.size() - n_val);
    const auto val_end = members.begin() + static_cast<std::ptrdiff_t>(n_val);
    const auto test_end = val_end + static_cast<std::ptrdiff_t>(n_test);
    split.val.insert(split.val.end(), members.begin(), val_end);
    split.test.insert(split.test.end(), val_end, test_end);
    split.train.insert(split.train.end(), test_end, members.end());
  }
  std::sort(split.train.begin(), split.train.end());
  std::sort(split.val.begin(), split.val.end());
  std::sort(split.test.begin(), split.test.end());
  return split;
}

std::vector<int32_t> stratified_folds(const WaferSet& set, int32_t folds, uint64_t seed) {
  if (folds < 2 || folds > set.count)
    fail("stratified_folds", std::to_string(folds) + " folds of " + std::to_string(set.count) +
                                 " maps: between 2 and the number of maps");
  set.validate("stratified_folds");
  std::vector<int32_t> fold_of(static_cast<size_t>(set.count));
  Rng rng(seed);
  int64_t dealt =
      0;  // carried from group to group: a group's extra maps start where the last left off
  for (auto& members : label_groups(set)) {
    rng.shuffle(members);
    for (int64_t i : members)
      fold_of[static_cast<size_t>(i)] = static_cast<int32_t>(dealt++ % folds);
  }
  return fold_of;
}

}  // namespace wdc::data
