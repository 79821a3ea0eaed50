// wdc predict: label probabilities, predicted labels and pattern type of every map of an npz.
#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <iostream>

#include "commands.h"
#include "data/mixedwm38.h"
#include "output.h"

namespace wdc::cli {
namespace {

using json = nlohmann::json;

// Short column headers for the MixedWM38 labels, the names themselves otherwise.
std::string short_name(const std::string& name) {
  for (int k = 0; k < data::kNumLabels; ++k)
    if (name == data::kLabelNames[k]) return data::kLabelShortNames[k];
  return name;
}

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? sep : "") + parts[i];
  return out;
}

// The double nearest to the shortest decimal that reads back as `value`, so that JSON shows
// 0.43180773 rather than float-to-double noise (0.4318077266216278) and loses nothing.
double shortest(float value) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf - 1, value);
  if (ec != std::errc()) return value;
  *end = '\0';
  return std::strtod(buf, nullptr);
}

std::string type_text(int type) {
  if (type < 0) return "unknown";
  return std::string(data::kPatternTypes[type].id) + " " + data::kPatternTypes[type].name;
}

struct PredictOptions {
  std::string model, data;
  int64_t limit = 0;  // 0 = all maps
  bool json = false;
};

int run_predict(const PredictOptions& o, const GlobalOptions& global) {
  const auto model = load_model(o.model, global);
  data::WaferSet set = data::load_wafer_npz(o.data);
  if (o.limit > 0 && o.limit < set.count) {
    set.count = o.limit;
    set.maps.resize(static_cast<size_t>(set.count * set.map_size()));
    set.labels.resize(static_cast<size_t>(set.count * data::kNumLabels));
  }
  const std::vector<std::string>& names = model->label_names();
  const size_t n_labels = names.size();
  const std::vector<float> thresholds = model_thresholds(*model);

  const std::vector<float> probs = predict_with_progress(*model, set);

  std::vector<uint8_t> predicted(n_labels);
  int64_t exact = 0;
  json out = json::array();
  Table table([&] {
    std::vector<std::string> headers{"index"};
    for (const auto& name : names) headers.push_back(short_name(name));
    for (const char* h : {"labels", "type", "true type", "ok"}) headers.push_back(h);
    return headers;
  }());
  for (size_t c = 0; c <= n_labels; ++c) table.align_right(c);

  for (int64_t i = 0; i < set.count; ++i) {
    const float* p = probs.data() + i * n_labels;
    std::vector<std::string> labels;
    for (size_t k = 0; k < n_labels; ++k) {
      predicted[k] = p[k] >= thresholds[k] ? 1 : 0;
      if (predicted[k]) labels.push_back(names[k]);
    }
    const int type = pattern_type_of_prediction(names, predicted.data());
    bool correct = n_labels == static_cast<size_t>(data::kNumLabels);
    for (size_t k = 0; correct && k < n_labels; ++k) correct = predicted[k] == set.label(i)[k];
    exact += correct;

    if (o.json) {
      json t = type < 0 ? json{{"id", nullptr}, {"name", "unknown"}}
                        : json{{"id", data::kPatternTypes[type].id},
                               {"name", data::kPatternTypes[type].name}};
      json probabilities = json::array();
      for (size_t k = 0; k < n_labels; ++k) probabilities.push_back(shortest(p[k]));
      out.push_back({{"index", i},
                     {"probabilities", std::move(probabilities)},
                     {"labels", labels},
                     {"type", std::move(t)}});
    } else {
      std::vector<std::string> row{std::to_string(i)};
      for (size_t k = 0; k < n_labels; ++k) row.push_back(fixed(p[k], 2));
      std::vector<std::string> shorts;
      for (const auto& l : labels) shorts.push_back(short_name(l));
      row.push_back(shorts.empty() ? "-" : join(shorts, "+"));
      row.push_back(type_text(type));
      row.push_back(type_text(set.pattern_type(i)));
      row.push_back(correct ? "yes" : "no");
      table.add_row(std::move(row));
    }
  }
  if (o.json) {
    // One map per line: readable, and still one JSON document.
    std::cout << "[";
    for (size_t i = 0; i < out.size(); ++i) std::cout << (i ? ",\n " : "\n ") << out[i].dump();
    std::cout << (out.empty() ? "]\n" : "\n]\n");
    std::cout.flush();
  } else {
    table.print();
  }
  if (set.count > 0 && n_labels == static_cast<size_t>(data::kNumLabels))
    message(std::to_string(set.count) + " maps, " + std::to_string(exact) +
            " predicted exactly as labelled (" + percent(static_cast<double>(exact) / set.count) +
            ")");
  return 0;
}

}  // namespace

Command add_predict_command(CLI::App& parent, const GlobalOptions& global) {
  auto o = std::make_shared<PredictOptions>();
  CLI::App* app = parent.add_subcommand(
      "predict", "Predict the labels and the pattern type of every map in an npz");
  add_model_option(*app, o->model);
  add_data_option(*app, o->data, "Maps (MixedWM38-layout npz)");
  app->add_option("--limit", o->limit, "Only the first N maps of --data")
      ->type_name("N")
      ->check(CLI::Range(int64_t{1}, int64_t{1000000000}));
  app->add_flag("--json", o->json,
                "Print a JSON array on stdout: {index, probabilities, labels, type} per map");

  return {app, [o, &global]() { return run_predict(*o, global); }};
}

}  // namespace wdc::cli
