// Argument validation of deform_conv2d: every rule in one place, each failure naming the
// argument with its expected and actual value.
#pragma once

#include <ATen/core/Tensor.h>

#include "ops/deform_conv2d.h"
#include "ops/deform_conv2d_geometry.h"

namespace wdc::ops {

// Throws c10::Error (TORCH_CHECK) on the first violated rule; returns the geometry otherwise.
DeformConv2dGeometry check_deform_conv2d_args(const at::Tensor& input, const at::Tensor& offset,
                                              const at::Tensor& weight, const at::Tensor& bias,
                                              const at::Tensor& mask,
                                              const DeformConv2dOptions& options);

}  // namespace wdc::ops
