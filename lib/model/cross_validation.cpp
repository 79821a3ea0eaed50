#include "model/cross_validation.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <optional>

#include "base/error.h"
#include "data/split.h"
#include "model/fold_file.h"
#include "train/metrics.h"
#include "train/thresholds.h"
#include "train/train_options.h"

namespace wdc {
namespace {

using json = nlohmann::json;

constexpr int32_t kMaxFolds = 100;

}  // namespace

CrossValidationOptions parse_cross_validation_options(const std::string& options_json) {
  json options;
  try {
    options = options_json.empty() ? json::object() : json::parse(options_json);
  } catch (const json::exception& e) {
    fail(ErrorCode::kConfig, std::string("cross-validation options: not JSON: ") + e.what());
  }
  if (!options.is_object()) fail(ErrorCode::kConfig, "cross-validation options: not a JSON object");
  for (const char* key : {"data", "synthetic", "val", "world_size", "rank", "dist_url",
                          "dist_timeout", "sync_batch_norm"})
    if (options.contains(key))
      fail(ErrorCode::kConfig,
           std::string("cross-validation options: \"") + key +
               "\" is not an option of cross-validation (the maps are given, and each fold "
               "trains in this process)");
  CrossValidationOptions o;
  if (options.contains("checkpoint")) {
    const json& checkpoint = options["checkpoint"];
    if (!checkpoint.is_string() || checkpoint.get<std::string>().empty())
      fail(ErrorCode::kConfig,
           "cross-validation options: \"checkpoint\" must be a path prefix (a non-empty string)");
    o.checkpoint = checkpoint.get<std::string>();
    options.erase("checkpoint");
  }
  if (options.contains("resume")) {
    if (!options["resume"].is_boolean())
      fail(ErrorCode::kConfig, "cross-validation options: \"resume\" must be true or false");
    o.resume = options["resume"].get<bool>();
    options.erase("resume");
    if (o.resume && o.checkpoint.empty())
      fail(ErrorCode::kConfig,
           "cross-validation options: \"resume\" needs \"checkpoint\", the prefix of the fold "
           "files to resume from");
  }
  if (options.contains("folds")) {
    const json& folds = options["folds"];
    if (!folds.is_number_integer() || folds.get<int64_t>() < 2 || folds.get<int64_t>() > kMaxFolds)
      fail(ErrorCode::kConfig, "cross-validation options: \"folds\" must be an integer from 2 to " +
                                   std::to_string(kMaxFolds));
    o.folds = folds.get<int32_t>();
    options.erase("folds");
  }
  if (options.contains("keep_probabilities")) {
    if (!options["keep_probabilities"].is_boolean())
      fail(ErrorCode::kConfig,
           "cross-validation options: \"keep_probabilities\" must be true or false");
    o.keep_probabilities = options["keep_probabilities"].get<bool>();
    options.erase("keep_probabilities");
  }
  options["novelty_bank"] = 0;  // each fold's model is scored, not kept
  o.train_json = options.dump();
  // Every fold trains with these: checked now, before the first fold's hours of training.
  const train::TrainOptions train = train::parse_train_options(o.train_json, true, false);
  o.seed = train.seed;
  o.tune_thresholds = train.tune_thresholds;
  return o;
}

namespace {

// Rows `rows` of a samples x width matrix.
template <typename T>
std::vector<T> take_rows(const std::vector<T>& matrix, const std::vector<int64_t>& rows,
                         int64_t width) {
  std::vector<T> out;
  out.reserve(rows.size() * static_cast<size_t>(width));
  for (int64_t r : rows)
    out.insert(out.end(), matrix.begin() + r * width, matrix.begin() + (r + 1) * width);
  return out;
}

// The maps of every fold but `fold`, in the set's order.
std::vector<int64_t> outside_fold(const std::vector<int32_t>& fold_of, int32_t fold) {
  std::vector<int64_t> rest;
  for (size_t i = 0; i < fold_of.size(); ++i)
    if (fold_of[i] != fold) rest.push_back(static_cast<int64_t>(i));
  return rest;
}

// One figure of a fold's report, per fold (nullopt where the fold has nothing to measure it on).
class Summary {
 public:
  explicit Summary(int32_t folds) : folds_(folds) {}

  // Fold -1 only makes the row.
  void add(int32_t fold, const std::string& metric, double value) {
    auto [it, fresh] = index_.try_emplace(metric, rows_.size());
    if (fresh) rows_.push_back({metric, std::vector<std::optional<double>>(folds_)});
    if (fold >= 0) rows_[it->second].values[fold] = value;
  }

