// The classifier network: input encoding -> deformable blocks -> global average pooling ->
// (dropout) -> fully connected layer to one logit per label.
#pragma once

#include <ATen/core/Generator.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include "nn/network_config.h"

namespace wdc::nn {

class WaferNetImpl : public torch::nn::Module {
 public:
  explicit WaferNetImpl(const NetworkConfig& config);

  // maps: uint8 [N, H, W] with 0 off-wafer, 1 pass, 2 fail, at the config's input size.
  torch::Tensor encode(const torch::Tensor& maps) const;
  // The last block's feature maps (after its ReLU), [N, C_last, h, w], from encoded input.
  torch::Tensor features(const torch::Tensor& encoded);
  // Logits [N, labels] from the features.
  torch::Tensor head(const torch::Tensor& features);
  // Logits [N, labels] from uint8 maps.
  torch::Tensor forward(const torch::Tensor& maps);
  // Probabilities from logits: a sigmoid per label (multi-label), or a softmax over the classes
  // (single-label).
  torch::Tensor probabilities(const torch::Tensor& logits) const;

  const NetworkConfig& config() const { return config_; }

  // Weight row of the fully connected layer for each label: [labels, C_last].
  const torch::Tensor& classifier_weight() const { return fc_->weight; }

  // Reseeds the generator that draws this network's dropout masks, the one random draw of
  // training that LibTorch makes. Each network owns its generator (LibTorch's Dropout module
  // draws from the process-wide one), so two models training at once in one process do not
  // take numbers from each other's stream.
  void seed_dropout(uint64_t seed);

 private:
  NetworkConfig config_;
  torch::nn::ModuleList blocks_;
  torch::nn::Linear fc_{nullptr};
  at::Generator dropout_generator_;
};
TORCH_MODULE(WaferNet);

}  // namespace wdc::nn
