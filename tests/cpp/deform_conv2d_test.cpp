// deform_conv2d against an independent LibTorch reference (forward and autograd gradients),
// against conv2d at zero offsets, against central differences, and on every bad argument.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <limits>
#include <random>
#include <string>

#include "deform_conv2d_reference.h"
#include "ops/cpu/bf16_support.h"
#include "ops/deform_conv2d.h"

using wdc::ops::DeformConv2dOptions;

namespace {

struct Case {
  int64_t batch, in_channels, out_channels, height, width, kernel;
  int64_t stride, padding, dilation, groups, offset_groups;
  bool with_mask, with_bias;
  double offset_scale;  // large values push samples off the map
};

std::string describe(const Case& c) {
  return "N=" + std::to_string(c.batch) + " C=" + std::to_string(c.in_channels) +
         " O=" + std::to_string(c.out_channels) + " " + std::to_string(c.height) + "x" +
         std::to_string(c.width) + " k=" + std::to_string(c.kernel) +
         " s=" + std::to_string(c.stride) + " p=" + std::to_string(c.padding) +
         " d=" + std::to_string(c.dilation) + " g=" + std::to_string(c.groups) +
         " og=" + std::to_string(c.offset_groups) + " mask=" + std::to_string(c.with_mask) +
         " bias=" + std::to_string(c.with_bias) + " off=" + std::to_string(c.offset_scale);
}

// Random cases over the ranges the op must support; shapes that give an empty output are
// redrawn.
std::vector<Case> random_cases(int count, uint32_t seed) {
  std::mt19937 rng(seed);
  auto pick = [&](std::initializer_list<int64_t> v) {
    return *(v.begin() + std::uniform_int_distribution<size_t>(0, v.size() - 1)(rng));
  };
  std::vector<Case> cases;
  while (static_cast<int>(cases.size()) < count) {
    Case c;
    c.batch = pick({1, 2, 3, 4});
    c.groups = pick({1, 2});
    c.offset_groups = pick({1, 2});
    const int64_t unit = c.groups * c.offset_groups / (c.groups == c.offset_groups ? c.groups : 1);
    c.in_channels = unit * pick({1, 2, 3, 4, 8});
    c.in_channels = std::min<int64_t>(c.in_channels, 16);
    if (c.in_channels % c.groups || c.in_channels % c.offset_groups) continue;
    c.out_channels = c.groups * pick({1, 2, 3, 5});
    c.kernel = pick({1, 3, 5});
    c.stride = pick({1, 2});
    c.padding = pick({0, 1, 2});
    c.dilation = pick({1, 2});
    c.height = pick({5, 7, 9, 12});
    c.width = pick({5, 8, 11});
    c.with_mask = pick({0, 1});
    c.with_bias = pick({0, 1});
    c.offset_scale = static_cast<double>(pick({0, 1, 4}));
    if (c.offset_scale == 0) c.offset_scale = 0.3;
    const int64_t span = c.dilation * (c.kernel - 1) + 1;
    if (c.height + 2 * c.padding < span || c.width + 2 * c.padding < span) continue;
    cases.push_back(c);
  }
  return cases;
}

struct Inputs {
  torch::Tensor input, offset, weight, bias, mask;
  DeformConv2dOptions options;
};

Inputs make_inputs(const Case& c, torch::Dtype dtype, uint64_t seed) {
  torch::manual_seed(seed);
  const auto opts = torch::TensorOptions().dtype(dtype);
  Inputs in;
  in.options.stride = {c.stride, c.stride};
  in.options.padding = {c.padding, c.padding};
  in.options.dilation = {c.dilation, c.dilation};
  in.options.groups = c.groups;
  in.options.offset_groups = c.offset_groups;
  const int64_t span = c.dilation * (c.kernel - 1) + 1;
  const int64_t ho = (c.height + 2 * c.padding - span) / c.stride + 1;
  const int64_t wo = (c.width + 2 * c.padding - span) / c.stride + 1;
  const int64_t taps = c.kernel * c.kernel;
  in.input = torch::randn({c.batch, c.in_channels, c.height, c.width}, opts);
  in.offset = torch::randn({c.batch, 2 * c.offset_groups * taps, ho, wo}, opts) * c.offset_scale;
  in.weight = torch::randn({c.out_channels, c.in_channels / c.groups, c.kernel, c.kernel}, opts);
  if (c.with_bias) in.bias = torch::randn({c.out_channels}, opts);
  if (c.with_mask) in.mask = torch::rand({c.batch, c.offset_groups * taps, ho, wo}, opts);
  return in;
}

torch::Tensor run_op(const Inputs& in) {
  return wdc::ops::deform_conv2d(in.input, in.offset, in.weight, in.bias, in.mask, in.options);
}

void expect_error(const Inputs& in, const std::string& needle);

class DeformConv2dTest : public ::testing::Test {
 protected:
  void SetUp() override { at::set_num_threads(2); }
};

TEST_F(DeformConv2dTest, ForwardMatchesReferenceOnRandomShapes) {
  for (const Case& c : random_cases(60, 1234)) {
    const Inputs in = make_inputs(c, torch::kDouble, 7);
    const auto expected = wdc::testing::deform_conv2d_reference(in.input, in.offset, in.weight,
                                                                in.bias, in.mask, in.options);
    const auto actual = run_op(in);
    ASSERT_EQ(actual.sizes(), expected.sizes()) << describe(c);
    EXPECT_TRUE(torch::allclose(actual, expected, 1e-10, 1e-10))
        << describe(c) << " max diff " << (actual - expected).abs().max().item<double>();
  }
}

// Inference sends the op's GEMM to oneDNN whatever the batch (ops/onednn_conv2d.h); training
// lets LibTorch choose. Both must give the reference's output.
TEST_F(DeformConv2dTest, InferenceForwardMatchesReference) {
  for (const Case& c : random_cases(20, 41)) {
    const Inputs in = make_inputs(c, torch::kDouble, 43);
    const auto expected = wdc::testing::deform_conv2d_reference(in.input, in.offset, in.weight,
                                                                in.bias, in.mask, in.options);
    auto f = [](const torch::Tensor& t) { return t.defined() ? t.to(torch::kFloat) : t; };
    c10::InferenceMode inference;
    const auto actual = wdc::ops::deform_conv2d(f(in.input), f(in.offset), f(in.weight), f(in.bias),
                                                f(in.mask), in.options);
    EXPECT_TRUE(torch::allclose(actual.to(torch::kDouble), expected, 1e-4, 1e-3))
        << describe(c) << " max diff "
        << (actual.to(torch::kDouble) - expected).abs().max().item<double>();
  }
}

// bfloat16 inference: input, weight and bias rounded to bfloat16, offsets and mask float32. The
// expectation is the float64 reference on the same rounded values, so what is left is the op's
// own bfloat16 arithmetic: columns rounded to bfloat16 (relative 2^-9 each) and the output
// rounded once more; the products accumulate in float32 inside oneDNN. Tolerance: 2% of the
// output's scale plus 1% relative.
void expect_bfloat16_forward_matches_reference(const Case& c, uint64_t seed) {
  const Inputs in = make_inputs(c, torch::kDouble, seed);
  auto bf16 = [](const torch::Tensor& t) { return t.defined() ? t.to(torch::kBFloat16) : t; };
  auto f32 = [](const torch::Tensor& t) { return t.defined() ? t.to(torch::kFloat) : t; };
  auto rounded = [](const torch::Tensor& t) {
    return t.defined() ? t.to(torch::kBFloat16).to(torch::kDouble) : t;
  };
  const auto expected = wdc::testing::deform_conv2d_reference(
      rounded(in.input), in.offset.to(torch::kFloat).to(torch::kDouble), rounded(in.weight),
      rounded(in.bias), in.mask.defined() ? in.mask.to(torch::kFloat).to(torch::kDouble) : in.mask,
      in.options);
  c10::InferenceMode inference;
  // The CPU kernels and the GEMM read channels-last memory, as the network gives them.
  const auto input = bf16(in.input).contiguous(torch::MemoryFormat::ChannelsLast);
  const auto weight = bf16(in.weight).contiguous(torch::MemoryFormat::ChannelsLast);
  const auto actual = wdc::ops::deform_conv2d(input, f32(in.offset), weight, bf16(in.bias),
                                              f32(in.mask), in.options);
  ASSERT_EQ(actual.scalar_type(), torch::kBFloat16) << describe(c);
  const double scale = expected.abs().max().item<double>();
  EXPECT_TRUE(torch::allclose(actual.to(torch::kDouble), expected, 1e-2, 2e-2 * scale + 1e-6))
      << describe(c) << " max diff "
      << (actual.to(torch::kDouble) - expected).abs().max().item<double>() << " of " << scale;
}

TEST_F(DeformConv2dTest, Bfloat16InferenceForwardMatchesReference) {
  if (!wdc::ops::cpu::cpu_has_native_bf16())
    GTEST_SKIP() << "no native bfloat16 here: " << wdc::ops::cpu::native_bf16_missing_reason();
  for (const Case& c : random_cases(20, 77)) expect_bfloat16_forward_matches_reference(c, 5);
}

// The sampling's channel loops: one input channel (vectorised across the row instead; in
// bfloat16 from a float copy of the image), a fully unrolled copy for each channel count a
// run of channels (the channels of one offset group within one weight group) is given one
// for — 3, 8, 16, 32, 64, 128; in bfloat16 the multiples of 32 narrowed by AVX512_BF16 where
// the CPU has it — and the general loop (runs of 1, offset groups split across weight groups).
// Each count, with one and two offset and weight groups, in float64, float32 inference and
// bfloat16 inference, against the reference.
TEST_F(DeformConv2dTest, EveryChannelLoopMatchesReference) {
  for (const int64_t run : {1, 3, 8, 16, 32, 64, 128})
    for (const int64_t offset_groups : {1, 2})
      for (const int64_t groups : {1, 2}) {
        const int64_t channels = run * std::max(offset_groups, groups);
        const Case c{2, channels, 2 * groups,    7,    6,    3,  1, 1,
                     1, groups,   offset_groups, true, true, 2.0};
        const Inputs in = make_inputs(c, torch::kDouble, 19);
        const auto expected = wdc::testing::deform_conv2d_reference(in.input, in.offset, in.weight,
                                                                    in.bias, in.mask, in.options);
        EXPECT_TRUE(torch::allclose(run_op(in), expected, 1e-10, 1e-10)) << describe(c);
        {
          auto f = [](const torch::Tensor& t) { return t.to(torch::kFloat); };
          c10::InferenceMode inference;
          const auto actual = wdc::ops::deform_conv2d(f(in.input), f(in.offset), f(in.weight),
                                                      f(in.bias), f(in.mask), in.options);
          EXPECT_TRUE(torch::allclose(actual.to(torch::kDouble), expected, 1e-4, 1e-3))
              << describe(c);
        }
        if (wdc::ops::cpu::cpu_has_native_bf16()) expect_bfloat16_forward_matches_reference(c, 19);
      }
}

// bfloat16 is a forward for inference: with autograd recording, or float32 offsets missing,
// the op refuses by name instead of computing something else.
TEST_F(DeformConv2dTest, Bfloat16OutsideInferenceIsRefused) {
  const Case c{1, 4, 4, 6, 6, 3, 1, 1, 1, 1, 1, true, true, 1};
  Inputs in = make_inputs(c, torch::kFloat, 2);
  in.input = in.input.to(torch::kBFloat16);
  in.weight = in.weight.to(torch::kBFloat16);
  in.bias = in.bias.to(torch::kBFloat16);
  expect_error(in, "bfloat16 is for inference on the CPU");
  torch::NoGradGuard no_grad;
  Inputs bf16_offsets = in;
  bf16_offsets.offset = in.offset.to(torch::kBFloat16);
  expect_error(bf16_offsets, "offset must be Float beside a bfloat16 input");
  Inputs float_weight = in;
  float_weight.weight = in.weight.to(torch::kFloat);
  expect_error(float_weight, "weight must have the dtype of input (BFloat16)");
}

// deform_conv2d_relu applies the ReLU where it gathers the op's blocks of images (the bounded
// column buffer splits this batch of 32-channel 26x26 images into blocks of about five) or,
// for one block, on its result: either way it must equal relu(deform_conv2d) exactly.
TEST_F(DeformConv2dTest, ReluVariantEqualsReluOfTheOp) {
  std::vector<torch::ScalarType> dtypes{torch::kFloat};
  if (wdc::ops::cpu::cpu_has_native_bf16()) dtypes.push_back(torch::kBFloat16);
  for (const int64_t batch : {13, 2})
    for (const auto dtype : dtypes) {
      const Case c{batch, 32, 16, 26, 26, 3, 1, 1, 1, 1, 1, true, true, 1};
      const Inputs in = make_inputs(c, torch::kFloat, 8);
      c10::InferenceMode inference;
      const auto input = in.input.to(dtype).contiguous(torch::MemoryFormat::ChannelsLast);
      const auto weight = in.weight.to(dtype).contiguous(torch::MemoryFormat::ChannelsLast);
      const auto bias = in.bias.to(dtype);
      const auto expected =
          torch::relu(wdc::ops::deform_conv2d(input, in.offset, weight, bias, in.mask, in.options));
      const auto actual =
          wdc::ops::deform_conv2d_relu(input, in.offset, weight, bias, in.mask, in.options);
      EXPECT_GT(expected.gt(0).sum().item<int64_t>(), 0);
      EXPECT_TRUE(torch::equal(actual, expected)) << describe(c) << " " << dtype;
    }
  const Inputs in = make_inputs({1, 4, 4, 6, 6, 3, 1, 1, 1, 1, 1, true, true, 1}, torch::kFloat, 2);
  in.weight.requires_grad_();
  EXPECT_THROW(
      wdc::ops::deform_conv2d_relu(in.input, in.offset, in.weight, in.bias, in.mask, in.options),
      c10::Error);
}

TEST_F(DeformConv2dTest, Float32ForwardMatchesFloat64) {
  for (const Case& c : random_cases(15, 99)) {
    const Inputs in = make_inputs(c, torch::kDouble, 3);
    Inputs in32 = in;
    in32.input = in.input.to(torch::kFloat);
    in32.offset = in.offset.to(torch::kFloat);
    in32.weight = in.weight.to(torch::kFloat);
    if (in.bias.defined()) in32.bias = in.bias.to(torch::kFloat);
    if (in.mask.defined()) in32.mask = in.mask.to(torch::kFloat);
    const auto expected = run_op(in);
    const auto actual = run_op(in32).to(torch::kDouble);
    EXPECT_TRUE(torch::allclose(actual, expected, 1e-4, 1e-4)) << describe(c);
  }
}

TEST_F(DeformConv2dTest, ZeroOffsetsEqualConv2d) {
  for (const Case& c : random_cases(20, 42)) {
    Inputs in = make_inputs(c, torch::kDouble, 11);
    in.offset.zero_();
    in.mask = torch::Tensor();
    const auto expected = torch::conv2d(in.input, in.weight, in.bias, c.stride, c.padding,
                                        c.dilation, c.groups);
    EXPECT_TRUE(torch::allclose(run_op(in), expected, 1e-10, 1e-10)) << describe(c);
  }
}

// Gradients of sum(out * r) for a fixed random r: ours vs the reference's autograd.
TEST_F(DeformConv2dTest, GradientsMatchReferenceAutograd) {
  for (const Case& c : random_cases(30, 777)) {
    Inputs in = make_inputs(c, torch::kDouble, 5);
    for (auto* t : {&in.input, &in.offset, &in.weight, &in.bias, &in.mask})
      if (t->defined()) t->requires_grad_(true);
    auto ref_out = wdc::testing::deform_conv2d_reference(in.input, in.offset, in.weight, in.bias,
                                                         in.mask, in.options);
    const auto r = torch::randn_like(ref_out);
    std::vector<torch::Tensor> wrt = {in.input, in.offset, in.weight};
    if (in.bias.defined()) wrt.push_back(in.bias);
    if (in.mask.defined()) wrt.push_back(in.mask);
    const auto expected = torch::autograd::grad({(ref_out * r).sum()}, wrt);
    const auto actual = torch::autograd::grad({(run_op(in) * r).sum()}, wrt);
    const char* names[] = {"input", "offset", "weight", "bias/mask", "mask"};
    for (size_t k = 0; k < wrt.size(); ++k)
      EXPECT_TRUE(torch::allclose(actual[k], expected[k], 1e-9, 1e-9))
          << describe(c) << " grad " << names[k] << " max diff "
          << (actual[k] - expected[k]).abs().max().item<double>();
  }
}

// One input channel takes the kernels' row-vectorised path (the seed network's first block).
TEST_F(DeformConv2dTest, OneInputChannelMatchesReference) {
  const Case cases[] = {
      {3, 1, 4, 11, 10, 3, 2, 1, 1, 1, 1, true, true, 2.0},
      {2, 1, 3, 9, 12, 3, 1, 1, 1, 1, 1, false, false, 4.0},
  };
  for (const Case& c : cases) {
    Inputs in = make_inputs(c, torch::kDouble, 17);
    for (auto* t : {&in.input, &in.offset, &in.weight, &in.bias, &in.mask})
      if (t->defined()) t->requires_grad_(true);
    const auto expected = wdc::testing::deform_conv2d_reference(in.input, in.offset, in.weight,
                                                                in.bias, in.mask, in.options);
    const auto actual = run_op(in);
    EXPECT_TRUE(torch::allclose(actual, expected, 1e-10, 1e-10)) << describe(c);
    const auto r = torch::randn_like(expected);
    std::vector<torch::Tensor> wrt = {in.input, in.offset, in.weight};
    if (in.mask.defined()) wrt.push_back(in.mask);
    const auto want = torch::autograd::grad({(expected * r).sum()}, wrt);
    const auto got = torch::autograd::grad({(actual * r).sum()}, wrt);
    for (size_t k = 0; k < wrt.size(); ++k)
      EXPECT_TRUE(torch::allclose(got[k], want[k], 1e-9, 1e-9)) << describe(c) << " grad " << k;
  }
}

// Central differences in float64. Offsets are integers plus a fraction in [0.15, 0.85], so no
// sample sits within eps of a grid line where bilinear interpolation has a kink.
TEST_F(DeformConv2dTest, GradientsMatchCentralDifferences) {
  const Case cases[] = {
      {2, 4, 4, 6, 7, 3, 1, 1, 1, 2, 2, true, true, 0},
      {1, 2, 3, 7, 6, 3, 2, 2, 2, 1, 1, true, false, 0},
      {2, 2, 2, 5, 5, 1, 1, 0, 1, 1, 2, false, true, 0},
  };
  for (const Case& c : cases) {
    Inputs in = make_inputs(c, torch::kDouble, 21);
    const auto frac = torch::rand_like(in.offset) * 0.7 + 0.15;
    in.offset = torch::randint(-2, 3, in.offset.sizes(), in.offset.options()) + frac;
    const auto r = torch::randn_like(run_op(in));
    auto loss = [&](const Inputs& x) { return (run_op(x) * r).sum().item<double>(); };

    Inputs grad_in = in;
    for (auto* t : {&grad_in.input, &grad_in.offset, &grad_in.weight, &grad_in.bias,
                    &grad_in.mask})
      if (t->defined()) *t = t->detach().clone().requires_grad_(true);
    std::vector<torch::Tensor> wrt = {grad_in.input, grad_in.offset, grad_in.weight};
    if (in.bias.defined()) wrt.push_back(grad_in.bias);
    if (in.mask.defined()) wrt.push_back(grad_in.mask);
    const auto analytic = torch::autograd::grad({(run_op(grad_in) * r).sum()}, wrt);

    torch::Tensor* targets[] = {&in.input, &in.offset, &in.weight,
                                in.bias.defined() ? &in.bias : &in.mask, &in.mask};
    const double eps = 1e-6;
    for (size_t k = 0; k < wrt.size(); ++k) {
      torch::Tensor& t = *targets[k];
      auto flat = t.view(-1);
      auto numeric = torch::zeros_like(flat);
      for (int64_t e = 0; e < flat.numel(); ++e) {
        const double saved = flat[e].item<double>();
        flat[e] = saved + eps;
        const double plus = loss(in);
        flat[e] = saved - eps;
        const double minus = loss(in);
        flat[e] = saved;
        numeric[e] = (plus - minus) / (2 * eps);
      }
      EXPECT_TRUE(torch::allclose(analytic[k].reshape(-1), numeric, 1e-5, 1e-6))
          << describe(c) << " tensor " << k << " max diff "
          << (analytic[k].reshape(-1) - numeric).abs().max().item<double>();
    }
  }
}

TEST_F(DeformConv2dTest, ExplicitBackwardMatchesAutograd) {
  const Case c{2, 4, 6, 8, 9, 3, 2, 1, 1, 2, 2, true, true, 2.0};
  Inputs in = make_inputs(c, torch::kFloat, 8);
  for (auto* t : {&in.input, &in.offset, &in.weight, &in.bias, &in.mask}) t->requires_grad_(true);
  const auto out = run_op(in);
  const auto r = torch::randn_like(out);
  const auto expected = torch::autograd::grad({(out * r).sum()},
                                              {in.input, in.offset, in.weight, in.bias, in.mask});
  const auto g = wdc::ops::deform_conv2d_backward(r, in.input.detach(), in.offset.detach(),
                                                  in.weight.detach(), in.bias.detach(),
                                                  in.mask.detach(), in.options);
  const torch::Tensor actual[] = {g.input, g.offset, g.weight, g.bias, g.mask};
  for (int k = 0; k < 5; ++k) EXPECT_TRUE(torch::allclose(actual[k], expected[k], 1e-5, 1e-5));
}

// A first layer's input needs no gradient; skipping it must not change the others.
TEST_F(DeformConv2dTest, InputWithoutGradientLeavesOtherGradientsUnchanged) {
  const Case c{4, 3, 5, 9, 8, 3, 1, 1, 1, 1, 3, true, true, 1.5};
  Inputs in = make_inputs(c, torch::kDouble, 12);
  for (auto* t : {&in.offset, &in.weight, &in.bias, &in.mask}) t->requires_grad_(true);
  const auto r = torch::randn_like(run_op(in));
  const std::vector<torch::Tensor> wrt = {in.offset, in.weight, in.bias, in.mask};
  const auto without_input = torch::autograd::grad({(run_op(in) * r).sum()}, wrt);
  in.input.requires_grad_(true);
  const auto with_input = torch::autograd::grad({(run_op(in) * r).sum()}, wrt);
  for (size_t k = 0; k < wrt.size(); ++k)
    EXPECT_TRUE(torch::allclose(without_input[k], with_input[k], 1e-12, 1e-12)) << k;
  in.input.requires_grad_(false);
  (run_op(in) * r).sum().backward();
  EXPECT_FALSE(in.input.grad().defined());
  EXPECT_TRUE(in.offset.grad().defined());
}

// Samples off the map are 0 whatever the input holds: an inf in a pixel they do not touch must
// not turn into NaN through a zero weight.
TEST_F(DeformConv2dTest, SamplesOffTheMapIgnoreNonFiniteInput) {
  const Case c{2, 3, 4, 6, 7, 3, 1, 1, 1, 1, 1, false, true, 1.0};
  Inputs in = make_inputs(c, torch::kFloat, 13);
  in.input.index_put_({torch::indexing::Slice(), torch::indexing::Slice(), 0, 0},
                      std::numeric_limits<float>::infinity());
  in.offset.fill_(100.0f);  // every tap lands far below and right of the map
  const auto out = run_op(in);
  EXPECT_TRUE(torch::equal(out, in.bias.view({1, -1, 1, 1}).expand_as(out)));
  auto grad_in = in;
  grad_in.offset.requires_grad_(true);
  (run_op(grad_in) * torch::randn_like(out)).sum().backward();
  EXPECT_TRUE(torch::equal(grad_in.offset.grad(), torch::zeros_like(in.offset)));
}

TEST_F(DeformConv2dTest, EmptyBatchGivesEmptyOutput) {
  Inputs in = make_inputs({1, 2, 2, 5, 5, 3, 1, 1, 1, 1, 1, false, false, 1}, torch::kFloat, 1);
  in.input = in.input.narrow(0, 0, 0);
  in.offset = in.offset.narrow(0, 0, 0);
  EXPECT_EQ(run_op(in).sizes(), (std::vector<int64_t>{0, 2, 5, 5}));
}

// Each bad argument must raise an error whose message names the argument.
void expect_error(const Inputs& in, const std::string& needle) {
  try {
    run_op(in);
    ADD_FAILURE() << "no error; expected one mentioning '" << needle << "'";
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what_without_backtrace()).find(needle), std::string::npos)
        << "message: " << e.what_without_backtrace();
  }
}