  void add_report(int32_t fold, const train::EvalReport& r) {
    if (r.single_label) {
      add(fold, "accuracy", r.exact_match);
      add(fold, "macro_f1", r.mean_f1);
    } else {
      add(fold, "exact_match", r.exact_match);
      add(fold, "hamming", r.hamming);
      add(fold, "mean_f1", r.mean_f1);
    }
    add(fold, "min_f1", r.min_f1);
    for (const train::LabelMetrics& m : r.labels) {
      add(fold, "f1 " + m.name, m.f1);
      if (r.single_label) add(fold, "recall " + m.name, m.recall);
    }
    for (const train::TypeMetrics& t : r.types) add(fold, "accuracy " + t.id, t.accuracy());
  }

  json to_json() const {
    json out = json::array();
    for (const Row& row : rows_) {
      double sum = 0, squares = 0;
      int64_t n = 0;
      json values = json::array();
      for (const auto& v : row.values) {
        values.push_back(v ? json(*v) : json(nullptr));
        if (v) sum += *v, ++n;
      }
      const double mean = n ? sum / n : 0;
      for (const auto& v : row.values)
        if (v) squares += (*v - mean) * (*v - mean);
      out.push_back({{"metric", row.metric},
                     {"mean", mean},
                     {"std", n > 1 ? std::sqrt(squares / (n - 1)) : 0.0},
                     {"values", values}});
    }
    return out;
  }

