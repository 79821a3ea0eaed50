// The network as inference at a lower precision runs it: each block's BatchNorm folded into its
// convolution (in eval mode BatchNorm is a fixed per-channel scale and shift), the weights and
// the activations in bfloat16, through oneDNN's bfloat16 convolutions and the deformable op's
// bfloat16 forward. The pooled features and the head stay float32 (WaferNet's own).
#pragma once

#include <torch/types.h>

#include <vector>

#include "nn/wafer_net.h"
#include "ops/deform_conv2d.h"

namespace wdc::nn {

class FoldedNetwork {
 public:
  // A copy of `net`'s current weights (later changes to `net` do not reach it) with activations
  // in `dtype`: kBFloat16, or kFloat (the folding alone, which tests compare with `net`).
  FoldedNetwork(WaferNet& net, torch::ScalarType dtype);

  // What net->features(encoded) computes, as float32 [N, C_last, h, w]. Safe to call from
  // several threads at once. Of one network: an ensemble's members each have theirs.
  torch::Tensor features(const torch::Tensor& encoded) const;
  // An ensemble's member m, folded.
  const FoldedNetwork& member(size_t m) const { return members_.at(m); }

 private:
  struct Block {
    bool deformable = true, modulated = false;
    int64_t taps = 9;
    ops::DeformConv2dOptions options;
    torch::Tensor offset_weight, offset_bias;  // the offset (and mask) convolution
    torch::Tensor weight, bias;                // the convolution with BatchNorm folded in
  };
  std::vector<Block> blocks_;
  std::vector<FoldedNetwork> members_;  // an ensemble's
  torch::ScalarType dtype_;
};

}  // namespace wdc::nn
