#include "data/wafer_set.h"

#include <algorithm>
#include <map>

#include "data/data_error.h"

namespace wdc::data {

const std::vector<std::string>& WaferSet::names() const {
  static const std::vector<std::string> kMixedWM38(kLabelNames.begin(), kLabelNames.end());
  return label_names.empty() ? kMixedWM38 : label_names;
}

int WaferSet::class_of(int64_t i) const {
  const uint8_t* l = label(i);
  return static_cast<int>(std::find(l, l + num_labels(), 1) - l);
}

int WaferSet::pattern_type(int64_t i) const {
  return label_names.empty() ? pattern_type_of(label(i))
                             : pattern_type_of_named(label_names, label(i));
}

void WaferSet::set_shapes(std::vector<int64_t> map_shapes, const std::string& what) {
  if (map_shapes.size() != static_cast<size_t>(count) * 2)
    fail(what, std::to_string(map_shapes.size() / 2) + " map shapes for " + std::to_string(count) +
                   " maps");
  std::vector<int64_t> starts(static_cast<size_t>(count) + 1, 0);
  const auto total = static_cast<int64_t>(maps.size());
  for (int64_t i = 0; i < count; ++i) {
    const int64_t r = map_shapes[2 * i], c = map_shapes[2 * i + 1];
    // Sides up to 2^31 keep r * c and the running sum (checked against the values present)
    // inside int64.
    if (r < 1 || c < 1 || r > INT32_MAX || c > INT32_MAX)
      fail(what, "map " + std::to_string(i) + " has shape " + std::to_string(r) + " x " +
                     std::to_string(c) + ": each side must be in [1, 2^31)");
    if (r * c > total - starts[i])
      fail(what, "the map shapes need more than the " + std::to_string(total) +
                     " map values present (at map " + std::to_string(i) + ")");
    starts[i + 1] = starts[i] + r * c;
  }
  if (starts.back() != total)
    fail(what, "the map shapes add up to " + std::to_string(starts.back()) + " values, but " +
                   std::to_string(total) + " are present");
  bool one_size = true;
  for (int64_t i = 1; one_size && i < count; ++i)
    one_size = map_shapes[2 * i] == map_shapes[0] && map_shapes[2 * i + 1] == map_shapes[1];
  if (one_size) {
    height = count > 0 ? map_shapes[0] : 0;
    width = count > 0 ? map_shapes[1] : 0;
    shapes.clear();
    offsets.clear();
    return;
  }
  shapes = std::move(map_shapes);
  offsets = std::move(starts);
  height = width = 0;
}

void WaferSet::validate(const std::string& what) const {
  if (count < 0 || height < 0 || width < 0) fail(what, "negative wafer set dimensions");
  if (mixed_sizes()) {
    if (shapes.size() != static_cast<size_t>(count) * 2 ||
        offsets.size() != static_cast<size_t>(count) + 1 || offsets.front() != 0 ||
        offsets.back() != static_cast<int64_t>(maps.size()))
      fail(what, "map shapes and offsets disagree with the " + std::to_string(count) + " maps");
    for (int64_t i = 0; i < count; ++i)
      if (shapes[2 * i] < 1 || shapes[2 * i + 1] < 1 ||
          offsets[i + 1] - offsets[i] != shapes[2 * i] * shapes[2 * i + 1])
        fail(what, "map " + std::to_string(i) + "'s shape disagrees with its offset");
  } else {
    if (height > 0 && width > INT64_MAX / height) fail(what, "map size overflows");
    if (count > 0 && map_size() > 0 && count > INT64_MAX / map_size())
      fail(what, "set size overflows");
    if (maps.size() != static_cast<uint64_t>(count * map_size()))
      fail(what, "maps hold " + std::to_string(maps.size()) + " values, expected " +
                     std::to_string(count) + " x " + std::to_string(height) + " x " +
                     std::to_string(width));
  }
  const int L = num_labels();
  if (L < 1) fail(what, "a set needs at least one label name");
  for (int i = 0; i < L; ++i)
    for (int k = 0; k < i; ++k)
      if (names()[i] == names()[k]) fail(what, "label name '" + names()[i] + "' repeats");
  if (labels.size() != static_cast<uint64_t>(count) * L)
    fail(what, "labels hold " + std::to_string(labels.size()) + " values, expected " +
                   std::to_string(count) + " x " + std::to_string(L));
  for (size_t i = 0; i < maps.size(); ++i)
    if (maps[i] > kFail) fail(what, "map value " + std::to_string(maps[i]) + " is not 0, 1 or 2");
  for (size_t i = 0; i < labels.size(); ++i)
    if (labels[i] > 1) fail(what, "label value " + std::to_string(labels[i]) + " is not 0 or 1");
  if (single_label)
    for (int64_t i = 0; i < count; ++i)
      if (std::count(label(i), label(i) + L, 1) != 1)
        fail(what, "map " + std::to_string(i) + " of a single-label set has not exactly one class");
}

WaferSet subset(const WaferSet& set, const std::vector<int64_t>& indices) {
  WaferSet out;
  out.count = static_cast<int64_t>(indices.size());
  out.height = set.height;
  out.width = set.width;
  out.label_names = set.label_names;
  out.single_label = set.single_label;
  const int L = set.num_labels();
  std::vector<int64_t> shapes;
  for (int64_t i : indices)
    if (i < 0 || i >= set.count)
      fail("subset",
           "index " + std::to_string(i) + " outside a set of " + std::to_string(set.count));
  int64_t values = 0;
  for (int64_t i : indices) values += set.rows(i) * set.cols(i);
  out.maps.reserve(static_cast<size_t>(values));
  out.labels.reserve(indices.size() * static_cast<size_t>(L));
  for (int64_t i : indices) {
    out.maps.insert(out.maps.end(), set.map(i), set.map(i) + set.rows(i) * set.cols(i));
    out.labels.insert(out.labels.end(), set.label(i), set.label(i) + L);
    if (set.mixed_sizes()) shapes.insert(shapes.end(), {set.rows(i), set.cols(i)});
  }
  if (set.mixed_sizes()) out.set_shapes(std::move(shapes), "subset");
  return out;
}

WaferSet join(const WaferSet& first, const WaferSet& second) {
  if (first.names() != second.names() || first.single_label != second.single_label) {
    auto listed = [](const WaferSet& set) {
      std::string text = set.single_label ? "one class of " : "labels ";
      for (size_t i = 0; i < set.names().size(); ++i) text += (i ? ", " : "") + set.names()[i];
      return text;
    };
    fail("join", "the two sets' labels differ: " + listed(first) + " vs " + listed(second));
  }
  WaferSet out;
  out.count = first.count + second.count;
  out.label_names = first.label_names;
  out.single_label = first.single_label;
  out.maps.reserve(first.maps.size() + second.maps.size());
  out.maps.insert(out.maps.end(), first.maps.begin(), first.maps.end());
  out.maps.insert(out.maps.end(), second.maps.begin(), second.maps.end());
  out.labels.reserve(first.labels.size() + second.labels.size());
  out.labels.insert(out.labels.end(), first.labels.begin(), first.labels.end());
  out.labels.insert(out.labels.end(), second.labels.begin(), second.labels.end());
  std::vector<int64_t> shapes;
  shapes.reserve(static_cast<size_t>(2 * out.count));
  for (const WaferSet* set : {&first, &second})
    for (int64_t i = 0; i < set->count; ++i)
      shapes.insert(shapes.end(), {set->rows(i), set->cols(i)});
  out.set_shapes(std::move(shapes), "join");  // one size again where both share it
  return out;
}

std::vector<std::vector<int64_t>> label_groups(const WaferSet& set) {
  if (is_mixedwm38_label_set(set.names())) {
    std::vector<std::vector<int64_t>> groups(kNumPatternTypes + 1);
    for (int64_t i = 0; i < set.count; ++i) {
      const int t = set.pattern_type(i);
      groups[static_cast<size_t>(t < 0 ? kNumPatternTypes : t)].push_back(i);
    }
    return groups;
  }
  if (set.single_label) {
    std::vector<std::vector<int64_t>> groups(static_cast<size_t>(set.num_labels()));
    for (int64_t i = 0; i < set.count; ++i)
      groups[static_cast<size_t>(set.class_of(i))].push_back(i);
    return groups;
  }
  std::vector<std::vector<int64_t>> groups;
  std::map<std::vector<uint8_t>, size_t> group_of;
  for (int64_t i = 0; i < set.count; ++i) {
    std::vector<uint8_t> key(set.label(i), set.label(i) + set.num_labels());
    const auto [it, added] = group_of.emplace(std::move(key), groups.size());
    if (added) groups.emplace_back();
    groups[it->second].push_back(i);
  }
  return groups;
}

}  // namespace wdc::data
