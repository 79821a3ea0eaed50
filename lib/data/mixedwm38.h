// MixedWM38 wafer maps (Wang et al. 2020, doi 10.1109/TSM.2020.3020985): the label vocabulary,
// the 38 pattern types, an in-memory set of maps and its npz loader/saver.
// See docs/mixedwm38.md in the shared docs for the dataset facts these constants come from.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace wdc::data {

inline constexpr int kNumLabels = 8;
inline constexpr int kNumPatternTypes = 38;

// Map values: kOff off the wafer, kPass a die that passed, kFail a die that failed.
inline constexpr uint8_t kOff = 0, kPass = 1, kFail = 2;

// Label order of arr_1: Center, Donut, Edge_Loc, Edge_Ring, Loc, Near_Full, Scratch, Random.
enum Label : int { kCenter, kDonut, kEdgeLoc, kEdgeRing, kLoc, kNearFull, kScratch, kRandom };
extern const std::array<const char*, kNumLabels> kLabelNames;       // "Center", ...
extern const std::array<const char*, kNumLabels> kLabelShortNames;  // "C", "D", "EL", ...

struct PatternType {
  const char* id;    // "C1" .. "C38"
  const char* name;  // "Normal", "C+EL", "D+L+ER+S", ... as in the dataset description
  std::array<uint8_t, kNumLabels> labels;
  int64_t count;  // maps of this type in the full 38,015-map dataset
};
// Index t holds type "C<t+1>".
extern const std::array<PatternType, kNumPatternTypes> kPatternTypes;

// Index 0..37 of the type whose label vector equals `labels` (8 values, each 0 or 1), or -1
// when the vector is none of the 38.
int pattern_type_of(const uint8_t labels[kNumLabels]);

// The pattern type (0..37) of `present` (one 0/1 value per name) when `names` are MixedWM38's 8
// labels in any order, matched by name; -1 when they are not, or the labels form none of the 38.
int pattern_type_of_named(const std::vector<std::string>& names, const uint8_t* present);

// Per name, MixedWM38's short name ("EL" for "Edge_Loc") where it is one of its labels, else the
// name itself.
std::vector<std::string> short_label_names(const std::vector<std::string>& names);

struct WaferSet {
  int64_t count = 0, height = 0, width = 0;
  std::vector<uint8_t> maps;    // count * height * width values, each kOff, kPass or kFail
  std::vector<uint8_t> labels;  // count * kNumLabels values, each 0 or 1

  int64_t map_size() const { return height * width; }
  const uint8_t* map(int64_t i) const { return maps.data() + i * map_size(); }
  uint8_t* map(int64_t i) { return maps.data() + i * map_size(); }
  const uint8_t* label(int64_t i) const { return labels.data() + i * kNumLabels; }
  uint8_t* label(int64_t i) { return labels.data() + i * kNumLabels; }
  int pattern_type(int64_t i) const { return pattern_type_of(label(i)); }

  // DataError(what: ...) unless sizes agree and every value is in range.
  void validate(const std::string& what) const;
};

// Reads a MixedWM38-layout npz: arr_0 (N, H, W) of any integer dtype, where 0 is off-wafer,
// 1 pass and any value >= 2 a failed die (the real file has a few 3s), stored as kFail;
// arr_1 (N, 8) of any integer dtype or bool, values 0/1. Negative map values, other label
// values, wrong ranks or disagreeing N are DataErrors naming the file.
// `max_array_bytes` caps each array's size in the file (before conversion); larger arrays are
// DataErrors, refused before they are read.
WaferSet load_wafer_npz(const std::string& path, uint64_t max_array_bytes = UINT64_MAX);

// Writes arr_0 as int32 (N, H, W) and arr_1 as int32 (N, 8), like the real file.
void save_wafer_npz(const std::string& path, const WaferSet& set, bool compressed = true);

// The maps and labels at `indices` (in that order, repeats allowed); DataError on an index
// outside [0, count).
WaferSet subset(const WaferSet& set, const std::vector<int64_t>& indices);

}  // namespace wdc::data
