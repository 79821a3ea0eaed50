// The autograd Function of deform_conv2d and the public entry points.
#include "ops/deform_conv2d.h"

#include <torch/autograd.h>

#include "ops/deform_conv2d_check.h"
#include "ops/deform_conv2d_driver.h"

namespace wdc::ops {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Autograd's Function machinery needs a device on every tensor argument, so an absent bias or
// mask crosses it as an empty tensor and is turned back into "absent" on the other side.
at::Tensor to_function_arg(const at::Tensor& t, const at::Tensor& like) {
  return t.defined() ? t : at::empty({0}, like.options());
}
at::Tensor from_function_arg(const at::Tensor& t) { return t.numel() > 0 ? t : at::Tensor(); }

class DeformConv2dFunction : public torch::autograd::Function<DeformConv2dFunction> {
 public:
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& input,
                            const at::Tensor& offset, const at::Tensor& weight,
                            const at::Tensor& bias, const at::Tensor& mask,
                            const DeformConv2dOptions& options, bool backward_expected) {
    at::AutoDispatchBelowADInplaceOrView guard;
    ctx->save_for_backward({input, offset, weight, bias, mask});
    ctx->saved_data["stride_h"] = options.stride[0];
    ctx->saved_data["stride_w"] = options.stride[1];
    ctx->saved_data["pad_h"] = options.padding[0];
    ctx->saved_data["pad_w"] = options.padding[1];
    ctx->saved_data["dilation_h"] = options.dilation[0];
    ctx->saved_data["dilation_w"] = options.dilation[1];
    ctx->saved_data["groups"] = options.groups;
    ctx->saved_data["offset_groups"] = options.offset_groups;
    // Reusing the forward's samples saves backward one full sampling pass; they are kept only
    // when a gradient will be asked for and the batch fits in one bounded column block.
    at::Tensor columns;
    at::Tensor out = deform_conv2d_forward_impl(input, offset, weight, from_function_arg(bias),
                                                from_function_arg(mask), options,
                                                backward_expected ? &columns : nullptr);
    ctx->saved_data["columns"] = columns;
    return out;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    DeformConv2dOptions options;
    options.stride = {ctx->saved_data["stride_h"].toInt(), ctx->saved_data["stride_w"].toInt()};
    options.padding = {ctx->saved_data["pad_h"].toInt(), ctx->saved_data["pad_w"].toInt()};
    options.dilation = {ctx->saved_data["dilation_h"].toInt(),
                        ctx->saved_data["dilation_w"].toInt()};
    options.groups = ctx->saved_data["groups"].toInt();
    options.offset_groups = ctx->saved_data["offset_groups"].toInt();
    const c10::IValue& columns = ctx->saved_data["columns"];
    DeformConv2dGrads g = deform_conv2d_backward_impl(
        grad_outputs[0], saved[0], saved[1], saved[2], from_function_arg(saved[3]),
        from_function_arg(saved[4]), options,
        columns.isTensor() ? columns.toTensor() : at::Tensor(), ctx->needs_input_grad(0));
    ctx->saved_data.erase("columns");  // free the samples as soon as they are used
    // One gradient per forward() argument; the options and the flag get none.
    return {g.input, g.offset, g.weight, g.bias, g.mask, at::Tensor(), at::Tensor()};
  }
};

bool gradient_expected(const at::Tensor& input, const at::Tensor& offset, const at::Tensor& weight,
                       const at::Tensor& bias, const at::Tensor& mask) {
  return at::GradMode::is_enabled() &&
         (input.requires_grad() || offset.requires_grad() || weight.requires_grad() ||
          (bias.defined() && bias.requires_grad()) || (mask.defined() && mask.requires_grad()));
}

}  // namespace

at::Tensor deform_conv2d(const at::Tensor& input, const at::Tensor& offset,
                         const at::Tensor& weight, const at::Tensor& bias, const at::Tensor& mask,
                         const DeformConv2dOptions& options) {
  // Validate before the autograd boundary, where absent and empty tensors look alike.
  check_deform_conv2d_args(input, offset, weight, bias, mask, options);
  // Inside forward() autograd has switched gradients off, so decide here whether backward
  // will run.
  const bool backward_expected = gradient_expected(input, offset, weight, bias, mask);
  return DeformConv2dFunction::apply(input, offset, weight, to_function_arg(bias, input),
                                     to_function_arg(mask, input), options, backward_expected);
}

at::Tensor deform_conv2d_relu(const at::Tensor& input, const at::Tensor& offset,
                              const at::Tensor& weight, const at::Tensor& bias,
                              const at::Tensor& mask, const DeformConv2dOptions& options) {
  TORCH_CHECK(!gradient_expected(input, offset, weight, bias, mask),
              "deform_conv2d_relu: inference only; a gradient was asked for (use deform_conv2d "
              "and relu)");
  return deform_conv2d_forward_impl(input, offset, weight, bias, mask, options, nullptr, true);
}

DeformConv2dGrads deform_conv2d_backward(const at::Tensor& grad_output, const at::Tensor& input,
                                         const at::Tensor& offset, const at::Tensor& weight,
                                         const at::Tensor& bias, const at::Tensor& mask,
                                         const DeformConv2dOptions& options) {
  return deform_conv2d_backward_impl(grad_output, input, offset, weight, bias, mask, options);
}

}  // namespace wdc::ops
