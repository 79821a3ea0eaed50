// wdc fit-novelty: gives a trained model the novelty statistics that training computes at its
// end (wdc_fit_novelty) — for models trained before novelty existed, or to recalibrate.
#include <iostream>
#include <memory>

#include "commands.h"
#include "output.h"

namespace wdc::cli {
namespace {

struct FitNoveltyOptions {
  std::string model, data, val, out;
  int k = 5;
  int64_t bank = 4096;
  double share = 0.01;
  uint64_t seed = 0;
  bool json = false;
};

int run_fit_novelty(const FitNoveltyOptions& o, const GlobalOptions& global) {
  const Model model = load_model(o.model, global);
  const Dataset train = load_dataset(o.data);
  const Dataset val = load_dataset(o.val);
  const nlohmann::json options{{"k", o.k}, {"bank", o.bank}, {"share", o.share}, {"seed", o.seed}};
  char* text = nullptr;
  check(wdc_fit_novelty(model.get(), train.get(), val.get(), options.dump().c_str(), &text));
  const nlohmann::json result = take_json(text);
  check(wdc_save(model.get(), o.out.c_str()));
  if (o.json) {
    std::cout << result.dump(2) << "\n";
    return 0;
  }
  message("kept the embeddings of " + std::to_string(result["bank"].get<int64_t>()) +
          " training maps; novelty threshold " + fixed(result["threshold"].get<double>(), 4) +
          " flags " + percent(result["calibration_share"].get<double>()) + " of the " +
          std::to_string(result["calibration_maps"].get<int64_t>()) +
          " validation maps; written to " + o.out);
  return 0;
}

}  // namespace

Command add_fit_novelty_command(CLI::App& parent, const GlobalOptions& global) {
  auto o = std::make_shared<FitNoveltyOptions>();
  CLI::App* app = parent.add_subcommand(
      "fit-novelty",
      "Give a trained model novelty statistics, as training does at its end: the embeddings "
      "of (a sample of) its training maps, and the threshold that flags --share of the "
      "validation maps as unknown");
  add_model_option(*app, o->model);
  add_data_option(*app, o->data, "The model's training maps (npz, any layout of docs/DATA.md)",
                  "TRAIN.npz");
  app->add_option("--val", o->val,
                  "Maps of the classes the model knows, not used in training, to calibrate on")
      ->required()
      ->type_name("VAL.npz")
      ->check(CLI::ExistingFile);
  app->add_option("--out", o->out, "Model file to write (may be --model itself)")
      ->required()
      ->type_name("MODEL.wdcm");
  app->add_option("-k", o->k, "Novelty = 1 - cosine similarity to the k-th nearest training map")
      ->type_name("K")
      ->check(CLI::Range(1, 1000));
  app->add_option("--bank", o->bank, "Most training maps kept (a seeded sample beyond)")
      ->type_name("N")
      ->check(CLI::Range(int64_t{1}, int64_t{10000000}));
  app->add_option("--share", o->share, "Share of the validation maps to flag as unknown")
      ->type_name("S")
      ->check(CLI::Range(0.0, 0.5));
  app->add_option("--seed", o->seed, "Seed of the training maps' sample");
  app->add_flag("--json", o->json, "Print the statistics as JSON on stdout");
  return {app, [o, &global]() { return run_fit_novelty(*o, global); }};
}

}  // namespace wdc::cli
