#include "data/mixedwm38.h"

#include <algorithm>

namespace wdc::data {
namespace {

constexpr std::array<uint8_t, kNumLabels> bits(const char (&s)[kNumLabels + 1]) {
  std::array<uint8_t, kNumLabels> out{};
  for (int i = 0; i < kNumLabels; ++i) out[static_cast<size_t>(i)] = s[i] == '1' ? 1 : 0;
  return out;
}

}  // namespace

const std::array<const char*, kNumLabels> kLabelNames = {
    "Center", "Donut", "Edge_Loc", "Edge_Ring", "Loc", "Near_Full", "Scratch", "Random"};
const std::array<const char*, kNumLabels> kLabelShortNames = {"C", "D",  "EL", "ER",
                                                              "L", "NF", "S",  "R"};

// clang-format off
const std::array<PatternType, kNumPatternTypes> kPatternTypes = {{
    {"C1", "Normal", bits("00000000"), 1000},     {"C2", "Center", bits("10000000"), 1000},
    {"C3", "Donut", bits("01000000"), 1000},      {"C4", "Edge_Loc", bits("00100000"), 1000},
    {"C5", "Edge_Ring", bits("00010000"), 1000},  {"C6", "Loc", bits("00001000"), 1000},
    {"C7", "Near_Full", bits("00000100"), 149},   {"C8", "Scratch", bits("00000010"), 1000},
    {"C9", "Random", bits("00000001"), 866},      {"C10", "C+EL", bits("10100000"), 1000},
    {"C11", "C+ER", bits("10010000"), 1000},      {"C12", "C+L", bits("10001000"), 1000},
    {"C13", "C+S", bits("10000010"), 1000},       {"C14", "D+EL", bits("01100000"), 1000},
    {"C15", "D+ER", bits("01010000"), 1000},      {"C16", "D+L", bits("01001000"), 1000},
    {"C17", "D+S", bits("01000010"), 1000},       {"C18", "EL+L", bits("00101000"), 1000},
    {"C19", "EL+S", bits("00100010"), 1000},      {"C20", "ER+L", bits("00011000"), 1000},
    {"C21", "ER+S", bits("00010010"), 1000},      {"C22", "L+S", bits("00001010"), 1000},
    {"C23", "C+EL+L", bits("10101000"), 1000},    {"C24", "C+EL+S", bits("10100010"), 2000},
    {"C25", "C+ER+L", bits("10011000"), 1000},    {"C26", "C+ER+S", bits("10010010"), 1000},
    {"C27", "C+L+S", bits("10001010"), 1000},     {"C28", "D+EL+L", bits("01101000"), 1000},
    {"C29", "D+EL+S", bits("01100010"), 1000},    {"C30", "D+ER+L", bits("01011000"), 1000},
    {"C31", "D+ER+S", bits("01010010"), 1000},    {"C32", "D+L+S", bits("01001010"), 1000},
    {"C33", "EL+L+S", bits("00101010"), 1000},    {"C34", "ER+L+S", bits("00011010"), 1000},
    {"C35", "C+L+EL+S", bits("10101010"), 1000},  {"C36", "C+L+ER+S", bits("10011010"), 1000},
    {"C37", "D+L+EL+S", bits("01101010"), 1000},  {"C38", "D+L+ER+S", bits("01011010"), 1000},
}};
// clang-format on

int pattern_type_of(const uint8_t labels[kNumLabels]) {
  for (int t = 0; t < kNumPatternTypes; ++t) {
    const auto& want = kPatternTypes[static_cast<size_t>(t)].labels;
    bool same = true;
    for (int k = 0; k < kNumLabels && same; ++k) same = labels[k] == want[static_cast<size_t>(k)];
    if (same) return t;
  }
  return -1;
}

int pattern_type_of_named(const std::vector<std::string>& names, const uint8_t* present) {
  if (names.size() != static_cast<size_t>(kNumLabels)) return -1;
  uint8_t labels[kNumLabels] = {};
  bool seen[kNumLabels] = {};
  for (size_t i = 0; i < names.size(); ++i) {
    int k = 0;
    while (k < kNumLabels && names[i] != kLabelNames[static_cast<size_t>(k)]) ++k;
    if (k == kNumLabels || seen[k]) return -1;
    seen[k] = true;
    labels[k] = present[i] ? 1 : 0;
  }
  return pattern_type_of(labels);
}

bool is_mixedwm38_label_set(const std::vector<std::string>& names) {
  // No label present is type C1 (Normal), so the names alone decide.
  return pattern_type_of_named(names, std::vector<uint8_t>(names.size(), 0).data()) >= 0;
}

std::vector<std::string> short_label_names(const std::vector<std::string>& names) {
  // Only MixedWM38's own label set is abbreviated: another set's "Loc" is not MixedWM38's.
  if (!is_mixedwm38_label_set(names)) return names;
  std::vector<std::string> shorts;
  shorts.reserve(names.size());
  for (const std::string& name : names) {
    std::string s = name;
    for (int k = 0; k < kNumLabels; ++k)
      if (name == kLabelNames[static_cast<size_t>(k)]) s = kLabelShortNames[static_cast<size_t>(k)];
    shorts.push_back(std::move(s));
  }
  return shorts;
}

}  // namespace wdc::data
