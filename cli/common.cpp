#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "commands.h"
#include "output.h"

namespace wdc::cli {
namespace {

// The name of the model wdc_load_builtin loads (models/mixedwm38-dcn.wdcm in the source tree).
constexpr const char* kBuiltinModelName = "mixedwm38-dcn";

}  // namespace

void add_model_option(CLI::App& app, std::string& path) {
  app.add_option("--model", path,
                 std::string("Model file (default: the built-in ") + kBuiltinModelName +
                     ", trained on real MixedWM38 maps)")
      ->type_name("MODEL.wdcm")
      ->check(CLI::ExistingFile);
}

std::string model_display_name(const std::string& path) {
  return path.empty() ? std::string("built-in ") + kBuiltinModelName : path;
}

void add_data_option(CLI::App& app, std::string& path, const std::string& description,
                     const std::string& type_name) {
  app.add_option("--data", path, description)
      ->required()
      ->type_name(type_name)
      ->check(CLI::ExistingFile);
}

std::string runtime_options_json(const GlobalOptions& global) {
  nlohmann::json options{{"threads", global.threads}};
  if (!global.device.empty()) options["device"] = global.device;
  if (!global.precision.empty()) options["precision"] = global.precision;
  return options.dump();
}

Model load_model(const std::string& path, const GlobalOptions& global, double novelty_threshold) {
  nlohmann::json options = nlohmann::json::parse(runtime_options_json(global));
  if (!std::isnan(novelty_threshold)) options["novelty_threshold"] = novelty_threshold;
  const std::string options_text = options.dump();
  wdc_model* model = nullptr;
  if (path.empty())
    check(wdc_load_builtin(options_text.c_str(), &model));
  else
    check(wdc_load(path.c_str(), options_text.c_str(), &model));
  return Model(model);
}

void add_novelty_threshold_option(CLI::App& app, double& threshold) {
  app.add_option("--novelty-threshold", threshold,
                 "Call a map unknown above this novelty instead of the model's calibrated "
                 "threshold (wdc info shows it)")
      ->type_name("X")
      ->check(CLI::Range(0.0, 2.0));
}

int parse_label(const wdc_model* model, const std::string& text) {
  const int32_t index = wdc_label_index(model, text.c_str());
  if (index < 0) check(WDC_E_INVALID_ARGUMENT);
  return index;
}

nlohmann::json per_map_in_chunks(const char* what, int64_t count,
                                 const std::function<char*(int64_t first, int64_t n)>& chunk) {
  constexpr int64_t kChunk = 512;
  nlohmann::json all = nlohmann::json::array();
  ProgressBar bar("maps");
  const auto start = std::chrono::steady_clock::now();
  for (int64_t begin = 0; begin < count; begin += kChunk) {
    const int64_t n = std::min(kChunk, count - begin);
    for (nlohmann::json& item : take_json(chunk(begin, n))) all.push_back(std::move(item));
    const double done = static_cast<double>(begin + n);
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double rate = secs > 0 ? done / secs : -1;
    bar.draw(what, done / count, rate, rate > 0 ? (count - done) / rate : -1, "");
  }
  return all;
}

}  // namespace wdc::cli
