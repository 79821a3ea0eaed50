// Data sets: npz files, generated maps and caller buffers held as data::WaferSet, read back into
// caller buffers, described, split and saved. A data set never changes after it is made.
#include <algorithm>
#include <cstring>
#include <set>

#include "capi_internal.h"
#include "data/data_error.h"
#include "data/split.h"
#include "data/wafer_file.h"
#include "data/synth.h"

namespace wdc::capi {

wdc_dataset* register_dataset(data::WaferSet set) {
  auto handle = std::make_unique<wdc_dataset>();
  handle->set = std::move(set);
  live_table<wdc_dataset>().add(handle.get());
  return handle.release();
}

const data::WaferSet& live_dataset(const wdc_dataset* data) {
  if (data == nullptr) fail(ErrorCode::kMisuse, "data is NULL");
  if (!live_table<wdc_dataset>().contains(data))
    fail(ErrorCode::kMisuse, "data is not a live data set handle (already freed, or not made by "
                             "a wdc_dataset_* function)");
  if (data->magic != wdc_dataset::kLiveMagic)
    fail(ErrorCode::kMisuse, "data set handle is corrupt (bad magic value)");
  return data->set;
}

data::WaferSet dataset_range(const data::WaferSet& set, int64_t first, int64_t count) {
  std::vector<int64_t> range(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) range[static_cast<size_t>(i)] = first + i;
  return data::subset(set, range);
}

void require_range(int64_t first, int64_t count, int64_t size) {
  if (first < 0 || count < 1 || first > size || count > size - first)
    fail(ErrorCode::kInvalidArgument,
         std::to_string(count) + " maps from index " + std::to_string(first) +
             " are not within the data set's " + std::to_string(size) + " maps");
}

data::WaferSet labelled_set(const uint8_t* maps, int64_t count, int64_t height, int64_t width,
                            const uint8_t* labels, int64_t labels_len) {
  require(maps != nullptr, "maps is NULL");
  require_positive(count, "count");
  require_positive(height, "height");
  require_positive(width, "width");
  const int64_t values =
      checked_mul(count, checked_mul(height, width, "height * width"), "count * height * width");
  const int64_t label_values = checked_mul(count, data::kNumLabels, "count * 8");
  if (labels == nullptr) {
    require(labels_len == 0, "labels is NULL but labels_len is not 0");
  } else if (labels_len < label_values) {
    fail(ErrorCode::kInvalidArgument, "labels_len is " + std::to_string(labels_len) +
                                          ", the labels need count * 8 = " +
                                          std::to_string(label_values));
  }
  data::WaferSet set;
  set.count = count;
  set.height = height;
  set.width = width;
  set.maps.resize(static_cast<size_t>(values));
  for (int64_t i = 0; i < values; ++i) set.maps[i] = std::min<uint8_t>(maps[i], data::kFail);
  set.labels.assign(static_cast<size_t>(label_values), 0);
  if (labels != nullptr) {
    for (int64_t i = 0; i < label_values; ++i) {
      if (labels[i] > 1)
        fail(ErrorCode::kInvalidArgument, "labels[" + std::to_string(i) + "] is " +
                                              std::to_string(labels[i]) + ", not 0 or 1");
      set.labels[i] = labels[i];
    }
  }
  return set;
}

}  // namespace wdc::capi

using namespace wdc::capi;
using wdc::ErrorCode;
namespace data = wdc::data;

namespace {

// Copies `count` rows of `row` bytes starting at row `first` of `source` into `out`.
void copy_rows(const std::vector<uint8_t>& source, int64_t first, int64_t count, int64_t row,
               uint8_t* out, int64_t out_len, const char* what) {
  require(out != nullptr, (std::string(what) + " is NULL").c_str());
  const int64_t needed = checked_mul(count, row, what);
  if (out_len < needed)
    fail(ErrorCode::kInvalidArgument, std::string(what) + "_len is " + std::to_string(out_len) +
                                          ", the copy needs " + std::to_string(needed));
  std::memcpy(out, source.data() + first * row, static_cast<size_t>(needed));
}

}  // namespace

