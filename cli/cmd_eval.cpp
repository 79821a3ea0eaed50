// wdc eval: metrics of a model on a labelled npz.
#include <iostream>

#include "commands.h"
#include "output.h"

namespace wdc::cli {
namespace {

using json = nlohmann::json;

// A single-label model's metrics: accuracy, macro F1, the classes and the confusion matrix.
void print_single_label_eval(const json& r, const std::string& model, const std::string& data) {
  print_key_values({{"model", model},
                    {"data", data},
                    {"maps", std::to_string(r.value("samples", int64_t{0}))},
                    {"accuracy", percent(r.value("accuracy", 0.0))},
                    {"macro F1", fixed(r.value("macro_f1", 0.0), 4)},
                    {"min F1", fixed(r.value("min_f1", 0.0), 4)}});
  std::cout << '\n';
  Table classes({"class", "precision", "recall", "F1", "support"});
  for (size_t c = 1; c <= 4; ++c) classes.align_right(c);
  std::vector<std::string> names;
  for (const auto& l : r["labels"]) {
    names.push_back(l.value("name", std::string()));
    classes.add_row({names.back(), fixed(l.value("precision", 0.0), 4),
                     fixed(l.value("recall", 0.0), 4), fixed(l.value("f1", 0.0), 4),
                     std::to_string(l.value("support", int64_t{0}))});
  }
  classes.print();
  std::cout << "\nconfusion (rows: true class, columns: predicted)\n";
  std::vector<std::string> headers{"true \\ predicted"};
  headers.insert(headers.end(), names.begin(), names.end());
  Table confusion(headers);
  for (size_t c = 1; c <= names.size(); ++c) confusion.align_right(c);
  for (size_t t = 0; t < names.size(); ++t) {
    std::vector<std::string> row{names[t]};
    for (const auto& n : r["confusion"][t]) row.push_back(std::to_string(n.get<int64_t>()));
    confusion.add_row(std::move(row));
  }
  confusion.print();
}

void print_eval(const json& r, const std::string& model, const std::string& data) {
  if (r.value("task", std::string()) == "single_label")
    return print_single_label_eval(r, model, data);
  print_key_values({{"model", model},
                    {"data", data},
                    {"maps", std::to_string(r.value("samples", int64_t{0}))},
                    {"exact match", percent(r.value("exact_match", 0.0))},
                    {"Hamming accuracy", percent(r.value("hamming", 0.0))},
                    {"mean F1", fixed(r.value("mean_f1", 0.0), 4)},
                    {"min F1", fixed(r.value("min_f1", 0.0), 4)}});

  if (r.contains("labels") && !r["labels"].empty()) {
    std::cout << '\n';
    Table labels({"label", "precision", "recall", "F1", "support"});
    for (size_t c = 1; c <= 4; ++c) labels.align_right(c);
    for (const auto& l : r["labels"])
      labels.add_row({l.value("name", std::string()), fixed(l.value("precision", 0.0), 4),
                      fixed(l.value("recall", 0.0), 4), fixed(l.value("f1", 0.0), 4),
                      std::to_string(l.value("support", int64_t{0}))});
    labels.print();
  }
  if (r.contains("types") && !r["types"].empty()) {
    std::cout << '\n';
    Table types({"type", "name", "maps", "correct", "accuracy"});
    for (size_t c = 2; c <= 4; ++c) types.align_right(c);
    for (const auto& t : r["types"])
      types.add_row({t.value("id", std::string()), t.value("name", std::string()),
                     std::to_string(t.value("count", int64_t{0})),
                     std::to_string(t.value("correct", int64_t{0})),
                     percent(t.value("accuracy", 0.0))});
    types.print();
  }
}

struct EvalOptions {
  std::string model, data;
  bool json = false;
};

int run_eval(const EvalOptions& o, const GlobalOptions& global) {
  const Model model = load_model(o.model, global);
  char* text = nullptr;
  check(wdc_evaluate(model.get(), o.data.c_str(), &text));
  const json report = take_json(text);
  if (o.json)
    print_json(report);
  else
    print_eval(report, model_display_name(o.model), o.data);
  return 0;
}

}  // namespace

Command add_eval_command(CLI::App& parent, const GlobalOptions& global) {
  auto o = std::make_shared<EvalOptions>();
  CLI::App* app = parent.add_subcommand(
      "eval",
      "Evaluate a model on a labelled npz: exact match, per-label F1, per-type accuracy "
      "(single-label models: accuracy, macro F1, per-class metrics, confusion matrix)");
  add_model_option(*app, o->model);
  add_data_option(*app, o->data,
                  "Labelled maps (npz: MixedWM38, named or ragged layout, docs/DATA.md)");
  app->add_flag("--json", o->json, "Print the metrics as JSON on stdout");

  return {app, [o, &global]() { return run_eval(*o, global); }};
}

}  // namespace wdc::cli
