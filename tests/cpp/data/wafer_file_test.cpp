// The named and ragged npz layouts (docs/DATA.md): single-label class indices, label names,
// maps of several sizes, whole-number floats, and the malformed files of each kind.
#include "data/wafer_file.h"

#include <gtest/gtest.h>

#include "data/resize.h"
#include "data/split.h"
#include "test_util.h"

namespace wdc::data {
namespace {

using test::data_error_of;
using test::fixture;

// The maps of tests/fixtures/npz/wafer_ragged.npz: sizes 4x5, 6x3, 2x2, values
// (running index % 3), classes 2, 0, 1 of Center, Donut, None.
TEST(RaggedNpz, ReadsMapsOfSeveralSizesAndClassNames) {
  const WaferSet set = load_wafer_npz(fixture("wafer_ragged.npz"));
  ASSERT_EQ(set.count, 3);
  EXPECT_TRUE(set.mixed_sizes());
  EXPECT_TRUE(set.single_label);
  EXPECT_EQ(set.names(), (std::vector<std::string>{"Center", "Donut", "None"}));
  const int64_t rows[] = {4, 6, 2}, cols[] = {5, 3, 2};
  int64_t running = 0;
  for (int64_t i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(set.rows(i), rows[i]);
    EXPECT_EQ(set.cols(i), cols[i]);
    for (int64_t k = 0; k < rows[i] * cols[i]; ++k, ++running)
      ASSERT_EQ(set.map(i)[k], running % 3);
  }
  EXPECT_EQ(set.class_of(0), 2);
  EXPECT_EQ(set.class_of(1), 0);
  EXPECT_EQ(set.class_of(2), 1);
  EXPECT_EQ(set.pattern_type(0), -1);  // not MixedWM38's labels
}

TEST(RaggedNpz, RoundTripsThroughSave) {
  test::ScratchDir dir;
  const WaferSet set = load_wafer_npz(fixture("wafer_ragged.npz"));
  for (bool compressed : {false, true}) {
    save_wafer_npz(dir.file("out.npz"), set, compressed);
    const WaferSet back = load_wafer_npz(dir.file("out.npz"));
    EXPECT_EQ(back.maps, set.maps);
    EXPECT_EQ(back.shapes, set.shapes);
    EXPECT_EQ(back.labels, set.labels);
    EXPECT_EQ(back.names(), set.names());
    EXPECT_TRUE(back.single_label);
  }
}

TEST(RaggedNpz, SavedFilesAreWhatNumpyReads) {
  if (!test::have_numpy()) GTEST_SKIP() << "/usr/bin/python3 with numpy is not available";
  test::ScratchDir dir;
  save_wafer_npz(dir.file("out.npz"), load_wafer_npz(fixture("wafer_ragged.npz")), true);
  const std::string check =
      "/usr/bin/python3 -c \"import numpy as np; z = np.load('" + dir.file("out.npz") +
      "'); assert list(z['label_names']) == ['Center', 'Donut', 'None'], z['label_names']; "
      "assert z['labels'].tolist() == [2, 0, 1]; assert z['shapes'].tolist() == "
      "[[4, 5], [6, 3], [2, 2]]; assert z['maps'].tolist() == [i % 3 for i in range(42)]\"";
  EXPECT_EQ(std::system(check.c_str()), 0);
}

TEST(NamedNpz, AcceptsWholeNumberFloatsAndMultiHotNames) {
  const WaferSet set = load_wafer_npz(fixture("wafer_named_float.npz"));
  ASSERT_EQ(set.count, 2);
  EXPECT_FALSE(set.mixed_sizes());
  EXPECT_FALSE(set.single_label);
  EXPECT_EQ(set.height, 3);
  EXPECT_EQ(set.width, 4);
  EXPECT_EQ(set.names(), (std::vector<std::string>{"a", "bb", "c"}));
  EXPECT_EQ(set.labels, (std::vector<uint8_t>{1, 0, 1, 0, 0, 0}));
  for (int64_t k = 0; k < 24; ++k) EXPECT_EQ(set.maps[k], k % 3);
}

TEST(NamedNpz, MixedWM38FloatMapsOfWholeNumbersAreAccepted) {
  // bad_map_float.npz was refused before floats were accepted: its maps are all 1.0.
  const WaferSet set = load_wafer_npz(fixture("bad_map_float.npz"));
  EXPECT_EQ(set.count, 3);
  EXPECT_EQ(set.maps, std::vector<uint8_t>(60, kPass));
  EXPECT_TRUE(set.label_names.empty());  // MixedWM38's
}

TEST(RaggedNpz, RejectsMalformedFilesNamingTheProblem) {
  struct Case {
    const char* file;
    const char* message_part;
  };
  for (const Case& c : {
           Case{"bad_ragged_sum.npz", "the map shapes need more than the 42 map values"},
           Case{"bad_ragged_zero_side.npz", "map 1 has shape 0 x 3"},
           Case{"bad_ragged_negative_side.npz", "map 1 has shape -6 x -3"},
           Case{"bad_ragged_overflow.npz", "each side must be in [1, 2^31)"},
           Case{"bad_ragged_shapes_rank.npz", "expected shape (N, 2)"},
           Case{"bad_ragged_count.npz", "expected shape (3, 2) to match labels"},
           Case{"bad_class_range.npz", "class 3 of map 1 is outside [0, 3)"},
           Case{"bad_class_negative.npz", "class -1 of map 1 is outside [0, 3)"},
           Case{"bad_names_count.npz", "2 label columns but label_names has 3 names"},
           Case{"bad_names_dtype.npz", "expected a 1-D array of strings"},
           Case{"bad_names_repeat.npz", "label name 'Center' repeats"},
           Case{"bad_map_fraction.npz", "value 1.5"},
           Case{"bad_label_fraction.npz", "value 0.5"},
           Case{"bad_ragged_map_rank.npz", "expected shape (P,)"},
       }) {
    SCOPED_TRACE(c.file);
    const std::string message = data_error_of([&] { load_wafer_npz(fixture(c.file)); });
    EXPECT_NE(message.find(fixture(c.file)), std::string::npos) << message;
    EXPECT_NE(message.find(c.message_part), std::string::npos) << message;
  }
}

TEST(RaggedNpz, SizeLimitRefusesBeforeReading) {
  // Each array is checked against the limit before it is read: a DataError, not a truncated
  // read (the labels, 12 bytes of int32 and a 128-byte header, come first).
  const std::string message =
      data_error_of([&] { load_wafer_npz(fixture("wafer_ragged.npz"), 41); });
  EXPECT_NE(message.find("more than the limit of 41 bytes"), std::string::npos) << message;
}

TEST(MixedSizes, SubsetKeepsEachMapsSizeAndResizeMakesOneSize) {
  const WaferSet set = load_wafer_npz(fixture("wafer_ragged.npz"));
  const WaferSet part = subset(set, {2, 0});
  ASSERT_EQ(part.count, 2);
  EXPECT_EQ(part.rows(0), 2);
  EXPECT_EQ(part.cols(1), 5);
  EXPECT_TRUE(std::equal(part.map(1), part.map(1) + 20, set.map(0)));
  EXPECT_EQ(part.class_of(0), 1);
  EXPECT_EQ(part.names(), set.names());

  const WaferSet fixed = resize_nearest(set, 4, 4);
  EXPECT_FALSE(fixed.mixed_sizes());
  EXPECT_EQ(fixed.maps.size(), 3u * 16);
  // Map 2 is 2x2: each of its cells becomes a 2x2 block.
  const uint8_t* m = fixed.map(2);
  const uint8_t* src = set.map(2);
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) EXPECT_EQ(m[r * 4 + c], src[(r / 2) * 2 + c / 2]);
}

TEST(MixedSizes, JoinKeepsEveryMapInOrderAndOneSizeWhereBothShareIt) {
  const WaferSet set = load_wafer_npz(fixture("wafer_ragged.npz"));
  const WaferSet joined = join(subset(set, {2}), subset(set, {0, 1}));
  ASSERT_EQ(joined.count, 3);
  ASSERT_TRUE(joined.mixed_sizes());
  for (int64_t i = 0; i < 3; ++i) {
    const int64_t from = i == 0 ? 2 : i - 1;
    ASSERT_EQ(joined.rows(i), set.rows(from));
    ASSERT_EQ(joined.cols(i), set.cols(from));
    EXPECT_TRUE(
        std::equal(joined.map(i), joined.map(i) + joined.rows(i) * joined.cols(i), set.map(from)));
    EXPECT_EQ(joined.class_of(i), set.class_of(from));
  }
  const WaferSet same = join(subset(set, {0}), subset(set, {0}));
  EXPECT_FALSE(same.mixed_sizes());
  EXPECT_EQ(same.height, 4);
  EXPECT_EQ(same.width, 5);

  WaferSet renamed = subset(set, {0});
  renamed.label_names[0] = "Centre";
  EXPECT_NE(data_error_of([&] { join(set, renamed); }).find("labels differ"), std::string::npos);
}

TEST(PadCentered, CentresSmallMapsAndShrinksLargeOnesKeepingTheirAspect) {
  const std::vector<uint8_t> two_by_two = {1, 2, 2, 1};
  const std::vector<uint8_t> padded = pad_centered(two_by_two.data(), 2, 2, 4, 6);
  // Rows 1-2, columns 2-3 hold the map; the rest is off-wafer.
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 6; ++c) {
      const bool inside = r >= 1 && r <= 2 && c >= 2 && c <= 3;
      EXPECT_EQ(padded[r * 6 + c], inside ? two_by_two[(r - 1) * 2 + (c - 2)] : kOff);
    }
  const Placement wide = pad_placement(10, 40, 8, 8);  // 1:4 -> 2 x 8, centred vertically
  EXPECT_EQ(wide.height, 2);
  EXPECT_EQ(wide.width, 8);
  EXPECT_EQ(wide.top, 3);
  EXPECT_EQ(wide.left, 0);
}

