// Evaluation of predictions. Multi-label: exact-match (subset) accuracy, Hamming accuracy,
// per-label precision/recall/F1/support, and accuracy per MixedWM38 pattern type (for MixedWM38's
// labels, recognised by name). Single-label: accuracy, macro F1, per-class precision/recall/F1/
// support and the confusion matrix.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace wdc::train {

struct LabelMetrics {
  std::string name;
  double precision = 0, recall = 0, f1 = 0;
  int64_t support = 0;  // maps that carry the label
};

struct TypeMetrics {
  std::string id, name;  // "C1", "Normal"
  int64_t count = 0, correct = 0;
  double accuracy() const { return count ? static_cast<double>(correct) / count : 0.0; }
};

struct EvalReport {
  bool single_label = false;
  int64_t samples = 0;
  // Single-label: exact_match is the accuracy, mean_f1 the macro F1, hamming unused.
  double exact_match = 0, hamming = 0, mean_f1 = 0, min_f1 = 0;
  std::vector<LabelMetrics> labels;
  std::vector<TypeMetrics> types;  // the pattern types present, in C1..C38 order
  // Single-label: confusion[t][p] counts maps of true class t predicted as p.
  std::vector<std::vector<int64_t>> confusion;
};

// probabilities and truth are samples x names.size(), row-major; a label is predicted when its
// probability >= its threshold. A label with no positives and no predictions has precision,
// recall and F1 of 1 (nothing to find, nothing found wrongly); otherwise an empty ratio is 0.
// Pattern types are counted only for the 8 MixedWM38 labels (by each map's true label vector).
// `single_label`: the most probable class is the prediction and each truth row holds one 1.
EvalReport evaluate_predictions(const std::vector<float>& probabilities,
                                const std::vector<uint8_t>& truth,
                                const std::vector<std::string>& names,
                                const std::vector<float>& thresholds, bool single_label = false);

// evaluate_predictions of decisions already made (samples x names.size() values, 1 where a label
// is predicted; a single-label row holds one 1): for scoring maps decided by different thresholds,
// as cross-validation's folds are.
EvalReport evaluate_decisions(const std::vector<uint8_t>& predicted,
                              const std::vector<uint8_t>& truth,
                              const std::vector<std::string>& names, bool single_label = false);

// The JSON of `wdc eval --json`: for a single-label report "task", "samples", "accuracy",
// "macro_f1", "min_f1", "labels" and "confusion" (rows: true class, columns: predicted); for a
// multi-label one "task", "samples", "exact_match", "hamming", "mean_f1", "min_f1", "labels",
// "types".
nlohmann::json to_json(const EvalReport& report);

}  // namespace wdc::train
