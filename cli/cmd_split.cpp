// wdc split: train / validation / test files from one data set, shuffled, seeded and stratified
// by pattern type, or by class for a single-label set (the real Wafer_Map_Datasets.npz is stored
// in blocks by type).
#include "commands.h"
#include "output.h"

namespace wdc::cli {

namespace {

struct SplitOptions {
  std::string data, out;
  double val = 0.1, test = 0.1;
  uint64_t seed = 0;
  bool json = false;
};

int run_split(const SplitOptions& o) {
  const Dataset all = load_dataset(o.data);
  const nlohmann::json options{{"val", o.val}, {"test", o.test}, {"seed", o.seed}};
  wdc_dataset *train = nullptr, *val = nullptr, *test = nullptr;
  check(wdc_dataset_split(all.get(), options.dump().c_str(), &train, &val, &test));
  const Dataset parts[] = {Dataset(train), Dataset(val), Dataset(test)};
  const char* names[] = {"train", "val", "test"};
  nlohmann::json written = nlohmann::json::object();
  for (int i = 0; i < 3; ++i) {
    const int64_t count = wdc_dataset_count(parts[i].get());
    if (count == 0) continue;
    const std::string path = o.out + "/" + names[i] + ".npz";
    check(wdc_dataset_save(parts[i].get(), path.c_str(), nullptr));
    written[names[i]] = {{"path", path}, {"count", count}};
    message("wrote " + std::to_string(count) + " maps to " + path);
  }
  if (o.json) print_json({{"data", o.data}, {"seed", o.seed}, {"parts", written}});
  return 0;
}

}  // namespace

Command add_split_command(CLI::App& parent, const GlobalOptions& /*global*/) {
  auto o = std::make_shared<SplitOptions>();
  CLI::App* app = parent.add_subcommand(
      "split",
      "Split a data set into OUT/train.npz, OUT/val.npz and OUT/test.npz, shuffled, seeded and "
      "stratified by pattern type (by class for single-label data)");
  add_data_option(*app, o->data, "Maps (npz: MixedWM38, named or ragged layout, docs/DATA.md)");
  app->add_option("--out", o->out, "Existing folder for the three files")
      ->required()
      ->type_name("DIR")
      ->check(CLI::ExistingDirectory);
  app->add_option("--val", o->val, "Share of each pattern type (or class) for validation")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app->add_option("--test", o->test, "Share of each pattern type (or class) for the test file")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app->add_option("--seed", o->seed, "Random seed: the same seed gives the same split")
      ->capture_default_str();
  app->add_flag("--json", o->json, "Print a JSON summary on stdout");
  return {app, [o]() { return run_split(*o); }};
}

}  // namespace wdc::cli
