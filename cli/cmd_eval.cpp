// wdc eval: metrics of a model on a labelled npz.
#include <iostream>

#include "commands.h"
#include "output.h"

namespace wdc::cli {
namespace {

using json = nlohmann::json;

void print_eval(const json& r, const std::string& model, const std::string& data) {
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
      "eval", "Evaluate a model on a labelled npz: exact match, per-label F1, per-type accuracy");
  add_model_option(*app, o->model);
  add_data_option(*app, o->data, "Labelled maps (MixedWM38-layout npz)");
  app->add_flag("--json", o->json, "Print the metrics as JSON on stdout");

  return {app, [o, &global]() { return run_eval(*o, global); }};
}

}  // namespace wdc::cli
