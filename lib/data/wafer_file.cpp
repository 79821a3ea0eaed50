#include "data/wafer_file.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <type_traits>

#include "data/data_error.h"

namespace wdc::data {
namespace {

void check_ndim(const NpyArray& a, size_t ndim, const std::string& what, const char* expected) {
  if (a.ndim() != ndim)
    fail(what, std::string("expected shape ") + expected + ", found " + shape_string(a.shape()));
}

// A value as numpy prints it: 1.5, not std::to_string's 1.500000.
template <class T>
std::string number_text(T v) {
  std::ostringstream out;
  out << +v;
  return out.str();
}

// Map values from any integer or whole-number float array; >= 2 becomes kFail.
std::vector<uint8_t> map_values(const NpyArray& maps, const std::string& what) {
  if (maps.dtype() == DType::Bool || maps.dtype() == DType::Unicode)
    fail(what, std::string("maps must be numbers, found ") + dtype_name(maps.dtype()));
  std::vector<uint8_t> out(static_cast<size_t>(maps.numel()));
  maps.visit([&](const auto* v, size_t n) {
    using T = std::remove_cv_t<std::remove_pointer_t<decltype(v)>>;
    if constexpr (!std::is_same_v<T, bool>) {  // bool was refused above
      for (size_t i = 0; i < n; ++i) {
        bool bad = false;
        if constexpr (std::is_floating_point_v<T>)
          bad = !std::isfinite(v[i]) || v[i] < 0 || std::trunc(v[i]) != v[i];
        else if constexpr (std::is_signed_v<T>)
          bad = v[i] < 0;
        if (bad)
          fail(what, "value " + number_text(v[i]) + " at index " + std::to_string(i) +
                         " is not a die value (0 off-wafer, 1 pass, >= 2 fail)");
        // The real MixedWM38 file marks some failed dies with 3: every value >= 2 is a failed die.
        out[i] = v[i] >= 2 ? kFail : static_cast<uint8_t>(v[i]);
      }
    }
  });
  return out;
}

std::vector<std::string> default_names(int64_t count, bool multi_hot) {
  if (multi_hot && count == kNumLabels) return {};  // MixedWM38's
  std::vector<std::string> names;
  for (int64_t i = 0; i < count; ++i) names.push_back(std::to_string(i));
  return names;
}

// Labels (N,) class indices or (N, L) 0/1 into `set`, with names from label_names or defaults.
void read_labels(const NpyArray& labels, const NpyArray* names_array, const std::string& what,
                 WaferSet& set) {
  if (labels.ndim() != 1 && labels.ndim() != 2)
    fail(what, "expected class indices (N,) or multi-hot labels (N, L), found shape " +
                   shape_string(labels.shape()));
  const std::vector<int64_t> values = labels.to<int64_t>();  // names the index of a fraction
  std::vector<std::string> names;
  if (names_array != nullptr) {
    names = unicode_strings(*names_array);
    if (names.empty()) fail(names_array->origin(), "label_names is empty");
    for (size_t i = 0; i < names.size(); ++i)
      for (size_t k = 0; k < i; ++k)
        if (names[i] == names[k])
          fail(names_array->origin(), "label name '" + names[i] + "' repeats");
  }
  const int64_t count = labels.shape()[0];
  if (labels.ndim() == 1) {
    int64_t classes = static_cast<int64_t>(names.size());
    if (names.empty())
      for (int64_t v : values) classes = std::max(classes, v + 1);
    for (int64_t i = 0; i < count; ++i)
      if (values[i] < 0 || values[i] >= classes)
        fail(what, "class " + std::to_string(values[i]) + " of map " + std::to_string(i) +
                       " is outside [0, " + std::to_string(classes) + ")" +
                       (names.empty() ? "" : " (label_names has " + std::to_string(classes) + ")"));
    if (classes > 65536) fail(what, "more than 65536 classes");
    set.single_label = true;
    set.label_names = names.empty() ? default_names(classes, false) : names;
    set.labels.assign(static_cast<size_t>(count * classes), 0);
    for (int64_t i = 0; i < count; ++i)
      set.labels[static_cast<size_t>(i * classes + values[i])] = 1;
    return;
  }
  const int64_t L = labels.shape()[1];
  if (L < 1) fail(what, "labels have no columns");
  if (!names.empty() && static_cast<int64_t>(names.size()) != L)
    fail(what, std::to_string(L) + " label columns but label_names has " +
                   std::to_string(names.size()) + " names");
  set.label_names = names.empty() ? default_names(L, true) : names;
  set.labels.resize(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i] != 0 && values[i] != 1)
      fail(what, "label value " + std::to_string(values[i]) + " of map " +
                     std::to_string(i / static_cast<size_t>(L)) + " is not 0 or 1");
    set.labels[i] = static_cast<uint8_t>(values[i]);
  }
}

}  // namespace

WaferSet load_wafer_npz(const std::string& path, uint64_t max_array_bytes) {
  return read_wafer_set(NpzFile::open(path), max_array_bytes);
}

