// lib/nn/synced_batch_norm: BatchNorm over a batch split across ranks must compute what
// LibTorch's BatchNorm2d computes on the whole batch — outputs, input gradients, the sum of the
// ranks' weight and bias gradients, and the running statistics. Ranks are threads here, joined
// by a sum that waits for all of them (what train::ProcessGroup::sum does across processes).
#include "nn/synced_batch_norm.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace {

using wdc::nn::CrossRankSum;
using wdc::nn::synced_batch_norm;

// Sums tensors across `ranks` threads: each call blocks until every rank has made its call,
// then all receive the total. Calls pair up by order, as collectives do.
class ThreadSum {
 public:
  explicit ThreadSum(int ranks) : ranks_(ranks) {}

  void operator()(const std::vector<torch::Tensor>& tensors) {
    std::unique_lock<std::mutex> lock(mutex_);
    const int64_t round = round_;
    if (arrived_ == 0) {
      total_.clear();
      for (const auto& t : tensors) total_.push_back(torch::zeros_like(t));
    }
    for (size_t i = 0; i < tensors.size(); ++i) total_[i] += tensors[i];
    if (++arrived_ == ranks_) {
      result_ = total_;
      arrived_ = 0;
      ++round_;
      changed_.notify_all();
    } else {
      changed_.wait(lock, [&] { return round_ != round; });
    }
    // A next round cannot complete (and replace result_) before this rank has joined it.
    for (size_t i = 0; i < tensors.size(); ++i) tensors[i].copy_(result_[i]);
  }

 private:
  int ranks_;
  std::mutex mutex_;
  std::condition_variable changed_;
  int arrived_ = 0;
  int64_t round_ = 0;
  std::vector<torch::Tensor> total_, result_;
};

struct Pass {
  torch::Tensor y, grad_x, grad_weight, grad_bias, running_mean, running_var;
};

// BatchNorm2d of `x` with a fixed gradient `g` of its output, through `norm` as given.
Pass run(torch::nn::BatchNorm2d& norm, const torch::Tensor& x, const torch::Tensor& g,
         const CrossRankSum* sum) {
  torch::Tensor input = x.clone().requires_grad_(true);
  torch::Tensor y = sum ? synced_batch_norm(*norm, input, *sum) : norm->forward(input);
  (y * g).sum().backward();
  return {y.detach(),
          input.grad(),
          norm->weight.grad().clone(),
          norm->bias.grad().clone(),
          norm->running_mean.clone(),
          norm->running_var.clone()};
}

torch::nn::BatchNorm2d make_norm(int64_t channels) {
  torch::nn::BatchNorm2d norm(channels);
  torch::NoGradGuard no_grad;
  norm->weight.uniform_(0.5, 1.5);
  norm->bias.uniform_(-0.5, 0.5);
  norm->train();
  return norm;
}

void expect_close(const torch::Tensor& a, const torch::Tensor& b, const char* what) {
  EXPECT_TRUE(torch::allclose(a, b, 1e-4, 1e-5))
      << what << ": largest difference " << (a - b).abs().max().item<double>();
}

TEST(SyncedBatchNorm, OneRankComputesWhatBatchNorm2dComputes) {
  torch::manual_seed(1);
  // An offset far from zero: the variance must keep its precision.
  const torch::Tensor x = torch::randn({6, 4, 5, 7}) * 3 + 20;
  const torch::Tensor g = torch::randn({6, 4, 5, 7});
  auto reference = make_norm(4);
  auto synced = make_norm(4);
  {
    torch::NoGradGuard no_grad;
    synced->weight.copy_(reference->weight);
    synced->bias.copy_(reference->bias);
  }
  const CrossRankSum alone = [](const std::vector<torch::Tensor>&) {};
  const Pass want = run(reference, x, g, nullptr);
  const Pass got = run(synced, x, g, &alone);
  expect_close(got.y, want.y, "output");
  expect_close(got.grad_x, want.grad_x, "input gradient");
  expect_close(got.grad_weight, want.grad_weight, "weight gradient");
  expect_close(got.grad_bias, want.grad_bias, "bias gradient");
  expect_close(got.running_mean, want.running_mean, "running mean");
  expect_close(got.running_var, want.running_var, "running variance");
  EXPECT_EQ(synced->num_batches_tracked.item<int64_t>(), 1);
}

TEST(SyncedBatchNorm, RanksWithUnequalSharesComputeTheWholeBatch) {
  torch::manual_seed(2);
  const torch::Tensor x = torch::randn({7, 3, 4, 4}) + 1;
  const torch::Tensor g = torch::randn({7, 3, 4, 4});
  auto reference = make_norm(3);
  const Pass want = run(reference, x, g, nullptr);

  // Shares of 4 and 3 maps (counts, not means, must cross the ranks).
  const std::vector<std::pair<int64_t, int64_t>> shares{{0, 4}, {4, 3}};
  ThreadSum sum_impl(2);
  const CrossRankSum sum = [&](const std::vector<torch::Tensor>& t) { sum_impl(t); };
  std::vector<Pass> got(2);
  std::vector<torch::nn::BatchNorm2d> norms;
  for (int rank = 0; rank < 2; ++rank) {
    norms.push_back(make_norm(3));
    torch::NoGradGuard no_grad;
    norms.back()->weight.copy_(reference->weight);
    norms.back()->bias.copy_(reference->bias);
  }
  std::vector<std::thread> ranks;
  for (int rank = 0; rank < 2; ++rank)
    ranks.emplace_back([&, rank] {
      const auto [offset, count] = shares[rank];
      got[rank] = run(norms[rank], x.narrow(0, offset, count), g.narrow(0, offset, count), &sum);
    });
  for (auto& t : ranks) t.join();

  expect_close(torch::cat({got[0].y, got[1].y}), want.y, "output");
  expect_close(torch::cat({got[0].grad_x, got[1].grad_x}), want.grad_x, "input gradient");
  // Parameter gradients stay each rank's own: the trainer sums them with the others.
  expect_close(got[0].grad_weight + got[1].grad_weight, want.grad_weight, "weight gradient");
  expect_close(got[0].grad_bias + got[1].grad_bias, want.grad_bias, "bias gradient");
  for (const Pass& p : got) {
    expect_close(p.running_mean, want.running_mean, "running mean");
    expect_close(p.running_var, want.running_var, "running variance");
  }
}

}  // namespace
