// wdc synth: a synthetic MixedWM38-like data set (for demos and tests without the real data).
#include <array>

#include "commands.h"
#include "data/synth.h"
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
  const data::WaferSet set = data::synthesize(o.count, o.seed);
  data::save_wafer_npz(o.out, set, !o.uncompressed);
  std::array<int64_t, data::kNumPatternTypes> per_type{};
  for (int64_t i = 0; i < set.count; ++i) {
    const int t = set.pattern_type(i);
    if (t >= 0) ++per_type[t];
  }
  int types = 0;
  for (int64_t n : per_type) types += n > 0;
  if (o.json) {
    nlohmann::json counts = nlohmann::json::object();
    for (int t = 0; t < data::kNumPatternTypes; ++t)
      if (per_type[t] > 0) counts[data::kPatternTypes[t].id] = per_type[t];
    print_json({{"out", o.out},
                {"count", set.count},
                {"height", set.height},
                {"width", set.width},
                {"seed", o.seed},
                {"types", counts}});
  }
  message("wrote " + std::to_string(set.count) + " maps of " + std::to_string(types) +
          " pattern types (" + std::to_string(set.height) + "x" + std::to_string(set.width) +
          ", seed " + std::to_string(o.seed) + ") to " + o.out);
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
