// The synthetic MixedWM38-like generator: footprint, value ranges, type mix, and that each
// base pattern puts its failed dies where the dataset description says.
#include "data/synth.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>

#include "data/synth_patterns.h"
#include "test_util.h"

namespace wdc::data {
namespace {

constexpr int kNearFullType = 6, kRandomType = 8;

bool is_block_type(int t) { return t == kNearFullType || t == kRandomType; }

double distance_from_center(int64_t r, int64_t c) {
  return std::hypot(static_cast<double>(r - kWaferCenter), static_cast<double>(c - kWaferCenter));
}

int64_t on_wafer_count(const uint8_t* map) {
  return std::count_if(map, map + kSynthSize * kSynthSize, [](uint8_t v) { return v != kOff; });
}

double fail_fraction(const uint8_t* map) {
  const auto fails = std::count(map, map + kSynthSize * kSynthSize, kFail);
  return static_cast<double>(fails) / static_cast<double>(on_wafer_count(map));
}

// Fail rate over all maps of `set` among on-wafer dies where region(r, c) holds.
double region_fail_rate(const WaferSet& set, const std::function<bool(int64_t, int64_t)>& region) {
  int64_t dies = 0, fails = 0;
  for (int64_t i = 0; i < set.count; ++i)
    for (int64_t r = 0; r < kSynthSize; ++r)
      for (int64_t c = 0; c < kSynthSize; ++c) {
        const uint8_t v = set.map(i)[r * kSynthSize + c];
        if (v == kOff || !region(r, c)) continue;
        ++dies;
        fails += v == kFail;
      }
  return dies == 0 ? 0.0 : static_cast<double>(fails) / static_cast<double>(dies);
}

// Longest extent (max of height, width of the bounding box) of an 8-connected group of fails.
int64_t longest_fail_cluster(const uint8_t* map) {
  std::vector<uint8_t> seen(kSynthSize * kSynthSize, 0);
  int64_t best = 0;
  for (int64_t start = 0; start < kSynthSize * kSynthSize; ++start) {
    if (map[start] != kFail || seen[static_cast<size_t>(start)]) continue;
    std::vector<int64_t> stack = {start};
    seen[static_cast<size_t>(start)] = 1;
    int64_t r0 = kSynthSize, r1 = -1, c0 = kSynthSize, c1 = -1;
    while (!stack.empty()) {
      const int64_t p = stack.back();
      stack.pop_back();
      const int64_t r = p / kSynthSize, c = p % kSynthSize;
      r0 = std::min(r0, r), r1 = std::max(r1, r), c0 = std::min(c0, c), c1 = std::max(c1, c);
      for (int64_t dr = -1; dr <= 1; ++dr)
        for (int64_t dc = -1; dc <= 1; ++dc) {
          const int64_t rr = r + dr, cc = c + dc, q = rr * kSynthSize + cc;
          if (rr < 0 || rr >= kSynthSize || cc < 0 || cc >= kSynthSize) continue;
          if (map[q] != kFail || seen[static_cast<size_t>(q)]) continue;
          seen[static_cast<size_t>(q)] = 1;
          stack.push_back(q);
        }
    }
    best = std::max(best, std::max(r1 - r0, c1 - c0) + 1);
  }
  return best;
}

TEST(Synth, StandardWaferHas2061Dies) {
  int64_t n = 0;
  for (int64_t r = 0; r < kSynthSize; ++r)
    for (int64_t c = 0; c < kSynthSize; ++c) n += on_standard_wafer(r, c);
  EXPECT_EQ(n, kWaferDies);
  EXPECT_FALSE(on_standard_wafer(0, 26));  // row 0 and column 0 stay empty
  EXPECT_FALSE(on_standard_wafer(26, 0));
  EXPECT_TRUE(on_standard_wafer(1, 26));
}

TEST(Synth, FootprintValuesAndLabels) {
  const WaferSet set = synthesize(2000, 3);
  ASSERT_EQ(set.count, 2000);
  ASSERT_EQ(set.height, 52);
  ASSERT_EQ(set.width, 52);
  set.validate("synthesize");  // sizes, values in {0, 1, 2}, labels 0/1
  for (int64_t i = 0; i < set.count; ++i) {
    const int t = set.pattern_type(i);
    ASSERT_GE(t, 0) << "map " << i;
    const uint8_t* m = set.map(i);
    if (is_block_type(t)) {
      // Upscaled look of the real Near_Full/Random maps: larger footprint, 2x2 blocks.
      const int64_t on = on_wafer_count(m);
      EXPECT_GE(on, 2082);
      EXPECT_LE(on, 2151);
      for (int64_t r = 0; r < kSynthSize; r += 2)
        for (int64_t c = 0; c < kSynthSize; c += 2) {
          const uint8_t v = m[r * kSynthSize + c];
          ASSERT_EQ(m[r * kSynthSize + c + 1], v);
          ASSERT_EQ(m[(r + 1) * kSynthSize + c], v);
          ASSERT_EQ(m[(r + 1) * kSynthSize + c + 1], v);
        }
      continue;
    }
    for (int64_t r = 0; r < kSynthSize; ++r)
      for (int64_t c = 0; c < kSynthSize; ++c)
        ASSERT_EQ(m[r * kSynthSize + c] != kOff, on_standard_wafer(r, c))
            << i << " " << r << " " << c;
  }
}

TEST(Synth, TypeProportionsFollowTheDataset) {
  const int64_t n = 20000;
  const WaferSet set = synthesize(n, 11);
  std::vector<int64_t> count(kNumPatternTypes, 0);
  for (int64_t i = 0; i < n; ++i) ++count[static_cast<size_t>(set.pattern_type(i))];
  for (int t = 0; t < kNumPatternTypes; ++t) {
    const double p = static_cast<double>(kPatternTypes[static_cast<size_t>(t)].count) / 38015.0;
    const double mean = p * static_cast<double>(n), sigma = std::sqrt(mean * (1 - p));
    EXPECT_NEAR(static_cast<double>(count[static_cast<size_t>(t)]), mean, 5 * sigma)
        << kPatternTypes[static_cast<size_t>(t)].id;
  }
  EXPECT_GT(count[23], count[0] * 3 / 2);  // C24 is twice as common
  EXPECT_LT(count[6] * 4, count[0]);       // Near_Full is rare
}

TEST(Synth, FailFractionsOfRandomAndNearFull) {
  for (auto [type, target] : {std::pair{kRandomType, 0.47}, std::pair{kNearFullType, 0.87}}) {
    const WaferSet set = synthesize_type(type, 5, 300);
    double sum = 0;
    for (int64_t i = 0; i < set.count; ++i) sum += fail_fraction(set.map(i));
    EXPECT_NEAR(sum / static_cast<double>(set.count), target, 0.05) << "type " << type;
  }
}

TEST(Synth, BackgroundAndOverallFailFractions) {
  const WaferSet normal = synthesize_type(0, 6, 300);
  for (int64_t i = 0; i < normal.count; ++i) {
    EXPECT_GE(fail_fraction(normal.map(i)), 0.0);
    EXPECT_LE(fail_fraction(normal.map(i)), 0.2);
  }
  EXPECT_NEAR(region_fail_rate(normal, [](int64_t, int64_t) { return true; }), 0.08, 0.02);
  // The real data's mean fail fraction is about 0.32.
  const WaferSet mixed = synthesize(3000, 6);
  double sum = 0;
  for (int64_t i = 0; i < mixed.count; ++i) sum += fail_fraction(mixed.map(i));
  EXPECT_NEAR(sum / static_cast<double>(mixed.count), 0.32, 0.04);
}

TEST(Synth, CenterFailsConcentrateInTheMiddle) {
  const WaferSet set = synthesize_type(1, 7, 300);
  const double inside =
      region_fail_rate(set, [](int64_t r, int64_t c) { return distance_from_center(r, c) <= 3; });
  const double outside =
      region_fail_rate(set, [](int64_t r, int64_t c) { return distance_from_center(r, c) >= 10; });
  EXPECT_GT(inside, 0.8);
  EXPECT_LT(outside, 0.25);
}

TEST(Synth, DonutHasACleanHoleInsideAFailedRing) {
  const WaferSet set = synthesize_type(2, 8, 300);
  const double hole =
      region_fail_rate(set, [](int64_t r, int64_t c) { return distance_from_center(r, c) <= 1; });
  const double ring = region_fail_rate(set, [](int64_t r, int64_t c) {
    const double d = distance_from_center(r, c);
    return d >= 6 && d <= 8;
  });
  const double outside =
      region_fail_rate(set, [](int64_t r, int64_t c) { return distance_from_center(r, c) >= 14; });
  EXPECT_GT(ring, 0.6);
  EXPECT_LT(hole, ring / 2);
  EXPECT_LT(outside, 0.25);
}

TEST(Synth, EdgeRingCoversTheWholeRim) {
  const WaferSet set = synthesize_type(4, 9, 300);
  const double rim = region_fail_rate(
      set, [](int64_t r, int64_t c) { return distance_from_center(r, c) >= 24.5; });
  const double inner =
      region_fail_rate(set, [](int64_t r, int64_t c) { return distance_from_center(r, c) <= 20; });
  EXPECT_GT(rim, 0.65);
  EXPECT_LT(inner, 0.25);
  // Whole rim: every map's rim is failed in all four quadrants.
  for (int64_t i = 0; i < 50; ++i) {
    WaferSet one = subset(set, {i});
    for (int q = 0; q < 4; ++q) {
      const double rate = region_fail_rate(one, [q](int64_t r, int64_t c) {
        return distance_from_center(r, c) >= 24.5 && ((r < kWaferCenter) == (q < 2)) &&
               ((c < kWaferCenter) == (q % 2 == 0));
      });
      EXPECT_GT(rate, 0.5) << "map " << i << " quadrant " << q;
    }
  }
}

TEST(Synth, EdgeLocCoversPartOfTheRim) {
  const WaferSet set = synthesize_type(3, 10, 200);
  for (int64_t i = 0; i < set.count; ++i) {
    // Rim fail rate per 30-degree sector: some sector dense, some at background level.
    const WaferSet one = subset(set, {i});
    double most = 0, least = 1;
    for (int s = 0; s < 12; ++s) {
      const double rate = region_fail_rate(one, [s](int64_t r, int64_t c) {
        const double a = std::atan2(static_cast<double>(r - kWaferCenter),
                                    static_cast<double>(c - kWaferCenter));
        const int sector = static_cast<int>(std::floor((a + M_PI) / (M_PI / 6))) % 12;
        return distance_from_center(r, c) >= 24 && sector == s;
      });
      most = std::max(most, rate);
      least = std::min(least, rate);
    }
    EXPECT_GT(most, 0.6) << "map " << i;
    EXPECT_LT(least, 0.4) << "map " << i;
  }
}

TEST(Synth, LocIsADenseBlobNearButNotOnTheRim) {
  // Where train.npz's Loc-only maps put it: centred 17-20 dies out, ending 1-2 short of the rim.
  const WaferSet set = synthesize_type(5, 12, 200);
  for (int64_t i = 0; i < set.count; ++i) {
    // Densest 5x5 window: far above the ~20% background, off the middle.
    const uint8_t* m = set.map(i);
    int best = 0;
    double best_distance = 0;
    for (int64_t r = 0; r + 5 <= kSynthSize; ++r)
      for (int64_t c = 0; c + 5 <= kSynthSize; ++c) {
        int fails = 0;
        for (int64_t dr = 0; dr < 5; ++dr)
          for (int64_t dc = 0; dc < 5; ++dc) fails += m[(r + dr) * kSynthSize + c + dc] == kFail;
        if (fails > best) best = fails, best_distance = distance_from_center(r + 2, c + 2);
      }
    EXPECT_GE(best, 17) << "map " << i;
    EXPECT_GE(best_distance, 12) << "map " << i;
    EXPECT_LE(best_distance, 23.5) << "map " << i;
  }
  // The outermost dies keep the background rate: the rim band is Edge_Loc's.
  EXPECT_LT(region_fail_rate(set, [](int64_t r, int64_t c) { return distance_from_center(r, c) >= 24.6; }),
            0.25);
}

TEST(Synth, ScratchesAreLongThinLinesReachingTheRim) {
  // On a clean wafer, so the 20% background cannot blur the shape of the line.
  int long_enough = 0, thin = 0, from_rim = 0;
  const int n = 300;
  for (int seed = 0; seed < n; ++seed) {
    std::vector<uint8_t> cells(kSynthSize * kSynthSize);
    detail::Canvas canvas{cells.data()};
    detail::draw_standard_wafer(canvas);
    Rng rng(static_cast<uint64_t>(seed));
    detail::add_scratch(canvas, rng);
    long_enough += longest_fail_cluster(cells.data()) >= 12;  // real: 13-37 (5-95%)
    int interior = 0;  // fails whose whole 3x3 neighbourhood failed: a blob, not a line
    bool rim = false;
    for (int64_t r = 1; r + 1 < kSynthSize; ++r)
      for (int64_t c = 1; c + 1 < kSynthSize; ++c) {
        if (cells[static_cast<size_t>(r * kSynthSize + c)] != kFail) continue;
        rim = rim || distance_from_center(r, c) >= 23.5;
        bool all = true;
        for (int64_t dr = -1; dr <= 1; ++dr)
          for (int64_t dc = -1; dc <= 1; ++dc)
            all = all && cells[static_cast<size_t>((r + dr) * kSynthSize + c + dc)] == kFail;
        interior += all;
      }
    thin += interior <= 2;
    from_rim += rim;
  }
  EXPECT_GE(long_enough, n * 9 / 10);
  EXPECT_GE(thin, n * 95 / 100);
  EXPECT_GE(from_rim, n * 9 / 10);  // real scratches cross most of the wafer
}

TEST(Synth, ReproducibleAndIndependentOfCount) {
  const WaferSet a = synthesize(60, 99), b = synthesize(60, 99), c = synthesize(60, 100);
  EXPECT_EQ(a.maps, b.maps);
  EXPECT_EQ(a.labels, b.labels);
  EXPECT_NE(a.maps, c.maps);
  const WaferSet first = synthesize(10, 99);
  EXPECT_TRUE(std::equal(first.maps.begin(), first.maps.end(), a.maps.begin()));
  EXPECT_EQ(synthesize_type(12, 4, 3).maps, synthesize_type(12, 4, 3).maps);
  EXPECT_EQ(synthesize(0, 1).count, 0);
}

uint64_t fnv1a(const std::vector<uint8_t>& bytes) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (uint8_t b : bytes) h = (h ^ b) * 0x100000001b3ull;
  return h;
}

TEST(Synth, PinnedOutputIsTheSameOnEveryPlatform) {
  // The generator draws only through Rng and uses only exactly rounded arithmetic, so these maps
  // must not change with the compiler, standard library or libm. Update only on purpose.
  const WaferSet set = synthesize(25, 2024);
  EXPECT_EQ(fnv1a(set.maps), 11015660832261647067ull);
  EXPECT_EQ(fnv1a(set.labels), 7228857390554775640ull);
}

TEST(Synth, EveryTypeCanBeSynthesized) {
  for (int t = 0; t < kNumPatternTypes; ++t) {
    const WaferSet set = synthesize_type(t, 1, 2);
    EXPECT_EQ(set.pattern_type(0), t);
    EXPECT_EQ(set.pattern_type(1), t);
    set.validate("synthesize_type");
  }
  EXPECT_NE(test::data_error_of([] { synthesize_type(38, 1); }).find("38"), std::string::npos);
  EXPECT_NE(test::data_error_of([] { synthesize_type(-1, 1); }).find("-1"), std::string::npos);
  EXPECT_NE(test::data_error_of([] { synthesize(-5, 1); }).find("-5"), std::string::npos);
}

}  // namespace
}  // namespace wdc::data
