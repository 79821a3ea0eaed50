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

// A gallery group: MixedWM38's pattern types by id and name; a single-label set's classes; or
// the label combinations of any other set.
struct Group {
  std::string id, name;
  std::vector<int64_t> members;
};

std::vector<Group> gallery_groups(const data::WaferSet& set) {
  std::vector<Group> groups;
  const bool typed = data::is_mixedwm38_label_set(set.names());
  for (std::vector<int64_t>& members : data::label_groups(set)) {
    if (members.empty()) continue;
    Group g;
    const int t = set.pattern_type(members[0]);
    if (typed && t >= 0) {
      g.id = data::kPatternTypes[t].id;
      g.name = data::kPatternTypes[t].name;
    } else if (typed) {
      continue;  // label vectors outside the 38 types get no gallery row, as before
    } else {
      for (int k = 0; k < set.num_labels(); ++k)
        if (set.label(members[0])[k]) g.name += (g.name.empty() ? "" : "+") + set.names()[k];
      if (g.name.empty()) g.name = "(none)";
      g.id = g.name;
    }
    g.members = std::move(members);
    groups.push_back(std::move(g));
  }
  return groups;
}

// Per group, the first misclassified map (if any) and the first maps in file order, up to
// `per_type`, in file order.
std::vector<int64_t> gallery_choice(const Group& group, const std::vector<bool>& correct,
                                    int per_type) {
  std::vector<int64_t> chosen;
  if (per_type <= 0) return chosen;
  const auto wrong = std::find_if(group.members.begin(), group.members.end(),
                                  [&](int64_t i) { return !correct[i]; });
  if (wrong != group.members.end()) chosen.push_back(*wrong);
  for (int64_t i : group.members)
    if (static_cast<int>(chosen.size()) < per_type &&
        std::find(chosen.begin(), chosen.end(), i) == chosen.end())
      chosen.push_back(i);
  std::sort(chosen.begin(), chosen.end());
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
  if (set.names() != model.label_names())
    fail(ErrorCode::kInvalidArgument,
         "report: the labels of " + o.data_name + " are not the model's");
  if (set.count == 0) fail(ErrorCode::kInvalidArgument, "report: " + o.data_name + " holds no maps");
  std::error_code ec;
  if (fs::exists(out_dir, ec) && !fs::is_directory(out_dir, ec))
    fail(ErrorCode::kInvalidArgument, "report: " + out_dir + " exists and is not a folder");
  fs::create_directories(out_dir, ec);
  if (ec) fail(ErrorCode::kIo, out_dir + ": cannot create the folder: " + ec.message());

  const std::vector<std::string>& names = model.label_names();
  const size_t n_labels = names.size();
  const std::vector<float> thresholds = model.thresholds();
  const Classification result = model.classify_set(set);
  const std::vector<float>& probs = result.probabilities;
  // The metrics of Classifier::evaluate (the same function on the same probabilities and
  // thresholds), without running the network over the whole set a second time.
  const train::EvalReport eval =
      train::evaluate_predictions(probs, set.labels, names, thresholds, model.single_label());

  std::vector<bool> correct(static_cast<size_t>(set.count));
  for (int64_t i = 0; i < set.count; ++i)
    correct[i] =
        std::equal(set.label(i), set.label(i) + n_labels, result.present.begin() + i * n_labels);

  io::ReportInputs in;
  in.model_path = o.model_name;
  in.data_path = o.data_name;
  in.generated = utc_now();
  in.info_json = model.info();
  in.eval_json = train::to_json(eval).dump();
  in.samples = set.count;
  in.probabilities = probs;
  in.truth = set.labels;
  // A map with the CAM of its most probable label, as the report shows it.
  auto picture = [&](int64_t i) {
    const float* p = probs.data() + i * n_labels;
    io::ReportPicture pic;
    pic.index = i;
    const size_t best = static_cast<size_t>(std::max_element(p, p + n_labels) - p);
    for (size_t k = 0; k < n_labels; ++k) {
      if (set.label(i)[k]) pic.true_labels.push_back(names[k]);
      if (result.present[i * n_labels + k]) pic.predicted_labels.push_back(names[k]);
    }
    pic.cam_label = names[best];
    pic.cam_probability = p[best];
    pic.correct = correct[i];
    pic.novelty = result.novelty[i];
    const int64_t h = set.rows(i), w = set.cols(i);
    const std::vector<float> cam = model.cam(set.map(i), h, w, static_cast<int>(best));
    const std::vector<uint8_t> rgb = io::render_cam_rgb(set.map(i), h, w, cam.data(), o.scale);
    pic.png = io::encode_png_rgb8(rgb.data(), static_cast<uint32_t>(w * o.scale),
                                  static_cast<uint32_t>(h * o.scale), "map " + std::to_string(i));
    return pic;
  };
  ReportSummary summary;
  for (const Group& group : gallery_groups(set)) {
    const std::vector<int64_t> chosen = gallery_choice(group, correct, o.per_type);
    summary.types += !chosen.empty();
    for (int64_t i : chosen) {
      io::ReportPicture pic = picture(i);
      pic.type_id = group.id;
      pic.type_name = group.name;
      in.gallery.push_back(std::move(pic));
    }
  }
  std::vector<int64_t> unknown;
  for (int64_t i = 0; i < set.count; ++i)
    if (result.unknown[i]) unknown.push_back(i);
  in.unknown = static_cast<int64_t>(unknown.size());
  // The most novel first; the page stays small however many there are.
  constexpr size_t kMaxUnknownPictures = 24;
  std::stable_sort(unknown.begin(), unknown.end(),
                   [&](int64_t a, int64_t b) { return result.novelty[a] > result.novelty[b]; });
  if (o.per_type > 0)
    for (size_t j = 0; j < std::min(unknown.size(), kMaxUnknownPictures); ++j)
      in.unknown_pictures.push_back(picture(unknown[j]));
  summary.unknown = in.unknown;

  const std::string html = io::render_report_html(in);
  summary.path = (fs::path(out_dir) / "index.html").string();
  data::write_file_atomically(summary.path, html);
  summary.bytes = static_cast<int64_t>(html.size());
  summary.samples = set.count;
  summary.pictures = static_cast<int64_t>(in.gallery.size());
  summary.exact_match = eval.exact_match;
  summary.single_label = eval.single_label;
  return summary;
}

}  // namespace wdc
