#include "ops/deform_conv2d_check.h"

#include <ATen/core/grad_mode.h>
#include <c10/util/Exception.h>

#include <limits>
#include <sstream>
#include <string>
#include <vector>

namespace wdc::ops {
namespace {

std::string shape_string(const std::vector<int64_t>& sizes) {
  std::ostringstream s;
  s << '[';
  for (size_t i = 0; i < sizes.size(); ++i) s << (i ? ", " : "") << sizes[i];
  s << ']';
  return s.str();
}

std::string shape_string(const at::Tensor& t) { return shape_string(t.sizes().vec()); }

void check_companion(const at::Tensor& t, const char* name, const at::Tensor& input,
                     at::ScalarType dtype) {
  if (dtype == input.scalar_type()) {
    TORCH_CHECK_VALUE(t.scalar_type() == dtype, "deform_conv2d: ", name,
                      " must have the dtype of input (", dtype, "), got ", t.scalar_type());
  } else {
    TORCH_CHECK_VALUE(t.scalar_type() == dtype, "deform_conv2d: ", name, " must be ", dtype,
                      " beside a bfloat16 input, got ", t.scalar_type());
  }
  TORCH_CHECK_VALUE(t.device() == input.device(), "deform_conv2d: ", name,
              " must be on the device of input (", input.device(), "), got ", t.device());
}

void check_shape(const at::Tensor& t, const char* name, const std::vector<int64_t>& expected,
                 const char* meaning) {
  TORCH_CHECK_VALUE(t.sizes().vec() == expected, "deform_conv2d: ", name, " must have shape ",
              shape_string(expected), " (", meaning, "), got ", shape_string(t));
}

}  // namespace

DeformConv2dGeometry check_deform_conv2d_args(const at::Tensor& input, const at::Tensor& offset,
                                              const at::Tensor& weight, const at::Tensor& bias,
                                              const at::Tensor& mask,
                                              const DeformConv2dOptions& options) {
  TORCH_CHECK_VALUE(input.defined(), "deform_conv2d: input is undefined");
  TORCH_CHECK_VALUE(offset.defined(), "deform_conv2d: offset is undefined");
  TORCH_CHECK_VALUE(weight.defined(), "deform_conv2d: weight is undefined");
  TORCH_CHECK_VALUE(input.dim() == 4, "deform_conv2d: input must be 4-D [N, C, H, W], got ",
              shape_string(input));
  const bool bf16 = input.scalar_type() == at::kBFloat16;
  TORCH_CHECK_VALUE(
      input.scalar_type() == at::kFloat || input.scalar_type() == at::kDouble || bf16,
      "deform_conv2d: input must be float32 or float64 (or bfloat16 for CPU inference), "
      "got ",
      input.scalar_type());
  if (bf16) {
    TORCH_CHECK_VALUE(input.device().is_cpu() && !at::GradMode::is_enabled(),
                      "deform_conv2d: bfloat16 is for inference on the CPU: a CPU input, outside "
                      "autograd (no backward in bfloat16)");
  }
  // Beside a bfloat16 input the sampling positions and the modulation stay float32: in
  // bfloat16's 8-bit mantissa an offset of 8 to 16 pixels would move its sample by up to 1/32
  // of a pixel.
  const at::ScalarType field_dtype = bf16 ? at::kFloat : input.scalar_type();
  check_companion(offset, "offset", input, field_dtype);
  if (mask.defined()) check_companion(mask, "mask", input, field_dtype);
  check_companion(weight, "weight", input, input.scalar_type());
  if (bias.defined()) check_companion(bias, "bias", input, input.scalar_type());
  TORCH_CHECK_VALUE(weight.dim() == 4, "deform_conv2d: weight must be 4-D [O, C/groups, kh, kw], got ",
              shape_string(weight));

  const auto& o = options;
  for (int d = 0; d < 2; ++d) {
    TORCH_CHECK_VALUE(o.stride[d] > 0, "deform_conv2d: stride must be positive, got ", o.stride[d]);
    TORCH_CHECK_VALUE(o.dilation[d] > 0, "deform_conv2d: dilation must be positive, got ",
                o.dilation[d]);
    TORCH_CHECK_VALUE(o.padding[d] >= 0, "deform_conv2d: padding must be non-negative, got ",
                o.padding[d]);
  }
  TORCH_CHECK_VALUE(o.groups > 0, "deform_conv2d: groups must be positive, got ", o.groups);
  TORCH_CHECK_VALUE(o.offset_groups > 0, "deform_conv2d: offset_groups must be positive, got ",
              o.offset_groups);

  DeformConv2dGeometry g;
  g.batch = input.size(0);
  g.in_channels = input.size(1);
  g.height = input.size(2);
  g.width = input.size(3);
  g.kernel_h = weight.size(2);
  g.kernel_w = weight.size(3);
  g.stride_h = o.stride[0];
  g.stride_w = o.stride[1];
  g.pad_h = o.padding[0];
  g.pad_w = o.padding[1];
  g.dilation_h = o.dilation[0];
  g.dilation_w = o.dilation[1];
  g.offset_groups = o.offset_groups;
  g.groups = o.groups;
  g.use_mask = mask.defined();
  const int64_t out_channels = weight.size(0);

  TORCH_CHECK_VALUE(g.in_channels > 0 && g.height > 0 && g.width > 0,
              "deform_conv2d: input must have C, H and W > 0, got ", shape_string(input));
  // The CPU kernels index pixels with 32-bit integers, including corners past the edges.
  TORCH_CHECK_VALUE((g.height + 2) * (g.width + 2) <= std::numeric_limits<int32_t>::max(),
              "deform_conv2d: input planes must have (H+2)*(W+2) < 2^31, got H = ", g.height,
              ", W = ", g.width);
  TORCH_CHECK_VALUE(out_channels > 0 && g.kernel_h > 0 && g.kernel_w > 0,
              "deform_conv2d: weight must have O, kh and kw > 0, got ", shape_string(weight));
  TORCH_CHECK_VALUE(g.in_channels % o.groups == 0, "deform_conv2d: input channels (", g.in_channels,
              ") must be divisible by groups (", o.groups, ")");
  TORCH_CHECK_VALUE(out_channels % o.groups == 0, "deform_conv2d: weight's output channels (",
              out_channels, ") must be divisible by groups (", o.groups, ")");
  TORCH_CHECK_VALUE(g.in_channels % o.offset_groups == 0, "deform_conv2d: input channels (",
              g.in_channels, ") must be divisible by offset_groups (", o.offset_groups, ")");
  TORCH_CHECK_VALUE(weight.size(1) * o.groups == g.in_channels,
              "deform_conv2d: weight.size(1) must be input channels / groups = ",
              g.in_channels / o.groups, ", got ", weight.size(1));

  g.out_h = (g.height + 2 * g.pad_h - g.dilation_h * (g.kernel_h - 1) - 1) / g.stride_h + 1;
  g.out_w = (g.width + 2 * g.pad_w - g.dilation_w * (g.kernel_w - 1) - 1) / g.stride_w + 1;
  TORCH_CHECK_VALUE(g.out_h > 0 && g.out_w > 0, "deform_conv2d: the output would be empty (",
              g.out_h, "x", g.out_w, "): the dilated kernel ", g.kernel_h, "x", g.kernel_w,
              " does not fit the padded input ", g.height, "x", g.width);

  const int64_t taps = g.taps();
  check_shape(offset, "offset", {g.batch, 2 * g.offset_groups * taps, g.out_h, g.out_w},
              "N, 2*offset_groups*kh*kw, Ho, Wo");
  if (mask.defined())
    check_shape(mask, "mask", {g.batch, g.offset_groups * taps, g.out_h, g.out_w},
                "N, offset_groups*kh*kw, Ho, Wo");
  if (bias.defined()) check_shape(bias, "bias", {out_channels}, "O");
  return g;
}

}  // namespace wdc::ops
