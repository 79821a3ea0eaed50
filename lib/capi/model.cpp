// Creating, loading, saving and describing models.
#include <cmath>

#include <nlohmann/json.hpp>

#include "capi_internal.h"

namespace wdc::capi {

int64_t integer_option(const nlohmann::json& value, const std::string& key, int64_t low,
                       int64_t high, const char* note) {
  if (!value.is_number_integer() || value.get<int64_t>() < low || value.get<int64_t>() > high)
    fail(ErrorCode::kConfig, "options_json: \"" + key + "\" must be an integer in [" +
                                 std::to_string(low) + ", " + std::to_string(high) + "]" + note +
                                 ", got " + value.dump().substr(0, 40));
  return value.get<int64_t>();
}

nlohmann::json options_object(const char* options_json, const char* argument) {
  if (options_json == nullptr || *options_json == '\0') return nlohmann::json::object();
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(options_json);
  } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range for 1e999
    fail(ErrorCode::kConfig, std::string(argument) + " is not valid JSON: " + e.what());
  }
  if (!json.is_object()) fail(ErrorCode::kConfig, std::string(argument) + " must be a JSON object");
  return json;
}

void unknown_option(const std::string& key, const char* known) {
  fail(ErrorCode::kConfig,
       "options_json: unknown key \"" + key + "\" (known keys: " + known + ")");
}

namespace {

// wdc_load's options_json: {"device": "cpu"|"cuda"|"auto", "threads": N >= 0,
// "precision": "fp32"|"bf16"|"auto", and the limits
// "max_map_side", "max_batch", "max_file_bytes", "max_parameters"}; NULL or "" are the
// defaults. Anything else is Error(kConfig) naming the problem.
RuntimeOptions parse_runtime_options(const char* options_json) {
  RuntimeOptions options;
  const nlohmann::json json = options_object(options_json);
  for (const auto& [key, value] : json.items()) {
    if (key == "device") {
      if (!value.is_string())
        fail(ErrorCode::kConfig, "options_json: \"device\" must be a string");
      options.device = value.get<std::string>();
      if (options.device != "cpu" && options.device != "cuda" && options.device != "auto")
        fail(ErrorCode::kConfig, "options_json: \"device\" must be \"cpu\", \"cuda\" or "
                                 "\"auto\", got \"" + options.device + "\"");
    } else if (key == "threads") {
      options.threads = static_cast<int>(integer_option(value, key, 0, 4096, " (0 = by the work)"));
    } else if (key == "buffer_cache") {
      if (!value.is_boolean())
        fail(ErrorCode::kConfig, "options_json: \"buffer_cache\" must be true or false");
      options.buffer_cache = value.get<bool>();
    } else if (key == "openblas_threads") {
      options.openblas_threads =
          static_cast<int>(integer_option(value, key, 0, 4096, " (0 = leave OpenBLAS as it is)"));
    } else if (key == "precision") {
      if (!value.is_string() || (value != "fp32" && value != "bf16" && value != "auto"))
        fail(ErrorCode::kConfig,
             "options_json: \"precision\" must be \"fp32\", \"bf16\" or \"auto\", got " +
                 value.dump().substr(0, 40));
      options.precision = value.get<std::string>();
    } else if (key == "novelty_threshold") {
      if (!value.is_number() || !std::isfinite(value.get<double>()))
        fail(ErrorCode::kConfig, "options_json: \"novelty_threshold\" must be a number, got " +
                                     value.dump().substr(0, 40));
      options.novelty_threshold = value.get<float>();
    } else if (key.rfind("max_", 0) == 0) {
      if (!value.is_number_integer())
        fail(ErrorCode::kConfig, "options_json: \"" + key + "\" must be an integer, got " +
                                     value.dump().substr(0, 40));
      set_limit(options.limits, key, value.get<int64_t>());
    } else {
      unknown_option(key,
                     "\"device\", \"threads\", \"buffer_cache\", \"openblas_threads\", "
                     "\"novelty_threshold\", \"precision\", "
                     "\"max_map_side\", \"max_batch\", \"max_file_bytes\", \"max_parameters\"");
    }
  }
  return options;
}

}  // namespace
}  // namespace wdc::capi

using namespace wdc::capi;

extern "C" {

WDC_API wdc_status wdc_create(const char* config_json, wdc_model** out) {
  return guarded("wdc_create", [&] {
    require(out != nullptr, "out is NULL");
    auto classifier = wdc::Classifier::create(config_json != nullptr ? config_json : "");
    *out = register_model(std::move(classifier));
  });
}

WDC_API wdc_status wdc_create_with_options(const char* config_json, const char* options_json,
                                           wdc_model** out) {
  return guarded("wdc_create_with_options", [&] {
    require(out != nullptr, "out is NULL");
    const wdc::RuntimeOptions options = parse_runtime_options(options_json);
    auto classifier =
        wdc::Classifier::create(config_json != nullptr ? config_json : "", options);
    *out = register_model(std::move(classifier));
  });
}

WDC_API wdc_status wdc_load(const char* path, const char* options_json, wdc_model** out) {
  return guarded("wdc_load", [&] {
    require(path != nullptr, "path is NULL");
    require(*path != '\0', "path is empty");
    require(out != nullptr, "out is NULL");
    const wdc::RuntimeOptions options = parse_runtime_options(options_json);
    auto classifier = wdc::Classifier::load(path, options);
    *out = register_model(std::move(classifier));
  });
}

WDC_API wdc_status wdc_load_builtin(const char* options_json, wdc_model** out) {
  return guarded("wdc_load_builtin", [&] {
    require(out != nullptr, "out is NULL");
    const wdc::RuntimeOptions options = parse_runtime_options(options_json);
    *out = register_model(wdc::Classifier::load_builtin(options));
  });
}

WDC_API wdc_status wdc_save(wdc_model* model, const char* path) {
  return guarded("wdc_save", [&] {
    const wdc_model& m = live_model(model);
    require(path != nullptr, "path is NULL");
    require(*path != '\0', "path is empty");
    m.classifier->save(path);
  });
}

WDC_API wdc_status wdc_info(const wdc_model* model, char** info_json) {
  return guarded("wdc_info", [&] {
    const wdc_model& m = live_model(model);
    require(info_json != nullptr, "info_json is NULL");
    char* text = copy_string(m.classifier->info());
    *info_json = text;
  });
}

}  // extern "C"
