// Nearest-neighbour resizing of wafer maps, for maps of another size than the model's input
// (e.g. WM-811K maps of 25x27 up to 300x200, brought to 52x52).
//
// Output cell (r, c) takes input cell (floor(r * in_h / out_h), floor(c * in_w / out_w)), computed
// in exact integer arithmetic. This is the mapping of PyTorch's interpolate(mode="nearest"), except
// that PyTorch multiplies by a float32 scale and, where r * in / out is an exact integer, can land
// one cell lower (e.g. 106 -> 52: output 26 reads input 52 in PyTorch, 53 here); 238 such cells
// exist over inputs 1..1000 to outputs 26..224, none for integer scale factors (checked: factors
// up to 8, inputs up to 300). So maps resized here and by PyTorch can differ in a row or column.
// Nearest neighbour keeps the values categorical: no 1.5 between a pass and a fail.
#pragma once

#include <cstdint>
#include <vector>

#include "data/wafer_set.h"

namespace wdc::data {

// One map of in_h x in_w values (row-major) resized to out_h x out_w. DataError when a size is < 1.
std::vector<uint8_t> resize_nearest(const uint8_t* map, int64_t in_h, int64_t in_w, int64_t out_h,
                                    int64_t out_w);

// Where pad_centered puts an in_h x in_w map on an out_h x out_w canvas.
struct Placement {
  int64_t top, left, height, width;
};
Placement pad_placement(int64_t in_h, int64_t in_w, int64_t out_h, int64_t out_w);

// One map centred on an out_h x out_w canvas of off-wafer cells; a map larger than the canvas is
// first shrunk by nearest neighbour with its aspect kept, so that it fits.
std::vector<uint8_t> pad_centered(const uint8_t* map, int64_t in_h, int64_t in_w, int64_t out_h,
                                  int64_t out_w);

// Every map of the set (of one size or several) resized; labels are copied.
WaferSet resize_nearest(const WaferSet& set, int64_t out_h, int64_t out_w);

}  // namespace wdc::data