 private:
  struct Row {
    std::string metric;
    std::vector<std::optional<double>> values;
  };
  int32_t folds_;
  std::vector<Row> rows_;
  std::map<std::string, size_t> index_;
};

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Trains fold `k`'s model on the maps outside it and predicts the fold's maps; with a
// checkpoint the training writes it after every epoch (and with `resume`, continues it if it
// exists).
FinishedFold train_fold(const Classifier& recipe, const CrossValidationOptions& o,
                        const data::WaferSet& data, const std::vector<int32_t>& fold_of,
                        const std::vector<int64_t>& members, int32_t k,
                        const std::string& checkpoint, bool resume, const ProgressFn& progress) {
  const auto start = std::chrono::steady_clock::now();
  json train = json::parse(o.train_json);
  if (!checkpoint.empty()) {
    train["checkpoint"] = checkpoint;
    train["resume"] = resume && std::filesystem::exists(checkpoint);
  }
  std::unique_ptr<Classifier> model = recipe.untrained_copy();
  json report;
  {
    const data::WaferSet train_part = data::subset(data, outside_fold(fold_of, k));
    ProgressFn relay;
    if (progress)
      relay = [&](const TrainProgress& p) {
        TrainProgress q = p;
        q.fold = k + 1;
        q.folds = o.folds;
        return progress(q);
      };
    report = json::parse(model->train(train.dump(), relay, {&train_part, nullptr}));
  }
  FinishedFold f;
  f.probabilities = model->classify_set(data::subset(data, members)).probabilities;
  f.single_label = model->single_label();
  f.train_samples = report.value("train_samples", int64_t{0});
  f.val_samples = report.value("val_samples", int64_t{0});
  f.best_epoch = report.value("best_epoch", 0);
  f.seconds = seconds_since(start);
  return f;
}

}  // namespace

std::string cross_validate(const Classifier& recipe, const std::string& options_json,
                           const data::WaferSet& first, const data::WaferSet* more,
                           const ProgressFn& progress) {
  const auto start = std::chrono::steady_clock::now();
  const CrossValidationOptions o = parse_cross_validation_options(options_json);
  data::WaferSet joined;
  if (more != nullptr) {
    if (first.names() != more->names() || first.single_label != more->single_label)
      fail(ErrorCode::kInvalidArgument,
           "cross-validation: the two data sets carry different labels");
    joined = data::join(first, *more);
  }
  const data::WaferSet& data = more != nullptr ? joined : first;
  if (data.count < o.folds)
    fail(ErrorCode::kInvalidArgument, "cross-validation: " + std::to_string(data.count) +
                                          " maps cannot make " + std::to_string(o.folds) +
                                          " folds");
  const std::vector<int32_t> fold_of = data::stratified_folds(data, o.folds, o.seed);
  const int64_t L = data.num_labels();
  bool single_label = data.single_label;  // the trained models' task, once the first is trained

  std::vector<float> probabilities(static_cast<size_t>(data.count * L));
  std::vector<std::vector<int64_t>> members(static_cast<size_t>(o.folds));
  for (int64_t i = 0; i < data.count; ++i) members[fold_of[i]].push_back(i);
  const std::string digest =
      o.checkpoint.empty()
          ? std::string()
          : cross_validation_digest(data, o.folds, o.seed, recipe.fingerprint(), o.train_json);
  // The fold files name the run that wrote them; its training checkpoints are its own only when
  // the run file says so (a stale one of another run would otherwise be continued).
  bool own_checkpoints = false;
  if (!o.checkpoint.empty()) {
    own_checkpoints = o.resume && run_file_is_ours(o.checkpoint + ".cv", digest);
    if (!own_checkpoints) write_run_file(o.checkpoint + ".cv", digest);
  }
  json fold_results = json::array();
  for (int32_t k = 0; k < o.folds; ++k) {
    const std::string prefix =
        o.checkpoint.empty() ? std::string() : o.checkpoint + ".fold" + std::to_string(k + 1);
    const int64_t held_out = static_cast<int64_t>(members[k].size());
    FinishedFold f;
    const bool from_file = o.resume && std::filesystem::exists(prefix + ".json");
    if (from_file) {
      f = read_fold_file(prefix + ".json", digest, k + 1, held_out, L);
    } else {
      f = train_fold(recipe, o, data, fold_of, members[k], k,
                     prefix.empty() ? prefix : prefix + ".ckpt", own_checkpoints, progress);
      if (!prefix.empty()) {
        write_fold_file(prefix + ".json", digest, k + 1, f);
        std::error_code ignored;  // the fold file holds what the checkpoint was kept for
        std::filesystem::remove(prefix + ".ckpt", ignored);
      }
    }
    single_label = f.single_label;
    for (int64_t j = 0; j < held_out; ++j)
      std::copy(f.probabilities.begin() + j * L, f.probabilities.begin() + (j + 1) * L,
                probabilities.begin() + members[k][j] * L);
    fold_results.push_back({{"fold", k + 1},
                            {"train_samples", f.train_samples},
                            {"val_samples", f.val_samples},
                            {"held_out_samples", held_out},
                            {"best_epoch", f.best_epoch},
                            {"seconds", f.seconds},
                            {"from_file", from_file}});
  }

  // Every fold's predictions exist now: each fold is decided by thresholds chosen on the others.
  const std::vector<std::string>& names = data.names();
  std::vector<uint8_t> decisions(probabilities.size());
  std::vector<train::EvalReport> fold_reports;
  for (int32_t k = 0; k < o.folds; ++k) {
    std::vector<float> thresholds(static_cast<size_t>(L), 0.5f);
    if (o.tune_thresholds && !single_label) {
      const std::vector<int64_t> others = outside_fold(fold_of, k);
      thresholds = train::tune_thresholds(take_rows(probabilities, others, L),
                                          take_rows(data.labels, others, L), L);
    }
    const std::vector<uint8_t> decided =
        train::decide(take_rows(probabilities, members[k], L), thresholds, single_label);
    for (size_t j = 0; j < members[k].size(); ++j)
      std::copy(decided.begin() + static_cast<std::ptrdiff_t>(j * L),
                decided.begin() + static_cast<std::ptrdiff_t>((j + 1) * L),
                decisions.begin() + members[k][j] * L);
    const train::EvalReport report = train::evaluate_decisions(
        decided, take_rows(data.labels, members[k], L), names, single_label);
    fold_results[k]["thresholds"] = thresholds;
    fold_results[k]["metrics"] = train::to_json(report);
    fold_reports.push_back(report);
  }
  std::vector<int32_t> assignment(fold_of.size());
  for (size_t i = 0; i < fold_of.size(); ++i) assignment[i] = fold_of[i] + 1;
  const train::EvalReport pooled =
      train::evaluate_decisions(decisions, data.labels, names, single_label);
  // The pooled report has every label and type, in order: its rows come first, then the folds'
  // values fill them.
  Summary summary(o.folds);
  summary.add_report(-1, pooled);
  for (int32_t k = 0; k < o.folds; ++k) summary.add_report(k, fold_reports[k]);
  json report{{"folds", o.folds},
              {"seed", o.seed},
              {"samples", data.count},
              {"task", single_label ? "single_label" : "multi_label"},
              {"thresholds", o.tune_thresholds && !single_label ? "out_of_fold" : "0.5"},
              {"assignment", assignment},
              {"fold_results", fold_results},
              {"summary", summary.to_json()},
              {"out_of_fold", train::to_json(pooled)},
              {"seconds", seconds_since(start)}};
  if (o.keep_probabilities) {
    json rows = json::array();
    for (int64_t i = 0; i < data.count; ++i)
      rows.push_back(
          std::vector<float>(probabilities.begin() + i * L, probabilities.begin() + (i + 1) * L));
    report["probabilities"] = std::move(rows);
  }
  return report.dump();
}

}  // namespace wdc
