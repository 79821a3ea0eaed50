#include "ops/cpu/column_gemm.h"

#include <ATen/ATen.h>
#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <ATen/ThreadLocalState.h>

#include <algorithm>

namespace wdc::ops::cpu {
namespace {

// Rows per block: large enough for OpenBLAS to run at speed, small enough to share out
// between threads at batch 32 of the smallest maps. Fixed, so that the weight gradient's sum
// over blocks is one order on every machine.
constexpr int64_t kRowsPerBlock = 1024;

// [n, C, H, W] in channels-last memory as the matrix [n * H * W, C] (a view).
at::Tensor rows_of(const at::Tensor& t) { return t.permute({0, 2, 3, 1}).reshape({-1, t.size(1)}); }

// Runs body(begin, rows) for every block of `total` rows, on LibTorch's threads, each of which
// takes on the caller's thread-local state (inference mode, autograd's dispatch guard), as the
// ATen calls in the body would see it on the caller's thread.
template <typename Body>
void for_each_block(int64_t total, const Body& body) {
  const at::ThreadLocalState state;
  at::parallel_for(0, (total + kRowsPerBlock - 1) / kRowsPerBlock, 1,
                   [&](int64_t first, int64_t last) {
                     at::ThreadLocalStateGuard guard(state);
                     for (int64_t block = first; block < last; ++block) {
                       const int64_t begin = block * kRowsPerBlock;
                       body(block, begin, std::min(kRowsPerBlock, total - begin));
                     }
                   });
}

// The matrix [n * H * W, C] back as [n, C, H, W] in channels-last memory (a view).
at::Tensor from_rows(const at::Tensor& rows, const at::Tensor& like) {
  return rows.view({like.size(0), like.size(2), like.size(3), rows.size(1)}).permute({0, 3, 1, 2});
}

}  // namespace

bool use_column_gemm(const at::Tensor& columns, int64_t groups) {
  return columns.device().is_cpu() && groups == 1 && !at::globalContext().userEnabledMkldnn() &&
         columns.is_contiguous(at::MemoryFormat::ChannelsLast);
}

at::Tensor column_gemm_forward(const at::Tensor& columns, const at::Tensor& weight_1x1,
                               const at::Tensor& bias) {
  const at::Tensor a = rows_of(columns);
  const at::Tensor w = weight_1x1.reshape({weight_1x1.size(0), -1}).t();  // [K, O]
  at::Tensor out = at::empty({a.size(0), w.size(1)}, a.options());
  for_each_block(a.size(0), [&](int64_t, int64_t begin, int64_t rows) {
    at::Tensor o = out.narrow(0, begin, rows);
    if (bias.defined())
      at::addmm_out(o, bias, a.narrow(0, begin, rows), w);
    else
      at::mm_out(o, a.narrow(0, begin, rows), w);
  });
  return from_rows(out, columns);
}

std::pair<at::Tensor, at::Tensor> column_gemm_backward(const at::Tensor& grad_output,
                                                       const at::Tensor& columns,
                                                       const at::Tensor& weight_1x1) {
  const at::Tensor g = rows_of(grad_output);                          // [M, O]
  const at::Tensor a = rows_of(columns);                              // [M, K]
  const at::Tensor w = weight_1x1.reshape({weight_1x1.size(0), -1});  // [O, K]
  const int64_t blocks = (a.size(0) + kRowsPerBlock - 1) / kRowsPerBlock;
  at::Tensor grad_rows = at::empty_like(a);
  at::Tensor parts = at::empty({blocks, w.size(0), w.size(1)}, w.options());
  for_each_block(a.size(0), [&](int64_t block, int64_t begin, int64_t rows) {
    const at::Tensor g_block = g.narrow(0, begin, rows);
    at::Tensor grad_block = grad_rows.narrow(0, begin, rows);
    at::mm_out(grad_block, g_block, w);
    at::Tensor part = parts[block];
    at::mm_out(part, g_block.t(), a.narrow(0, begin, rows));
  });
  at::Tensor grad_w = parts[0].clone();
  for (int64_t block = 1; block < blocks; ++block) grad_w.add_(parts[block]);
  return {from_rows(grad_rows, columns), grad_w.view(weight_1x1.sizes())};
}

}  // namespace wdc::ops::cpu
