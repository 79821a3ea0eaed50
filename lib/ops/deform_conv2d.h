// deform_conv2d: the deformable convolution of Dai et al. 2017 (arXiv 1703.06211), with the
// optional modulation mask of DCNv2 (Zhu et al. 2019).
//
//   out[n, o, y, x] = bias[o] + sum_{c, k} weight[o, c, k] * mask[n, g·K+k, y, x]
//                        * input[n, c, p(y, x, k) + offset_k(n, y, x)]
//
// where p is the regular convolution's sampling point (y·stride − pad + i·dilation, ...), the
// input is bilinearly interpolated and zero outside the map, offset channel 2k is the row (y)
// shift of tap k and 2k+1 its column (x) shift, per offset group g — exactly the semantics of
// torchvision.ops.deform_conv2d, against which it is tested.
//
// Differentiable (input, offset, mask, weight, bias) through a torch::autograd::Function;
// float32 and float64; CPU, and CUDA when built with it.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/util/Optional.h>

#include <array>
#include <cstdint>

namespace wdc::ops {

struct DeformConv2dOptions {
  std::array<int64_t, 2> stride{1, 1};
  std::array<int64_t, 2> padding{0, 0};
  std::array<int64_t, 2> dilation{1, 1};
  int64_t groups = 1;         // weight groups, as in conv2d
  int64_t offset_groups = 1;  // input channels C / offset_groups share one offset field
};

// input [N, C, H, W]; offset [N, 2·G·kh·kw, Ho, Wo]; weight [O, C/groups, kh, kw];
// bias [O] or undefined; mask [N, G·kh·kw, Ho, Wo] or undefined. Returns [N, O, Ho, Wo].
// Throws c10::Error naming the offending argument, the expected and the actual value.
at::Tensor deform_conv2d(const at::Tensor& input, const at::Tensor& offset,
                         const at::Tensor& weight, const at::Tensor& bias,
                         const at::Tensor& mask, const DeformConv2dOptions& options);

// Inference only (an error where a gradient is asked for): max(deform_conv2d(...), 0), the
// ReLU applied in the pass that gathers the op's blocks of images into its output, so that the
// activations are written once (nn::FoldedNetwork's blocks).
at::Tensor deform_conv2d_relu(const at::Tensor& input, const at::Tensor& offset,
                              const at::Tensor& weight, const at::Tensor& bias,
                              const at::Tensor& mask, const DeformConv2dOptions& options);

// The gradients that autograd computes, exposed for the bindings and for tests.
struct DeformConv2dGrads {
  at::Tensor input, offset, weight, bias, mask;  // bias / mask undefined when not given
};
DeformConv2dGrads deform_conv2d_backward(const at::Tensor& grad_output, const at::Tensor& input,
                                         const at::Tensor& offset, const at::Tensor& weight,
                                         const at::Tensor& bias, const at::Tensor& mask,
                                         const DeformConv2dOptions& options);

}  // namespace wdc::ops
