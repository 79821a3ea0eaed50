#include "ops/onednn_conv2d.h"

#include <ATen/ATen.h>
#include <ATen/Context.h>

#include <array>

namespace wdc::ops {

at::Tensor onednn_conv2d(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias,
                         at::IntArrayRef stride, at::IntArrayRef padding, int64_t groups) {
  const bool onednn = input.device().is_cpu() && at::hasMKLDNN() &&
                      at::globalContext().userEnabledMkldnn() && !at::GradMode::is_enabled() &&
                      input.dim() == 4 && input.layout() == at::kStrided &&
                      (input.scalar_type() == at::kFloat || input.scalar_type() == at::kBFloat16) &&
                      weight.scalar_type() == input.scalar_type();
  const std::array<int64_t, 2> dilation{1, 1};
  if (!onednn) return at::conv2d(input, weight, bias, stride, padding, dilation, groups);
  return at::mkldnn_convolution(input, weight, bias, padding, stride, dilation, groups);
}

}  // namespace wdc::ops
