#include <nlohmann/json.hpp>

#include "commands.h"

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
  return options.dump();
}

Model load_model(const std::string& path, const GlobalOptions& global) {
  const std::string options = runtime_options_json(global);
  wdc_model* model = nullptr;
  if (path.empty())
    check(wdc_load_builtin(options.c_str(), &model));
  else
    check(wdc_load(path.c_str(), options.c_str(), &model));
  return Model(model);
}

int parse_label(const wdc_model* model, const std::string& text) {
  const int32_t index = wdc_label_index(model, text.c_str());
  if (index < 0) check(WDC_E_INVALID_ARGUMENT);
  return index;
}

}  // namespace wdc::cli
