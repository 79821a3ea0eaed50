// A plain 2-D convolution that runs on oneDNN for CPU inference.
#pragma once

#include <ATen/core/Tensor.h>

namespace wdc::ops {

// at::conv2d (dilation 1), except that a CPU call outside autograd goes to oneDNN whatever its
// size. For one image and kernels of 3x3 or smaller (input under ~20,000 values) LibTorch
// chooses its own im2col + BLAS GEMM instead, and the OpenBLAS Debian links runs that GEMM on
// a pthread pool of its own, whose worker then spins in sched_yield beside LibTorch's OpenMP
// threads: one-map calls slowed to 5-30 ms now and then (docs/PERFORMANCE.md, "Latency").
// oneDNN runs on the calling thread's OpenMP threads and is as fast at these sizes. Training,
// other devices, builds without oneDNN and a process that switched oneDNN off (deterministic
// training, model/deterministic_training.h) go through at::conv2d.
at::Tensor onednn_conv2d(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias,
                         at::IntArrayRef stride, at::IntArrayRef padding, int64_t groups = 1);

}  // namespace wdc::ops
