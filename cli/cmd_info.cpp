// wdc info: what a model file holds (network, task, labels or classes, thresholds, training
// history).
#include <iostream>

#include "commands.h"
#include "output.h"

namespace wdc::cli {
namespace {

using json = nlohmann::json;

std::string scalar_text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) return fixed(v.get<double>(), 4);
  return v.dump();
}

std::string encoding_text(const json& input) {
  return input.value("encoding", std::string("raw")) + " encoding" +
         (input.value("fail_fraction", false) ? ", fail fraction plane" : "");
}

// "4 deformable: 32 ch 3x3 stride 2 modulated, ..." for a network's "blocks".
std::string blocks_text(const json& network) {
  const json blocks = network.value("blocks", json::array());
  std::string text;
  for (const auto& b : blocks) {
    if (!text.empty()) text += ", ";
    text += std::to_string(b.value("channels", 0)) + " ch " + std::to_string(b.value("kernel", 3)) +
            "x" + std::to_string(b.value("kernel", 3)) + " stride " +
            std::to_string(b.value("stride", 1)) +
            (b.value("modulated", false) ? " modulated" : "");
  }
  return std::to_string(blocks.size()) + " deformable: " + text;
}

void print_info(const json& info, const std::string& path) {
  std::vector<std::pair<std::string, std::string>> rows{{"model", path}};
  if (info.contains("library_version"))
    rows.push_back({"library", scalar_text(info["library_version"])});
  const json config = info.value("config", json::object());
  const json in = config.value("input", json::object());
  if (config.contains("ensemble") && config["ensemble"].is_array()) {
    rows.push_back({"input", std::to_string(in.value("height", 0)) + "x" +
                                 std::to_string(in.value("width", 0))});
    rows.push_back({"ensemble", std::to_string(config["ensemble"].size()) +
                                    " members, their probabilities averaged"});
    int k = 0;
    for (const json& member : config["ensemble"])
      rows.push_back(
          {"member " + std::to_string(++k), encoding_text(member.value("input", json::object())) +
                                                "; " + blocks_text(member) + "; dropout " +
                                                scalar_text(member.value("dropout", json(0.0)))});
  } else {
    rows.push_back({"input", std::to_string(in.value("height", 0)) + "x" +
                                 std::to_string(in.value("width", 0)) + ", " + encoding_text(in)});
    if (config.contains("blocks")) rows.push_back({"blocks", blocks_text(config)});
    if (config.contains("dropout")) rows.push_back({"dropout", scalar_text(config["dropout"])});
  }
  const bool single = config.value("task", std::string()) == "single_label";
  rows.push_back({"task", single ? "single-label: one class per map (softmax, the most probable "
                                   "class decides)"
                                 : "multi-label: any set of labels per map (sigmoid, thresholds)"});
  if (info.contains("parameters")) rows.push_back({"parameters", scalar_text(info["parameters"])});
  if (info.contains("fingerprint"))
    rows.push_back(
        {"fingerprint", scalar_text(info["fingerprint"]) + " (of the config and weights)"});
  if (info.contains("device")) rows.push_back({"device", scalar_text(info["device"])});
  if (info.contains("precision")) rows.push_back({"precision", scalar_text(info["precision"])});

  const json training = info.value("training", json::object());
  if (training.is_object() && training.contains("history") && !training["history"].empty()) {
    std::string text = std::to_string(training["history"].size()) + " epochs, best epoch " +
                       scalar_text(training.value("best_epoch", json(0)));
    const double best = training.value("best_val_exact_match", -1.0);
    if (best >= 0)
      text += (single ? " (val accuracy " : " (val exact match ") + percent(best) + ")";
    if (training.contains("train_samples"))
      text += ", " + scalar_text(training["train_samples"]) + " training maps";
    if (training.contains("seconds")) text += ", " + duration(training.value("seconds", 0.0));
    rows.push_back({"trained", text});
  } else {
    rows.push_back({"trained", "no"});
  }
  const json novelty = info.value("novelty", json(nullptr));
  if (novelty.is_object()) {
    std::string text = "k-nearest (k " + scalar_text(novelty["k"]) + ") among " +
                       scalar_text(novelty["bank"]) + " training maps; unknown above " +
                       fixed(novelty["threshold"].get<double>(), 4) + " (flags " +
                       percent(novelty["calibration_share"].get<double>()) + " of " +
                       scalar_text(novelty["calibration_maps"]) + " validation maps)";
    if (info["novelty_threshold"].is_number())
      text += "; in use: " + fixed(info["novelty_threshold"].get<double>(), 4);
    rows.push_back({"novelty", text});
  } else {
    rows.push_back({"novelty", "none (wdc fit-novelty adds it)"});
  }
  print_key_values(rows);

  if (info.contains("labels") && info["labels"].is_array()) {
    std::cout << '\n';
    if (single) {  // a single-label model's thresholds take no part in its decisions
      Table classes({"index", "class"});
      classes.align_right(0);
      for (size_t i = 0; i < info["labels"].size(); ++i)
        classes.add_row({std::to_string(i), scalar_text(info["labels"][i])});
      classes.print();
      return;
    }
    Table labels({"index", "label", "threshold"});
    labels.align_right(0).align_right(2);
    const json thresholds = info.value("thresholds", json::array());
    for (size_t i = 0; i < info["labels"].size(); ++i) {
      const std::string name = scalar_text(info["labels"][i]);
      json threshold = 0.5;
      if (thresholds.is_array() && i < thresholds.size())
        threshold = thresholds[i];
      else if (thresholds.is_object() && thresholds.contains(name))
        threshold = thresholds[name];
      labels.add_row({std::to_string(i), name,
                      threshold.is_number() ? fixed(threshold.get<double>(), 2) : "?"});
    }
    labels.print();
  }
}

struct InfoOptions {
  std::string model;
  bool json = false;
};

int run_info(const InfoOptions& o, const GlobalOptions& global) {
  const Model model = load_model(o.model, global);
  char* text = nullptr;
  check(wdc_info(model.get(), &text));
  const json info = take_json(text);
  if (o.json)
    print_json(info);
  else
    print_info(info, model_display_name(o.model));
  return 0;
}

}  // namespace

Command add_info_command(CLI::App& parent, const GlobalOptions& global) {
  auto o = std::make_shared<InfoOptions>();
  CLI::App* app = parent.add_subcommand(
      "info", "Show a model file's network, labels, thresholds and training summary");
  add_model_option(*app, o->model);
  app->add_flag("--json", o->json, "Print the model's description as JSON on stdout");

  return {app, [o, &global]() { return run_info(*o, global); }};
}

}  // namespace wdc::cli