TEST(SplitByClass, KeepsEachClassShareInEveryPart) {
  WaferSet set;
  set.label_names = {"x", "y", "z"};
  set.single_label = true;
  set.count = 200;
  set.height = set.width = 1;
  set.maps.assign(200, 1);
  // 150 of class 0, 40 of class 1, 10 of class 2.
  for (int64_t i = 0; i < 200; ++i) {
    const int cls = i < 150 ? 0 : i < 190 ? 1 : 2;
    for (int k = 0; k < 3; ++k) set.labels.push_back(k == cls);
  }
  const Split split = stratified_split(set, 0.2, 0.1, 7);
  auto count_class = [&](const std::vector<int64_t>& part, int cls) {
    return std::count_if(part.begin(), part.end(),
                         [&](int64_t i) { return set.class_of(i) == cls; });
  };
  EXPECT_EQ(count_class(split.val, 0), 30);
  EXPECT_EQ(count_class(split.val, 1), 8);
  EXPECT_EQ(count_class(split.val, 2), 2);
  EXPECT_EQ(count_class(split.test, 0), 15);
  EXPECT_EQ(count_class(split.test, 1), 4);
  EXPECT_EQ(count_class(split.test, 2), 1);
  EXPECT_EQ(split.train.size() + split.val.size() + split.test.size(), 200u);
}

TEST(UnicodeArrays, RoundTripUtf8) {
  const std::vector<std::string> names = {"Edge-Loc", "Near-full", "Défaut", "x"};
  const NpyArray array = unicode_array(names);
  EXPECT_EQ(array.dtype(), DType::Unicode);
  EXPECT_EQ(array.shape(), (std::vector<int64_t>{4, 9}));
  const std::vector<uint8_t> bytes = serialize_npy(array);
  EXPECT_EQ(unicode_strings(parse_npy(bytes.data(), bytes.size(), "names")), names);
  EXPECT_NE(data_error_of([] { unicode_array({std::string("\xff")}); }).find("not valid UTF-8"),
            std::string::npos);
}

}  // namespace
}  // namespace wdc::data
