// wdc split: train / validation / test files from one data set, shuffled, seeded and stratified
// by pattern type (the real Wafer_Map_Datasets.npz is stored in blocks by type).
#include "commands.h"
#include "data/split.h"
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
  const data::WaferSet all = data::load_wafer_npz(o.data);
  const data::Split split = data::stratified_split(all, o.val, o.test, o.seed);
  nlohmann::json written = nlohmann::json::object();
  const std::pair<const char*, const std::vector<int64_t>*> parts[] = {
      {"train", &split.train}, {"val", &split.val}, {"test", &split.test}};
  for (const auto& [name, indices] : parts) {
    if (indices->empty()) continue;
    const std::string path = o.out + "/" + name + ".npz";
    data::save_wafer_npz(path, data::subset(all, *indices));
    written[name] = {{"path", path}, {"count", indices->size()}};
    message("wrote " + std::to_string(indices->size()) + " maps to " + path);
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
      "stratified by pattern type");
  add_data_option(*app, o->data, "Maps (MixedWM38-layout npz)");
  app->add_option("--out", o->out, "Existing folder for the three files")
      ->required()
      ->type_name("DIR")
      ->check(CLI::ExistingDirectory);
  app->add_option("--val", o->val, "Share of each pattern type for validation")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app->add_option("--test", o->test, "Share of each pattern type for the test file")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app->add_option("--seed", o->seed, "Random seed: the same seed gives the same split")
      ->capture_default_str();
  app->add_flag("--json", o->json, "Print a JSON summary on stdout");
  return {app, [o]() { return run_split(*o); }};
}

}  // namespace wdc::cli
