// wdc embed: every map's embedding (wdc_index_build), written as an index file that `wdc
// similar` searches and numpy reads.
#include <chrono>
#include <memory>

#include "commands.h"
#include "output.h"

namespace wdc::cli {
namespace {

struct EmbedOptions {
  std::string model, data, out;
};

int run_embed(const EmbedOptions& o, const GlobalOptions& global) {
  const Model model = load_model(o.model, global);
  const Dataset set = load_dataset(o.data);
  const auto start = std::chrono::steady_clock::now();
  wdc_index* built = nullptr;
  check(wdc_index_build(model.get(), set.get(), &built));
  const Index index(built);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  check(wdc_index_save(index.get(), o.out.c_str()));
  const int64_t count = wdc_index_count(index.get());
  message(std::to_string(count) + " maps embedded (" +
          std::to_string(wdc_embedding_size(model.get())) + " values each) in " +
          fixed(seconds, 1) + " s, " + fixed(seconds > 0 ? count / seconds : 0, 0) +
          " maps/s; written to " + o.out);
  return 0;
}

}  // namespace

Command add_embed_command(CLI::App& parent, const GlobalOptions& global) {
  auto o = std::make_shared<EmbedOptions>();
  CLI::App* app = parent.add_subcommand(
      "embed",
      "Embed every map of an npz (the network's pooled features, unit length) and write them "
      "with the maps' labels as an index for `wdc similar`");
  add_model_option(*app, o->model);
  add_data_option(*app, o->data, "Maps (npz: MixedWM38, named or ragged layout, docs/DATA.md)");
  app->add_option("--out", o->out,
                  "Index file to write (npz: embeddings (N, D) float32, labels, label_names, "
                  "model)")
      ->required()
      ->type_name("INDEX.npz");
  return {app, [o, &global]() { return run_embed(*o, global); }};
}

}  // namespace wdc::cli
