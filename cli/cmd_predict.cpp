// wdc predict: label probabilities, predicted labels and pattern type of every map of an npz.
#include <iostream>

#include "commands.h"
#include "output.h"

namespace wdc::cli {
namespace {

using json = nlohmann::json;

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? sep : "") + parts[i];
  return out;
}

std::string type_text(const json& type) {
  if (type["id"].is_null()) return "unknown";
  return type["id"].get<std::string>() + " " + type["name"].get<std::string>();
}

struct PredictOptions {
  std::string model, data;
  int64_t limit = 0;  // 0 = all maps
  bool json = false;
  double novelty_threshold = std::numeric_limits<double>::quiet_NaN();  // NaN: the model's
};

int run_predict(const PredictOptions& o, const GlobalOptions& global) {
  const Model model = load_model(o.model, global, o.novelty_threshold);
  const Dataset set = load_dataset(o.data);
  int64_t count = wdc_dataset_count(set.get());
  if (o.limit > 0 && o.limit < count) count = o.limit;

  char* text = nullptr;
  check(wdc_info(model.get(), &text));
  const json info = take_json(text);
  const std::vector<std::string> shorts = info.at("short_labels").get<std::vector<std::string>>();
  const size_t n_labels = shorts.size();
  // Whether the model decides the data set's labels, so that "correct" means something.
  bool same_labels = static_cast<int32_t>(n_labels) == wdc_dataset_num_labels(set.get());
  for (size_t k = 0; same_labels && k < n_labels; ++k)
    same_labels = info["labels"][k].get<std::string>() ==
                  wdc_dataset_label_name(set.get(), static_cast<int32_t>(k));

  // A single-label model names one class per map; pattern types are MixedWM38's.
  const bool single_label = info["config"].value("task", std::string()) == "single_label";
  // Models trained before novelty existed have none to show.
  const bool novelty = !info["novelty"].is_null();

  const json results = per_map_in_chunks("predict", count, [&](int64_t first, int64_t n) {
    char* text = nullptr;
    check(wdc_classify_dataset(model.get(), set.get(), first, n, &text));
    return text;
  });

  int64_t exact = 0, unknown = 0;
  Table table([&] {
    std::vector<std::string> headers{"index"};
    headers.insert(headers.end(), shorts.begin(), shorts.end());
    if (single_label)
      for (const char* h : {"class", "true class", "ok"}) headers.push_back(h);
    else
      for (const char* h : {"labels", "type", "true type", "ok"}) headers.push_back(h);
    if (novelty)
      for (const char* h : {"novelty", "unknown"}) headers.push_back(h);
    return headers;
  }());
  for (size_t c = 0; c <= n_labels; ++c) table.align_right(c);

  for (const json& r : results) {
    const bool correct = r["correct"].get<bool>();
    exact += correct;
    unknown += r["unknown"].get<bool>();
    if (o.json) continue;
    std::vector<std::string> row{std::to_string(r["index"].get<int64_t>())};
    for (const json& p : r["probabilities"]) row.push_back(fixed(p.get<double>(), 2));
    std::vector<std::string> labels;
    for (const json& l : r["labels"])
      for (size_t k = 0; k < n_labels; ++k)
        if (info["labels"][k] == l) labels.push_back(shorts[k]);
    row.push_back(labels.empty() ? "-" : join(labels, "+"));
    if (single_label) {
      const auto truth = r["true_labels"].get<std::vector<std::string>>();
      row.push_back(truth.empty() ? "-" : join(truth, "+"));
    } else {
      row.push_back(type_text(r["type"]));
      row.push_back(type_text(r["true_type"]));
    }
    row.push_back(correct ? "yes" : "no");
    if (novelty) {
      row.push_back(fixed(r["novelty"].get<double>(), 3));
      row.push_back(r["unknown"].get<bool>() ? "UNKNOWN" : "-");
    }
    table.add_row(std::move(row));
  }
  if (o.json) {
    // One map per line: readable, and still one JSON document. The data set's truth is left
    // out: this is what the model says of each map.
    std::cout << "[";
    for (size_t i = 0; i < results.size(); ++i) {
      const json& r = results[i];
      const json item{{"index", r["index"]},     {"probabilities", r["probabilities"]},
                      {"labels", r["labels"]},   {"type", r["type"]},
                      {"novelty", r["novelty"]}, {"unknown", r["unknown"]}};
      std::cout << (i ? ",\n " : "\n ") << item.dump();
    }
    std::cout << (results.empty() ? "]\n" : "\n]\n");
    std::cout.flush();
  } else {
    table.print();
  }
  if (count > 0 && same_labels)
    message(std::to_string(count) + " maps, " + std::to_string(exact) +
            " predicted exactly as labelled (" + percent(static_cast<double>(exact) / count) +
            ")");
  if (count > 0 && novelty) {
    float threshold = 0;
    check(wdc_novelty_threshold(model.get(), &threshold));
    message(std::to_string(unknown) + " of " + std::to_string(count) +
            " maps unknown (novelty above " + fixed(threshold, 3) + ")");
  }
  return 0;
}

}  // namespace

Command add_predict_command(CLI::App& parent, const GlobalOptions& global) {
  auto o = std::make_shared<PredictOptions>();
  CLI::App* app = parent.add_subcommand(
      "predict", "Predict the labels and the pattern type of every map in an npz");
  add_model_option(*app, o->model);
  add_data_option(*app, o->data, "Maps (npz: MixedWM38, named or ragged layout, docs/DATA.md)");
  app->add_option("--limit", o->limit, "Only the first N maps of --data")
      ->type_name("N")
      ->check(CLI::Range(int64_t{1}, int64_t{1000000000}));
  add_novelty_threshold_option(*app, o->novelty_threshold);
  app->add_flag("--json", o->json,
                "Print a JSON array on stdout: {index, probabilities, labels, type, novelty, "
                "unknown} per map");

  return {app, [o, &global]() { return run_predict(*o, global); }};
}

}  // namespace wdc::cli
