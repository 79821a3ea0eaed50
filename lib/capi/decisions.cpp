// Decisions: the model's thresholds, labels by name, classification (probabilities with the
// labels and pattern type they decide), and evaluation of maps in memory or of a data set.
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "capi_internal.h"

using namespace wdc::capi;
using wdc::ErrorCode;
namespace data = wdc::data;
using nlohmann::json;

namespace wdc::capi {

// The double nearest to the shortest decimal that reads back as `value`, so that JSON shows
// 0.43180773 rather than float-to-double noise (0.4318077266216278) and loses nothing.
double shortest(float value) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf - 1, value);
  if (ec != std::errc()) return value;
  *end = '\0';
  return std::strtod(buf, nullptr);
}

json names_present(const std::vector<std::string>& names, const uint8_t* present) {
  json out = json::array();
  for (size_t k = 0; k < names.size(); ++k)
    if (present[k]) out.push_back(names[k]);
  return out;
}

void check_maps(const uint8_t* maps, int64_t count, int64_t height, int64_t width) {
  require(maps != nullptr, "maps is NULL");
  require_positive(count, "count");
  require_positive(height, "height");
  require_positive(width, "width");
  checked_mul(count, checked_mul(height, width, "height * width"), "count * height * width");
}

}  // namespace wdc::capi

namespace {

json type_json(int type) {
  if (type < 0) return json{{"id", nullptr}, {"name", "unknown"}};
  return json{{"id", data::kPatternTypes[type].id}, {"name", data::kPatternTypes[type].name}};
}

// One object per map of `result`: index (first + i), probabilities, labels, type.
json classification_json(const std::vector<std::string>& names, const wdc::Classification& result,
                         int64_t first) {
  const size_t n = names.size();
  const size_t count = n ? result.probabilities.size() / n : 0;
  json out = json::array();
  for (size_t i = 0; i < count; ++i) {
    json probabilities = json::array();
    for (size_t k = 0; k < n; ++k) probabilities.push_back(shortest(result.probabilities[i * n + k]));
    const uint8_t* present = result.present.data() + i * n;
    const float novelty = result.novelty[i];
    out.push_back({{"index", first + static_cast<int64_t>(i)},
                   {"probabilities", std::move(probabilities)},
                   {"labels", names_present(names, present)},
                   {"type", type_json(data::pattern_type_of_named(names, present))},
                   {"novelty", std::isnan(novelty) ? json(nullptr) : json(shortest(novelty))},
                   {"unknown", result.unknown[i] != 0}});
  }
  return out;
}

}  // namespace

extern "C" {

WDC_API wdc_status wdc_thresholds(const wdc_model* model, float* thresholds,
                                  int64_t thresholds_len) {
  return guarded("wdc_thresholds", [&] {
    const wdc_model& m = live_model(model);
    require(thresholds != nullptr, "thresholds is NULL");
    const std::vector<float> values = m.classifier->thresholds();
    if (thresholds_len < static_cast<int64_t>(values.size()))
      fail(ErrorCode::kInvalidArgument, "thresholds_len is " + std::to_string(thresholds_len) +
                                            ", the model has " + std::to_string(values.size()) +
                                            " labels");
    std::copy(values.begin(), values.end(), thresholds);
  });
}

WDC_API int32_t wdc_label_index(const wdc_model* model, const char* name) {
  int32_t index = -1;
  guarded("wdc_label_index", [&] {
    const wdc_model& m = live_model(model);
    require(name != nullptr, "name is NULL");
    index = m.classifier->label_index(name);
  });
  return index;
}

WDC_API wdc_status wdc_classify(wdc_model* model, const uint8_t* maps, int64_t count,
                                int64_t height, int64_t width, char** result_json) {
  return guarded("wdc_classify", [&] {
    const wdc_model& m = live_model(model);
    check_maps(maps, count, height, width);
    require(result_json != nullptr, "result_json is NULL");
    const wdc::Classification result = m.classifier->classify(maps, count, height, width);
    *result_json = copy_string(classification_json(m.label_names(), result, 0).dump());
  });
}

WDC_API wdc_status wdc_classify_dataset(wdc_model* model, const wdc_dataset* handle,
                                        int64_t first, int64_t count, char** result_json) {
  return guarded("wdc_classify_dataset", [&] {
    const wdc_model& m = live_model(model);
    const data::WaferSet& set = live_dataset(handle);
    require_range(first, count, set.count);
    require(result_json != nullptr, "result_json is NULL");
    const wdc::Classification result = m.classifier->classify_set(dataset_range(set, first, count));
    json out = classification_json(m.label_names(), result, first);
    const std::vector<std::string>& truth_names = set.names();
    const bool same_labels = m.label_names() == truth_names;
    const size_t n = m.label_names().size();
    for (int64_t i = 0; i < count; ++i) {
      const uint8_t* truth = set.label(first + i);
      json& item = out[static_cast<size_t>(i)];
      item["true_labels"] = names_present(truth_names, truth);
      item["true_type"] = type_json(set.pattern_type(first + i));
      item["correct"] =
          same_labels && std::equal(truth, truth + n, result.present.begin() + i * n);
    }
    *result_json = copy_string(out.dump());
  });
}

WDC_API wdc_status wdc_evaluate_maps(wdc_model* model, const uint8_t* maps, int64_t count,
                                     int64_t height, int64_t width, const uint8_t* labels,
                                     int64_t labels_len, char** report_json) {
  return guarded("wdc_evaluate_maps", [&] {
    const wdc_model& m = live_model(model);
    require(labels != nullptr, "labels is NULL");
    require(report_json != nullptr, "report_json is NULL");
    // The labels in memory are MixedWM38's 8 (labelled_set); a model of other labels cannot be
    // evaluated on them.
    if (m.label_names().size() != static_cast<size_t>(data::kNumLabels))
      fail(ErrorCode::kUnsupported, "evaluate: MixedWM38 data has 8 labels, this network has " +
                                        std::to_string(m.label_names().size()));
    const data::WaferSet set = labelled_set(maps, count, height, width, labels, labels_len);
    *report_json = copy_string(wdc::train::to_json(m.classifier->evaluate(set)).dump());
  });
}

WDC_API wdc_status wdc_evaluate_dataset(wdc_model* model, const wdc_dataset* handle,
                                        char** report_json) {
  return guarded("wdc_evaluate_dataset", [&] {
    const wdc_model& m = live_model(model);
    const data::WaferSet& set = live_dataset(handle);
    require(report_json != nullptr, "report_json is NULL");
    *report_json = copy_string(wdc::train::to_json(m.classifier->evaluate(set)).dump());
  });
}

}  // extern "C"
