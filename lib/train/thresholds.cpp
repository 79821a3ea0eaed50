#include "train/thresholds.h"

#include <algorithm>

#include <cmath>

#include "base/error.h"

namespace wdc::train {
namespace {

void require_rows(const std::vector<float>& probabilities, size_t labels, const char* what) {
  if (labels == 0 || probabilities.size() % labels != 0)
    fail(ErrorCode::kInvalidArgument,
         std::string(what) + ": " + std::to_string(probabilities.size()) +
             " probabilities do not split into rows of " + std::to_string(labels) + " labels");
}

}  // namespace

std::vector<uint8_t> apply_thresholds(const std::vector<float>& probabilities,
                                      const std::vector<float>& thresholds) {
  const size_t labels = thresholds.size();
  require_rows(probabilities, labels, "apply_thresholds");
  std::vector<uint8_t> present(probabilities.size());
  for (size_t i = 0; i < probabilities.size(); ++i)
    present[i] = probabilities[i] >= thresholds[i % labels] ? 1 : 0;
  return present;
}

std::vector<uint8_t> decide(const std::vector<float>& probabilities,
                            const std::vector<float>& thresholds, bool single_label) {
  if (!single_label) return apply_thresholds(probabilities, thresholds);
  const size_t labels = thresholds.size();  // a single-label model's thresholds go unused
  require_rows(probabilities, labels, "decide");
  std::vector<uint8_t> present(probabilities.size(), 0);
  for (size_t row = 0; row < probabilities.size(); row += labels) {
    const auto first = probabilities.begin() + static_cast<std::ptrdiff_t>(row);
    const auto best = std::max_element(first, first + static_cast<std::ptrdiff_t>(labels));
    present[row + static_cast<size_t>(best - first)] = 1;
  }
  return present;
}

std::vector<float> tune_thresholds(const std::vector<float>& p, const std::vector<uint8_t>& truth,
                                   int64_t labels) {
  if (labels < 1 || p.size() != truth.size() || p.size() % labels != 0)
    fail(ErrorCode::kInvalidArgument, "tune_thresholds: predictions and truth disagree in size");
  const int64_t samples = static_cast<int64_t>(p.size()) / labels;
  std::vector<float> thresholds(labels, 0.5f);
  // wrong[s]: labels of sample s currently predicted wrongly.
  std::vector<int> wrong(samples, 0);
  for (int64_t s = 0; s < samples; ++s)
    for (int64_t l = 0; l < labels; ++l)
      wrong[s] += (p[s * labels + l] >= 0.5f) != (truth[s * labels + l] != 0);

  constexpr int kSweeps = 3;
  for (int sweep = 0; sweep < kSweeps; ++sweep) {
    bool changed = false;
    for (int64_t l = 0; l < labels; ++l) {
      float best = thresholds[l];
      int64_t best_hits = -1;
      for (int step = 1; step <= 19; ++step) {
        const float t = 0.05f * step;
        int64_t hits = 0;
        for (int64_t s = 0; s < samples; ++s) {
          const bool truth_l = truth[s * labels + l] != 0;
          const bool before = (p[s * labels + l] >= thresholds[l]) != truth_l;
          const bool after = (p[s * labels + l] >= t) != truth_l;
          hits += wrong[s] - before + after == 0;
        }
        const bool nearer = std::fabs(t - 0.5f) < std::fabs(best - 0.5f);
        if (hits > best_hits || (hits == best_hits && nearer)) {
          best_hits = hits;
          best = t;
        }
      }
      if (best != thresholds[l]) {
        for (int64_t s = 0; s < samples; ++s) {
          const bool truth_l = truth[s * labels + l] != 0;
          wrong[s] += ((p[s * labels + l] >= best) != truth_l) -
                      ((p[s * labels + l] >= thresholds[l]) != truth_l);
        }
        thresholds[l] = best;
        changed = true;
      }
    }
    if (!changed) break;
  }
  return thresholds;
}

}  // namespace wdc::train
