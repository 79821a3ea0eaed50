// nn::FoldedNetwork, the network as lower-precision inference runs it: in float32 it must
// compute what the network computes (the BatchNorm folding alone), in bfloat16 the same within
// bfloat16's rounding.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <string>

#include "nn/folded_network.h"
#include "nn/network_config.h"
#include "nn/wafer_net.h"
#include "ops/cpu/bf16_support.h"

namespace {

// Deformable blocks with and without modulation, a plain block, both strides, one-hot input.
const char* kConfig = R"({"input": {"height": 20, "width": 24, "encoding": "onehot"},
  "blocks": [{"channels": 8, "stride": 2, "modulated": true},
             {"channels": 16, "stride": 1},
             {"channels": 16, "stride": 2, "deformable": false},
             {"channels": 24, "stride": 1, "modulated": true}], "seed": 3})";

// A network in eval mode whose BatchNorm statistics and affine parameters, and offset
// convolutions, are random instead of their initial values (which would fold to identity and
// zero offsets, and test nothing).
wdc::nn::WaferNet random_network() {
  wdc::nn::WaferNet net(wdc::nn::parse_network_config(kConfig));
  torch::manual_seed(11);
  torch::NoGradGuard no_grad;
  for (auto& p : net->named_parameters()) {
    const std::string& name = p.key();
    if (name.find("offset.") != std::string::npos) p.value().normal_(0, 0.2);
    if (name.find("norm.weight") != std::string::npos) p.value().uniform_(0.5, 2.0);
    if (name.find("norm.bias") != std::string::npos) p.value().normal_(0, 0.5);
  }
  for (auto& b : net->named_buffers()) {
    if (b.key().find("running_mean") != std::string::npos) b.value().normal_(0, 0.5);
    if (b.key().find("running_var") != std::string::npos) b.value().uniform_(0.2, 3.0);
  }
  net->eval();
  return net;
}

torch::Tensor random_maps(int64_t n) {
  torch::manual_seed(5);
  return torch::randint(0, 3, {n, 20, 24}, torch::kUInt8);
}

// The features of `count` random maps from the network (expected) and from its folding at
// `dtype` (actual).
struct Features {
  wdc::nn::WaferNet net{nullptr};
  torch::Tensor expected, actual;
};
Features features_of(torch::ScalarType dtype, int64_t count) {
  at::set_num_threads(2);
  Features f;
  f.net = random_network();
  const wdc::nn::FoldedNetwork folded(f.net, dtype);
  c10::InferenceMode inference;
  const torch::Tensor encoded = f.net->encode(random_maps(count));
  f.expected = f.net->features(encoded);
  f.actual = folded.features(encoded);
  return f;
}

TEST(FoldedNetworkTest, Float32FoldingComputesTheNetworksFeatures) {
  const auto [net, expected, actual] = features_of(torch::kFloat, 6);
  ASSERT_EQ(actual.sizes(), expected.sizes());
  EXPECT_EQ(actual.scalar_type(), torch::kFloat);
  EXPECT_GT(expected.abs().max().item<float>(), 0.1f);  // the features are not all zero
  EXPECT_TRUE(torch::allclose(actual, expected, 1e-4, 1e-4))
      << "max diff " << (actual - expected).abs().max().item<float>();
}

TEST(FoldedNetworkTest, FoldingCopiesTheWeightsOfItsTime) {
  wdc::nn::WaferNet net = random_network();
  const wdc::nn::FoldedNetwork folded(net, torch::kFloat);
  c10::InferenceMode inference;
  const torch::Tensor encoded = net->encode(random_maps(2));
  const torch::Tensor before = folded.features(encoded);
  {
    c10::InferenceMode off(false);
    torch::NoGradGuard no_grad;
    for (auto& p : net->parameters()) p.add_(1.0);
  }
  EXPECT_TRUE(torch::equal(folded.features(encoded), before));
  EXPECT_FALSE(torch::allclose(net->features(encoded), before, 1e-3, 1e-3));
}

// bfloat16 keeps 8 bits of mantissa: each layer's activations and weights are rounded to a
// relative 2^-9, and the error grows with depth. Over four blocks the features stay within 5%
// of their largest value, and the class scores within 0.05 — the scale the accuracy checks of
// docs/PERFORMANCE.md ("bfloat16") then measure on real maps.
TEST(FoldedNetworkTest, Bfloat16FeaturesFollowFloat32) {
  if (!wdc::ops::cpu::cpu_has_native_bf16())
    GTEST_SKIP() << "no native bfloat16 here: " << wdc::ops::cpu::native_bf16_missing_reason();
  auto [net, expected, actual] = features_of(torch::kBFloat16, 16);
  c10::InferenceMode inference;
  EXPECT_EQ(actual.scalar_type(), torch::kFloat);
  const float scale = expected.abs().max().item<float>();
  EXPECT_LT((actual - expected).abs().max().item<float>(), 0.05f * scale);
  const torch::Tensor p = net->probabilities(net->head(actual));
  const torch::Tensor q = net->probabilities(net->head(expected));
  EXPECT_LT((p - q).abs().max().item<float>(), 0.05f);
}

}  // namespace
