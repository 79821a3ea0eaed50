// BatchNorm over a batch split across the ranks of data-parallel training (SyncBatchNorm): the
// mean and variance are those of the whole global batch, summed across the ranks in the forward
// pass and, through autograd, in the backward pass, so N ranks normalise as one process would.
#pragma once

#include <torch/nn/modules/batchnorm.h>

#include <functional>
#include <vector>

namespace wdc::nn {

// Replaces each tensor by its sum over the ranks, in place (train::ProcessGroup::sum).
using CrossRankSum = std::function<void(const std::vector<torch::Tensor>&)>;

// Training-mode BatchNorm2d of `x`, this rank's share of the batch, with the batch statistics
// of all ranks' shares; updates `norm`'s running statistics as BatchNorm2d does.
torch::Tensor synced_batch_norm(torch::nn::BatchNorm2dImpl& norm, const torch::Tensor& x,
                                const CrossRankSum& sum);

}  // namespace wdc::nn
