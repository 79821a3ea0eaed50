// One block of the network: deformable convolution -> BatchNorm -> ReLU (Dai et al. 2017), or a
// plain convolution in its place when the config says so.
// The offsets (and, for DCNv2, the mask) come from a plain convolution of the block's input with
// the same kernel and stride, initialised to zero so training starts from a regular convolution.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>

#include "nn/network_config.h"
#include "nn/synced_batch_norm.h"
#include "ops/deform_conv2d.h"

namespace wdc::nn {

class DeformBlockImpl : public torch::nn::Module {
 public:
  DeformBlockImpl(int64_t in_channels, const BlockConfig& config);
  torch::Tensor forward(const torch::Tensor& x);
  // In training, normalise by the statistics of the batch summed across ranks by `sum`
  // (data-parallel training); nullptr: by this process's batch alone (the default).
  void sync_batch_norm(const CrossRankSum* sum) { sum_ = sum; }
  // In training, normalise a channels-first copy (WaferNet::set_fixed_order_batch_norm).
  void fixed_order_batch_norm(bool on) { fixed_order_ = on; }

 private:
  torch::Tensor normalize(const torch::Tensor& y);
  torch::Tensor normalize_in_order(const torch::Tensor& y);  // in y's own memory format

  BlockConfig config_;
  ops::DeformConv2dOptions options_;
  torch::nn::Conv2d offset_conv_{nullptr};  // 2·k² offsets (+ k² mask logits when modulated);
                                            // absent in a plain block
  torch::Tensor weight_;
  torch::nn::BatchNorm2d norm_{nullptr};
  const CrossRankSum* sum_ = nullptr;
  bool fixed_order_ = false;
};
TORCH_MODULE(DeformBlock);

}  // namespace wdc::nn