WaferSet read_wafer_set(const NpzFile& npz, uint64_t max_array_bytes) {
  const std::string& path = npz.path();
  const bool named = npz.contains("maps");
  const char* maps_key = named ? "maps" : "arr_0";
  const char* labels_key = named ? "labels" : "arr_1";
  if (!npz.contains(maps_key) || !npz.contains(labels_key))
    fail(path,
         "no wafer maps found: expected arrays 'maps' and 'labels' (with 'shapes' for maps "
         "of several sizes, 'label_names' optional), or MixedWM38's 'arr_0' and 'arr_1'");
  const bool ragged = named && npz.contains("shapes");

  // Labels and shapes first: they are small and catch a wrong file before the big read.
  WaferSet set;
  const NpyArray labels = npz.read(labels_key, max_array_bytes);
  NpyArray names;
  const bool has_names = npz.contains("label_names");
  if (has_names) names = npz.read("label_names", max_array_bytes);
  read_labels(labels, has_names ? &names : nullptr, path + ": " + labels_key, set);
  set.count = labels.shape()[0];

  const std::string maps_what = path + ": " + maps_key;
  const NpyArray maps = npz.read(maps_key, max_array_bytes);
  if (ragged) {
    const NpyArray shapes = npz.read("shapes", max_array_bytes);
    const std::string shapes_what = path + ": shapes";
    check_ndim(shapes, 2, shapes_what, "(N, 2)");
    if (shapes.shape()[1] != 2 || shapes.shape()[0] != set.count)
      fail(shapes_what, "expected shape (" + std::to_string(set.count) + ", 2) to match " +
                            labels_key + ", found " + shape_string(shapes.shape()));
    check_ndim(maps, 1, maps_what, "(P,): every map's values one map after the other");
    std::vector<int64_t> sides = shapes.to<int64_t>();
    set.maps = map_values(maps, maps_what);
    set.set_shapes(std::move(sides), shapes_what);  // a file of one size makes a one-size set
    return set;
  }
  check_ndim(maps, 3, maps_what, "(N, H, W)");
  if (maps.shape()[0] != set.count)
    fail(path, std::string(maps_key) + " holds " + std::to_string(maps.shape()[0]) + " maps but " +
                   labels_key + " " + std::to_string(set.count) + " labels");
  if (maps.shape()[1] < 1 || maps.shape()[2] < 1)
    fail(maps_what, "empty maps of shape " + shape_string(maps.shape()));
  set.height = maps.shape()[1];
  set.width = maps.shape()[2];
  set.maps = map_values(maps, maps_what);
  return set;
}

void save_wafer_npz(const std::string& path, const WaferSet& set, bool compressed) {
  set.validate(path);
  // MixedWM38's labels in arr_1's order on maps of one size: MixedWM38's own layout.
  const bool mixedwm38_layout =
      set.num_labels() == kNumLabels &&
      std::equal(set.names().begin(), set.names().end(), kLabelNames.begin());
  if (mixedwm38_layout && !set.single_label && !set.mixed_sizes()) {
    NpyArray maps(DType::Int32, {set.count, set.height, set.width});
    NpyArray labels(DType::Int32, {set.count, kNumLabels});
    int32_t* m = maps.data_as<int32_t>();
    for (size_t i = 0; i < set.maps.size(); ++i) m[i] = set.maps[i];
    int32_t* l = labels.data_as<int32_t>();
    for (size_t i = 0; i < set.labels.size(); ++i) l[i] = set.labels[i];
    write_npz(path, {{"arr_0", maps}, {"arr_1", labels}}, compressed);
    return;
  }
  const std::vector<int64_t> map_shape =
      set.mixed_sizes() ? std::vector<int64_t>{static_cast<int64_t>(set.maps.size())}
                        : std::vector<int64_t>{set.count, set.height, set.width};
  const NpyArray maps = NpyArray::from(map_shape, set.maps.data());
  const auto [labels, names] = label_arrays(set);
  if (!set.mixed_sizes()) {
    write_npz(path, {{"maps", maps}, {"labels", labels}, {"label_names", names}}, compressed);
    return;
  }
  std::vector<int32_t> sides(set.shapes.begin(), set.shapes.end());
  const NpyArray shapes = NpyArray::from({set.count, 2}, sides.data());
  write_npz(path, {{"maps", maps}, {"shapes", shapes}, {"labels", labels}, {"label_names", names}},
            compressed);
}

LabelArrays label_arrays(const WaferSet& set) {
  const int L = set.num_labels();
  NpyArray labels = set.single_label ? NpyArray(DType::Int32, {set.count})
                                     : NpyArray(DType::Int32, {set.count, L});
  int32_t* l = labels.data_as<int32_t>();
  if (set.single_label)
    for (int64_t i = 0; i < set.count; ++i) l[i] = set.class_of(i);
  else
    for (size_t i = 0; i < set.labels.size(); ++i) l[i] = set.labels[i];
  return {std::move(labels), unicode_array(set.names())};
}

WaferSet read_label_set(const NpzFile& npz, uint64_t max_array_bytes) {
  if (!npz.contains("labels")) fail(npz.path(), "no 'labels' array");
  WaferSet set;
  const NpyArray labels = npz.read("labels", max_array_bytes);
  NpyArray names;
  const bool has_names = npz.contains("label_names");
  if (has_names) names = npz.read("label_names", max_array_bytes);
  read_labels(labels, has_names ? &names : nullptr, npz.path() + ": labels", set);
  set.count = labels.shape()[0];
  set.validate(npz.path());
  return set;
}

}  // namespace wdc::data
