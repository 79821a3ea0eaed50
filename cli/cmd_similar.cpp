// wdc similar: for every map of an npz, the most similar maps of an index (`wdc embed`'s file),
// with their similarity and labels.
#include <chrono>
#include <iostream>
#include <memory>

#include "commands.h"
#include "output.h"

namespace wdc::cli {
namespace {

using json = nlohmann::json;

struct SimilarOptions {
  std::string model, index, data;
  int k = 5;
  int64_t limit = 0;  // 0 = all maps
  bool json = false;
};

std::string join(const json& names) {
  std::string out;
  for (const json& n : names) out += (out.empty() ? "" : "+") + n.get<std::string>();
  return out.empty() ? "-" : out;
}

// The names of the labels that map i of `set` carries.
json true_labels(const Dataset& set, int64_t i) {
  const int32_t labels = wdc_dataset_num_labels(set.get());
  std::vector<uint8_t> present(static_cast<size_t>(labels));
  check(wdc_dataset_labels(set.get(), i, 1, present.data(), labels));
  json names = json::array();
  for (int32_t k = 0; k < labels; ++k)
    if (present[static_cast<size_t>(k)]) names.push_back(wdc_dataset_label_name(set.get(), k));
  return names;
}

int run_similar(const SimilarOptions& o, const GlobalOptions& global) {
  const Model model = load_model(o.model, global);
  wdc_index* loaded = nullptr;
  check(wdc_index_load(o.index.c_str(), nullptr, &loaded));
  const Index index(loaded);
  const Dataset set = load_dataset(o.data);
  int64_t count = wdc_dataset_count(set.get());
  if (o.limit > 0 && o.limit < count) count = o.limit;

  const auto start = std::chrono::steady_clock::now();
  json results = per_map_in_chunks("similar", count, [&](int64_t first, int64_t n) {
    char* text = nullptr;
    check(wdc_similar_dataset(model.get(), index.get(), set.get(), first, n, o.k, &text));
    return text;
  });
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  // How often a neighbour carries exactly the query's labels: meaningful when both files
  // name the same labels.
  int64_t neighbours = 0, same = 0;
  Table table({"map", "labels", "rank", "neighbour", "similarity", "its labels"});
  for (size_t c : {0, 2, 3, 4}) table.align_right(c);
  for (json& r : results) {
    const int64_t i = r["index"].get<int64_t>();
    r["labels"] = true_labels(set, i);
    int rank = 0;
    for (const json& n : r["neighbours"]) {
      ++neighbours;
      same += n["labels"] == r["labels"];
      if (o.json) continue;
      table.add_row({rank == 0 ? std::to_string(i) : "", rank == 0 ? join(r["labels"]) : "",
                     std::to_string(rank + 1), std::to_string(n["index"].get<int64_t>()),
                     fixed(n["similarity"].get<double>(), 4), join(n["labels"])});
      ++rank;
    }
  }
  if (o.json) {
    std::cout << "[";
    for (size_t i = 0; i < results.size(); ++i)
      std::cout << (i ? ",\n " : "\n ") << results[i].dump();
    std::cout << (results.empty() ? "]\n" : "\n]\n");
    std::cout.flush();
  } else {
    table.print();
  }
  if (count > 0)
    message(std::to_string(count) + " maps against " +
            std::to_string(wdc_index_count(index.get())) + " in " + fixed(seconds, 2) + " s (" +
            fixed(1000 * seconds / count, 3) + " ms a map, embedding included); " +
            percent(neighbours > 0 ? static_cast<double>(same) / neighbours : 0) +
            " of the neighbours carry the map's own labels");
  return 0;
}

}  // namespace

Command add_similar_command(CLI::App& parent, const GlobalOptions& global) {
  auto o = std::make_shared<SimilarOptions>();
  CLI::App* app = parent.add_subcommand(
      "similar", "For every map of an npz, the most similar maps of an index (from `wdc embed`)");
  add_model_option(*app, o->model);
  app->add_option("--index", o->index, "Index file written by `wdc embed` with this model")
      ->required()
      ->type_name("INDEX.npz")
      ->check(CLI::ExistingFile);
  add_data_option(*app, o->data, "Query maps (npz: MixedWM38, named or ragged layout)");
  app->add_option("-k,--neighbours", o->k, "Neighbours per map (default 5)")
      ->type_name("K")
      ->check(CLI::Range(1, 100000));
  app->add_option("--limit", o->limit, "Only the first N maps of --data")
      ->type_name("N")
      ->check(CLI::Range(int64_t{1}, int64_t{1000000000}));
  app->add_flag("--json", o->json,
                "Print a JSON array on stdout: {index, labels, neighbours: [{index, similarity, "
                "labels}]} per map");
  return {app, [o, &global]() { return run_similar(*o, global); }};
}

}  // namespace wdc::cli
