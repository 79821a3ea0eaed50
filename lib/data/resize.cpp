#include "data/resize.h"

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

WaferSet resize_nearest(const WaferSet& set, int64_t out_h, int64_t out_w) {
  set.validate("resize_nearest");
  WaferSet out;
  out.count = set.count;
  out.height = out_h;
  out.width = out_w;
  out.labels = set.labels;
  // An empty set may have no meaningful input size, but the requested one must be valid.
  check_sizes(set.count > 0 ? set.height : 1, set.count > 0 ? set.width : 1, out_h, out_w);
  if (set.count == 0) return out;
  const auto rows = source_indices(set.height, out_h);
  const auto cols = source_indices(set.width, out_w);
  out.maps.resize(static_cast<size_t>(set.count * out_h * out_w));
  for (int64_t i = 0; i < set.count; ++i)
    resize_into(set.map(i), set.width, rows, cols, out.map(i));
  return out;
}

}  // namespace wdc::data
