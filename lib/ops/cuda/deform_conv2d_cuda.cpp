// The CUDA device kernels of deform_conv2d at the tensor level (see ops/deform_conv2d_device.h):
// checks the tensors, picks the dtype, and queues the raw kernels of deform_conv2d_kernel.cu on
// the current CUDA stream of the tensors' device. Built only when the LibTorch found has CUDA
// (cuda.cmake), and then compiled with WDC_WITH_CUDA defined.
#include <ATen/Dispatch.h>
#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <c10/util/Exception.h>

#include <exception>

#include "ops/cuda/deform_conv2d_kernel.cuh"
#include "ops/deform_conv2d_device.h"

#ifndef WDC_WITH_CUDA
#error "deform_conv2d_cuda.cpp must be compiled with WDC_WITH_CUDA (see lib/ops/cuda/cuda.cmake)"
#endif

namespace wdc::ops::cuda {

namespace {

int64_t offset_elements_per_image(const DeformConv2dGeometry& g) {
  return 2 * g.offset_groups * g.taps() * g.out_pixels();
}
int64_t mask_elements_per_image(const DeformConv2dGeometry& g) {
  return g.offset_groups * g.taps() * g.out_pixels();
}
int64_t input_elements_per_image(const DeformConv2dGeometry& g) {
  return g.in_channels * g.height * g.width;
}
int64_t column_elements_per_image(const DeformConv2dGeometry& g) {
  return g.column_rows() * g.out_pixels();
}

// `tensor` must be a contiguous CUDA tensor of `reference`'s dtype and device with `numel`
// elements (at least `numel` when `at_least`).
void check_tensor(const char* function, const char* name, const at::Tensor& tensor,
                  const at::Tensor& reference, int64_t numel, bool at_least = false) {
  TORCH_CHECK(tensor.defined(), function, ": ", name, " is undefined");
  TORCH_CHECK(tensor.is_cuda(), function, ": ", name, " must be a CUDA tensor, got ",
              tensor.device());
  TORCH_CHECK(tensor.device() == reference.device(), function, ": ", name, " is on ",
              tensor.device(), " but the input is on ", reference.device());
  TORCH_CHECK(tensor.scalar_type() == reference.scalar_type(), function, ": ", name, " has dtype ",
              tensor.scalar_type(), " but the input has ", reference.scalar_type());
  TORCH_CHECK(tensor.is_contiguous(), function, ": ", name, " must be contiguous");
  if (at_least) {
    TORCH_CHECK(tensor.numel() >= numel, function, ": ", name, " has ", tensor.numel(),
                " elements, expected at least ", numel);
  } else {
    TORCH_CHECK(tensor.numel() == numel, function, ": ", name, " has ", tensor.numel(),
                " elements, expected ", numel);
  }
}

void check_range(const char* function, const DeformConv2dGeometry& g, int64_t batch_begin,
                 int64_t batch_count) {
  TORCH_CHECK(batch_begin >= 0 && batch_count >= 0 && batch_begin + batch_count <= g.batch,
              function, ": image range [", batch_begin, ", ", batch_begin + batch_count,
              ") is outside the batch of ", g.batch);
}

// Checks the full-batch input/offset/mask tensors shared by the three functions.
void check_common(const char* function, const at::Tensor& input, const at::Tensor& offset,
                  const at::Tensor& mask, const DeformConv2dGeometry& g, int64_t batch_begin,
                  int64_t batch_count) {
  check_range(function, g, batch_begin, batch_count);
  TORCH_CHECK(input.defined(), function, ": input is undefined");
  TORCH_CHECK(input.scalar_type() == at::kFloat || input.scalar_type() == at::kDouble, function,
              ": only float32 and float64 are supported, got ", input.scalar_type());
  check_tensor(function, "input", input, input, g.batch * input_elements_per_image(g));
  check_tensor(function, "offset", offset, input, g.batch * offset_elements_per_image(g));
  if (g.use_mask) check_tensor(function, "mask", mask, input, g.batch * mask_elements_per_image(g));
}

template <typename T>
const T* mask_pointer(const at::Tensor& mask, const DeformConv2dGeometry& g, int64_t batch_begin) {
  return g.use_mask ? mask.data_ptr<T>() + batch_begin * mask_elements_per_image(g) : nullptr;
}

// Runs `body` with the tensors' device current and converts the kernels' std exceptions into
// c10::Error, like every other error of the op.
template <typename Body>
void run_on(const char* function, const at::Tensor& input, Body&& body) {
  c10::cuda::CUDAGuard guard(input.device());
  cudaStream_t stream = c10::cuda::getCurrentCUDAStream(input.device().index()).stream();
  try {
    body(stream);
  } catch (const c10::Error&) {
    throw;
  } catch (const std::exception& e) {
    TORCH_CHECK(false, function, ": ", e.what());
  }
}

}  // namespace

void deformable_im2col(const at::Tensor& input, const at::Tensor& offset, const at::Tensor& mask,
                       const DeformConv2dGeometry& geometry, int64_t batch_begin,
                       int64_t batch_count, at::Tensor& columns) {
  constexpr const char* kFunction = "wdc::ops::cuda::deformable_im2col";
  check_common(kFunction, input, offset, mask, geometry, batch_begin, batch_count);
  check_tensor(kFunction, "columns", columns, input,
               batch_count * column_elements_per_image(geometry), /*at_least=*/true);
  if (batch_count == 0) return;
  run_on(kFunction, input, [&](cudaStream_t stream) {
    AT_DISPATCH_FLOATING_TYPES(input.scalar_type(), "wdc::ops::cuda::deformable_im2col", [&] {
      kernels::deformable_im2col<scalar_t>(
          input.data_ptr<scalar_t>() + batch_begin * input_elements_per_image(geometry),
          offset.data_ptr<scalar_t>() + batch_begin * offset_elements_per_image(geometry),
          mask_pointer<scalar_t>(mask, geometry, batch_begin), geometry, batch_count,
          columns.data_ptr<scalar_t>(), stream);
    });
  });
}

void deformable_col2im(const at::Tensor& columns, const at::Tensor& offset, const at::Tensor& mask,
                       const DeformConv2dGeometry& geometry, int64_t batch_begin,
                       int64_t batch_count, at::Tensor& grad_input) {
  constexpr const char* kFunction = "wdc::ops::cuda::deformable_col2im";
  // grad_input plays the role of the input: full batch, and it fixes device and dtype.
  check_common(kFunction, grad_input, offset, mask, geometry, batch_begin, batch_count);
  check_tensor(kFunction, "columns", columns, grad_input,
               batch_count * column_elements_per_image(geometry), /*at_least=*/true);
  if (batch_count == 0) return;
  run_on(kFunction, grad_input, [&](cudaStream_t stream) {
    AT_DISPATCH_FLOATING_TYPES(grad_input.scalar_type(), "wdc::ops::cuda::deformable_col2im", [&] {
      kernels::deformable_col2im<scalar_t>(
          columns.data_ptr<scalar_t>(),
          offset.data_ptr<scalar_t>() + batch_begin * offset_elements_per_image(geometry),
          mask_pointer<scalar_t>(mask, geometry, batch_begin), geometry, batch_count,
          grad_input.data_ptr<scalar_t>() + batch_begin * input_elements_per_image(geometry),
          stream);
    });
  });
}

void deformable_col2im_coord(const at::Tensor& columns, const at::Tensor& input,
                             const at::Tensor& offset, const at::Tensor& mask,
                             const DeformConv2dGeometry& geometry, int64_t batch_begin,
                             int64_t batch_count, at::Tensor& grad_offset,
                             at::Tensor& grad_mask) {
  constexpr const char* kFunction = "wdc::ops::cuda::deformable_col2im_coord";
  check_common(kFunction, input, offset, mask, geometry, batch_begin, batch_count);
  check_tensor(kFunction, "columns", columns, input,
               batch_count * column_elements_per_image(geometry), /*at_least=*/true);
  check_tensor(kFunction, "grad_offset", grad_offset, input,
               geometry.batch * offset_elements_per_image(geometry));
  if (geometry.use_mask) {
    check_tensor(kFunction, "grad_mask", grad_mask, input,
                 geometry.batch * mask_elements_per_image(geometry));
  }
  if (batch_count == 0) return;
  run_on(kFunction, input, [&](cudaStream_t stream) {
    AT_DISPATCH_FLOATING_TYPES(input.scalar_type(), "wdc::ops::cuda::deformable_col2im_coord", [&] {
      scalar_t* grad_mask_ptr =
          geometry.use_mask
              ? grad_mask.data_ptr<scalar_t>() + batch_begin * mask_elements_per_image(geometry)
              : nullptr;
      kernels::deformable_col2im_coord<scalar_t>(
          columns.data_ptr<scalar_t>(),
          input.data_ptr<scalar_t>() + batch_begin * input_elements_per_image(geometry),
          offset.data_ptr<scalar_t>() + batch_begin * offset_elements_per_image(geometry),
          mask_pointer<scalar_t>(mask, geometry, batch_begin), geometry, batch_count,
          grad_offset.data_ptr<scalar_t>() + batch_begin * offset_elements_per_image(geometry),
          grad_mask_ptr, stream);
    });
  });
}

}  // namespace wdc::ops::cuda
