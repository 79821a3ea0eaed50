// wdc cam: the class activation map of one label on one map, as a PNG.
#include <vector>

#include "commands.h"
#include "output.h"

namespace wdc::cli {

namespace {

constexpr int kMaxScale = 64;  // wdc_write_map_png's largest "scale"

struct CamOptions {
  std::string model, data, label, out;
  int64_t index = 0;
  int scale = 8;
  double alpha = 0.5;
};

int run_cam(const CamOptions& o, const GlobalOptions& global) {
  const Model model = load_model(o.model, global);
  const int label = parse_label(model.get(), o.label);
  const Dataset set = load_dataset(o.data);
  const int64_t count = wdc_dataset_count(set.get());
  if (o.index < 0 || o.index >= count)
    fail(WDC_E_INVALID_ARGUMENT,
         "--index " + std::to_string(o.index) + " is out of range: " + o.data +
             (count == 0 ? " holds no maps"
                         : " holds " + std::to_string(count) + " maps (0-" +
                               std::to_string(count - 1) + ")"));
  int64_t height = 0, width = 0;
  check(wdc_dataset_map_size(set.get(), o.index, &height, &width));
  std::vector<uint8_t> map(static_cast<size_t>(height * width));
  check(wdc_dataset_maps(set.get(), o.index, 1, map.data(), static_cast<int64_t>(map.size())));
  std::vector<float> cam(map.size());
  check(wdc_cam(model.get(), map.data(), height, width, label, cam.data(),
                static_cast<int64_t>(cam.size())));
  const nlohmann::json options{{"scale", o.scale}, {"alpha", o.alpha}};
  check(wdc_write_map_png(o.out.c_str(), map.data(), height, width, cam.data(),
                          static_cast<int64_t>(cam.size()), options.dump().c_str()));
  char* text = nullptr;
  check(wdc_classify_dataset(model.get(), set.get(), o.index, 1, &text));
  const nlohmann::json result = take_json(text).at(0);

  // The map's MixedWM38 pattern type; for other labels the labels the file gives it.
  const nlohmann::json& truth = result["true_type"];
  std::string truth_text;
  if (!truth["id"].is_null())
    truth_text = truth["id"].get<std::string>() + " " + truth["name"].get<std::string>();
  for (const auto& name : result["true_labels"])
    if (truth["id"].is_null()) truth_text += (truth_text.empty() ? "" : "+") + name.get<std::string>();
  if (truth_text.empty()) truth_text = "no label";
  message("wrote " + o.out + ": map " + std::to_string(o.index) + " (" + truth_text +
          "), CAM of " + wdc_label_name(model.get(), label) + " (probability " +
          fixed(result["probabilities"][static_cast<size_t>(label)].get<double>(), 3) + "), " +
          std::to_string(width * o.scale) + "x" + std::to_string(height * o.scale) + " pixels");
  return 0;
}

}  // namespace

Command add_cam_command(CLI::App& parent, const GlobalOptions& global) {
  auto o = std::make_shared<CamOptions>();
  CLI::App* app = parent.add_subcommand(
      "cam", "Draw the class activation map of one label over one wafer map, as a PNG");
  add_model_option(*app, o->model);
  add_data_option(*app, o->data, "Maps (npz: MixedWM38, named or ragged layout, docs/DATA.md)");
  app->add_option("--index", o->index, "Which map of --data (0-based)")->required()->type_name("I");
  app->add_option("--label", o->label,
                  "Label: a name (Loc), a MixedWM38 short name (L) or an index (4)")
      ->required()
      ->type_name("NAME|INDEX");
  app->add_option("--out", o->out, "PNG file to write")->required()->type_name("FILE.png");
  app->add_option("--scale", o->scale, "Pixels per die")
      ->capture_default_str()
      ->check(CLI::Range(1, kMaxScale));
  app->add_option("--alpha", o->alpha, "Opacity of the heat map over the dies")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));

  return {app, [o, &global]() { return run_cam(*o, global); }};
}

}  // namespace wdc::cli