TEST_F(DeformConv2dTest, BadArgumentsRaiseNamedErrors) {
  const Case c{2, 4, 4, 6, 6, 3, 1, 1, 1, 2, 2, true, true, 1};
  const Inputs good = make_inputs(c, torch::kFloat, 2);
  ASSERT_NO_THROW(run_op(good));
  auto with = [&](auto change) {
    Inputs in = good;
    change(in);
    return in;
  };
  expect_error(with([](Inputs& in) { in.input = in.input[0]; }), "input must be 4-D");
  expect_error(with([](Inputs& in) { in.input = in.input.to(torch::kInt); }), "float32 or float64");
  expect_error(with([](Inputs& in) { in.offset = in.offset.to(torch::kDouble); }), "offset must have the dtype");
  expect_error(with([](Inputs& in) { in.weight = in.weight.to(torch::kDouble); }), "weight must have the dtype");
  expect_error(with([](Inputs& in) { in.bias = in.bias.to(torch::kDouble); }), "bias must have the dtype");
  expect_error(with([](Inputs& in) { in.mask = in.mask.to(torch::kDouble); }), "mask must have the dtype");
  expect_error(with([](Inputs& in) { in.weight = in.weight[0]; }), "weight must be 4-D");
  expect_error(with([](Inputs& in) { in.offset = in.offset.narrow(3, 0, 5); }), "offset must have shape [2, 36, 6, 6]");
  expect_error(with([](Inputs& in) { in.offset = in.offset.narrow(1, 0, 18); }), "offset must have shape");
  expect_error(with([](Inputs& in) { in.mask = in.mask.narrow(1, 0, 9); }), "mask must have shape [2, 18, 6, 6]");
  expect_error(with([](Inputs& in) { in.bias = torch::zeros({5}); }), "bias must have shape [4]");
  expect_error(with([](Inputs& in) { in.options.stride = {0, 1}; }), "stride must be positive");
  expect_error(with([](Inputs& in) { in.options.dilation = {1, -1}; }), "dilation must be positive");
  expect_error(with([](Inputs& in) { in.options.padding = {-1, 0}; }), "padding must be non-negative");
  expect_error(with([](Inputs& in) { in.options.groups = 0; }), "groups must be positive");
  expect_error(with([](Inputs& in) { in.options.offset_groups = 0; }), "offset_groups must be positive");
  expect_error(with([](Inputs& in) { in.options.groups = 3; }), "divisible by groups");
  expect_error(with([](Inputs& in) { in.options.offset_groups = 3; }), "divisible by offset_groups");
  expect_error(with([](Inputs& in) { in.weight = torch::randn({4, 4, 3, 3}); }), "weight.size(1) must be");
  expect_error(with([](Inputs& in) { in.weight = torch::randn({3, 2, 3, 3}); }), "output channels (3) must be divisible by groups");
  expect_error(with([](Inputs& in) { in.weight = torch::randn({4, 2, 9, 9}); }), "output would be empty");
  expect_error(with([](Inputs& in) { in.input = torch::randn({2, 0, 6, 6}); }), "C, H and W > 0");
  expect_error(with([](Inputs& in) { in.offset = torch::Tensor(); }), "offset is undefined");
}

}  // namespace
