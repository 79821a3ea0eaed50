#include "data/mixedwm38.h"

#include <algorithm>
#include <type_traits>

#include "data/data_error.h"
#include "data/npz.h"

namespace wdc::data {
namespace {

constexpr std::array<uint8_t, kNumLabels> bits(const char (&s)[kNumLabels + 1]) {
  std::array<uint8_t, kNumLabels> out{};
  for (int i = 0; i < kNumLabels; ++i) out[static_cast<size_t>(i)] = s[i] == '1' ? 1 : 0;
  return out;
}

void check_shape(const NpyArray& a, size_t ndim, const std::string& what, const char* expected) {
  if (a.ndim() != ndim)
    fail(what, std::string("expected shape ") + expected + ", found " + shape_string(a.shape()));
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

std::vector<std::string> short_label_names(const std::vector<std::string>& names) {
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

void WaferSet::validate(const std::string& what) const {
  if (count < 0 || height < 0 || width < 0) fail(what, "negative wafer set dimensions");
  if (height > 0 && width > INT64_MAX / height) fail(what, "map size overflows");
  if (count > 0 && map_size() > 0 && count > INT64_MAX / map_size())
    fail(what, "set size overflows");
  if (maps.size() != static_cast<uint64_t>(count * map_size()))
    fail(what, "maps hold " + std::to_string(maps.size()) + " values, expected " +
                   std::to_string(count) + " x " + std::to_string(height) + " x " +
                   std::to_string(width));
  if (labels.size() != static_cast<uint64_t>(count) * kNumLabels)
    fail(what, "labels hold " + std::to_string(labels.size()) + " values, expected " +
                   std::to_string(count) + " x 8");
  for (size_t i = 0; i < maps.size(); ++i)
    if (maps[i] > kFail) fail(what, "map value " + std::to_string(maps[i]) + " is not 0, 1 or 2");
  for (size_t i = 0; i < labels.size(); ++i)
    if (labels[i] > 1) fail(what, "label value " + std::to_string(labels[i]) + " is not 0 or 1");
}

WaferSet load_wafer_npz(const std::string& path, uint64_t max_array_bytes) {
  const NpzFile npz = NpzFile::open(path);
  for (const char* key : {"arr_0", "arr_1"})
    if (!npz.contains(key))
      fail(path, std::string("no array '") + key +
                     "' (MixedWM38 layout: arr_0 = maps (N, H, W), arr_1 = labels (N, 8))");

  // Labels first: they are small and catch a wrong file before the big read.
  const NpyArray labels = npz.read("arr_1", max_array_bytes);
  const std::string labels_what = path + ": arr_1";
  check_shape(labels, 2, labels_what, "(N, 8)");
  if (labels.shape()[1] != kNumLabels)
    fail(labels_what, "expected shape (N, 8), found " + shape_string(labels.shape()));
  if (dtype_is_float(labels.dtype()))
    fail(labels_what,
         std::string("labels must be integer or bool, found ") + dtype_name(labels.dtype()));

  const NpyArray maps = npz.read("arr_0", max_array_bytes);
  const std::string maps_what = path + ": arr_0";
  check_shape(maps, 3, maps_what, "(N, H, W)");
  if (!dtype_is_integer(maps.dtype()))
    fail(maps_what,
         std::string("maps must be an integer array, found ") + dtype_name(maps.dtype()));
  if (maps.shape()[0] != labels.shape()[0])
    fail(path, "arr_0 holds " + std::to_string(maps.shape()[0]) + " maps but arr_1 " +
                   std::to_string(labels.shape()[0]) + " label vectors");
  if (maps.shape()[1] < 1 || maps.shape()[2] < 1)
    fail(maps_what, "empty maps of shape " + shape_string(maps.shape()));

  WaferSet set;
  set.count = maps.shape()[0];
  set.height = maps.shape()[1];
  set.width = maps.shape()[2];
  set.maps.resize(static_cast<size_t>(maps.numel()));
  set.labels.resize(static_cast<size_t>(labels.numel()));

  const int64_t per_map = set.map_size();
  maps.visit([&](const auto* v, size_t n) {
    using T = std::remove_cv_t<std::remove_pointer_t<decltype(v)>>;
    // Only integer dtypes get here (checked above); the others are instantiated but never run.
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      for (size_t i = 0; i < n; ++i) {
        if constexpr (std::is_signed_v<T>) {
          if (v[i] < 0)
            fail(maps_what, "negative value " + std::to_string(v[i]) + " in map " +
                                std::to_string(static_cast<int64_t>(i) / per_map));
        }
        // The real file marks some failed dies with 3: every value >= 2 is a failed die.
        set.maps[i] = v[i] >= 2 ? kFail : static_cast<uint8_t>(v[i]);
      }
    }
  });
  labels.visit([&](const auto* v, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      if (v[i] != 0 && v[i] != 1)
        fail(labels_what, "label value " + std::to_string(+v[i]) + " of map " +
                              std::to_string(i / kNumLabels) + " is not 0 or 1");
      set.labels[i] = v[i] ? 1 : 0;
    }
  });
  return set;
}

void save_wafer_npz(const std::string& path, const WaferSet& set, bool compressed) {
  set.validate(path);
  NpyArray maps(DType::Int32, {set.count, set.height, set.width});
  NpyArray labels(DType::Int32, {set.count, kNumLabels});
  int32_t* m = maps.data_as<int32_t>();
  for (size_t i = 0; i < set.maps.size(); ++i) m[i] = set.maps[i];
  int32_t* l = labels.data_as<int32_t>();
  for (size_t i = 0; i < set.labels.size(); ++i) l[i] = set.labels[i];
  write_npz(path, {{"arr_0", maps}, {"arr_1", labels}}, compressed);
}

WaferSet subset(const WaferSet& set, const std::vector<int64_t>& indices) {
  WaferSet out;
  out.count = static_cast<int64_t>(indices.size());
  out.height = set.height;
  out.width = set.width;
  const size_t per_map = static_cast<size_t>(set.map_size());
  out.maps.resize(indices.size() * per_map);
  out.labels.resize(indices.size() * kNumLabels);
  for (size_t k = 0; k < indices.size(); ++k) {
    const int64_t i = indices[k];
    if (i < 0 || i >= set.count)
      fail("subset",
           "index " + std::to_string(i) + " outside a set of " + std::to_string(set.count));
    std::copy(set.map(i), set.map(i) + per_map,
              out.maps.begin() + static_cast<std::ptrdiff_t>(k * per_map));
    std::copy(set.label(i), set.label(i) + kNumLabels,
              out.labels.begin() + static_cast<std::ptrdiff_t>(k * kNumLabels));
  }
  return out;
}

}  // namespace wdc::data
