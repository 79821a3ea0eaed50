#include "nn/wafer_net.h"

#include <torch/torch.h>

#include "nn/deform_block.h"

namespace wdc::nn {

WaferNetImpl::WaferNetImpl(const NetworkConfig& config) : config_(config) {
  // The initial weights depend on the config's seed alone.
  torch::manual_seed(config.seed);
  int64_t channels = config.input_channels();
  for (const BlockConfig& block : config.blocks) {
    blocks_->push_back(DeformBlock(channels, block));
    channels = block.channels;
  }
  register_module("blocks", blocks_);
  dropout_ = register_module("dropout", torch::nn::Dropout(config.dropout));
  fc_ = register_module("fc", torch::nn::Linear(channels, config.labels.size()));
}

torch::Tensor WaferNetImpl::encode(const torch::Tensor& maps) const {
  if (config_.encoding == "onehot")
    return torch::one_hot(maps.to(torch::kLong), 3).permute({0, 3, 1, 2}).to(torch::kFloat);
  return maps.to(torch::kFloat).unsqueeze(1);
}

torch::Tensor WaferNetImpl::features(const torch::Tensor& encoded) {
  torch::Tensor x = encoded;
  for (const auto& block : *blocks_) x = block->as<DeformBlock>()->forward(x);
  return x;
}

torch::Tensor WaferNetImpl::head(const torch::Tensor& features) {
  return fc_->forward(dropout_->forward(features.mean({2, 3})));
}

torch::Tensor WaferNetImpl::forward(const torch::Tensor& maps) {
  return head(features(encode(maps)));
}

}  // namespace wdc::nn
