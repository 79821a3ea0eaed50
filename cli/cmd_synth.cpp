// wdc synth: a synthetic MixedWM38-like data set (for demos and tests without the real data).
#include "commands.h"
#include "output.h"

namespace wdc::cli {

namespace {

struct SynthOptions {
  std::string out;
  int64_t count = 0;
  uint64_t seed = 0;
  bool uncompressed = false;
  bool json = false;
};

int run_synth(const SynthOptions& o) {
  wdc_dataset* made = nullptr;
  check(wdc_dataset_synthesize(o.count, o.seed, &made));
  const Dataset set(made);
  const nlohmann::json save_options{{"compressed", !o.uncompressed}};
  check(wdc_dataset_save(set.get(), o.out.c_str(), save_options.dump().c_str()));
  char* text = nullptr;
  check(wdc_dataset_info(set.get(), &text));
  const nlohmann::json info = take_json(text);
  if (o.json)
    print_json({{"out", o.out},
                {"count", info["count"]},
                {"height", info["height"]},
                {"width", info["width"]},
                {"seed", o.seed},
                {"types", info["types"]}});
  message("wrote " + std::to_string(info["count"].get<int64_t>()) + " maps of " +
          std::to_string(info["types"].size()) + " pattern types (" +
          std::to_string(info["height"].get<int64_t>()) + "x" +
          std::to_string(info["width"].get<int64_t>()) + ", seed " + std::to_string(o.seed) +
          ") to " + o.out);
  return 0;
}

}  // namespace

Command add_synth_command(CLI::App& parent, const GlobalOptions& /*global*/) {
  auto o = std::make_shared<SynthOptions>();
  CLI::App* app = parent.add_subcommand(
      "synth",
      "Generate synthetic MixedWM38-like wafer maps (52x52, all 38 pattern types in the "
      "real data's proportions) into an npz file");
  app->add_option("--out", o->out, "npz file to write (arr_0: maps, arr_1: labels)")
      ->required()
      ->type_name("FILE.npz");
  app->add_option("--count", o->count, "Number of maps")
      ->required()
      ->check(CLI::Range(int64_t{1}, int64_t{10000000}));
  app->add_option("--seed", o->seed, "Random seed: the same seed gives the same maps")
      ->capture_default_str();
  app->add_flag("--uncompressed", o->uncompressed, "Store the arrays without compression");
  app->add_flag("--json", o->json, "Print a JSON summary on stdout");

  return {app, [o]() { return run_synth(*o); }};
}

}  // namespace wdc::cli
