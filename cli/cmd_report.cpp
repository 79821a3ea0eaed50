// wdc report: a self-contained HTML page about a model on a labelled npz — training curves,
// metrics, a confusion view of the labels and class activation maps of a few maps per type.
// This file gathers the pieces; lib/io/report_html formats them.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <iostream>

#include "commands.h"
#include "data/atomic_write.h"
#include "data/data_error.h"
#include "data/mixedwm38.h"
#include "io/cam_png.h"
#include "io/report_html.h"
#include "model/error.h"
#include "output.h"
#include "train/metrics.h"

namespace wdc::cli {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

struct ReportOptions {
  std::string model, data, out;
  int per_type = 3;  // CAM pictures per pattern type
  int scale = 3;     // pixels per die in the pictures
  bool json = false;
};

std::string utc_now() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

std::string byte_size(uintmax_t bytes) {
  if (bytes < 1024) return std::to_string(bytes) + " B";
  if (bytes < 1024 * 1024) return fixed(bytes / 1024.0, 1) + " KiB";
  return fixed(bytes / (1024.0 * 1024.0), 2) + " MiB";
}

// Writes `content` to `path` through a temporary file renamed over it.
void write_file_atomically(const std::string& path, const std::string& content) {
  const std::string temp = data::detail::temp_path_for(path);
  std::FILE* file = std::fopen(temp.c_str(), "wb");
  if (file == nullptr)
    fail(ErrorCode::kIo, path + ": cannot write the report: " + std::strerror(errno));
  const bool written = std::fwrite(content.data(), 1, content.size(), file) == content.size();
  const int write_errno = errno;
  const bool closed = std::fclose(file) == 0;
  if (!written || !closed) {
    const int err = !written ? write_errno : errno;
    data::detail::discard_temp_file(temp);
    fail(ErrorCode::kIo, path + ": cannot write the report: " + std::strerror(err));
  }
  try {
    data::detail::commit_temp_file(temp, path);
  } catch (const data::DataError& e) {
    fail(ErrorCode::kIo, e.what());
  }
}

int run_report(const ReportOptions& o, const GlobalOptions& global) {
  // Check the output folder before the long part.
  std::error_code ec;
  if (fs::exists(o.out, ec) && !fs::is_directory(o.out, ec))
    fail(ErrorCode::kInvalidArgument, "--out " + o.out + " exists and is not a folder");
  fs::create_directories(o.out, ec);
  if (ec) fail(ErrorCode::kIo, o.out + ": cannot create the folder: " + ec.message());
  const std::string path = (fs::path(o.out) / "index.html").string();

  const auto model = load_model(o.model, global);
  const std::vector<std::string>& names = model->label_names();
  if (model->num_labels() != data::kNumLabels)
    fail(ErrorCode::kUnsupported, "report: MixedWM38 data has 8 labels, this network has " +
                                      std::to_string(model->num_labels()));
  const data::WaferSet set = data::load_wafer_npz(o.data);
  if (set.count == 0) fail(ErrorCode::kInvalidArgument, o.data + " holds no maps");
  const size_t n_labels = names.size();
  const std::vector<float> thresholds = model_thresholds(*model);

  const std::vector<float> probs = predict_with_progress(*model, set);
  // The metrics of Classifier::evaluate (the same function on the same probabilities and
  // thresholds), without running the network over the whole set a second time.
  const std::string eval_json =
      train::to_json(train::evaluate_predictions(probs, set.labels, names, thresholds));

  // Per map: predicted labels and whether all of them are right.
  auto predicted = [&](int64_t i, size_t k) { return probs[i * n_labels + k] >= thresholds[k]; };
  auto correct = [&](int64_t i) {
    for (size_t k = 0; k < n_labels; ++k)
      if (predicted(i, k) != (set.label(i)[k] != 0)) return false;
    return true;
  };

  // The gallery: per pattern type present, the first misclassified map (if any) and the first
  // maps in file order, up to --per-type, shown in file order.
  std::vector<std::vector<int64_t>> chosen(data::kNumPatternTypes);
  if (o.per_type > 0) {
    std::vector<int64_t> first_wrong(data::kNumPatternTypes, -1);
    std::vector<std::vector<int64_t>> first(data::kNumPatternTypes);
    for (int64_t i = 0; i < set.count; ++i) {
      const int t = set.pattern_type(i);
      if (t < 0) continue;
      if (first_wrong[t] < 0 && !correct(i)) first_wrong[t] = i;
      if (static_cast<int>(first[t].size()) < o.per_type) first[t].push_back(i);
    }
    for (int t = 0; t < data::kNumPatternTypes; ++t) {
      std::vector<int64_t>& c = chosen[t];
      if (first_wrong[t] >= 0) c.push_back(first_wrong[t]);
      for (int64_t i : first[t])
        if (static_cast<int>(c.size()) < o.per_type && i != first_wrong[t]) c.push_back(i);
      std::sort(c.begin(), c.end());
    }
  }
  size_t pictures = 0;
  for (const auto& c : chosen) pictures += c.size();

  io::ReportInputs in;
  in.model_path = model_display_name(o.model);
  in.data_path = o.data;
  in.generated = utc_now();
  in.info_json = model->info();
  in.eval_json = eval_json;
  in.samples = set.count;
  in.probabilities = probs;
  in.truth = set.labels;
  in.gallery.reserve(pictures);
  {
    ProgressBar bar("maps");
    const auto start = std::chrono::steady_clock::now();
    for (int t = 0; t < data::kNumPatternTypes; ++t) {
      for (int64_t i : chosen[t]) {
        io::ReportPicture pic;
        pic.index = i;
        pic.type_id = data::kPatternTypes[t].id;
        pic.type_name = data::kPatternTypes[t].name;
        size_t best = 0;
        for (size_t k = 0; k < n_labels; ++k) {
          if (set.label(i)[k]) pic.true_labels.push_back(names[k]);
          if (predicted(i, k)) pic.predicted_labels.push_back(names[k]);
          if (probs[i * n_labels + k] > probs[i * n_labels + best]) best = k;
        }
        pic.cam_label = names[best];
        pic.cam_probability = probs[i * n_labels + best];
        pic.correct = correct(i);
        const std::vector<float> cam =
            model->cam(set.map(i), set.height, set.width, static_cast<int>(best));
        const std::vector<uint8_t> rgb =
            io::render_cam_rgb(set.map(i), set.height, set.width, cam.data(), o.scale);
        pic.png = io::encode_png_rgb8(rgb.data(), static_cast<uint32_t>(set.width * o.scale),
                                      static_cast<uint32_t>(set.height * o.scale),
                                      "map " + std::to_string(i));
        in.gallery.push_back(std::move(pic));
        const double done = static_cast<double>(in.gallery.size());
        const double secs =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        const double rate = secs > 0 ? done / secs : -1;
        bar.draw("cam", done / pictures, rate, rate > 0 ? (pictures - done) / rate : -1, "");
      }
    }
  }

  const std::string html = io::render_report_html(in);
  write_file_atomically(path, html);

  const json eval = json::parse(eval_json);
  int types = 0;
  for (const auto& c : chosen) types += !c.empty();
  if (o.json) {
    print_json({{"out", path},
                {"bytes", html.size()},
                {"samples", set.count},
                {"exact_match", eval.value("exact_match", 0.0)},
                {"pictures", in.gallery.size()},
                {"types", types}});
  } else {
    std::cout << "wrote " << path << ": " << set.count << " maps (exact match "
              << percent(eval.value("exact_match", 0.0)) << "), " << in.gallery.size()
              << " CAM pictures of " << types << " pattern types, " << byte_size(html.size())
              << '\n';
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
  add_data_option(*app, o->data, "Labelled maps (MixedWM38-layout npz)");
  app->add_option("--out", o->out, "Folder to write index.html into (created if needed)")
      ->required()
      ->type_name("DIR");
  app->add_option("--per-type", o->per_type, "CAM pictures per pattern type (0 = none)")
      ->capture_default_str()
      ->check(CLI::Range(0, 100))
      ->type_name("N");
  app->add_option("--scale", o->scale, "Pixels per die in the pictures")
      ->capture_default_str()
      ->check(CLI::Range(1, 16))
      ->type_name("S");
  app->add_flag("--json", o->json,
                "Print {out, bytes, samples, exact_match, pictures, types} as JSON on stdout");

  return {app, [o, &global]() { return run_report(*o, global); }};
}

}  // namespace wdc::cli
