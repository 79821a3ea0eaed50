// Novelty: how unlike the maps a model was trained on a map is, from its embedding — one minus
// the cosine similarity to its k-th nearest training map (Sun et al. 2022, "Out-of-distribution
// detection with deep nearest neighbors"). docs/ACCURACY.md "Unknown patterns" measures it
// against the other known scores (maximum probability, Mahalanobis distance). A map is unknown
// when its novelty is above a threshold calibrated on maps of the known classes.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

namespace wdc::search {

struct Novelty {
  // Training maps' embeddings (unit rows), a seeded sample of at most the bank size asked for:
  // [N, D] float32 on the CPU.
  at::Tensor bank;
  int64_t k = 5;
  // Unknown when novelty > threshold.
  float threshold = 1.0f;
  // How the threshold was chosen: the share of calibration maps it flags, of how many.
  double calibration_share = 0.01;
  int64_t calibration_maps = 0;
};

// Which of `count` training maps the bank keeps: all of them, or when there are more than
// `max_bank` a sample of that many drawn without replacement by `seed`, in increasing order (so
// that only those maps need embedding). Error(kInvalidArgument) when count < k, k < 1 or
// max_bank < k.
std::vector<int64_t> bank_rows(int64_t count, int64_t k, int64_t max_bank, uint64_t seed);

// Novelty statistics whose bank is `count` embeddings (row-major, `dim` each, unit length: the
// maps bank_rows chose); the threshold is left for calibrated_threshold.
Novelty make_novelty(const std::vector<float>& embeddings, int64_t count, int64_t dim, int64_t k);

// Novelty of `count` maps from their embeddings (unit rows of the bank's width), in [0, 2].
std::vector<float> novelty_scores(const Novelty& novelty, const float* embeddings, int64_t count);

// The smallest threshold that flags (novelty > threshold) at most `share` of `scores`: their
// (1 - share) quantile, taken as the value at rank ceil((1 - share) * n). Error(kInvalidArgument)
// for no scores or a share outside [0, 1).
float calibrated_threshold(std::vector<float> scores, double share);

}  // namespace wdc::search
