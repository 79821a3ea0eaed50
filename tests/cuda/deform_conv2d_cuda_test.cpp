// wdc::ops::deform_conv2d and deform_conv2d_backward on CUDA against the same op on the CPU, on
// the same inputs: the forward and every gradient (input, offset, mask, weight, bias), float64 to
// 1e-10 and float32 to 1e-5 (relative to the largest magnitude of the CPU result); central
// differences of the CUDA op in float64; autograd on CUDA; a non-default current stream; a batch
// that the driver splits into several blocks. Built only when LibTorch has CUDA; every test skips
// where no GPU is visible.
#include <ATen/Context.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "ops/deform_conv2d.h"

namespace {

using wdc::ops::DeformConv2dGrads;
using wdc::ops::DeformConv2dOptions;

#define SKIP_WITHOUT_CUDA()                                                                  \
  do {                                                                                       \
    if (!torch::cuda::is_available()) {                                                      \
      GTEST_SKIP() << "no CUDA device visible to LibTorch (torch::cuda::is_available() is "  \
                      "false)";                                                              \
    }                                                                                        \
  } while (0)

struct Case {
  const char* name;
  int64_t batch, channels, height, width, out_channels, kernel_h, kernel_w;
  int64_t stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w;
  int64_t groups, offset_groups;
  bool bias, mask;
  double offset_scale;

  DeformConv2dOptions options() const {
    DeformConv2dOptions o;
    o.stride = {stride_h, stride_w};
    o.padding = {pad_h, pad_w};
    o.dilation = {dilation_h, dilation_w};
    o.groups = groups;
    o.offset_groups = offset_groups;
    return o;
  }
  int64_t out_h() const {
    return (height + 2 * pad_h - (dilation_h * (kernel_h - 1) + 1)) / stride_h + 1;
  }
  int64_t out_w() const {
    return (width + 2 * pad_w - (dilation_w * (kernel_w - 1) + 1)) / stride_w + 1;
  }
};

const std::vector<Case>& cases() {
  static const std::vector<Case> all = {
      // name                 N  C  H  W  O kh kw sh sw ph pw dh dw grp G  bias  mask  scale
      {"3x3_pad_mask_bias", 2, 4, 7, 6, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, true, true, 2.0},
      {"groups_strided_dilated", 3, 6, 9, 8, 4, 3, 2, 2, 1, 1, 2, 1, 2, 2, 3, false, true, 2.0},
      {"no_mask_far_offsets", 1, 3, 5, 5, 2, 2, 2, 1, 1, 0, 0, 1, 1, 1, 1, true, false, 4.0},
      {"mostly_off_the_map", 2, 2, 4, 4, 3, 3, 3, 1, 1, 2, 2, 1, 1, 1, 2, true, true, 8.0},
  };
  return all;
}

struct Inputs {
  torch::Tensor input, offset, weight, bias, mask;  // bias / mask undefined when not used

