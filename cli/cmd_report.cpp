// wdc report: a self-contained HTML page about a model on a labelled npz — training curves,
// metrics, a confusion view of the labels and class activation maps of a few maps per type
// (wdc_report writes it).
#include <iostream>

#include "commands.h"
#include "output.h"

namespace wdc::cli {
namespace {

using json = nlohmann::json;

struct ReportOptions {
  std::string model, data, out;
  int per_type = 3;  // CAM pictures per pattern type
  int scale = 3;     // pixels per die in the pictures
  bool json = false;
  double novelty_threshold = std::numeric_limits<double>::quiet_NaN();  // NaN: the model's
};

std::string byte_size(int64_t bytes) {
  if (bytes < 1024) return std::to_string(bytes) + " B";
  if (bytes < 1024 * 1024) return fixed(bytes / 1024.0, 1) + " KiB";
  return fixed(bytes / (1024.0 * 1024.0), 2) + " MiB";
}

int run_report(const ReportOptions& o, const GlobalOptions& global) {
  const Model model = load_model(o.model, global, o.novelty_threshold);
  const Dataset set = load_dataset(o.data);
  if (wdc_dataset_count(set.get()) == 0) fail(WDC_E_INVALID_ARGUMENT, o.data + " holds no maps");
  const json options{{"per_type", o.per_type},
                     {"scale", o.scale},
                     {"model_name", model_display_name(o.model)},
                     {"data_name", o.data}};
  char* text = nullptr;
  check(wdc_report(model.get(), set.get(), o.out.c_str(), options.dump().c_str(), &text));
  const json r = take_json(text);
  if (o.json) {
    print_json(r);
  } else {
    const bool single = r.value("task", std::string()) == "single_label";
    std::cout << "wrote " << r["out"].get<std::string>() << ": " << r["samples"].get<int64_t>()
              << " maps (" << (single ? "accuracy " : "exact match ")
              << percent(r["exact_match"].get<double>()) << "), " << r["pictures"].get<int64_t>()
              << " CAM pictures of " << r["types"].get<int64_t>()
              << (single ? " classes, " : " pattern types, ") << r["unknown"].get<int64_t>()
              << " unknown maps, " << byte_size(r["bytes"].get<int64_t>()) << '\n';
  }
  return 0;
}

}  // namespace

Command add_report_command(CLI::App& parent, const GlobalOptions& global) {
  auto o = std::make_shared<ReportOptions>();
  CLI::App* app = parent.add_subcommand(
      "report",
      "Write a self-contained HTML report of a model on a labelled npz: training curves, "
      "metrics, label confusion and class activation maps");
  add_model_option(*app, o->model);
  add_data_option(*app, o->data,
                  "Labelled maps (npz: MixedWM38, named or ragged layout, docs/DATA.md)");
  app->add_option("--out", o->out, "Folder to write index.html into (created if needed)")
      ->required()
      ->type_name("DIR");
  app->add_option("--per-type", o->per_type, "CAM pictures per pattern type (0 = none)")
      ->capture_default_str()
      ->check(CLI::Range(0, 100))
      ->type_name("N");
  add_novelty_threshold_option(*app, o->novelty_threshold);
  app->add_option("--scale", o->scale, "Pixels per die in the pictures")
      ->capture_default_str()
      ->check(CLI::Range(1, 16))
      ->type_name("S");
  app->add_flag(
      "--json", o->json,
      "Print {out, bytes, samples, exact_match, task, pictures, types, unknown} as JSON on "
      "stdout");

  return {app, [o, &global]() { return run_report(*o, global); }};
}

}  // namespace wdc::cli
