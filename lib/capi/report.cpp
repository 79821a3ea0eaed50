// Pictures, reports and config files: argument and option checks around io/cam_png,
// model/report and model/config_file.
#include "capi_internal.h"
#include "io/cam_png.h"
#include "model/config_file.h"
#include "model/report.h"

using namespace wdc::capi;
using wdc::ErrorCode;
using nlohmann::json;

extern "C" {

WDC_API wdc_status wdc_write_map_png(const char* path, const uint8_t* map, int64_t height,
                                     int64_t width, const float* cam, int64_t cam_len,
                                     const char* options_json) {
  return guarded("wdc_write_map_png", [&] {
    require(path != nullptr, "path is NULL");
    require(*path != '\0', "path is empty");
    require(map != nullptr, "map is NULL");
    require_positive(height, "height");
    require_positive(width, "width");
    const int64_t cells = checked_mul(height, width, "height * width");
    if (cam == nullptr)
      require(cam_len == 0, "cam is NULL but cam_len is not 0");
    else if (cam_len < cells)
      fail(ErrorCode::kInvalidArgument, "cam_len is " + std::to_string(cam_len) +
                                            ", the map has height * width = " +
                                            std::to_string(cells) + " dies");
    int scale = 8;
    double alpha = wdc::io::kDefaultCamAlpha;
    const nlohmann::json options_given = options_object(options_json);
    for (const auto& [key, value] : options_given.items()) {
      if (key == "scale") {
        scale = static_cast<int>(integer_option(value, key, 1, wdc::io::kMaxScale));
      } else if (key == "alpha") {
        if (!value.is_number() || value.get<double>() < 0 || value.get<double>() > 1)
          fail(ErrorCode::kConfig, "options_json: \"alpha\" must be a number in [0, 1]");
        alpha = value.get<double>();
      } else {
        unknown_option(key, "\"scale\", \"alpha\"");
      }
    }
    if (cam == nullptr)
      wdc::io::write_map_png(path, map, height, width, scale);
    else
      wdc::io::write_cam_png(path, map, height, width, cam, scale, alpha);
  });
}

WDC_API wdc_status wdc_report(wdc_model* model, const wdc_dataset* data, const char* out_dir,
                              const char* options_json, char** result_json) {
  return guarded("wdc_report", [&] {
    const wdc_model& m = live_model(model);
    const wdc::data::WaferSet& set = live_dataset(data);
    require(out_dir != nullptr, "out_dir is NULL");
    require(*out_dir != '\0', "out_dir is empty");
    wdc::ReportOptions options;
    const nlohmann::json options_given = options_object(options_json);
    for (const auto& [key, value] : options_given.items()) {
      if (key == "per_type") {
        options.per_type = static_cast<int>(integer_option(value, key, 0, 100));
      } else if (key == "scale") {
        options.scale = static_cast<int>(integer_option(value, key, 1, 16));
      } else if (key == "model_name" || key == "data_name") {
        if (!value.is_string())
          fail(ErrorCode::kConfig, "options_json: \"" + key + "\" must be a string");
        (key == "model_name" ? options.model_name : options.data_name) = value.get<std::string>();
      } else {
        unknown_option(key, "\"per_type\", \"scale\", \"model_name\", \"data_name\"");
      }
    }
    const wdc::ReportSummary s = wdc::write_report(*m.classifier, set, out_dir, options);
    if (result_json != nullptr)
      *result_json = copy_string(json{
          {"out", s.path},
          {"bytes", s.bytes},
          {"samples", s.samples},
          {"exact_match", s.exact_match},
          {"task", s.single_label ? "single_label" : "multi_label"},
          {"pictures", s.pictures},
          {"types", s.types},
          {"unknown", s.unknown}}.dump());
  });
}

WDC_API wdc_status wdc_config_read(const char* path, char** network_json, char** train_json) {
  return guarded("wdc_config_read", [&] {
    require(path != nullptr, "path is NULL");
    require(*path != '\0', "path is empty");
    require(network_json != nullptr && train_json != nullptr,
            "network_json and train_json must not be NULL");
    const wdc::ConfigFile config = wdc::read_config_file(path);
    char* network = copy_string(config.network_json);
    char* train = nullptr;
    try {
      train = copy_string(config.train_json);
    } catch (...) {
      wdc_string_free(network);
      throw;
    }
    *network_json = network;
    *train_json = train;
  });
}

}  // extern "C"
