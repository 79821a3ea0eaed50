// Nearest-neighbour resizing against hand-computed cases.
#include "data/resize.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace wdc::data {
namespace {

using test::data_error_of;

// clang-format off
TEST(ResizeNearest, UpscaleByTwoRepeatsEachCell) {
  const uint8_t in[] = {0, 1, 2,
                        2, 1, 0};
  EXPECT_EQ(resize_nearest(in, 2, 3, 4, 6),
            (std::vector<uint8_t>{0, 0, 1, 1, 2, 2,
                                  0, 0, 1, 1, 2, 2,
                                  2, 2, 1, 1, 0, 0,
                                  2, 2, 1, 1, 0, 0}));
}

TEST(ResizeNearest, DownscaleByTwoKeepsEvenCells) {
  const uint8_t in[] = {0, 1, 2, 0,
                        1, 1, 1, 1,
                        2, 0, 2, 0,
                        1, 1, 1, 1};
  // src = floor(dst * 4 / 2) = 0, 2
  EXPECT_EQ(resize_nearest(in, 4, 4, 2, 2), (std::vector<uint8_t>{0, 2, 2, 2}));
}
// clang-format on

TEST(ResizeNearest, NonIntegerRatios) {
  // 5 -> 3: floor(d * 5 / 3) = 0, 1, 3.   3 -> 5: floor(d * 3 / 5) = 0, 0, 1, 1, 2.
  std::vector<uint8_t> in(25);
  for (int i = 0; i < 25; ++i) in[static_cast<size_t>(i)] = static_cast<uint8_t>(i);
  EXPECT_EQ(resize_nearest(in.data(), 5, 5, 3, 3),
            (std::vector<uint8_t>{0, 1, 3, 5, 6, 8, 15, 16, 18}));
  const uint8_t row[] = {7, 8, 9};
  EXPECT_EQ(resize_nearest(row, 1, 3, 2, 5), (std::vector<uint8_t>{7, 7, 8, 8, 9, 7, 7, 8, 8, 9}));
}

TEST(ResizeNearest, IdentityAndWm811kSizes) {
  std::vector<uint8_t> in(25 * 27);
  for (size_t i = 0; i < in.size(); ++i) in[i] = static_cast<uint8_t>(i % 3);
  EXPECT_EQ(resize_nearest(in.data(), 25, 27, 25, 27), in);
  const auto out = resize_nearest(in.data(), 25, 27, 52, 52);
  ASSERT_EQ(out.size(), 52u * 52u);
  for (int64_t r = 0; r < 52; ++r)
    for (int64_t c = 0; c < 52; ++c)
      ASSERT_EQ(out[static_cast<size_t>(r * 52 + c)],
                in[static_cast<size_t>((r * 25 / 52) * 27 + c * 27 / 52)]);
  // The last output row/column come from the last input row/column.
  EXPECT_EQ(out.back(), in.back());
}

TEST(ResizeNearest, WholeSetKeepsLabels) {
  WaferSet set;
  set.count = 2;
  set.height = 1;
  set.width = 2;
  set.maps = {1, 2, 2, 0};
  set.labels = {1, 0, 0, 0, 0, 0, 0, 0, /**/ 0, 0, 0, 0, 0, 0, 0, 1};
  const WaferSet out = resize_nearest(set, 2, 4);
  EXPECT_EQ(out.count, 2);
  EXPECT_EQ(out.height, 2);
  EXPECT_EQ(out.width, 4);
  EXPECT_EQ(out.maps, (std::vector<uint8_t>{1, 1, 2, 2, 1, 1, 2, 2, /**/ 2, 2, 0, 0, 2, 2, 0, 0}));
  EXPECT_EQ(out.labels, set.labels);
}

TEST(ResizeNearest, RejectsEmptySizes) {
  const uint8_t in[] = {1};
  EXPECT_NE(data_error_of([&] { resize_nearest(in, 1, 1, 0, 5); }).find("invalid"),
            std::string::npos);
  EXPECT_NE(data_error_of([&] { resize_nearest(in, 0, 1, 5, 5); }).find("invalid"),
            std::string::npos);
  WaferSet empty;
  EXPECT_EQ(resize_nearest(empty, 52, 52).count, 0);
  EXPECT_NE(data_error_of([&] { resize_nearest(empty, 52, -1); }).find("invalid"),
            std::string::npos);
}

}  // namespace
}  // namespace wdc::data
