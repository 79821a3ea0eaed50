// The MixedWM38 vocabulary and the dataset loader/saver.
#include "data/wafer_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <sstream>

#include "data/npz.h"
#include "data/split.h"
#include "test_util.h"

namespace wdc::data {
namespace {

using test::data_error_of;
using test::fixture;

TEST(PatternTypes, TableMatchesTheDatasetDescription) {
  int64_t total = 0;
  std::set<std::array<uint8_t, kNumLabels>> vectors;
  for (int t = 0; t < kNumPatternTypes; ++t) {
    const PatternType& p = kPatternTypes[static_cast<size_t>(t)];
    EXPECT_EQ(std::string(p.id), "C" + std::to_string(t + 1));
    total += p.count;
    vectors.insert(p.labels);
    EXPECT_EQ(pattern_type_of(p.labels.data()), t);
  }
  EXPECT_EQ(total, 38015);
  EXPECT_EQ(vectors.size(), 38u);
  EXPECT_EQ(kPatternTypes[6].count, 149);    // Near_Full (corrected table)
  EXPECT_EQ(kPatternTypes[8].count, 866);    // Random
  EXPECT_EQ(kPatternTypes[23].count, 2000);  // C+EL+S
  EXPECT_STREQ(kPatternTypes[0].name, "Normal");
  EXPECT_STREQ(kPatternTypes[37].name, "D+L+ER+S");
}

TEST(PatternTypes, NamesSpellTheirLabelVectors) {
  // A single-pattern type is named by the long label name, a mixture by "+"-joined short names.
  for (const PatternType& p : kPatternTypes) {
    SCOPED_TRACE(p.id);
    std::array<uint8_t, kNumLabels> from_name{};
    std::stringstream parts(p.name);
    std::string part;
    while (std::getline(parts, part, '+')) {
      for (int k = 0; k < kNumLabels; ++k)
        if (part == kLabelShortNames[static_cast<size_t>(k)] ||
            part == kLabelNames[static_cast<size_t>(k)])
          from_name[static_cast<size_t>(k)] = 1;
    }
    EXPECT_EQ(from_name, p.labels);
  }
}

TEST(PatternTypes, RulesThatHoldInTheData) {
  for (const PatternType& p : kPatternTypes) {
    SCOPED_TRACE(p.id);
    const auto& l = p.labels;
    int n = 0;
    for (uint8_t v : l) n += v;
    EXPECT_FALSE(l[kCenter] && l[kDonut]);
    EXPECT_FALSE(l[kEdgeLoc] && l[kEdgeRing]);
    if (l[kNearFull] || l[kRandom]) {
      EXPECT_EQ(n, 1);
    }
    if (n == 4) {
      EXPECT_TRUE(l[kLoc] && l[kScratch]);
    }
  }
}

TEST(PatternTypes, UnknownVectorsMapToMinusOne) {
  const uint8_t center_and_donut[kNumLabels] = {1, 1, 0, 0, 0, 0, 0, 0};
  const uint8_t random_and_scratch[kNumLabels] = {0, 0, 0, 0, 0, 0, 1, 1};
  const uint8_t not_binary[kNumLabels] = {2, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(pattern_type_of(center_and_donut), -1);
  EXPECT_EQ(pattern_type_of(random_and_scratch), -1);
  EXPECT_EQ(pattern_type_of(not_binary), -1);
}

TEST(LoadWaferNpz, ReadsTheDatasetLayout) {
  // wafer_small.npz: map n, cell (r, c) = (n + 2r + 3c) % 4, labels of type n (int32 both).
  const WaferSet set = load_wafer_npz(fixture("wafer_small.npz"));
  ASSERT_EQ(set.count, 38);
  ASSERT_EQ(set.height, 6);
  ASSERT_EQ(set.width, 7);
  for (int64_t n = 0; n < set.count; ++n) {
    for (int64_t r = 0; r < 6; ++r) {
      for (int64_t c = 0; c < 7; ++c) {
        const int64_t raw = (n + 2 * r + 3 * c) % 4;
        ASSERT_EQ(set.map(n)[r * 7 + c], raw >= 2 ? kFail : raw) << n << " " << r << " " << c;
      }
    }
    EXPECT_EQ(set.pattern_type(n), n);
  }
}

TEST(LoadWaferNpz, ReadsOtherIntegerAndBoolDtypes) {
  // wafer_u8_bool.npz: uint8 maps (5n + 3r + c) % 5, bool labels of C1, C38, C24.
  const WaferSet set = load_wafer_npz(fixture("wafer_u8_bool.npz"));
  ASSERT_EQ(set.count, 3);
  for (int64_t n = 0; n < 3; ++n)
    for (int64_t r = 0; r < 4; ++r)
      for (int64_t c = 0; c < 5; ++c) {
        const int64_t raw = (5 * n + 3 * r + c) % 5;
        ASSERT_EQ(set.map(n)[r * 5 + c], raw >= 2 ? kFail : raw);
      }
  EXPECT_EQ(set.pattern_type(0), 0);
  EXPECT_EQ(set.pattern_type(1), 37);
  EXPECT_EQ(set.pattern_type(2), 23);
}

TEST(LoadWaferNpz, RejectsMalformedDatasets) {
  struct Case {
    const char* file;
    const char* message_part;
  };
  for (const Case& c : {Case{"bad_missing_arr1.npz", "no wafer maps found"},
                        Case{"bad_n_mismatch.npz", "3 maps but arr_1 2"},
                        Case{"bad_negative_map.npz", "value -1 at index 33 is not a die value"},
                        Case{"bad_label_value.npz", "label value 2 of map 2"},
                        Case{"bad_map_rank.npz", "(N, H, W)"}, Case{"not_a_zip.npz", "not a zip"},
                        Case{"bad_dtype_c8.npz", "no wafer maps found"}}) {
    SCOPED_TRACE(c.file);
    const std::string message = data_error_of([&] { load_wafer_npz(fixture(c.file)); });
    EXPECT_NE(message.find(fixture(c.file)), std::string::npos) << message;
    EXPECT_NE(message.find(c.message_part), std::string::npos) << message;
  }
}

WaferSet small_set() {
  WaferSet set;
  set.count = 3;
  set.height = 2;
  set.width = 3;
  set.maps = {0, 1, 2, 1, 1, 0, /**/ 2, 2, 2, 0, 0, 0, /**/ 1, 0, 1, 0, 1, 0};
  set.labels.assign(kPatternTypes[5].labels.begin(), kPatternTypes[5].labels.end());
  set.labels.insert(set.labels.end(), kPatternTypes[0].labels.begin(),
                    kPatternTypes[0].labels.end());
  set.labels.insert(set.labels.end(), kPatternTypes[30].labels.begin(),
                    kPatternTypes[30].labels.end());
  return set;
}

TEST(SaveWaferNpz, RoundTripsStoredAndCompressed) {
  test::ScratchDir dir;
  const WaferSet set = small_set();
  for (bool compressed : {false, true}) {
    const std::string path = dir.file(compressed ? "c.npz" : "s.npz");
    save_wafer_npz(path, set, compressed);
    const WaferSet back = load_wafer_npz(path);
    EXPECT_EQ(back.count, 3);
    EXPECT_EQ(back.height, 2);
    EXPECT_EQ(back.width, 3);
    EXPECT_EQ(back.maps, set.maps);
    EXPECT_EQ(back.labels, set.labels);
    // Stored like the real file: int32 (N, H, W) and int32 (N, 8).
    const NpzFile npz = NpzFile::open(path);
    EXPECT_EQ(npz.names(), (std::vector<std::string>{"arr_0", "arr_1"}));
    EXPECT_EQ(npz.read("arr_0").dtype(), DType::Int32);
    EXPECT_EQ(npz.read("arr_0").shape(), (std::vector<int64_t>{3, 2, 3}));
    EXPECT_EQ(npz.read("arr_1").dtype(), DType::Int32);
    EXPECT_EQ(npz.read("arr_1").shape(), (std::vector<int64_t>{3, 8}));
  }
}

TEST(SaveWaferNpz, RejectsInconsistentSets) {
  test::ScratchDir dir;
  WaferSet set = small_set();
  set.maps.pop_back();
  EXPECT_NE(data_error_of([&] { save_wafer_npz(dir.file("x.npz"), set); }).find("maps hold 17"),
            std::string::npos);
  set = small_set();
  set.maps[4] = 3;
  EXPECT_NE(data_error_of([&] { save_wafer_npz(dir.file("x.npz"), set); }).find("map value 3"),
            std::string::npos);
  set = small_set();
  set.labels[0] = 5;
  EXPECT_NE(data_error_of([&] { save_wafer_npz(dir.file("x.npz"), set); }).find("label value 5"),
            std::string::npos);
  EXPECT_EQ(dir.entry_count(), 0u);
}

TEST(Subset, PicksMapsAndLabelsInOrder) {
  const WaferSet set = small_set();
  const WaferSet sub = subset(set, {2, 0, 2});
  EXPECT_EQ(sub.count, 3);
  EXPECT_EQ(std::vector<uint8_t>(sub.map(0), sub.map(0) + 6),
            std::vector<uint8_t>(set.map(2), set.map(2) + 6));
  EXPECT_EQ(std::vector<uint8_t>(sub.map(1), sub.map(1) + 6),
            std::vector<uint8_t>(set.map(0), set.map(0) + 6));
  EXPECT_EQ(sub.pattern_type(0), 30);
  EXPECT_EQ(sub.pattern_type(1), 5);
  EXPECT_EQ(subset(set, {}).count, 0);
  EXPECT_NE(data_error_of([&] { subset(set, {0, 3}); }).find("index 3"), std::string::npos);
  EXPECT_NE(data_error_of([&] { subset(set, {-1}); }).find("index -1"), std::string::npos);
}

TEST(SharedData, LoadsTheRealValidationFile) {
  const std::string path = std::string(WDC_SHARED_DATA) + "/mixedwm38/val.npz";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " absent (real data is optional)";
  const WaferSet set = load_wafer_npz(path);
  EXPECT_EQ(set.count, 5703);
  EXPECT_EQ(set.height, 52);
  EXPECT_EQ(set.width, 52);
  std::vector<int64_t> per_type(kNumPatternTypes, 0);
  for (int64_t i = 0; i < set.count; ++i) {
    const int t = set.pattern_type(i);
    ASSERT_GE(t, 0) << "map " << i << " has a label vector outside the 38 types";
    ++per_type[static_cast<size_t>(t)];
  }
  for (int t = 0; t < kNumPatternTypes; ++t) EXPECT_GT(per_type[static_cast<size_t>(t)], 0) << t;
  EXPECT_EQ(per_type[6], 23);  // Near_Full, per the data's README
  // The standard disc is the footprint of most maps.
  int64_t standard = 0;
  for (int64_t i = 0; i < set.count; ++i) {
    int64_t on = 0;
    for (int64_t k = 0; k < set.map_size(); ++k) on += set.map(i)[k] != kOff;
    standard += on == 2061;
  }
  EXPECT_GT(standard, set.count * 3 / 4);

  const Split split = stratified_split(set, 0.1, 0.1, 42);
  EXPECT_EQ(split.train.size() + split.val.size() + split.test.size(), 5703u);
}

}  // namespace
}  // namespace wdc::data