  Inputs to(const torch::TensorOptions& options) const {
    auto move = [&](const torch::Tensor& t) { return t.defined() ? t.to(options) : t; };
    return {move(input), move(offset), move(weight), move(bias), move(mask)};
  }
};

// Random inputs, made in float64 on the CPU. With `away_from_integers` every sampling position
// has its fractional part in [0.2, 0.8] (base positions are integers), so that small
// perturbations (numeric gradients) and float rounding never move a sample across a grid line,
// where the derivative with respect to the offset jumps.
Inputs make_inputs(const Case& c, uint64_t seed, bool away_from_integers) {
  torch::manual_seed(seed);
  const auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
  const int64_t taps = c.kernel_h * c.kernel_w;
  Inputs in;
  in.input = torch::randn({c.batch, c.channels, c.height, c.width}, f64);
  in.weight = torch::randn({c.out_channels, c.channels / c.groups, c.kernel_h, c.kernel_w}, f64) /
              std::sqrt(double(c.channels / c.groups * taps));
  if (c.bias) in.bias = torch::randn({c.out_channels}, f64);
  in.offset = (torch::rand({c.batch, 2 * c.offset_groups * taps, c.out_h(), c.out_w()}, f64) * 2 -
               1) *
              c.offset_scale;
  if (away_from_integers) in.offset = in.offset.floor() + 0.2 + 0.6 * torch::rand_like(in.offset);
  if (c.mask) in.mask = torch::rand({c.batch, c.offset_groups * taps, c.out_h(), c.out_w()}, f64);
  return in;
}

torch::Tensor forward(const Inputs& in, const Case& c) {
  return wdc::ops::deform_conv2d(in.input, in.offset, in.weight, in.bias, in.mask, c.options());
}

DeformConv2dGrads backward(const torch::Tensor& grad_output, const Inputs& in, const Case& c) {
  return wdc::ops::deform_conv2d_backward(grad_output, in.input, in.offset, in.weight, in.bias,
                                          in.mask, c.options());
}

// max |actual - expected| <= tolerance * max(1, max |expected|), both moved to the CPU in float64.
::testing::AssertionResult all_close(const std::string& what, const torch::Tensor& actual,
                                 const torch::Tensor& expected, double tolerance) {
  if (actual.defined() != expected.defined()) {
    return ::testing::AssertionFailure()
           << what << ": defined " << actual.defined() << " vs " << expected.defined();
  }
  if (!expected.defined()) return ::testing::AssertionSuccess();
  if (actual.sizes() != expected.sizes()) {
    return ::testing::AssertionFailure()
           << what << ": shape " << actual.sizes() << " vs " << expected.sizes();
  }
  const torch::Tensor a = actual.detach().to(torch::kCPU, torch::kFloat64);
  const torch::Tensor e = expected.detach().to(torch::kCPU, torch::kFloat64);
  if (e.numel() == 0) return ::testing::AssertionSuccess();
  const double scale = std::max(1.0, e.abs().max().item<double>());
  const torch::Tensor error = (a - e).abs();
  const double worst = error.max().item<double>();
  if (std::isfinite(worst) && worst <= tolerance * scale) return ::testing::AssertionSuccess();
  const int64_t at = error.flatten().argmax().item<int64_t>();
  return ::testing::AssertionFailure()
         << what << ": max error " << worst << " > " << tolerance << " * " << scale
         << "; worst at flat index " << at << ": " << a.flatten()[at].item<double>() << " vs "
         << e.flatten()[at].item<double>();
}

// Forward and all gradients on CUDA vs the CPU, for inputs given in float64 on the CPU.
void compare_cuda_with_cpu(const Case& c, const Inputs& in64, torch::ScalarType dtype,
                           double tolerance) {
  const Inputs cpu = in64.to(torch::TensorOptions().dtype(dtype));
  const Inputs gpu = in64.to(torch::TensorOptions().dtype(dtype).device(torch::kCUDA));

  const torch::Tensor out_cpu = forward(cpu, c);
  const torch::Tensor out_gpu = forward(gpu, c);
  ASSERT_TRUE(out_gpu.is_cuda());
  EXPECT_TRUE(all_close("output", out_gpu, out_cpu, tolerance));

  const torch::Tensor grad_output = torch::randn_like(out_cpu);
  const DeformConv2dGrads g_cpu = backward(grad_output, cpu, c);
  const DeformConv2dGrads g_gpu = backward(grad_output.to(torch::kCUDA), gpu, c);
  EXPECT_TRUE(all_close("grad input", g_gpu.input, g_cpu.input, tolerance));
  EXPECT_TRUE(all_close("grad offset", g_gpu.offset, g_cpu.offset, tolerance));
  EXPECT_TRUE(all_close("grad weight", g_gpu.weight, g_cpu.weight, tolerance));
  EXPECT_TRUE(all_close("grad bias", g_gpu.bias, g_cpu.bias, tolerance));
  EXPECT_TRUE(all_close("grad mask", g_gpu.mask, g_cpu.mask, tolerance));
}

// cuDNN (the driver's 1x1 convolutions) and cuBLAS may use TF32 for float32 on Ampere and
// newer, about 1e-3 relative; the float32 comparison is about the kernels, so it turns TF32 off.
class NoTf32 {
 public:
  NoTf32() : cudnn_(at::globalContext().allowTF32CuDNN()),
             cublas_(at::globalContext().allowTF32CuBLAS()) {
    at::globalContext().setAllowTF32CuDNN(false);
    at::globalContext().setAllowTF32CuBLAS(false);
  }
  ~NoTf32() {
    at::globalContext().setAllowTF32CuDNN(cudnn_);
    at::globalContext().setAllowTF32CuBLAS(cublas_);
  }

