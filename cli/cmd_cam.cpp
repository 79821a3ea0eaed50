// wdc cam: the class activation map of one label on one map, as a PNG.
#include "commands.h"
#include "data/mixedwm38.h"
#include "io/cam_png.h"
#include "model/error.h"
#include "output.h"

namespace wdc::cli {

namespace {

struct CamOptions {
  std::string model, data, label, out;
  int64_t index = 0;
  int scale = 8;
  double alpha = io::kDefaultCamAlpha;
};

int run_cam(const CamOptions& o, const GlobalOptions& global) {
  const auto model = load_model(o.model, global);
  const int label = parse_label(*model, o.label);
  const data::WaferSet set = data::load_wafer_npz(o.data);
  if (o.index < 0 || o.index >= set.count)
    fail(ErrorCode::kInvalidArgument,
         "--index " + std::to_string(o.index) + " is out of range: " + o.data +
             (set.count == 0 ? " holds no maps"
                             : " holds " + std::to_string(set.count) + " maps (0-" +
                                   std::to_string(set.count - 1) + ")"));
  const uint8_t* map = set.map(o.index);
  const std::vector<float> cam = model->cam(map, set.height, set.width, label);
  const std::vector<float> p = model->predict(map, 1, set.height, set.width);
  io::write_cam_png(o.out, map, set.height, set.width, cam.data(), o.scale, o.alpha);

  const std::string& name = model->label_names()[static_cast<size_t>(label)];
  const int type = set.pattern_type(o.index);
  const std::string truth =
      type < 0 ? "unknown type"
               : std::string(data::kPatternTypes[type].id) + " " + data::kPatternTypes[type].name;
  message("wrote " + o.out + ": map " + std::to_string(o.index) + " (" + truth + "), CAM of " +
          name + " (probability " + fixed(p[static_cast<size_t>(label)], 3) + "), " +
          std::to_string(set.width * o.scale) + "x" + std::to_string(set.height * o.scale) +
          " pixels");
  return 0;
}

}  // namespace

Command add_cam_command(CLI::App& parent, const GlobalOptions& global) {
  auto o = std::make_shared<CamOptions>();
  CLI::App* app = parent.add_subcommand(
      "cam", "Draw the class activation map of one label over one wafer map, as a PNG");
  add_model_option(*app, o->model);
  add_data_option(*app, o->data, "Maps (MixedWM38-layout npz)");
  app->add_option("--index", o->index, "Which map of --data (0-based)")->required()->type_name("I");
  app->add_option("--label", o->label,
                  "Label: a name (Loc), a MixedWM38 short name (L) or an index (4)")
      ->required()
      ->type_name("NAME|INDEX");
  app->add_option("--out", o->out, "PNG file to write")->required()->type_name("FILE.png");
  app->add_option("--scale", o->scale, "Pixels per die")
      ->capture_default_str()
      ->check(CLI::Range(1, io::kMaxScale));
  app->add_option("--alpha", o->alpha, "Opacity of the heat map over the dies")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));

  return {app, [o, &global]() { return run_cam(*o, global); }};
}

}  // namespace wdc::cli
