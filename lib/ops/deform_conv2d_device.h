// The three sampling kernels every device provides for deform_conv2d. The op's driver
// (deform_conv2d.cpp) does the validation and the GEMMs; a device only moves data between
// the input and a column buffer.
//
// Column buffer layout: [images, C * kh * kw, Ho * Wo], row = channel * taps + tap. For one image
// it is the [C*k*k, Ho, Wo] tensor a 1x1 convolution (or a GEMM with the weight viewed as
// [O, C*k*k]) turns into the output.
//
// Every function works on images [batch_begin, batch_begin + batch_count) of the full-batch
// input/offset/mask tensors, which must be contiguous and of one floating dtype.
#pragma once

#include <ATen/core/Tensor.h>

#include "ops/deform_conv2d_geometry.h"

namespace wdc::ops {

#define WDC_DEFORM_CONV2D_DEVICE_KERNELS                                                         \
  /* columns[b - begin] = bilinear samples of input at base grid + offset, times mask */         \
  void deformable_im2col(const at::Tensor& input, const at::Tensor& offset,                      \
                         const at::Tensor& mask, const DeformConv2dGeometry& geometry,           \
                         int64_t batch_begin, int64_t batch_count, at::Tensor& columns);         \
  /* grad_input[b] += adjoint of im2col applied to columns (grad_input is full batch) */         \
  void deformable_col2im(const at::Tensor& columns, const at::Tensor& offset,                    \
                         const at::Tensor& mask, const DeformConv2dGeometry& geometry,           \
                         int64_t batch_begin, int64_t batch_count, at::Tensor& grad_input);      \
  /* grad_offset[b] (and grad_mask[b] when the mask is used) = derivative of im2col's samples   \
     w.r.t. the offsets (mask) contracted with columns; written, not accumulated */              \
  void deformable_col2im_coord(const at::Tensor& columns, const at::Tensor& input,               \
                               const at::Tensor& offset, const at::Tensor& mask,                 \
                               const DeformConv2dGeometry& geometry, int64_t batch_begin,        \
                               int64_t batch_count, at::Tensor& grad_offset,                     \
                               at::Tensor& grad_mask);

namespace cpu {
WDC_DEFORM_CONV2D_DEVICE_KERNELS
}  // namespace cpu

#ifdef WDC_WITH_CUDA
namespace cuda {
WDC_DEFORM_CONV2D_DEVICE_KERNELS
}  // namespace cuda
#endif

#undef WDC_DEFORM_CONV2D_DEVICE_KERNELS

}  // namespace wdc::ops