 private:
  bool cudnn_, cublas_;
};

TEST(DeformConv2dCuda, MatchesCpuFloat64) {
  SKIP_WITHOUT_CUDA();
  uint64_t seed = 1;
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    compare_cuda_with_cpu(c, make_inputs(c, seed++, /*away_from_integers=*/false), torch::kFloat64,
                          1e-10);
  }
}

TEST(DeformConv2dCuda, MatchesCpuFloat32) {
  SKIP_WITHOUT_CUDA();
  NoTf32 no_tf32;
  uint64_t seed = 101;
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    compare_cuda_with_cpu(c, make_inputs(c, seed++, /*away_from_integers=*/true), torch::kFloat32,
                          1e-5);
  }
}

// All offsets zero: every sample sits exactly on the grid, and with padding exactly on the
// -1 row / column. This is the usual initial state of a DCN (its offset conv is zero-initialised),
// and the place where implementations disagree about the one-sided derivative; CUDA must agree
// with the CPU here too.
TEST(DeformConv2dCuda, ZeroOffsetsMatchCpuFloat64) {
  SKIP_WITHOUT_CUDA();
  uint64_t seed = 201;
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    Inputs in = make_inputs(c, seed++, /*away_from_integers=*/false);
    in.offset.zero_();
    compare_cuda_with_cpu(c, in, torch::kFloat64, 1e-10);
  }
}

// The driver splits a batch into blocks of images when the column buffer would exceed its
// budget: this case (about 19 MB of float64 columns per image) takes several blocks, so the
// kernels run on image ranges that do not start at 0.
TEST(DeformConv2dCuda, BatchSplitIntoBlocksMatchesCpu) {
  SKIP_WITHOUT_CUDA();
  const Case c{"blocks", 5, 64, 64, 64, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 4, true, true, 1.5};
  compare_cuda_with_cpu(c, make_inputs(c, 301, /*away_from_integers=*/false), torch::kFloat64,
                        1e-10);
}

// Central differences of L = <R, deform_conv2d(...)> on the GPU in float64 against
// deform_conv2d_backward(R, ...), on a sample of elements of every differentiable argument.
TEST(DeformConv2dCuda, GradientsMatchCentralDifferencesFloat64) {
  SKIP_WITHOUT_CUDA();
  const auto cuda64 = torch::TensorOptions().dtype(torch::kFloat64).device(torch::kCUDA);
  uint64_t seed = 401;
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    const Inputs in = make_inputs(c, seed++, /*away_from_integers=*/true).to(cuda64);
    const torch::Tensor weights_of_loss = torch::randn_like(forward(in, c));
    const DeformConv2dGrads grads = backward(weights_of_loss, in, c);
    auto loss = [&](const Inputs& x) { return (forward(x, c) * weights_of_loss).sum().item<double>(); };

    struct Argument {
      const char* name;
      torch::Tensor Inputs::*member;
      torch::Tensor grad;
    };
    const std::vector<Argument> arguments = {
        {"input", &Inputs::input, grads.input},   {"offset", &Inputs::offset, grads.offset},
        {"weight", &Inputs::weight, grads.weight}, {"bias", &Inputs::bias, grads.bias},
        {"mask", &Inputs::mask, grads.mask},
    };
    const double h = 1e-6;
    for (const Argument& argument : arguments) {
      if (!(in.*argument.member).defined()) continue;
      ASSERT_TRUE(argument.grad.defined()) << argument.name;
      const int64_t n = (in.*argument.member).numel();
      const torch::Tensor picks = torch::randint(n, {std::min<int64_t>(n, 12)}, torch::kInt64);
      for (int64_t k = 0; k < picks.numel(); ++k) {
        const int64_t at = picks[k].item<int64_t>();
        auto shifted = [&](double delta) {
          Inputs x = in;
          x.*argument.member = (in.*argument.member).clone();
          (x.*argument.member).view(-1)[at] += delta;
          return loss(x);
        };
        const double numeric = (shifted(h) - shifted(-h)) / (2 * h);
        const double analytic = argument.grad.reshape(-1)[at].item<double>();
        EXPECT_NEAR(numeric, analytic, 1e-6 * std::max(1.0, std::abs(analytic)))
            << argument.name << " element " << at;
      }
    }
  }
}

