#include "nn/synced_batch_norm.h"

#include <torch/torch.h>

namespace wdc::nn {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Per-channel vector as [1, C, 1, 1], to broadcast over a batch.
torch::Tensor per_channel(const torch::Tensor& v) { return v.view({1, -1, 1, 1}); }

// The statistics of the global batch from each rank's own (two-pass) mean and variance: the
// ranks sum their count n, n·mean and n·(var + mean²) in one message, in double, so that the
// global variance, sum/N - mean², keeps float precision. Counts, not means, cross the ranks:
// shares may differ in size (the last batch of an epoch).
struct GlobalStats {
  torch::Tensor mean, var;  // biased, as BatchNorm normalises with it
  double count = 0;
};

GlobalStats global_stats(const torch::Tensor& x, const CrossRankSum& sum) {
  const int64_t C = x.size(1);
  const auto [local_var, local_mean] = torch::var_mean(x, {0, 2, 3}, /*unbiased=*/false);
  const double n = static_cast<double>(x.numel() / C);
  const torch::Tensor mean64 = local_mean.to(torch::kDouble);
  torch::Tensor totals =
      torch::cat({mean64 * n, (local_var.to(torch::kDouble) + mean64.square()) * n,
                  torch::full({1}, n, mean64.options())});
  sum({totals});
  GlobalStats stats;
  stats.count = totals[2 * C].item<double>();
  const torch::Tensor mean = totals.narrow(0, 0, C) / stats.count;
  stats.var =
      (totals.narrow(0, C, C) / stats.count - mean.square()).clamp_min(0).to(x.scalar_type());
  stats.mean = mean.to(x.scalar_type());
  return stats;
}

// y = BatchNorm(x) with the global batch's statistics; one collective forward, one backward
// (each costs a round trip, ~2 ms over Gloo on loopback here, more than the arithmetic), and
// LibTorch's fused kernels for the element-wise passes.
struct SyncedBatchNorm : torch::autograd::Function<SyncedBatchNorm> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x,
                               const torch::Tensor& weight, const torch::Tensor& bias,
                               torch::nn::BatchNorm2dImpl* norm, const CrossRankSum* sum) {
    const double eps = norm->options.eps();
    const GlobalStats stats = global_stats(x, *sum);
    update_running_stats(*norm, stats);
    // Inference-mode BatchNorm normalises with the statistics it is given: one fused pass.
    const torch::Tensor y = torch::batch_norm(x, weight, bias, stats.mean, stats.var,
                                              /*training=*/false, 0.0, eps, /*cudnn=*/false);
    ctx->save_for_backward({x, weight, stats.mean, stats.var});
    ctx->saved_data["eps"] = eps;
    ctx->saved_data["count"] = stats.count;
    // The callback outlives the step (the trainer owns it), so its address is enough to keep.
    ctx->saved_data["sum"] = reinterpret_cast<int64_t>(sum);
    return y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor &x = saved[0], &weight = saved[1], &mean = saved[2], &var = saved[3];
    const double eps = ctx->saved_data["eps"].toDouble();
    const double count = ctx->saved_data["count"].toDouble();
    const auto* sum = reinterpret_cast<const CrossRankSum*>(ctx->saved_data["sum"].toInt());
    const torch::Tensor dy = grads[0];
    // This rank's sum of dy·x̂ and of dy, which are also its gradients of weight and bias
    // (the trainer sums those across the ranks with the others).
    const auto [unused, grad_weight, grad_bias] = torch::native_batch_norm_backward(
        dy, x, weight, mean, var, {}, {}, /*train=*/false, eps, {false, true, true});
    const int64_t C = x.size(1);
    torch::Tensor sums = torch::cat({grad_bias, grad_weight});
    (*sum)({sums});
    // dx = w·invstd·(dy - mean(dy) - x̂·mean(dy·x̂)), the means over the global batch:
    // dx = dy·a + x·b + c per channel.
    const torch::Tensor invstd = torch::rsqrt(var + eps);
    const torch::Tensor w = weight.defined() ? weight : torch::ones_like(mean);
    const torch::Tensor mean_dy = sums.narrow(0, 0, C) / count;
    const torch::Tensor mean_dy_xhat = sums.narrow(0, C, C) / count;
    const torch::Tensor a = w * invstd;
    const torch::Tensor b = -a * invstd * mean_dy_xhat;
    const torch::Tensor c = -a * mean_dy - mean * b;
    torch::Tensor dx = torch::addcmul(per_channel(c), x, per_channel(b));
    dx.addcmul_(dy, per_channel(a));
    return {dx, grad_weight, grad_bias, torch::Tensor(), torch::Tensor()};
  }

  // As BatchNorm2d does in training: the running variance is the unbiased one.
  static void update_running_stats(torch::nn::BatchNorm2dImpl& norm, const GlobalStats& stats) {
    if (!norm.options.track_running_stats()) return;
    norm.num_batches_tracked += 1;
    const double momentum = norm.options.momentum().has_value()
                                ? *norm.options.momentum()
                                : 1.0 / norm.num_batches_tracked.item<double>();
    const double unbias = stats.count / std::max(1.0, stats.count - 1);
    norm.running_mean.mul_(1 - momentum).add_(stats.mean, momentum);
    norm.running_var.mul_(1 - momentum).add_(stats.var * unbias, momentum);
  }
};

}  // namespace

torch::Tensor synced_batch_norm(torch::nn::BatchNorm2dImpl& norm, const torch::Tensor& x,
                                const CrossRankSum& sum) {
  return SyncedBatchNorm::apply(x, norm.weight, norm.bias, &norm, &sum);
}

}  // namespace wdc::nn
