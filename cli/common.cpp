#include <algorithm>
#include <chrono>
#include <cctype>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "data/mixedwm38.h"
#include "model/builtin_model.h"
#include "model/error.h"
#include "output.h"

namespace wdc::cli {
namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

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

RuntimeOptions runtime_options(const GlobalOptions& global) {
  RuntimeOptions runtime;
  if (!global.device.empty()) runtime.device = global.device;
  runtime.threads = global.threads;
  return runtime;
}

std::unique_ptr<Classifier> load_model(const std::string& path, const GlobalOptions& global) {
  if (path.empty()) return Classifier::load_builtin(runtime_options(global));
  return Classifier::load(path, runtime_options(global));
}

std::vector<float> model_thresholds(const Classifier& model) {
  std::vector<float> thresholds(static_cast<size_t>(model.num_labels()), 0.5f);
  const nlohmann::json info = nlohmann::json::parse(model.info());
  const auto it = info.find("thresholds");
  if (it == info.end()) return thresholds;
  if (it->is_array() && it->size() == thresholds.size()) {
    for (size_t i = 0; i < thresholds.size(); ++i) thresholds[i] = (*it)[i].get<float>();
  } else if (it->is_object()) {  // {"Center": 0.4, ...}
    const auto& names = model.label_names();
    for (size_t i = 0; i < names.size(); ++i)
      if (it->contains(names[i])) thresholds[i] = it->at(names[i]).get<float>();
  } else {
    fail(ErrorCode::kFormat, "the model's thresholds do not match its " +
                                 std::to_string(thresholds.size()) + " labels");
  }
  return thresholds;
}

std::vector<float> predict_with_progress(const Classifier& model, const data::WaferSet& set) {
  const size_t n_labels = static_cast<size_t>(model.num_labels());
  std::vector<float> probs(static_cast<size_t>(set.count) * n_labels);
  constexpr int64_t kChunk = 512;
  ProgressBar bar("maps");
  const auto start = std::chrono::steady_clock::now();
  for (int64_t begin = 0; begin < set.count; begin += kChunk) {
    const int64_t count = std::min(kChunk, set.count - begin);
    const std::vector<float> p = model.predict(set.map(begin), count, set.height, set.width);
    std::copy(p.begin(), p.end(), probs.begin() + begin * n_labels);
    const double done = static_cast<double>(begin + count);
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double rate = secs > 0 ? done / secs : -1;
    bar.draw("predict", done / set.count, rate, rate > 0 ? (set.count - done) / rate : -1, "");
  }
  return probs;
}

int parse_label(const Classifier& model, const std::string& text) {
  const auto& names = model.label_names();
  const int n = static_cast<int>(names.size());
  if (!text.empty() &&
      std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    const long index = text.size() <= 6 ? std::stol(text) : n;
    if (index < n) return static_cast<int>(index);
    fail(ErrorCode::kInvalidArgument, "label index " + text + " is out of range: the model has " +
                                          std::to_string(n) + " labels (0-" +
                                          std::to_string(n - 1) + ")");
  }
  for (int i = 0; i < n; ++i)
    if (lower(names[i]) == lower(text)) return i;
  // MixedWM38 short names, when the model's labels are the MixedWM38 ones.
  for (int k = 0; k < data::kNumLabels; ++k) {
    if (lower(data::kLabelShortNames[k]) != lower(text)) continue;
    for (int i = 0; i < n; ++i)
      if (names[i] == data::kLabelNames[k]) return i;
  }
  std::string choices;
  for (int i = 0; i < n; ++i) choices += (i ? ", " : "") + names[i];
  fail(ErrorCode::kInvalidArgument, "unknown label '" + text + "': expected one of " + choices +
                                        " or an index 0-" + std::to_string(n - 1));
}

int pattern_type_of_prediction(const std::vector<std::string>& names, const uint8_t* predicted) {
  uint8_t labels[data::kNumLabels] = {};
  int matched = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    for (int k = 0; k < data::kNumLabels; ++k) {
      if (names[i] == data::kLabelNames[k]) {
        labels[k] = predicted[i] ? 1 : 0;
        ++matched;
      }
    }
  }
  if (matched != data::kNumLabels || names.size() != static_cast<size_t>(data::kNumLabels))
    return -1;
  return data::pattern_type_of(labels);
}

}  // namespace wdc::cli
