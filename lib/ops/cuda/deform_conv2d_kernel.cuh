// CUDA sampling kernels of deform_conv2d, free of LibTorch: raw device pointers, a
// DeformConv2dGeometry and a stream. deform_conv2d_cuda.cpp wraps them for at::Tensor; the raw
// test (tests/cuda/deform_conv2d_kernel_test.cpp) calls them directly.
//
// This header holds host declarations only, so a plain C++ compiler can include it (it needs
// the CUDA runtime headers for cudaStream_t). The kernels are instantiated for float and double.
//
// Conventions shared by the three functions (all pointers are device pointers):
//   * `input`, `offset`, `mask`, `grad_input`, `grad_offset`, `grad_mask` point at the FIRST
//     image of the range to process, and `batch_count` images follow, each laid out contiguously:
//       input/grad_input   [count, C, H, W]
//       offset/grad_offset [count, 2*G*kh*kw, Ho, Wo]   channel g*2*K + 2k = y shift of tap k,
//                                                        g*2*K + 2k + 1 = its x shift
//       mask/grad_mask     [count, G*kh*kw, Ho, Wo]     only read/written if geometry.use_mask
//       columns            [count, C*kh*kw, Ho*Wo]      row = channel * kh*kw + tap
//     (geometry.batch is not used: the range is given by the pointers and batch_count.)
//   * A sample at (y, x) is the bilinear interpolation of the input plane; it is 0 when
//     y <= -1 || y >= H || x <= -1 || x >= W, otherwise the sum over the four floor-based
//     corners that lie inside the plane, each weighted by its bilinear weight. The mask (when
//     used) multiplies each sample.
//   * Work is queued on `stream` only (never the legacy default stream, unless the caller passes
//     it); the functions do not synchronize. The CUDA device current on the calling thread must
//     be the one that owns the pointers.
//   * Errors: std::invalid_argument for an inconsistent geometry or a missing pointer (before any
//     CUDA call), std::runtime_error naming the kernel and the CUDA error string when a CUDA call
//     or a launch fails.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "ops/deform_conv2d_geometry.h"

namespace wdc::ops::cuda::kernels {

// columns = mask * sample(input, base grid + offset).
template <typename T>
void deformable_im2col(const T* input, const T* offset, const T* mask,
                       const DeformConv2dGeometry& geometry, int64_t batch_count, T* columns,
                       cudaStream_t stream);

// grad_input += adjoint of deformable_im2col applied to columns (accumulates with atomicAdd:
// grad_input must be initialised by the caller, typically to zero).
template <typename T>
void deformable_col2im(const T* columns, const T* offset, const T* mask,
                       const DeformConv2dGeometry& geometry, int64_t batch_count, T* grad_input,
                       cudaStream_t stream);

// grad_offset = sum over the channels c of each offset group of
//                 columns[c, tap, pixel] * mask * d sample / d (offset_y, offset_x);
// grad_mask   = sum over the same channels of columns[c, tap, pixel] * sample   (if use_mask).
// Both are written (not accumulated). The derivative of a sample is taken corner-wise from the
// floor-based corners, exactly like torchvision: at a position exactly on an integer row or
// column it is the one-sided derivative towards +y / +x, and at y == -1 (x == -1) it is the
// derivative of the bottom (right) corners' contribution, which is non-zero.
template <typename T>
void deformable_col2im_coord(const T* columns, const T* input, const T* offset, const T* mask,
                             const DeformConv2dGeometry& geometry, int64_t batch_count,
                             T* grad_offset, T* grad_mask, cudaStream_t stream);

namespace testing {
// Forces the 64-bit index path even for buffers that 32-bit indices cover, so that tests can
// run both instantiations on small inputs. Not thread-safe with concurrent launches; tests only.
void force_64bit_indexing(bool force);
}  // namespace testing

}  // namespace wdc::ops::cuda::kernels
