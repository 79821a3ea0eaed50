// The op's GEMMs on the CPU while oneDNN is switched off (deterministic training,
// model/deterministic_training.h).
//
// Why: the GEMMs are 1x1 convolutions over the column buffer (deform_conv2d_driver.cpp), which
// LibTorch sends to oneDNN; without oneDNN it runs its own im2col + GEMM fallback, 2.3-2.8x
// slower for the network's 1x1 convolutions (docs/ACCURACY.md). But a channels-last column
// buffer already is the GEMM's [images * Ho * Wo, K] matrix. These functions run at::mm on
// blocks of a fixed number of its rows, in parallel, and add the weight gradient's per-block
// parts in block order: the result does not depend on the thread count.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <utility>

namespace wdc::ops::cpu {

// Whether the functions below take the op's GEMMs: CPU columns in channels-last memory, one
// weight group, and oneDNN switched off.
bool use_column_gemm(const at::Tensor& columns, int64_t groups);

// The 1x1 convolution of columns [n, K, Ho, Wo] (channels-last memory) with weight_1x1
// [O, K, 1, 1], plus bias [O] when defined: [n, O, Ho, Wo] in channels-last memory.
at::Tensor column_gemm_forward(const at::Tensor& columns, const at::Tensor& weight_1x1,
                               const at::Tensor& bias);

// Its gradients for grad_output [n, O, Ho, Wo] (channels-last memory): the columns' (as
// columns) and the weight's [O, K, 1, 1].
std::pair<at::Tensor, at::Tensor> column_gemm_backward(const at::Tensor& grad_output,
                                                       const at::Tensor& columns,
                                                       const at::Tensor& weight_1x1);

}  // namespace wdc::ops::cpu
