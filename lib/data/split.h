// Train/validation/test splits of a wafer set, stratified by label vector: by pattern type for
// MixedWM38, by class for a single-label set (data::label_groups).
//
// The real file is stored in blocks by type, so a split must be shuffled; stratifying keeps every
// type, including the 149-map Near_Full, in every part at its overall share.
#pragma once

#include <cstdint>
#include <vector>

#include "data/wafer_set.h"

namespace wdc::data {

struct Split {
  std::vector<int64_t> train, val, test;
};

// Each group of data::label_groups (for MixedWM38 the 38 pattern types plus one stratum for
// label vectors that are none of them; for single-label sets each class) is shuffled and cut
// independently: round(n * val_fraction) maps to val, round(n * test_fraction) to test, the rest to
// train, so each part holds every type's share to within half a map. Parts are disjoint and
// together cover [0, count). Membership is random and fixed by `seed` on every platform
// (std::mt19937_64 and our own Fisher–Yates); each part is returned in ascending index order, so a
// subset keeps the file's order and the trainer shuffles per epoch. DataError when a fraction is
// outside [0, 1] or val_fraction + test_fraction > 1.
Split stratified_split(const WaferSet& set, double val_fraction = 0.1, double test_fraction = 0.1,
                       uint64_t seed = 0);

// The fold, 0 to folds - 1, of each map for k-fold cross-validation, stratified as
// stratified_split: each label group is shuffled, and the groups' maps, one group after another,
// are dealt to the folds in turn, so that every fold holds each group's share to within one map
// and the folds' sizes differ by at most one. Fixed by `seed` on every platform. DataError when
// folds < 2 or folds > the number of maps.
std::vector<int32_t> stratified_folds(const WaferSet& set, int32_t folds, uint64_t seed = 0);

}  // namespace wdc::data
