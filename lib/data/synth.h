// Synthetic MixedWM38-like wafer maps, for tests, benchmarks and demos that must run without the
// real data. They follow the shapes described for the real maps (docs/mixedwm38.md) closely enough
// to train and sanity-check a classifier, not to stand in for the real data in reported numbers.
//
// Everything is drawn through wdc::data::Rng from (seed, map index): the same seed gives the same
// maps on every platform, and map i does not depend on how many maps were requested.
#pragma once

#include <cstdint>

#include "data/wafer_set.h"

namespace wdc::data {

inline constexpr int64_t kSynthSize = 52;
// The disc shared by most real maps: (r - 26)^2 + (c - 26)^2 <= 654, 0-indexed, 2061 dies.
inline constexpr int64_t kWaferCenter = 26;
inline constexpr int64_t kWaferRadius2 = 654;
inline constexpr int64_t kWaferDies = 2061;

inline constexpr bool on_standard_wafer(int64_t r, int64_t c) {
  return (r - kWaferCenter) * (r - kWaferCenter) + (c - kWaferCenter) * (c - kWaferCenter) <=
         kWaferRadius2;
}

// `count` 52x52 maps whose pattern types are drawn in the full dataset's proportions
// (kPatternTypes[t].count / 38015).
WaferSet synthesize(int64_t count, uint64_t seed);

// `count` 52x52 maps of pattern type `type` (0..37, i.e. "C<type+1>"); DataError otherwise.
WaferSet synthesize_type(int type, uint64_t seed, int64_t count = 1);

}  // namespace wdc::data
