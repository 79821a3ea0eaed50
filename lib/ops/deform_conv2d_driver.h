// The device-independent algorithm of deform_conv2d, without autograd: validation, then per
// block of images a device sampling kernel (im2col) and a GEMM. deform_conv2d.cpp wraps these
// two in an autograd Function.
#pragma once

#include <ATen/core/Tensor.h>

#include "ops/deform_conv2d.h"

namespace wdc::ops {

// When `keep_columns` is given and the whole batch fits in one column block, the column buffer
// [N, C*kh*kw, Ho, Wo] is stored there so that backward can reuse it instead of sampling again
// (otherwise it is left undefined). With `relu` the result is max(output, 0), the ReLU applied
// in the pass that gathers each block's output into the result (deform_conv2d_relu).
at::Tensor deform_conv2d_forward_impl(const at::Tensor& input, const at::Tensor& offset,
                                      const at::Tensor& weight, const at::Tensor& bias,
                                      const at::Tensor& mask, const DeformConv2dOptions& options,
                                      at::Tensor* keep_columns = nullptr, bool relu = false);

// `columns`: the forward's kept column buffer, or undefined to sample again. Without
// `input_grad` the input's gradient (a scatter over the input) is skipped and left undefined,
// as autograd asks for a network's first layer.
DeformConv2dGrads deform_conv2d_backward_impl(const at::Tensor& grad_output,
                                              const at::Tensor& input, const at::Tensor& offset,
                                              const at::Tensor& weight, const at::Tensor& bias,
                                              const at::Tensor& mask,
                                              const DeformConv2dOptions& options,
                                              const at::Tensor& columns = {},
                                              bool input_grad = true);

}  // namespace wdc::ops