// The autograd Function on CUDA gives what deform_conv2d_backward gives.
TEST(DeformConv2dCuda, AutogradMatchesBackwardOnCuda) {
  SKIP_WITHOUT_CUDA();
  const Case& c = cases()[0];
  const auto cuda64 = torch::TensorOptions().dtype(torch::kFloat64).device(torch::kCUDA);
  Inputs in = make_inputs(c, 501, /*away_from_integers=*/true).to(cuda64);
  for (torch::Tensor* t : {&in.input, &in.offset, &in.weight, &in.bias, &in.mask}) {
    if (t->defined()) t->requires_grad_(true);
  }
  const torch::Tensor out = forward(in, c);
  const torch::Tensor grad_output = torch::randn_like(out);
  out.backward(grad_output);
  torch::NoGradGuard no_grad;
  const DeformConv2dGrads expected = backward(grad_output, in, c);
  EXPECT_TRUE(all_close("grad input", in.input.grad(), expected.input, 1e-12));
  EXPECT_TRUE(all_close("grad offset", in.offset.grad(), expected.offset, 1e-12));
  EXPECT_TRUE(all_close("grad weight", in.weight.grad(), expected.weight, 1e-12));
  EXPECT_TRUE(all_close("grad bias", in.bias.grad(), expected.bias, 1e-12));
  EXPECT_TRUE(all_close("grad mask", in.mask.grad(), expected.mask, 1e-12));
}

// The kernels run on the current stream: results under a pool stream equal the default stream's.
TEST(DeformConv2dCuda, RunsOnTheCurrentStream) {
  SKIP_WITHOUT_CUDA();
  const Case& c = cases()[1];
  const auto cuda64 = torch::TensorOptions().dtype(torch::kFloat64).device(torch::kCUDA);
  const Inputs in = make_inputs(c, 601, /*away_from_integers=*/false).to(cuda64);
  const torch::Tensor out_default = forward(in, c);
  const torch::Tensor grad_output = torch::randn_like(out_default);
  const DeformConv2dGrads grads_default = backward(grad_output, in, c);
  torch::Tensor out_side;
  DeformConv2dGrads grads_side;
  {
    c10::cuda::getCurrentCUDAStream().synchronize();  // inputs were made on the default stream
    c10::cuda::CUDAStream side = c10::cuda::getStreamFromPool();
    c10::cuda::CUDAStreamGuard guard(side);
    out_side = forward(in, c);
    grads_side = backward(grad_output, in, c);
    side.synchronize();
  }
  EXPECT_TRUE(all_close("output", out_side, out_default, 1e-12));
  EXPECT_TRUE(all_close("grad input", grads_side.input, grads_default.input, 1e-12));
  EXPECT_TRUE(all_close("grad offset", grads_side.offset, grads_default.offset, 1e-12));
  EXPECT_TRUE(all_close("grad mask", grads_side.mask, grads_default.mask, 1e-12));
}

}  // namespace
