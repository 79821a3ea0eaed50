#include "data/resize.h"

#include <algorithm>
#include <string>

#include "data/data_error.h"

namespace wdc::data {
namespace {

void check_sizes(int64_t in_h, int64_t in_w, int64_t out_h, int64_t out_w) {
  // The index products r * in_h must not overflow; maps are at most a few thousand cells wide.
  constexpr int64_t kMaxSide = int64_t{1} << 24;
  for (int64_t s : {in_h, in_w, out_h, out_w})
    if (s < 1 || s > kMaxSide)
      fail("resize_nearest", "map size " + std::to_string(in_h) + "x" + std::to_string(in_w) +
                                 " -> " + std::to_string(out_h) + "x" + std::to_string(out_w) +
                                 " is invalid");
}

std::vector<int64_t> source_indices(int64_t in, int64_t out) {
  std::vector<int64_t> src(static_cast<size_t>(out));
  for (int64_t i = 0; i < out; ++i) src[static_cast<size_t>(i)] = i * in / out;
  return src;
}

void resize_into(const uint8_t* map, int64_t in_w, const std::vector<int64_t>& rows,
                 const std::vector<int64_t>& cols, uint8_t* out) {
  for (int64_t r : rows) {
    const uint8_t* src_row = map + r * in_w;
    for (int64_t c : cols) *out++ = src_row[c];
  }
}

}  // namespace

std::vector<uint8_t> resize_nearest(const uint8_t* map, int64_t in_h, int64_t in_w, int64_t out_h,
                                    int64_t out_w) {
  check_sizes(in_h, in_w, out_h, out_w);
  std::vector<uint8_t> out(static_cast<size_t>(out_h * out_w));
  resize_into(map, in_w, source_indices(in_h, out_h), source_indices(in_w, out_w), out.data());
  return out;
}

Placement pad_placement(int64_t in_h, int64_t in_w, int64_t out_h, int64_t out_w) {
  check_sizes(in_h, in_w, out_h, out_w);
  int64_t h = in_h, w = in_w;
  if (in_h > out_h || in_w > out_w) {
    // The larger ratio decides; exact integer arithmetic picks the side that fits.
    const bool by_height = in_h * out_w >= in_w * out_h;
    h = by_height ? out_h : std::max<int64_t>(1, in_h * out_w / in_w);
    w = by_height ? std::max<int64_t>(1, in_w * out_h / in_h) : out_w;
  }
  return {(out_h - h) / 2, (out_w - w) / 2, h, w};
}

std::vector<uint8_t> pad_centered(const uint8_t* map, int64_t in_h, int64_t in_w, int64_t out_h,
                                  int64_t out_w) {
  const Placement at = pad_placement(in_h, in_w, out_h, out_w);
  std::vector<uint8_t> shrunk;
  if (at.height != in_h || at.width != in_w) {
    shrunk = resize_nearest(map, in_h, in_w, at.height, at.width);
    map = shrunk.data();
  }
  std::vector<uint8_t> out(static_cast<size_t>(out_h * out_w), kOff);
  for (int64_t r = 0; r < at.height; ++r)
    std::copy(map + r * at.width, map + (r + 1) * at.width,
              out.begin() + (at.top + r) * out_w + at.left);
  return out;
}

WaferSet resize_nearest(const WaferSet& set, int64_t out_h, int64_t out_w) {
  set.validate("resize_nearest");
  WaferSet out;
  out.count = set.count;
  out.height = out_h;
  out.width = out_w;
  out.labels = set.labels;
  out.label_names = set.label_names;
  out.single_label = set.single_label;
  // An empty set may have no meaningful input size, but the requested one must be valid.
  check_sizes(1, 1, out_h, out_w);
  out.maps.resize(static_cast<size_t>(set.count * out_h * out_w));
  std::vector<int64_t> rows, cols;
  for (int64_t i = 0; i < set.count; ++i) {
    // Consecutive maps mostly share a size: the index tables are rebuilt only when it changes.
    const int64_t h = set.rows(i), w = set.cols(i);
    check_sizes(h, w, out_h, out_w);
    if (i == 0 || h != set.rows(i - 1) || w != set.cols(i - 1)) {
      rows = source_indices(h, out_h);
      cols = source_indices(w, out_w);
    }
    resize_into(set.map(i), w, rows, cols, out.map(i));
  }
  return out;
}

}  // namespace wdc::data
