// An in-memory set of labelled wafer maps: the maps (all of one size, or each of its own), the
// label names, and per map a 0/1 vector over those labels (exactly one 1 per map in a
// single-label set, where each map has one class). Every door's data ends up here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/mixedwm38.h"

namespace wdc::data {

struct WaferSet {
  int64_t count = 0;
  // The size every map shares; 0 x 0 when the maps have several sizes (then see `shapes`).
  int64_t height = 0, width = 0;
  std::vector<uint8_t> maps;     // every map's values back to back, each kOff, kPass or kFail
  std::vector<int64_t> shapes;   // mixed sizes only: rows and columns of each map (count x 2)
  std::vector<int64_t> offsets;  // mixed sizes only: where map i starts in `maps` (count + 1)
  std::vector<uint8_t> labels;   // count x num_labels() values, each 0 or 1
  // Empty means MixedWM38's eight labels, in arr_1's order (the sets most code builds).
  std::vector<std::string> label_names;
  bool single_label = false;  // one class per map: exactly one 1 in each label vector

  bool mixed_sizes() const { return !shapes.empty(); }
  const std::vector<std::string>& names() const;
  int num_labels() const { return static_cast<int>(names().size()); }

  int64_t map_size() const { return height * width; }  // of a set whose maps share one size
  int64_t rows(int64_t i) const { return mixed_sizes() ? shapes[2 * i] : height; }
  int64_t cols(int64_t i) const { return mixed_sizes() ? shapes[2 * i + 1] : width; }
  const uint8_t* map(int64_t i) const { return maps.data() + map_offset(i); }
  uint8_t* map(int64_t i) { return maps.data() + map_offset(i); }
  const uint8_t* label(int64_t i) const { return labels.data() + i * num_labels(); }
  uint8_t* label(int64_t i) { return labels.data() + i * num_labels(); }
  // The class of map i in a single-label set: the index of its one label.
  int class_of(int64_t i) const;
  // The MixedWM38 pattern type (0..37) of map i when the labels are MixedWM38's (by name), else -1.
  int pattern_type(int64_t i) const;

  // Gives the set its maps' sizes: `map_shapes` holds rows and columns per map; `maps` must
  // already hold their values back to back. Maps that all share one size make a set of that one
  // size (no shapes); an empty set has size 0 x 0. DataError(what: ...) when they disagree.
  void set_shapes(std::vector<int64_t> map_shapes, const std::string& what);

  // DataError(what: ...) unless sizes agree and every value is in range.
  void validate(const std::string& what) const;

 private:
  int64_t map_offset(int64_t i) const { return mixed_sizes() ? offsets[i] : i * map_size(); }
};

// The maps and labels at `indices` (in that order, repeats allowed), with the set's label names
// and sizes; DataError on an index outside [0, count).
WaferSet subset(const WaferSet& set, const std::vector<int64_t>& indices);

// The maps of `first` followed by those of `second`, which must carry the same labels (names and
// task); maps of two sizes make a set of mixed sizes. DataError naming both label lists when
// they differ.
WaferSet join(const WaferSet& first, const WaferSet& second);

// The maps grouped by label vector, for stratified splits and rare-class oversampling: for
// MixedWM38's labels, the 38 pattern types in C1..C38 order (empty groups included) and last one
// group of every other vector; for a single-label set one group per class, in class order; else
// one group per distinct vector, in order of first appearance.
std::vector<std::vector<int64_t>> label_groups(const WaferSet& set);

}  // namespace wdc::data
