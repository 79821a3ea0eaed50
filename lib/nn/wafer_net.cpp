#include "nn/wafer_net.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "nn/deform_block.h"

namespace wdc::nn {

WaferNetImpl::WaferNetImpl(const NetworkConfig& config)
    : config_(config), dropout_generator_(at::make_generator<at::CPUGeneratorImpl>(config.seed)) {
  // The initial weights depend on the config's seed alone. LibTorch's modules initialise from
  // its process-wide generator, so the callers serialise construction (Classifier::create).
  if (config.is_ensemble()) {
    // Each member draws its initial weights from its own seed, as it would alone.
    torch::nn::ModuleList members;
    for (size_t i = 0; i < config.ensemble.size(); ++i) {
      members_.push_back(std::make_shared<WaferNetImpl>(config.member(i)));
      members->push_back(members_.back());
    }
    register_module("members", members);
    return;
  }
  torch::manual_seed(config.seed);
  int64_t channels = config.input_channels();
  for (const BlockConfig& block : config.blocks) {
    blocks_->push_back(DeformBlock(channels, block));
    channels = block.channels;
  }
  register_module("blocks", blocks_);
  fc_ = register_module("fc", torch::nn::Linear(channels, config.labels.size()));
}

torch::Tensor WaferNetImpl::encode(const torch::Tensor& maps) const {
  TORCH_CHECK(!is_ensemble(), "WaferNet::encode: an ensemble's members encode their own input");
  torch::Tensor planes =
      config_.encoding == "onehot"
          ? torch::one_hot(maps.to(torch::kLong), 3).permute({0, 3, 1, 2}).to(torch::kFloat)
          : maps.to(torch::kFloat).unsqueeze(1);
  if (!config_.fail_fraction) return planes;
  // Failed dies over wafer dies (pass or fail); a map without wafer dies has none failed.
  const torch::Tensor fails = maps.eq(2).sum({1, 2}).to(torch::kFloat);
  const torch::Tensor dies = maps.gt(0).sum({1, 2}).to(torch::kFloat).clamp_min(1);
  const torch::Tensor share = (fails / dies).view({-1, 1, 1, 1});
  return torch::cat({planes, share.expand({maps.size(0), 1, maps.size(1), maps.size(2)})}, 1);
}

torch::Tensor WaferNetImpl::features(const torch::Tensor& encoded) {
  torch::Tensor x = encoded;
  for (const auto& block : *blocks_) x = block->as<DeformBlock>()->forward(x);
  return x;
}

torch::Tensor WaferNetImpl::head(const torch::Tensor& features) {
  TORCH_CHECK(!is_ensemble(), "WaferNet::head: an ensemble's members have the heads");
  torch::Tensor pooled = pool(features);
  const double p = config_.dropout;
  if (is_training() && p > 0) {
    // What torch::nn::Dropout computes (Bernoulli(1 - p) noise scaled by 1 / (1 - p)), from
    // this network's generator; drawn on the CPU whatever the device, so the masks, and a run
    // seeded alike, are the same on every device.
    const bool shared = share_.global_count > 0;
    torch::Tensor noise =
        torch::empty({shared ? share_.global_count : pooled.size(0), pooled.size(1)},
                     pooled.options().device(torch::kCPU));
    noise.bernoulli_(1 - p, dropout_generator_);
    noise.div_(1 - p);
    if (shared) noise = noise.narrow(0, share_.offset, pooled.size(0));
    pooled = pooled * noise.to(pooled.device());
  }
  return fc_->forward(pooled);
}

torch::Tensor WaferNetImpl::embed(const torch::Tensor& pooled) {
  // After ReLU every feature is >= 0; an all-zero map of features stays zero, not NaN.
  return torch::nn::functional::normalize(
      pooled, torch::nn::functional::NormalizeFuncOptions().p(2).dim(1).eps(1e-12));
}

void WaferNetImpl::seed_dropout(uint64_t seed) {
  // Every member draws the masks it would draw alone.
  for (const auto& member : members_) member->seed_dropout(seed);
  // Networks of other initial weights (their config's seed) draw other masks too, so that an
  // ensemble's members of one architecture differ in more than their start; seed 0 keeps the
  // stream it always had, so the models trained before reproduce.
  std::lock_guard<std::mutex> lock(dropout_generator_.mutex());
  dropout_generator_.set_current_seed(seed + config_.seed * 0x9e3779b97f4a7c15ULL);
}

void WaferNetImpl::set_batch_share(const BatchShare& share) {
  for (const auto& member : members_) member->set_batch_share(share);
  share_ = share;
  for (const auto& block : *blocks_)
    block->as<DeformBlock>()->sync_batch_norm(share.batch_norm_sum);
}

void WaferNetImpl::set_fixed_order_batch_norm(bool on) {
  for (const auto& member : members_) member->set_fixed_order_batch_norm(on);
  for (const auto& block : *blocks_) block->as<DeformBlock>()->fixed_order_batch_norm(on);
}

namespace {

// Member m's logits [N, labels] of an ensemble's [N, members, labels], contiguous as they are
// when the member runs alone: ATen's vectorised and strided loops round exp and log
// differently in the last bit, and a member must learn exactly what it learns alone.
torch::Tensor member_logits(const torch::Tensor& logits, size_t m) {
  return logits.select(1, static_cast<int64_t>(m)).contiguous();
}

}  // namespace

int64_t WaferNetImpl::embedding_size() const {
  int64_t size = 0;
  for (const auto& member : members_) size += member->embedding_size();
  return is_ensemble() ? size : fc_->weight.size(1);
}

int64_t WaferNetImpl::num_labels() const { return static_cast<int64_t>(config_.labels.size()); }

torch::Tensor WaferNetImpl::probabilities(const torch::Tensor& logits) const {
  TORCH_CHECK(!is_ensemble(), "WaferNet::probabilities: an ensemble's members give theirs");
  return config_.single_label() ? torch::softmax(logits, 1) : torch::sigmoid(logits);
}

torch::Tensor WaferNetImpl::loss(const torch::Tensor& logits, const torch::Tensor& labels,
                                 const torch::Tensor& pos_weight) const {
  if (is_ensemble()) {
    torch::Tensor sum;
    for (size_t m = 0; m < members_.size(); ++m) {
      const torch::Tensor l = members_[m]->loss(member_logits(logits, m), labels, pos_weight);
      sum = m == 0 ? l : sum + l;
    }
    return sum;
  }
  return config_.single_label()
             ? torch::nn::functional::cross_entropy(logits, labels)
             : torch::binary_cross_entropy_with_logits(logits, labels, {}, pos_weight);
}

torch::Tensor WaferNetImpl::forward(const torch::Tensor& maps) {
  if (is_ensemble()) {
    std::vector<torch::Tensor> logits;
    for (const auto& member : members_) logits.push_back(member->forward(maps));
    return torch::stack(logits, 1);
  }
  return head(features(encode(maps)));
}

}  // namespace wdc::nn