extern "C" {

WDC_API wdc_status wdc_dataset_load(const char* path, const char* options_json,
                                    wdc_dataset** out) {
  return guarded("wdc_dataset_load", [&] {
    require(path != nullptr, "path is NULL");
    require(*path != '\0', "path is empty");
    require(out != nullptr, "out is NULL");
    uint64_t max_bytes = wdc::Limits{}.max_file_bytes;
    const nlohmann::json options_given = options_object(options_json);
    for (const auto& [key, value] : options_given.items()) {
      if (key != "max_file_bytes") unknown_option(key, "\"max_file_bytes\"");
      max_bytes = static_cast<uint64_t>(integer_option(value, key, 1, INT64_MAX));
    }
    *out = register_dataset(data::load_wafer_npz(path, max_bytes));
  });
}

WDC_API wdc_status wdc_dataset_create(const uint8_t* maps, int64_t count, int64_t height,
                                      int64_t width, const uint8_t* labels, int64_t labels_len,
                                      wdc_dataset** out) {
  return guarded("wdc_dataset_create", [&] {
    require(out != nullptr, "out is NULL");
    *out = register_dataset(labelled_set(maps, count, height, width, labels, labels_len));
  });
}

WDC_API wdc_status wdc_dataset_create_ragged(const uint8_t* maps, int64_t maps_len,
                                             const int64_t* shapes, int64_t count,
                                             const uint8_t* labels, int64_t labels_len,
                                             const char* options_json, wdc_dataset** out) {
  return guarded("wdc_dataset_create_ragged", [&] {
    require(out != nullptr, "out is NULL");
    require(maps != nullptr, "maps is NULL");
    require(shapes != nullptr, "shapes is NULL");
    require_positive(count, "count");
    require(maps_len >= 0, "maps_len is negative");
    data::WaferSet set;
    const nlohmann::json options_given = options_object(options_json);
    for (const auto& [key, value] : options_given.items()) {
      if (key == "labels") {
        if (!value.is_array() || value.empty() || value.size() > 65536)
          fail(ErrorCode::kConfig, "options_json: \"labels\" must be an array of 1 to 65536 names");
        for (const auto& name : value) {
          if (!name.is_string() || name.get<std::string>().empty())
            fail(ErrorCode::kConfig, "options_json: \"labels\" must hold non-empty strings");
          set.label_names.push_back(name.get<std::string>());
        }
      } else if (key == "single_label") {
        if (!value.is_boolean())
          fail(ErrorCode::kConfig, "options_json: \"single_label\" must be true or false");
        set.single_label = value.get<bool>();
      } else {
        unknown_option(key, "\"labels\", \"single_label\"");
      }
    }
    const int64_t label_values = checked_mul(count, set.num_labels(), "count * labels");
    if (labels == nullptr) {
      require(labels_len == 0, "labels is NULL but labels_len is not 0");
      require(!set.single_label, "a single-label data set needs labels");
    } else if (labels_len < label_values) {
      fail(ErrorCode::kInvalidArgument,
           "labels_len is " + std::to_string(labels_len) +
               ", the labels need count * labels = " + std::to_string(label_values));
    }
    std::vector<int64_t> sides(shapes, shapes + checked_mul(count, 2, "count * 2"));
    int64_t values = 0;
    for (int64_t i = 0; i < count; ++i) {
      const int64_t r = sides[2 * i], c = sides[2 * i + 1];
      if (r < 1 || c < 1 || r > INT32_MAX || c > INT32_MAX || r * c > maps_len - values)
        fail(ErrorCode::kInvalidArgument,
             "shapes[" + std::to_string(i) + "] = " + std::to_string(r) + " x " +
                 std::to_string(c) +
                 (r < 1 || c < 1 ? ": sides must be >= 1"
                                 : ": the maps need more than maps_len values"));
      values += r * c;
    }
    require(values == maps_len, ("the shapes add up to " + std::to_string(values) +
                                 " values, maps_len is " + std::to_string(maps_len))
                                    .c_str());
    set.count = count;
    set.maps.resize(static_cast<size_t>(values));
    for (int64_t i = 0; i < values; ++i) set.maps[i] = std::min<uint8_t>(maps[i], data::kFail);
    set.labels.assign(static_cast<size_t>(label_values), 0);
    if (labels != nullptr) std::copy(labels, labels + label_values, set.labels.begin());
    set.set_shapes(std::move(sides), "wdc_dataset_create_ragged");
    try {
      set.validate("labels");
    } catch (const data::DataError& e) {
      fail(ErrorCode::kInvalidArgument, e.what());
    }
    *out = register_dataset(std::move(set));
  });
}

WDC_API wdc_status wdc_dataset_synthesize(int64_t count, uint64_t seed, wdc_dataset** out) {
  return guarded("wdc_dataset_synthesize", [&] {
    require(out != nullptr, "out is NULL");
    if (count < 1 || count > 10'000'000)
      fail(ErrorCode::kInvalidArgument,
           "count must be in [1, 10000000], got " + std::to_string(count));
    *out = register_dataset(data::synthesize(count, seed));
  });
}

WDC_API wdc_status wdc_dataset_save(const wdc_dataset* handle, const char* path,
                                    const char* options_json) {
  return guarded("wdc_dataset_save", [&] {
    const data::WaferSet& set = live_dataset(handle);
    require(path != nullptr, "path is NULL");
    require(*path != '\0', "path is empty");
    bool compressed = true;
    const nlohmann::json options_given = options_object(options_json);
    for (const auto& [key, value] : options_given.items()) {
      if (key != "compressed") unknown_option(key, "\"compressed\"");
      if (!value.is_boolean())
        fail(ErrorCode::kConfig, "options_json: \"compressed\" must be true or false");
      compressed = value.get<bool>();
    }
    data::save_wafer_npz(path, set, compressed);
  });
}

WDC_API void wdc_dataset_free(wdc_dataset* handle) {
  if (handle == nullptr) return;
  if (!live_table<wdc_dataset>().remove(handle)) {
    set_last_error("wdc_dataset_free",
                   "data is not a live data set handle (already freed, or not made by a "
                   "wdc_dataset_* function); ignored");
    return;
  }
  handle->magic = wdc_dataset::kDeadMagic;
  delete handle;
}

WDC_API int64_t wdc_dataset_count(const wdc_dataset* handle) {
  int64_t count = -1;
  guarded("wdc_dataset_count", [&] { count = live_dataset(handle).count; });
  return count;
}

WDC_API int32_t wdc_dataset_num_labels(const wdc_dataset* handle) {
  int32_t labels = -1;
  guarded("wdc_dataset_num_labels", [&] { labels = live_dataset(handle).num_labels(); });
  return labels;
}

WDC_API const char* wdc_dataset_label_name(const wdc_dataset* handle, int32_t index) {
  const char* name = nullptr;
  guarded("wdc_dataset_label_name", [&] {
    const data::WaferSet& set = live_dataset(handle);
    if (index < 0 || index >= set.num_labels())
      fail(ErrorCode::kInvalidArgument, "index " + std::to_string(index) + " is out of range [0, " +
                                            std::to_string(set.num_labels()) + ")");
    name = set.names()[static_cast<size_t>(index)].c_str();
  });
  return name;
}

WDC_API wdc_status wdc_dataset_map_size(const wdc_dataset* handle, int64_t index,
                                        int64_t* height, int64_t* width) {
  return guarded("wdc_dataset_map_size", [&] {
    const data::WaferSet& set = live_dataset(handle);
    require(height != nullptr, "height is NULL");
    require(width != nullptr, "width is NULL");
    require_range(index, 1, set.count);
    *height = set.rows(index);
    *width = set.cols(index);
  });
}

WDC_API wdc_status wdc_dataset_maps(const wdc_dataset* handle, int64_t first, int64_t count,
                                    uint8_t* maps, int64_t maps_len) {
  return guarded("wdc_dataset_maps", [&] {
    const data::WaferSet& set = live_dataset(handle);
    require_range(first, count, set.count);
    require(maps != nullptr, "maps is NULL");
    const int64_t begin = set.map(first) - set.maps.data();
    const int64_t end = first + count < set.count ? set.map(first + count) - set.maps.data()
                                                  : static_cast<int64_t>(set.maps.size());
    if (maps_len < end - begin)
      fail(ErrorCode::kInvalidArgument, "maps_len is " + std::to_string(maps_len) +
                                            ", the copy needs " + std::to_string(end - begin));
    std::memcpy(maps, set.maps.data() + begin, static_cast<size_t>(end - begin));
  });
}

WDC_API wdc_status wdc_dataset_labels(const wdc_dataset* handle, int64_t first, int64_t count,
                                      uint8_t* labels, int64_t labels_len) {
  return guarded("wdc_dataset_labels", [&] {
    const data::WaferSet& set = live_dataset(handle);
    require_range(first, count, set.count);
    copy_rows(set.labels, first, count, set.num_labels(), labels, labels_len, "labels");
  });
}

WDC_API wdc_status wdc_dataset_info(const wdc_dataset* handle, char** info_json) {
  return guarded("wdc_dataset_info", [&] {
    const data::WaferSet& set = live_dataset(handle);
    require(info_json != nullptr, "info_json is NULL");
    nlohmann::json info{{"count", set.count},    {"height", set.height},
                        {"width", set.width},    {"mixed_sizes", set.mixed_sizes()},
                        {"labels", set.names()}, {"single_label", set.single_label}};
    if (set.mixed_sizes()) {
      int64_t min_side = INT64_MAX, max_side = 0;
      std::set<std::pair<int64_t, int64_t>> sizes;
      for (int64_t i = 0; i < set.count; ++i) {
        sizes.emplace(set.rows(i), set.cols(i));
        min_side = std::min({min_side, set.rows(i), set.cols(i)});
        max_side = std::max({max_side, set.rows(i), set.cols(i)});
      }
      info["sizes"] = sizes.size();
      info["min_side"] = min_side;
      info["max_side"] = max_side;
    }
    // Per label, the maps that carry it (per class, for a single-label set).
    std::vector<int64_t> support(static_cast<size_t>(set.num_labels()), 0);
    for (size_t i = 0; i < set.labels.size(); ++i) support[i % support.size()] += set.labels[i];
    info["support"] = support;
    if (data::is_mixedwm38_label_set(set.names())) {
      std::vector<int64_t> per_type(data::kNumPatternTypes, 0);
      int64_t untyped = 0;
      for (int64_t i = 0; i < set.count; ++i) {
        const int t = set.pattern_type(i);
        if (t < 0)
          ++untyped;
        else
          ++per_type[t];
      }
      nlohmann::json types = nlohmann::json::object();
      for (int t = 0; t < data::kNumPatternTypes; ++t)
        if (per_type[t] > 0) types[data::kPatternTypes[t].id] = per_type[t];
      info["types"] = std::move(types);
      info["untyped"] = untyped;
    }
    *info_json = copy_string(info.dump());
  });
}

WDC_API wdc_status wdc_dataset_split(const wdc_dataset* handle, const char* options_json,
                                     wdc_dataset** train, wdc_dataset** val,
                                     wdc_dataset** test) {
  return guarded("wdc_dataset_split", [&] {
    const data::WaferSet& set = live_dataset(handle);
    require(train != nullptr && val != nullptr && test != nullptr,
            "train, val and test must not be NULL");
    double shares[2] = {0.1, 0.1};
    uint64_t seed = 0;
    const nlohmann::json options_given = options_object(options_json);
    for (const auto& [key, value] : options_given.items()) {
      if (key == "val" || key == "test") {
        if (!value.is_number() || value.get<double>() < 0 || value.get<double>() > 1)
          fail(ErrorCode::kConfig, "options_json: \"" + key + "\" must be a number in [0, 1]");
        shares[key == "test"] = value.get<double>();
      } else if (key == "seed") {
        if (!value.is_number_unsigned())
          fail(ErrorCode::kConfig, "options_json: \"seed\" must be a non-negative integer");
        seed = value.get<uint64_t>();
      } else {
        unknown_option(key, "\"val\", \"test\", \"seed\"");
      }
    }
    if (shares[0] + shares[1] > 1)
      fail(ErrorCode::kConfig, "options_json: \"val\" + \"test\" must not exceed 1");
    const data::Split split = data::stratified_split(set, shares[0], shares[1], seed);
    // All three exist before any is handed out, so a failure leaks nothing and sets nothing.
    std::unique_ptr<wdc_dataset, void (*)(wdc_dataset*)> parts[3] = {
        {register_dataset(data::subset(set, split.train)), wdc_dataset_free},
        {nullptr, wdc_dataset_free},
        {nullptr, wdc_dataset_free}};
    parts[1].reset(register_dataset(data::subset(set, split.val)));
    parts[2].reset(register_dataset(data::subset(set, split.test)));
    *train = parts[0].release();
    *val = parts[1].release();
    *test = parts[2].release();
  });
}

}  // extern "C"
