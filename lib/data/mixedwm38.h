// MixedWM38 wafer maps (Wang et al. 2020, doi 10.1109/TSM.2020.3020985): the label vocabulary
// and the 38 pattern types. Sets of maps are data/wafer_set.h's, their files data/wafer_file.h's.
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

// True when `names` are MixedWM38's eight labels, in any order (matched by name): the one label
// set with pattern types and short names.
bool is_mixedwm38_label_set(const std::vector<std::string>& names);

// Per name, MixedWM38's short name ("EL" for "Edge_Loc") when `names` are MixedWM38's eight
// labels (in any order); any other label set unchanged.
std::vector<std::string> short_label_names(const std::vector<std::string>& names);

}  // namespace wdc::data
