// The classifier network: input encoding -> deformable blocks -> global average pooling ->
// (dropout) -> fully connected layer to one logit per label. Or an ensemble of such networks
// (NetworkConfig::ensemble), each a WaferNet of its own: forward gives every member's logits,
// loss is the sum of the members' losses (each member learns as it would alone: they share no
// weights). The per-stage calls (encode, features, head, probabilities, classifier_weight) are
// one network's: for an ensemble, call them on its members.
#pragma once

#include <ATen/core/Generator.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include "nn/network_config.h"
#include "nn/synced_batch_norm.h"

namespace wdc::nn {

class WaferNetImpl : public torch::nn::Module {
 public:
  explicit WaferNetImpl(const NetworkConfig& config);

  // maps: uint8 [N, H, W] with 0 off-wafer, 1 pass, 2 fail, at the config's input size.
  torch::Tensor encode(const torch::Tensor& maps) const;
  // The last block's feature maps (after its ReLU), [N, C_last, h, w], from encoded input.
  torch::Tensor features(const torch::Tensor& encoded);
  // Logits [N, labels] from the features: pool, then (dropout and) the fully connected layer.
  torch::Tensor head(const torch::Tensor& features);
  // The features averaged over space, [N, C_last]: what the head sees of a map.
  static torch::Tensor pool(const torch::Tensor& features) { return features.mean({2, 3}); }
  // A map's embedding: its pooled features scaled to unit length, [N, C_last], so that the dot
  // product of two embeddings is their cosine similarity.
  static torch::Tensor embed(const torch::Tensor& pooled);
  // An ensemble's embedding is its members' side by side, each scaled by 1/sqrt(members), so
  // that it has unit length too and the cosine of two is the mean of the members' cosines.
  int64_t embedding_size() const;
  int64_t num_labels() const;
  // Logits [N, labels] from uint8 maps; an ensemble's: [N, members, labels].
  torch::Tensor forward(const torch::Tensor& maps);
  // Probabilities from one network's logits: a sigmoid per label (multi-label), or a softmax
  // over the classes (single-label). An ensemble's are the mean of its members'
  // (nn/inference.h's run_network takes it).
  torch::Tensor probabilities(const torch::Tensor& logits) const;
  // The training loss of forward's logits: binary cross-entropy with `pos_weight` (multi-label;
  // labels [N, labels] of 0/1) or cross-entropy (single-label; labels [N] class indices), mean
  // over the batch; an ensemble's is the sum of its members'.
  torch::Tensor loss(const torch::Tensor& logits, const torch::Tensor& labels,
                     const torch::Tensor& pos_weight) const;

  bool is_ensemble() const { return !members_.empty(); }
  // An ensemble's member networks (empty for one network); WaferNet(member) holds one.
  const std::vector<std::shared_ptr<WaferNetImpl>>& members() const { return members_; }

  const NetworkConfig& config() const { return config_; }

  // Weight row of the fully connected layer for each label: [labels, C_last].
  const torch::Tensor& classifier_weight() const { return fc_->weight; }

  // Reseeds the generator that draws this network's dropout masks, the one random draw of
  // training that LibTorch makes (mixed with the config's seed, so that networks of other
  // initial weights draw other masks). Each network owns its generator (LibTorch's Dropout module
  // draws from the process-wide one), so two models training at once in one process do not
  // take numbers from each other's stream.
  void seed_dropout(uint64_t seed);

  // Data-parallel training runs each rank on its share of a global batch: `offset` maps into it,
  // of `global_count`. With a share set, dropout draws the global batch's mask and keeps the
  // share's rows, and with `batch_norm_sum` training-mode BatchNorm uses the global batch's
  // statistics, summed across the ranks by it: N ranks then compute what one process computes on
  // the whole batch. Without it each rank normalises by its own share's statistics.
  struct BatchShare {
    int64_t offset = 0, global_count = 0;  // 0: the whole batch is here (the default)
    const CrossRankSum* batch_norm_sum = nullptr;
  };
  void set_batch_share(const BatchShare& share);
  // In training, BatchNorm sums over a channels-first copy of its input, whose per-channel sums
  // ATen takes in one order whatever the thread count (channels-last sums split the batch
  // among the threads): deterministic training, at two copies per layer.
  void set_fixed_order_batch_norm(bool on);

 private:
  NetworkConfig config_;
  std::vector<std::shared_ptr<WaferNetImpl>> members_;  // also registered, as "members"
  torch::nn::ModuleList blocks_;
  torch::nn::Linear fc_{nullptr};
  at::Generator dropout_generator_;
  BatchShare share_;
};
TORCH_MODULE(WaferNet);

}  // namespace wdc::nn
