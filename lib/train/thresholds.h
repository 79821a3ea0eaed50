// Per-label decision thresholds chosen on validation predictions.
#pragma once

#include <cstdint>
#include <vector>

namespace wdc::train {

// The decisions of `thresholds` (one per label): 1 where probabilities[s * L + l] >=
// thresholds[l], else 0; probabilities holds samples x L values, row-major, L =
// thresholds.size(). Error(kInvalidArgument) when the sizes disagree.
std::vector<uint8_t> apply_thresholds(const std::vector<float>& probabilities,
                                      const std::vector<float>& thresholds);

// The decisions of a model: apply_thresholds for a multi-label one; for a single-label one a 1 at
// each sample's most probable class (the first of equals) and 0 elsewhere.
std::vector<uint8_t> decide(const std::vector<float>& probabilities,
                            const std::vector<float>& thresholds, bool single_label);

// Coordinate ascent on exact-match accuracy: each label in turn takes the threshold from
// {0.05, 0.10, ..., 0.95} that maximises the exact match of all labels given the others'
// current thresholds (ties go to the value nearest 0.5, so thresholds move only when it pays);
// a few sweeps over the labels. probabilities/truth: samples x labels, row-major.
std::vector<float> tune_thresholds(const std::vector<float>& probabilities,
                                   const std::vector<uint8_t>& truth, int64_t labels);

}  // namespace wdc::train
