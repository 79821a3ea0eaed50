// Wafer-map npz files, read and written in the layouts docs/DATA.md describes:
//
//  - MixedWM38's own: arr_0 (N, H, W) maps, arr_1 (N, 8) multi-hot labels.
//  - Named, maps of one size: maps (N, H, W), labels (N,) class indices or (N, L) multi-hot,
//    label_names (L,) strings (optional).
//  - Ragged, maps of several sizes (WM-811K): maps (P,) every map's dies one map after the other,
//    shapes (N, 2) rows and columns per map, labels and label_names as above.
//
// Map values: 0 off-wafer, 1 pass, any value >= 2 a failed die (MixedWM38 marks some with 3).
// Every array may be of any integer dtype, bool (labels), or a float dtype holding whole numbers
// (as pandas writes them); a fraction, a negative map value or a label out of range is a
// DataError naming the array and the index.
#pragma once

#include <cstdint>
#include <string>

#include "data/npz.h"
#include "data/wafer_set.h"

namespace wdc::data {

// `max_array_bytes` caps each array's size in the file (before conversion); larger arrays are
// DataErrors, refused before they are read. Labels given as class indices (N,) make a
// single-label set.
WaferSet load_wafer_npz(const std::string& path, uint64_t max_array_bytes = UINT64_MAX);
// The same from an open archive (e.g. one held in memory, for fuzzing).
WaferSet read_wafer_set(const NpzFile& npz, uint64_t max_array_bytes = UINT64_MAX);

// Writes a set the way it would be read back the same: MixedWM38-labelled multi-label maps of
// one size as arr_0/arr_1 (int32, like the real file); any other set in the named layout (uint8
// maps, ragged when the sizes differ; int32 labels, class indices for a single-label set;
// label_names).
void save_wafer_npz(const std::string& path, const WaferSet& set, bool compressed = true);

// The labels of a named-layout archive ("labels" (N,) or (N, L), "label_names" optional) as a
// set without maps (0 x 0): for files that carry labels beside something other than maps.
WaferSet read_label_set(const NpzFile& npz, uint64_t max_array_bytes = UINT64_MAX);

// A set's labels as the named layout writes them: "labels" (int32 class indices (N,) for a
// single-label set, else (N, L) 0/1) and "label_names" (L,).
struct LabelArrays {
  NpyArray labels, label_names;
};
LabelArrays label_arrays(const WaferSet& set);

}  // namespace wdc::data
