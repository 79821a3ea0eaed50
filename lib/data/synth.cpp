#include "data/synth.h"

#include <algorithm>
#include <string>

#include "data/data_error.h"
#include "data/rng.h"
#include "data/synth_patterns.h"

namespace wdc::data {
namespace {

// Seeds of synthesize_type differ from synthesize's, so a typed set is not a reshuffle of the
// mixed one's maps.
constexpr uint64_t kTypedSeedSalt = 0x5EED0F7E5A1Dull;

void draw_map(int type, Rng& rng, uint8_t* cells) {
  detail::Canvas canvas{cells};
  const auto& labels = kPatternTypes[static_cast<size_t>(type)].labels;
  if (labels[kNearFull] || labels[kRandom]) {
    // In the data both only ever occur alone.
    detail::draw_block_map(
        canvas, rng,
        labels[kNearFull] ? detail::near_full_fail_rate(rng) : detail::random_fail_rate(rng));
    return;
  }
  detail::draw_standard_wafer(canvas);
  const bool normal = type == 0;
  detail::add_background(
      canvas, rng,
      normal ? detail::normal_background_rate(rng) : detail::patterned_background_rate(rng));
  if (labels[kCenter]) detail::add_center(canvas, rng);
  if (labels[kDonut]) detail::add_donut(canvas, rng);
  if (labels[kEdgeRing]) detail::add_edge_ring(canvas, rng);
  if (labels[kEdgeLoc]) detail::add_edge_loc(canvas, rng);
  if (labels[kLoc]) detail::add_loc(canvas, rng);
  if (labels[kScratch]) detail::add_scratch(canvas, rng);
}

int draw_type(Rng& rng) {
  int64_t total = 0;
  for (const auto& t : kPatternTypes) total += t.count;
  int64_t u = static_cast<int64_t>(rng.below(static_cast<uint64_t>(total)));
  for (int t = 0; t < kNumPatternTypes; ++t) {
    u -= kPatternTypes[static_cast<size_t>(t)].count;
    if (u < 0) return t;
  }
  return kNumPatternTypes - 1;  // unreachable: u < total
}

WaferSet empty_set(int64_t count) {
  if (count < 0 || count > INT64_MAX / (kSynthSize * kSynthSize))
    fail("synthesize", "invalid count " + std::to_string(count));
  WaferSet set;
  set.count = count;
  set.height = set.width = kSynthSize;
  set.maps.resize(static_cast<size_t>(count * kSynthSize * kSynthSize));
  set.labels.resize(static_cast<size_t>(count * kNumLabels));
  return set;
}

void set_labels(WaferSet& set, int64_t i, int type) {
  const auto& labels = kPatternTypes[static_cast<size_t>(type)].labels;
  std::copy(labels.begin(), labels.end(), set.label(i));
}

}  // namespace

WaferSet synthesize(int64_t count, uint64_t seed) {
  WaferSet set = empty_set(count);
  for (int64_t i = 0; i < count; ++i) {
    Rng rng(mix_seed(seed, static_cast<uint64_t>(i)));
    const int type = draw_type(rng);
    draw_map(type, rng, set.map(i));
    set_labels(set, i, type);
  }
  return set;
}

WaferSet synthesize_type(int type, uint64_t seed, int64_t count) {
  if (type < 0 || type >= kNumPatternTypes)
    fail("synthesize_type", "pattern type " + std::to_string(type) + " is not in 0..37");
  WaferSet set = empty_set(count);
  for (int64_t i = 0; i < count; ++i) {
    Rng rng(mix_seed(seed ^ kTypedSeedSalt, static_cast<uint64_t>(i)));
    draw_map(type, rng, set.map(i));
    set_labels(set, i, type);
  }
  return set;
}

}  // namespace wdc::data
