// The GEMMs are 1x1 convolutions over the column buffer viewed as a [images, C*kh*kw, Ho, Wo]
// image: LibTorch routes them to oneDNN on CPU (which picks the right vector ISA by itself,
// unlike the BLAS behind at::matmul on some CPUs) and to cuDNN/cuBLAS on GPU, and
// at::convolution_backward gives grad-columns, grad-weight and grad-bias in one call. While
// oneDNN is switched off (deterministic training), the CPU's go to OpenBLAS directly
// (ops/cpu/column_gemm.h).
#include "ops/deform_conv2d_driver.h"

#include <ATen/ATen.h>
#include <c10/util/Exception.h>

#include <algorithm>
#include <tuple>

#include "ops/cpu/column_gemm.h"
#include "ops/deform_conv2d_check.h"
#include "ops/deform_conv2d_device.h"
#include "ops/onednn_conv2d.h"

namespace wdc::ops {
namespace {

// Column buffers are bounded so memory stays flat in the batch size. When the forward keeps its
// columns for backward (training), the whole batch should fit one block, and the budget is
// large (backward uses the same blocks; smaller ones measured no faster on the seed network and
// slower at 128 channels on 52x52); otherwise (inference) a small block stays in the CPU's cache
// between the sampling that writes it and the GEMM that reads it (docs/PERFORMANCE.md).
constexpr int64_t kKeptColumnBudgetBytes = 64ll << 20;
constexpr int64_t kStreamedColumnBudgetBytes = 4ll << 20;

int64_t images_per_block(const DeformConv2dGeometry& g, const at::Tensor& input,
                         int64_t budget_bytes) {
  const int64_t bytes_per_image = g.column_rows() * g.out_pixels() * input.element_size();
  return std::clamp<int64_t>(budget_bytes / std::max<int64_t>(bytes_per_image, 1), 1,
                             std::max<int64_t>(g.batch, 1));
}

// The weight [O, C/groups, kh, kw] as the weight of a grouped 1x1 convolution over columns,
// its input channels in the order of the columns' K (see deform_conv2d_device.h): a view when
// the weight's memory is already in that order (channels-last for the CPU kernels), else a
// reordered copy.
at::Tensor weight_as_1x1(const at::Tensor& weight, bool channels_last) {
  const int64_t k = weight.size(1) * weight.size(2) * weight.size(3);
  const at::Tensor ordered = channels_last ? weight.permute({0, 2, 3, 1}) : weight;
  return ordered.reshape({weight.size(0), k, 1, 1});
}

// The 1x1 convolution's weight gradient back in the op's weight layout.
at::Tensor weight_from_1x1(const at::Tensor& grad_1x1, const at::Tensor& weight,
                           bool channels_last) {
  if (!channels_last) return grad_1x1.view_as(weight);
  return grad_1x1.view({weight.size(0), weight.size(2), weight.size(3), weight.size(1)})
      .permute({0, 3, 1, 2});
}

// A column buffer for `count` images, as the 1x1 convolution's [count, K, Ho, Wo] input; in
// channels-last memory when the device kernels want it so.
at::Tensor new_columns(const DeformConv2dGeometry& g, int64_t count, const at::Tensor& like,
                       bool channels_last) {
  if (!channels_last)
    return at::empty({count, g.column_rows(), g.out_h, g.out_w}, like.options());
  return at::empty({count, g.out_h, g.out_w, g.column_rows()}, like.options())
      .permute({0, 3, 1, 2});
}

// The memory of a [count, K, Ho, Wo] tensor in the kernels' layout, contiguous.
at::Tensor as_kernel_layout(const at::Tensor& t, bool channels_last) {
  return channels_last ? t.permute({0, 2, 3, 1}).contiguous() : t.contiguous();
}

void im2col(const at::Tensor& input, const at::Tensor& offset, const at::Tensor& mask,
            const DeformConv2dGeometry& g, int64_t begin, int64_t count, at::Tensor& columns) {
  if (input.is_cuda()) {
#ifdef WDC_WITH_CUDA
    cuda::deformable_im2col(input, offset, mask, g, begin, count, columns);
    return;
#else
    TORCH_CHECK(false, "deform_conv2d: this build of wdc has no CUDA kernels");
#endif
  }
  cpu::deformable_im2col(input, offset, mask, g, begin, count, columns);
}

void col2im(const at::Tensor& columns, const at::Tensor& offset, const at::Tensor& mask,
            const DeformConv2dGeometry& g, int64_t begin, int64_t count, at::Tensor& grad_input) {
  if (columns.is_cuda()) {
#ifdef WDC_WITH_CUDA
    cuda::deformable_col2im(columns, offset, mask, g, begin, count, grad_input);
    return;
#else
    TORCH_CHECK(false, "deform_conv2d: this build of wdc has no CUDA kernels");
#endif
  }
  cpu::deformable_col2im(columns, offset, mask, g, begin, count, grad_input);
}

void col2im_coord(const at::Tensor& columns, const at::Tensor& input, const at::Tensor& offset,
                  const at::Tensor& mask, const DeformConv2dGeometry& g, int64_t begin,
                  int64_t count, at::Tensor& grad_offset, at::Tensor& grad_mask) {
  if (columns.is_cuda()) {
#ifdef WDC_WITH_CUDA
    cuda::deformable_col2im_coord(columns, input, offset, mask, g, begin, count, grad_offset,
                                  grad_mask);
    return;
#else
    TORCH_CHECK(false, "deform_conv2d: this build of wdc has no CUDA kernels");
#endif
  }
  cpu::deformable_col2im_coord(columns, input, offset, mask, g, begin, count, grad_offset,
                               grad_mask);
}

// The arguments in the layouts the kernels read: input as [N, H, W, C] memory on CPU (a
// no-op for the channels-last activations the op itself produces; .contiguous() first would
// have copied them to planar and back) or [N, C, H, W] on CUDA; the weight as it is on CPU
// (only the GEMM reads it, see weight_as_1x1); the rest contiguous.
struct KernelArgs {
  bool channels_last;
  at::Tensor input, offset, weight, bias, mask;
};

KernelArgs kernel_args(const at::Tensor& input, const at::Tensor& offset, const at::Tensor& weight,
                       const at::Tensor& bias, const at::Tensor& mask) {
  const bool channels_last = uses_channels_last(input);
  return {channels_last,
          channels_last ? input.permute({0, 2, 3, 1}).contiguous() : input.contiguous(),
          offset.contiguous(),
          channels_last ? weight : weight.contiguous(),
          bias.defined() ? bias.contiguous() : bias,
          mask.defined() ? mask.contiguous() : mask};
}

}  // namespace

at::Tensor deform_conv2d_forward_impl(const at::Tensor& input_, const at::Tensor& offset_,
                                      const at::Tensor& weight_, const at::Tensor& bias_,
                                      const at::Tensor& mask_, const DeformConv2dOptions& options,
                                      at::Tensor* keep_columns, bool relu) {
  const DeformConv2dGeometry g =
      check_deform_conv2d_args(input_, offset_, weight_, bias_, mask_, options);
  const KernelArgs t = kernel_args(input_, offset_, weight_, bias_, mask_);
  const bool channels_last = t.channels_last;
  const int64_t out_channels = t.weight.size(0);
  // In the memory format the GEMM produces, so that copying blocks in is a plain copy and the
  // next layer gets channels-last activations as from a single block.
  at::Tensor output = at::empty(
      {g.batch, out_channels, g.out_h, g.out_w},
      t.input.options().memory_format(channels_last ? at::MemoryFormat::ChannelsLast
                                                    : at::MemoryFormat::Contiguous));
  if (g.batch == 0) return output;

  const at::Tensor weight_1x1 = weight_as_1x1(t.weight, channels_last);
  // bfloat16 columns need oneDNN's GEMM; OpenBLAS's is float32 only.
  TORCH_CHECK(t.input.scalar_type() != at::kBFloat16 || at::globalContext().userEnabledMkldnn(),
              "deform_conv2d: bfloat16 needs oneDNN, which this process has switched off "
              "(deterministic training)");
  const int64_t block = images_per_block(
      g, t.input, keep_columns ? kKeptColumnBudgetBytes : kStreamedColumnBudgetBytes);
  for (int64_t begin = 0; begin < g.batch; begin += block) {
    const int64_t count = std::min(block, g.batch - begin);
    at::Tensor columns = new_columns(g, count, t.input, channels_last);
    im2col(t.input, t.offset, t.mask, g, begin, count, columns);
    at::Tensor out = cpu::use_column_gemm(columns, options.groups)
                         ? cpu::column_gemm_forward(columns, weight_1x1, t.bias)
                         : onednn_conv2d(columns, weight_1x1, t.bias, at::IntArrayRef{1, 1},
                                         at::IntArrayRef{0, 0}, options.groups);
    if (count == g.batch) {
      if (keep_columns) *keep_columns = columns;
      return relu ? out.relu_() : out;
    }
    at::Tensor destination = output.narrow(0, begin, count);
    if (relu) {
      at::clamp_min_out(destination, out, 0);
    } else {
      destination.copy_(out);
    }
  }
  return output;
}

DeformConv2dGrads deform_conv2d_backward_impl(const at::Tensor& grad_output_,
                                              const at::Tensor& input_, const at::Tensor& offset_,
                                              const at::Tensor& weight_, const at::Tensor& bias_,
                                              const at::Tensor& mask_,
                                              const DeformConv2dOptions& options,
                                              const at::Tensor& kept_columns, bool input_grad) {
  const DeformConv2dGeometry g =
      check_deform_conv2d_args(input_, offset_, weight_, bias_, mask_, options);
  const KernelArgs t = kernel_args(input_, offset_, weight_, bias_, mask_);
  const bool channels_last = t.channels_last;
  const int64_t out_channels = t.weight.size(0);
  TORCH_CHECK_VALUE(grad_output_.defined() && grad_output_.sizes() ==
                  at::IntArrayRef({g.batch, out_channels, g.out_h, g.out_w}),
              "deform_conv2d_backward: grad_output must have the output's shape [", g.batch, ", ",
              out_channels, ", ", g.out_h, ", ", g.out_w, "]");
  TORCH_CHECK_VALUE(grad_output_.scalar_type() == t.input.scalar_type() &&
                  grad_output_.device() == t.input.device(),
              "deform_conv2d_backward: grad_output must have input's dtype and device");
  const at::Tensor grad_output = grad_output_.contiguous(
      channels_last ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous);

  const at::Tensor& input = t.input;
  DeformConv2dGrads grads;
  // In the kernels' layout: [N, H, W, C] channels-last, else [N, C, H, W].
  at::Tensor grad_input = input_grad ? at::zeros_like(input) : at::Tensor();
  grads.offset = at::empty_like(t.offset);
  grads.weight = at::zeros_like(t.weight);
  if (t.bias.defined()) grads.bias = grad_output.sum({0, 2, 3});
  if (t.mask.defined()) grads.mask = at::empty_like(t.mask);

  const at::Tensor weight_1x1 = weight_as_1x1(t.weight, channels_last);
  const int64_t block = images_per_block(g, t.input, kKeptColumnBudgetBytes);
  for (int64_t begin = 0; begin < g.batch; begin += block) {
    const int64_t count = std::min(block, g.batch - begin);
    at::Tensor columns;
    if (kept_columns.defined() && count == g.batch) {
      columns = kept_columns;
    } else {
      columns = new_columns(g, count, t.input, channels_last);
      im2col(input, t.offset, t.mask, g, begin, count, columns);
    }
    at::Tensor grad_columns, grad_w;
    if (cpu::use_column_gemm(columns, options.groups)) {
      std::tie(grad_columns, grad_w) =
          cpu::column_gemm_backward(grad_output.narrow(0, begin, count), columns, weight_1x1);
    } else {
      std::tie(grad_columns, grad_w, std::ignore) = at::convolution_backward(
          grad_output.narrow(0, begin, count), columns, weight_1x1, c10::nullopt, {1, 1}, {0, 0},
          {1, 1}, false, {0, 0}, options.groups, {true, true, false});
    }
    grads.weight.add_(weight_from_1x1(grad_w, t.weight, channels_last));
    grad_columns = as_kernel_layout(grad_columns, channels_last);
    if (input_grad) col2im(grad_columns, t.offset, t.mask, g, begin, count, grad_input);
    col2im_coord(grad_columns, input, t.offset, t.mask, g, begin, count, grads.offset,
                 grads.mask);
  }
  if (input_grad) grads.input = channels_last ? grad_input.permute({0, 3, 1, 2}) : grad_input;
  return grads;
}

}  // namespace wdc::ops
