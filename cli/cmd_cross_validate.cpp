// wdc cross-validate: k-fold cross-validation of a training recipe (wdc_cross_validate), each
// metric's mean and spread over the folds, for choosing recipes that do not fit one small split.
#include <algorithm>
#include <iostream>
#include <memory>
#include <utility>

#include "commands.h"
#include "output.h"
#include "training.h"

namespace wdc::cli {
namespace {

using json = nlohmann::json;

struct CrossValidateOptions {
  std::string config, data, val, init, checkpoint;
  int folds = 5, epochs = 0;
  bool deterministic = false, json = false, resume = false;
};

// A TrainReporter per fold, each line led by "fold k/K".
class FoldReporter {
 public:
  FoldReporter(int64_t batch_size, std::string announcement)
      : batch_size_(batch_size), announcement_(std::move(announcement)) {}

  bool operator()(const wdc_progress& p) {
    if (!announcement_.empty()) {
      message(announcement_);
      announcement_.clear();
    }
    // An older library's struct ends before the fold fields: then it is one run.
    const int32_t fold = p.struct_size >= 56 ? p.fold : 0;
    if (!fold_ || fold != fold_number_) {
      if (fold_) fold_->finish();
      fold_number_ = fold;
      const std::string label =
          fold ? "fold " + std::to_string(fold) + "/" + std::to_string(p.folds) + "  " : "";
      fold_ = std::make_unique<TrainReporter>(batch_size_, label);
    }
    return (*fold_)(p);
  }

  void finish() {
    if (fold_) fold_->finish();
  }

 private:
  int64_t batch_size_;
  std::string announcement_;  // printed before the first batch's line
  int32_t fold_number_ = 0;
  std::unique_ptr<TrainReporter> fold_;
};

extern "C" int32_t on_fold_progress(const wdc_progress* progress, void* user) {
  try {
    return (*static_cast<FoldReporter*>(user))(*progress) ? 1 : 0;
  } catch (...) {  // nothing may unwind through the library; stop instead
    return 1;
  }
}

std::string fraction_or_blank(const json& value) {
  return value.is_number() ? fixed(value.get<double>(), 4) : "-";
}

void print_summary(const json& report) {
  const int folds = report.value("folds", 0);
  std::vector<std::string> header{"metric", "mean", "std"};
  for (int k = 1; k <= folds; ++k) header.push_back("fold " + std::to_string(k));
  Table table(header);
  for (size_t c = 1; c < header.size(); ++c) table.align_right(c);
  for (const json& row : report.at("summary")) {
    std::vector<std::string> cells{row.value("metric", ""), fixed(row.value("mean", 0.0), 4),
                                   fixed(row.value("std", 0.0), 4)};
    for (const json& v : row.at("values")) cells.push_back(fraction_or_blank(v));
    table.add_row(cells);
  }
  table.print();
  const json& pooled = report.at("out_of_fold");
  const bool single = report.value("task", "") == "single_label";
  std::cout << "out of fold, " << report.value("samples", int64_t{0}) << " maps (thresholds "
            << report.value("thresholds", "0.5") << "): "
            << (single ? "accuracy " + percent(pooled.value("accuracy", 0.0)) + ", macro F1 " +
                             fixed(pooled.value("macro_f1", 0.0), 4)
                       : "exact match " + percent(pooled.value("exact_match", 0.0)) +
                             ", mean label F1 " + fixed(pooled.value("mean_f1", 0.0), 4))
            << ", min F1 " << fixed(pooled.value("min_f1", 0.0), 4) << "; "
            << duration(report.value("seconds", 0.0)) << '\n';
}

int run_cross_validate(const CrossValidateOptions& o, const GlobalOptions& global) {
  const ConfigFile config = read_recipe(o.config, o.init, o.epochs, o.deterministic, global);
  json options = config.train;
  options["folds"] = o.folds;
  if (!o.checkpoint.empty()) {
    options["checkpoint"] = o.checkpoint;
    options["resume"] = o.resume;
  } else if (o.resume) {
    fail(WDC_E_INVALID_ARGUMENT, "--resume needs --checkpoint, the prefix of the fold files");
  }
  const Model model = create_model(config.network_json, global);
  const Dataset data = load_dataset(o.data);
  const Dataset val = o.val.empty() ? Dataset(nullptr) : load_dataset(o.val);
  json report;
  {
    InterruptGuard interrupt;
    // Announced with the first batch, so that a refusal is the only line on stderr.
    FoldReporter reporter(batch_size_of(options), std::to_string(o.folds) +
                                                      "-fold cross-validation on " + o.data +
                                                      (o.val.empty() ? "" : " + " + o.val) + ": " +
                                                      std::to_string(o.folds) + " trainings");
    char* text = nullptr;
    try {
      check(wdc_cross_validate(model.get(), options.dump().c_str(), data.get(), val.get(),
                               on_fold_progress, &reporter, &text));
    } catch (const Failure& e) {
      reporter.finish();
      if (e.status() == WDC_E_CANCELLED && InterruptGuard::interrupted())
        fail(WDC_E_CANCELLED,
             o.checkpoint.empty()
                 ? "cross-validation interrupted; nothing was kept (--checkpoint keeps the "
                   "finished folds)"
                 : "cross-validation interrupted; the finished folds and the running fold's "
                   "last epoch are kept in " +
                       o.checkpoint + ".fold*: continue with --resume");
      throw;
    }
    reporter.finish();
    report = take_json(text);
  }
  if (o.json)
    print_json(report);
  else
    print_summary(report);
  return 0;
}

}  // namespace

Command add_cross_validate_command(CLI::App& parent, const GlobalOptions& global) {
  auto o = std::make_shared<CrossValidateOptions>();
  CLI::App* app = parent.add_subcommand(
      "cross-validate",
      "k-fold cross-validation of a training recipe: each fold trained on the others and scored "
      "on its own maps, every metric's mean and spread over the folds (docs/TRAINING.md)");
  app->add_option("--config", o->config,
                  "JSON file {\"network\": {...}, \"train\": {...}}: the recipe (default: the seed "
                  "network and training options)")
      ->type_name("CFG.json")
      ->check(CLI::ExistingFile);
  add_data_option(*app, o->data,
                  "Maps to cut into folds (npz: MixedWM38, named or ragged layout, docs/DATA.md)",
                  "TRAIN.npz");
  app->add_option("--val", o->val, "More maps, pooled with --data before the folds are cut")
      ->type_name("VAL.npz")
      ->check(CLI::ExistingFile);
  app->add_option("--folds", o->folds, "Number of folds: trainings")
      ->type_name("K")
      ->check(CLI::Range(2, 100))
      ->capture_default_str();
  app->add_option("--epochs", o->epochs, "Epochs of each fold's training (overrides the config)")
      ->type_name("N")
      ->check(CLI::Range(1, 100000));
  app->add_option("--init", o->init,
                  "Each fold starts from this model's weights (a model file, or 'builtin')")
      ->type_name("MODEL");
  app->add_flag("--deterministic", o->deterministic,
                "Deterministic training in every fold (docs/TRAINING.md)");
  app->add_option("--checkpoint", o->checkpoint,
                  "Keep each finished fold in PREFIX.foldK.json and the running fold's training "
                  "in PREFIX.foldK.ckpt, so that an interrupted run can continue")
      ->type_name("PREFIX");
  app->add_flag("--resume", o->resume,
                "Continue from --checkpoint's files: finished folds are read, not trained again");
  app->add_flag("--json", o->json, "Print the report as JSON on stdout");
  return {app, [o, &global]() { return run_cross_validate(*o, global); }};
}

}  // namespace wdc::cli
