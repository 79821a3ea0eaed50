#include "nn/folded_network.h"

#include <torch/torch.h>

#include <string>

#include "ops/onednn_conv2d.h"

namespace wdc::nn {
namespace {

torch::Tensor find(const torch::OrderedDict<std::string, torch::Tensor>& tensors,
                   const std::string& name) {
  const torch::Tensor* t = tensors.find(name);
  TORCH_CHECK(t != nullptr, "FoldedNetwork: the network has no tensor \"", name, "\"");
  return t->detach();
}

}  // namespace

FoldedNetwork::FoldedNetwork(WaferNet& net, torch::ScalarType dtype) : dtype_(dtype) {
  for (const auto& m : net->members()) {
    WaferNet member(m);
    members_.emplace_back(member, dtype);
  }
  if (net->is_ensemble()) return;
  torch::NoGradGuard no_grad;
  const auto parameters = net->named_parameters();
  const auto buffers = net->named_buffers();
  const auto modules = net->named_modules();
  const NetworkConfig& config = net->config();
  for (size_t i = 0; i < config.blocks.size(); ++i) {
    const BlockConfig& c = config.blocks[i];
    const std::string name = "blocks." + std::to_string(i) + ".";
    Block b;
    b.deformable = c.deformable;
    b.modulated = c.modulated;
    b.taps = c.kernel * c.kernel;
    b.options.stride = {c.stride, c.stride};
    b.options.padding = {c.kernel / 2, c.kernel / 2};
    // y = (conv(x) - mean) / sqrt(var + eps) * gamma + beta = conv'(x) + bias', computed in
    // float32 before the weights are narrowed.
    const double eps = modules[name + "norm"]->as<torch::nn::BatchNorm2dImpl>()->options.eps();
    const torch::Tensor scale = find(parameters, name + "norm.weight") /
                                (find(buffers, name + "norm.running_var") + eps).sqrt();
    const torch::Tensor weight = find(parameters, name + "weight");
    // Channels-last, the order the deformable op's GEMM reads (DeformBlockImpl keeps it so).
    b.weight = (weight * scale.view({-1, 1, 1, 1}))
                   .contiguous(torch::MemoryFormat::ChannelsLast)
                   .to(dtype);
    b.bias =
        (find(parameters, name + "norm.bias") - find(buffers, name + "norm.running_mean") * scale)
            .to(dtype);
    if (c.deformable) {
      // Copies even where the dtype is the same: later training must not reach them.
      b.offset_weight = find(parameters, name + "offset.weight").to(dtype, false, true);
      b.offset_bias = find(parameters, name + "offset.bias").to(dtype, false, true);
    }
    blocks_.push_back(std::move(b));
  }
}

torch::Tensor FoldedNetwork::features(const torch::Tensor& encoded) const {
  TORCH_CHECK(members_.empty(), "FoldedNetwork::features: an ensemble's members have the blocks");
  torch::Tensor x = encoded.to(dtype_);  // keeps the one-hot encoding's channels-last memory
  for (const Block& b : blocks_) {
    if (!b.deformable) {
      x = ops::onednn_conv2d(x, b.weight, b.bias, b.options.stride, b.options.padding).relu_();
      continue;
    }
    const torch::Tensor field =
        ops::onednn_conv2d(x, b.offset_weight, b.offset_bias, b.options.stride, b.options.padding);
    // The op samples at float32 positions whatever the activations' dtype, and its kernels
    // read offsets and mask planar: one converting copy each. (One hand-written pass over the
    // field for both measured no faster: docs/PERFORMANCE.md.)
    const auto planar_float = [](const torch::Tensor& t) {
      return t.to(t.options().dtype(torch::kFloat), false, false, torch::MemoryFormat::Contiguous);
    };
    const torch::Tensor offset = planar_float(field.narrow(1, 0, 2 * b.taps));
    torch::Tensor mask;
    if (b.modulated) mask = planar_float(field.narrow(1, 2 * b.taps, b.taps)).sigmoid_();
    x = ops::deform_conv2d_relu(x, offset, b.weight, b.bias, mask, b.options);
  }
  return x.to(torch::kFloat);
}

}  // namespace wdc::nn
