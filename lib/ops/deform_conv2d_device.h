// The three sampling kernels every device provides for deform_conv2d. The op's driver
// (deform_conv2d.cpp) does the validation and the GEMMs; a device only moves data between
// the input and a column buffer.
//
// Two layouts, one per kind of device (see uses_channels_last()):
// - planar (CUDA): input [N, C, H, W]; columns [images, K, Ho, Wo] with K index
//   channel * taps + tap;
// - channels-last (CPU): input and grad_input [N, H, W, C]; columns [images, Ho, Wo, K] with K
//   index (weight group * taps + tap) * C/groups + channel within the group, so that every
//   sample reads and writes whole channel vectors.
// Either way the columns are the input of a grouped 1x1 convolution whose weight is the op's
// weight reordered to match K; it turns them into the output.
// offset and mask are always [N, ..., Ho, Wo]. Every function works on images
// [batch_begin, batch_begin + batch_count) of the full-batch tensors, which must be contiguous
// in their layout and of one floating dtype.
#pragma once

#include <ATen/core/Tensor.h>

#include "ops/deform_conv2d_geometry.h"

namespace wdc::ops {

// The CPU kernels work channels-last, the CUDA kernels planar.
inline bool uses_channels_last(const at::Tensor& input) { return !input.is_cuda(); }

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
