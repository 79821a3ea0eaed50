// Prediction, class activation maps and evaluation: argument checks, then one call into the
// classifier, whose result is copied into the caller's buffer only once it is complete.
#include <algorithm>

#include "capi_internal.h"

using namespace wdc::capi;
using wdc::ErrorCode;

extern "C" {

WDC_API wdc_status wdc_predict(wdc_model* model, const uint8_t* maps, int64_t count,
                               int64_t height, int64_t width, float* probabilities,
                               int64_t probabilities_len) {
  return guarded("wdc_predict", [&] {
    const wdc_model& m = live_model(model);
    require(maps != nullptr, "maps is NULL");
    require(probabilities != nullptr, "probabilities is NULL");
    require_positive(count, "count");
    require_positive(height, "height");
    require_positive(width, "width");
    checked_mul(count, checked_mul(height, width, "height * width"), "count * height * width");
    const auto labels = static_cast<int64_t>(m.label_names().size());
    const int64_t needed = checked_mul(count, labels, "count * num_labels");
    if (probabilities_len < needed)
      fail(ErrorCode::kInvalidArgument,
           "probabilities_len is " + std::to_string(probabilities_len) +
               ", the result needs count * num_labels = " + std::to_string(needed));
    const std::vector<float> result = m.classifier->predict(maps, count, height, width);
    if (static_cast<int64_t>(result.size()) != needed)
      fail(ErrorCode::kInternal, "predict returned " + std::to_string(result.size()) +
                                     " values instead of " + std::to_string(needed));
    std::copy(result.begin(), result.end(), probabilities);
  });
}

WDC_API wdc_status wdc_cam(wdc_model* model, const uint8_t* map, int64_t height, int64_t width,
                           int32_t label, float* cam, int64_t cam_len) {
  return guarded("wdc_cam", [&] {
    const wdc_model& m = live_model(model);
    require(map != nullptr, "map is NULL");
    require(cam != nullptr, "cam is NULL");
    require_positive(height, "height");
    require_positive(width, "width");
    const int64_t needed = checked_mul(height, width, "height * width");
    const auto labels = static_cast<int64_t>(m.label_names().size());
    if (label < 0 || label >= labels)
      fail(ErrorCode::kInvalidArgument, "label " + std::to_string(label) +
                                            " is out of range [0, " + std::to_string(labels) +
                                            ")");
    if (cam_len < needed)
      fail(ErrorCode::kInvalidArgument, "cam_len is " + std::to_string(cam_len) +
                                            ", the result needs height * width = " +
                                            std::to_string(needed));
    const std::vector<float> result = m.classifier->cam(map, height, width, label);
    if (static_cast<int64_t>(result.size()) != needed)
      fail(ErrorCode::kInternal, "cam returned " + std::to_string(result.size()) +
                                     " values instead of " + std::to_string(needed));
    std::copy(result.begin(), result.end(), cam);
  });
}

WDC_API wdc_status wdc_evaluate(wdc_model* model, const char* data_path, char** report_json) {
  return guarded("wdc_evaluate", [&] {
    const wdc_model& m = live_model(model);
    require(data_path != nullptr, "data_path is NULL");
    require(*data_path != '\0', "data_path is empty");
    require(report_json != nullptr, "report_json is NULL");
    char* text = copy_string(wdc::train::to_json(m.classifier->evaluate_file(data_path)).dump());
    *report_json = text;
  });
}

}  // extern "C"
