#include "model/report.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "base/error.h"
#include "data/atomic_write.h"
#include "io/cam_png.h"
#include "io/report_html.h"
#include "train/metrics.h"

namespace wdc {
namespace {

namespace fs = std::filesystem;

std::string utc_now() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

// The model over every map, in chunks that stay within its max_batch.
Classification classify_all(const Classifier& model, const data::WaferSet& set) {
  constexpr int64_t kChunk = 512;
  Classification all;
  for (int64_t begin = 0; begin < set.count; begin += kChunk) {
    const int64_t count = std::min(kChunk, set.count - begin);
    Classification part = model.classify(set.map(begin), count, set.height, set.width);
    all.probabilities.insert(all.probabilities.end(), part.probabilities.begin(),
                             part.probabilities.end());
    all.present.insert(all.present.end(), part.present.begin(), part.present.end());
  }
  return all;
}

// Per pattern type present, the first misclassified map (if any) and the first maps in file
// order, up to `per_type`, in file order.
std::vector<std::vector<int64_t>> gallery_choice(const data::WaferSet& set,
                                                 const std::vector<bool>& correct, int per_type) {
  std::vector<std::vector<int64_t>> chosen(data::kNumPatternTypes);
  if (per_type <= 0) return chosen;
  std::vector<int64_t> first_wrong(data::kNumPatternTypes, -1);
  std::vector<std::vector<int64_t>> first(data::kNumPatternTypes);
  for (int64_t i = 0; i < set.count; ++i) {
    const int t = set.pattern_type(i);
    if (t < 0) continue;
    if (first_wrong[t] < 0 && !correct[i]) first_wrong[t] = i;
    if (static_cast<int>(first[t].size()) < per_type) first[t].push_back(i);
  }
  for (int t = 0; t < data::kNumPatternTypes; ++t) {
    std::vector<int64_t>& c = chosen[t];
    if (first_wrong[t] >= 0) c.push_back(first_wrong[t]);
    for (int64_t i : first[t])
      if (static_cast<int>(c.size()) < per_type && i != first_wrong[t]) c.push_back(i);
    std::sort(c.begin(), c.end());
  }
  return chosen;
}

}  // namespace

ReportSummary write_report(const Classifier& model, const data::WaferSet& set,
                           const std::string& out_dir, const ReportOptions& o) {
  if (o.per_type < 0 || o.per_type > 100)
    fail(ErrorCode::kConfig, "report: per_type must be in [0, 100], got " +
                                 std::to_string(o.per_type));
  if (o.scale < 1 || o.scale > 16)
    fail(ErrorCode::kConfig, "report: scale must be in [1, 16], got " + std::to_string(o.scale));
  if (model.num_labels() != data::kNumLabels)
    fail(ErrorCode::kUnsupported, "report: MixedWM38 data has 8 labels, this network has " +
                                      std::to_string(model.num_labels()));
  if (set.count == 0) fail(ErrorCode::kInvalidArgument, "report: " + o.data_name + " holds no maps");
  std::error_code ec;
  if (fs::exists(out_dir, ec) && !fs::is_directory(out_dir, ec))
    fail(ErrorCode::kInvalidArgument, "report: " + out_dir + " exists and is not a folder");
  fs::create_directories(out_dir, ec);
  if (ec) fail(ErrorCode::kIo, out_dir + ": cannot create the folder: " + ec.message());

  const std::vector<std::string>& names = model.label_names();
  const size_t n_labels = names.size();
  const std::vector<float> thresholds = model.thresholds();
  const Classification result = classify_all(model, set);
  const std::vector<float>& probs = result.probabilities;
  // The metrics of Classifier::evaluate (the same function on the same probabilities and
  // thresholds), without running the network over the whole set a second time.
  const train::EvalReport eval =
      train::evaluate_predictions(probs, set.labels, names, thresholds);

  std::vector<bool> correct(static_cast<size_t>(set.count));
  for (int64_t i = 0; i < set.count; ++i)
    correct[i] = std::equal(set.label(i), set.label(i) + n_labels,
                            result.present.begin() + i * n_labels);
  const std::vector<std::vector<int64_t>> chosen = gallery_choice(set, correct, o.per_type);

  io::ReportInputs in;
  in.model_path = o.model_name;
  in.data_path = o.data_name;
  in.generated = utc_now();
  in.info_json = model.info();
  in.eval_json = train::to_json(eval).dump();
  in.samples = set.count;
  in.probabilities = probs;
  in.truth = set.labels;
  ReportSummary summary;
  for (int t = 0; t < data::kNumPatternTypes; ++t) {
    summary.types += !chosen[t].empty();
    for (int64_t i : chosen[t]) {
      const float* p = probs.data() + i * n_labels;
      io::ReportPicture pic;
      pic.index = i;
      pic.type_id = data::kPatternTypes[t].id;
      pic.type_name = data::kPatternTypes[t].name;
      const size_t best = static_cast<size_t>(std::max_element(p, p + n_labels) - p);
      for (size_t k = 0; k < n_labels; ++k) {
        if (set.label(i)[k]) pic.true_labels.push_back(names[k]);
        if (result.present[i * n_labels + k]) pic.predicted_labels.push_back(names[k]);
      }
      pic.cam_label = names[best];
      pic.cam_probability = p[best];
      pic.correct = correct[i];
      const std::vector<float> cam =
          model.cam(set.map(i), set.height, set.width, static_cast<int>(best));
      const std::vector<uint8_t> rgb =
          io::render_cam_rgb(set.map(i), set.height, set.width, cam.data(), o.scale);
      pic.png = io::encode_png_rgb8(rgb.data(), static_cast<uint32_t>(set.width * o.scale),
                                    static_cast<uint32_t>(set.height * o.scale),
                                    "map " + std::to_string(i));
      in.gallery.push_back(std::move(pic));
    }
  }

  const std::string html = io::render_report_html(in);
  summary.path = (fs::path(out_dir) / "index.html").string();
  data::write_file_atomically(summary.path, html);
  summary.bytes = static_cast<int64_t>(html.size());
  summary.samples = set.count;
  summary.pictures = static_cast<int64_t>(in.gallery.size());
  summary.exact_match = eval.exact_match;
  return summary;
}

}  // namespace wdc
