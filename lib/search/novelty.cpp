#include "search/novelty.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "base/error.h"

namespace wdc::search {

std::vector<int64_t> bank_rows(int64_t count, int64_t k, int64_t max_bank, uint64_t seed) {
  if (k < 1) fail(ErrorCode::kInvalidArgument, "novelty: k must be at least 1");
  if (count < k)
    fail(ErrorCode::kInvalidArgument, "novelty: " + std::to_string(count) +
                                          " training maps are fewer than k (" + std::to_string(k) +
                                          ")");
  if (max_bank < k)
    fail(ErrorCode::kInvalidArgument, "novelty: the bank size (" + std::to_string(max_bank) +
                                          ") must be at least k (" + std::to_string(k) + ")");
  std::vector<int64_t> rows;
  if (count <= max_bank) {
    rows.resize(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i) rows[i] = i;
    return rows;
  }
  // A seeded generator of our own: the sample must not depend on LibTorch's global state.
  torch::Generator generator = at::detail::createCPUGenerator(seed);
  const torch::Tensor chosen =
      std::get<0>(torch::randperm(count, generator, torch::kLong).narrow(0, 0, max_bank).sort());
  rows.assign(chosen.data_ptr<int64_t>(), chosen.data_ptr<int64_t>() + max_bank);
  return rows;
}

Novelty make_novelty(const std::vector<float>& embeddings, int64_t count, int64_t dim, int64_t k) {
  if (count < k || k < 1)
    fail(ErrorCode::kInvalidArgument, "novelty: a bank of " + std::to_string(count) +
                                          " maps cannot serve k = " + std::to_string(k));
  if (dim < 1 || embeddings.size() != static_cast<size_t>(count * dim))
    fail(ErrorCode::kInvalidArgument, "novelty: expected " + std::to_string(count) + " x " +
                                          std::to_string(dim) + " embedding values, got " +
                                          std::to_string(embeddings.size()));
  Novelty novelty;
  novelty.k = k;
  novelty.bank =
      torch::from_blob(const_cast<float*>(embeddings.data()), {count, dim}, torch::kFloat).clone();
  return novelty;
}

std::vector<float> novelty_scores(const Novelty& novelty, const float* embeddings, int64_t count) {
  std::vector<float> out(static_cast<size_t>(count));
  const int64_t n = novelty.bank.size(0), dim = novelty.bank.size(1);
  if (count == 0) return out;
  c10::InferenceMode inference;
  const torch::Tensor queries =
      torch::from_blob(const_cast<float*>(embeddings), {count, dim}, torch::kFloat);
  // Blocks of queries bound the similarity matrix (2^24 values, 64 MiB) whatever the count.
  const int64_t block = std::max<int64_t>(1, (int64_t{1} << 24) / n);
  for (int64_t first = 0; first < count; first += block) {
    const int64_t rows = std::min(block, count - first);
    const torch::Tensor similarity = queries.narrow(0, first, rows).mm(novelty.bank.t());
    const torch::Tensor kth =
        std::get<0>(similarity.topk(novelty.k, 1)).select(1, novelty.k - 1).clamp(-1, 1);
    const torch::Tensor score = (1 - kth).contiguous();
    std::copy(score.data_ptr<float>(), score.data_ptr<float>() + rows, out.begin() + first);
  }
  return out;
}

float calibrated_threshold(std::vector<float> scores, double share) {
  if (scores.empty())
    fail(ErrorCode::kInvalidArgument, "novelty: no calibration maps to choose a threshold on");
  if (!(share >= 0 && share < 1))
    fail(ErrorCode::kInvalidArgument,
         "novelty: the share of calibration maps to flag must be in [0, 1), got " +
             std::to_string(share));
  const int64_t n = static_cast<int64_t>(scores.size());
  // At most floor(share * n) maps above the threshold (the epsilon keeps 0.01 * 1000 at 10).
  const int64_t flagged = static_cast<int64_t>(std::floor(share * n + 1e-9));
  const int64_t rank = n - flagged - 1;
  std::nth_element(scores.begin(), scores.begin() + rank, scores.end());
  return scores[static_cast<size_t>(rank)];
}

}  // namespace wdc::search
