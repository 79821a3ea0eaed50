#include "nn/deform_block.h"

#include <torch/nn/init.h>

#include <cmath>

#include "ops/onednn_conv2d.h"

namespace wdc::nn {

DeformBlockImpl::DeformBlockImpl(int64_t in_channels, const BlockConfig& config)
    : config_(config) {
  const int64_t k = config.kernel, taps = k * k, pad = k / 2;
  options_.stride = {config.stride, config.stride};
  options_.padding = {pad, pad};
  if (config.deformable) {
    const int64_t field_channels = (config.modulated ? 3 : 2) * taps;
    offset_conv_ = register_module(
        "offset", torch::nn::Conv2d(torch::nn::Conv2dOptions(in_channels, field_channels, k)
                                        .stride(config.stride)
                                        .padding(pad)));
    torch::nn::init::zeros_(offset_conv_->weight);
    torch::nn::init::zeros_(offset_conv_->bias);
  }
  // The deformable convolution has no bias: BatchNorm follows and would cancel it.
  torch::Tensor weight = torch::empty({config.channels, in_channels, k, k});
  torch::nn::init::kaiming_uniform_(weight, std::sqrt(5.0));  // conv2d's default
  // Kept in channels-last memory, [O][kh][kw][C], the order of the CPU kernels' columns, so
  // that the op's GEMM takes the weight as it is instead of reordering it on every call
  // (ops/deform_conv2d_driver.cpp). Drawn planar first: the same values for a seed as before.
  weight_ = register_parameter("weight", weight.contiguous(at::MemoryFormat::ChannelsLast));
  norm_ = register_module("norm", torch::nn::BatchNorm2d(config.channels));
}

torch::Tensor DeformBlockImpl::forward(const torch::Tensor& x) {
  if (!config_.deformable) {
    const torch::Tensor y = ops::onednn_conv2d(x, weight_, {}, options_.stride, options_.padding);
    return torch::relu(normalize(y));
  }
  // The offset convolution has the block's stride and padding (see the constructor).
  const torch::Tensor field = ops::onednn_conv2d(x, offset_conv_->weight, offset_conv_->bias,
                                                 options_.stride, options_.padding);
  const int64_t taps = config_.kernel * config_.kernel;
  torch::Tensor offset = field, mask;
  if (config_.modulated) {
    offset = field.narrow(1, 0, 2 * taps);
    // DCNv2: sigmoid mask; zero-initialised logits give 0.5, which BatchNorm absorbs.
    mask = torch::sigmoid(field.narrow(1, 2 * taps, taps));
  }
  torch::Tensor y = ops::deform_conv2d(x, offset, weight_, {}, mask, options_);
  return torch::relu(normalize(y));
}

torch::Tensor DeformBlockImpl::normalize(const torch::Tensor& y) {
  if (fixed_order_ && is_training())
    return normalize_in_order(y.contiguous()).contiguous(y.suggest_memory_format());
  return normalize_in_order(y);
}

torch::Tensor DeformBlockImpl::normalize_in_order(const torch::Tensor& y) {
  return sum_ != nullptr && is_training() ? synced_batch_norm(*norm_, y, *sum_) : norm_->forward(y);
}

}  // namespace wdc::nn
