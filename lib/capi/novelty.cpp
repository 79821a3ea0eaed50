// Novelty: wdc_novelty, wdc_novelty_threshold and wdc_fit_novelty (search/novelty.h computes
// it; the classifier keeps its statistics).
#include <algorithm>
#include <cmath>

#include "capi_internal.h"

using namespace wdc::capi;
using nlohmann::json;
using wdc::ErrorCode;

namespace {

struct FitOptions {
  int64_t k = 5;
  int64_t bank = 4096;
  double share = 0.01;
  uint64_t seed = 0;
};

FitOptions parse_fit_options(const char* options_json) {
  FitOptions o;
  const json options = options_object(options_json);
  for (const auto& [key, value] : options.items()) {
    if (key == "k") {
      o.k = integer_option(value, key, 1, 1000);
    } else if (key == "bank") {
      o.bank = integer_option(value, key, 1, 10'000'000);
    } else if (key == "seed") {
      o.seed = static_cast<uint64_t>(integer_option(value, key, 0, INT64_MAX));
    } else if (key == "share") {
      if (!value.is_number() || !(value.get<double>() >= 0 && value.get<double>() <= 0.5))
        fail(ErrorCode::kConfig, "options_json: \"share\" must be a number in [0, 0.5], got " +
                                     value.dump().substr(0, 40));
      o.share = value.get<double>();
    } else {
      unknown_option(key, "\"k\", \"bank\", \"share\", \"seed\"");
    }
  }
  if (o.bank < o.k)
    fail(ErrorCode::kConfig, "options_json: \"bank\" (" + std::to_string(o.bank) +
                                 ") must be at least \"k\" (" + std::to_string(o.k) + ")");
  return o;
}

}  // namespace

extern "C" {

WDC_API wdc_status wdc_novelty(wdc_model* model, const uint8_t* maps, int64_t count, int64_t height,
                               int64_t width, float* novelty, int64_t novelty_len) {
  return guarded("wdc_novelty", [&] {
    const wdc_model& m = live_model(model);
    check_maps(maps, count, height, width);
    require(novelty != nullptr, "novelty is NULL");
    if (novelty_len < count)
      fail(ErrorCode::kInvalidArgument, "novelty_len is " + std::to_string(novelty_len) +
                                            ", the result needs count = " + std::to_string(count));
    const std::vector<float> result = m.classifier->novelty(maps, count, height, width);
    std::copy(result.begin(), result.end(), novelty);
  });
}

WDC_API wdc_status wdc_novelty_threshold(const wdc_model* model, float* threshold) {
  return guarded("wdc_novelty_threshold", [&] {
    const wdc_model& m = live_model(model);
    require(threshold != nullptr, "threshold is NULL");
    const float value = m.classifier->novelty_threshold();
    if (std::isnan(value))
      fail(ErrorCode::kUnsupported,
           "the model has no novelty statistics (wdc_fit_novelty adds them)");
    *threshold = value;
  });
}

WDC_API wdc_status wdc_fit_novelty(wdc_model* model, const wdc_dataset* train,
                                   const wdc_dataset* val, const char* options_json,
                                   char** result_json) {
  return guarded("wdc_fit_novelty", [&] {
    const wdc_model& m = live_model(model);
    const wdc::data::WaferSet& train_set = live_dataset(train);
    const wdc::data::WaferSet& val_set = live_dataset(val);
    const FitOptions o = parse_fit_options(options_json);
    const wdc::NoveltySummary s =
        m.classifier->fit_novelty(train_set, val_set, o.k, o.bank, o.share, o.seed);
    if (result_json != nullptr)
      *result_json = copy_string(json{
          {"method", "knn"},
          {"k", s.k},
          {"bank", s.bank},
          {"threshold", shortest(s.threshold)},
          {"calibration_share", s.calibration_share},
          {"calibration_maps",
           s.calibration_maps}}.dump());
  });
}

}  // extern "C"
