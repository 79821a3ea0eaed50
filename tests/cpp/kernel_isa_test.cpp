// The CPU sampling kernels' builds per ISA (ops/cpu/kernel_isa.h): a pin chooses the build its
// thread's calls run — autograd's backward included, which deterministic training relies on —
// other threads keep the CPU's best, and every build computes the same op within rounding.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <thread>
#include <vector>

#include "ops/cpu/bf16_support.h"
#include "ops/cpu/kernel_isa.h"
#include "ops/deform_conv2d.h"

using wdc::ops::cpu::kernel_isa;
using wdc::ops::cpu::KernelIsa;
using wdc::ops::cpu::KernelIsaPin;
using wdc::ops::cpu::supported_kernel_isa;

namespace {

struct Results {
  torch::Tensor output, grad_input, grad_offset, grad_mask, grad_weight;
};

// A modulated 3x3 op over 32 channels (enough for the builds' vector sums to differ in order),
// forward and backward through autograd, with every input drawn from one seed.
Results run_op() {
  torch::manual_seed(7);
  const auto input = torch::randn({2, 32, 9, 9}).requires_grad_();
  const auto offset = (1.5 * torch::randn({2, 18, 9, 9})).requires_grad_();
  const auto mask = torch::rand({2, 9, 9, 9}).requires_grad_();
  const auto weight = (0.1 * torch::randn({16, 32, 3, 3})).requires_grad_();
  const auto grad_output = torch::randn({2, 16, 9, 9});
  wdc::ops::DeformConv2dOptions options;
  options.padding = {1, 1};
  const auto output = wdc::ops::deform_conv2d(input, offset, weight, {}, mask, options);
  output.backward(grad_output);
  return {output.detach(), input.grad(), offset.grad(), mask.grad(), weight.grad()};
}

std::vector<KernelIsa> builds_here() {
  std::vector<KernelIsa> builds;
  for (KernelIsa isa :
       {KernelIsa::kBaseline, KernelIsa::kAvx2, KernelIsa::kAvx512, KernelIsa::kAvx512Bf16})
    if (isa <= supported_kernel_isa()) builds.push_back(isa);
  return builds;
}

}  // namespace

TEST(KernelIsa, PinsNestRestoreAndStayOnTheirThread) {
  const KernelIsa best = supported_kernel_isa();
  EXPECT_EQ(kernel_isa(), best);
  {
    KernelIsaPin outer(KernelIsa::kBaseline);
    EXPECT_EQ(kernel_isa(), KernelIsa::kBaseline);
    KernelIsa elsewhere = KernelIsa::kBaseline;
    std::thread([&] { elsewhere = kernel_isa(); }).join();
    EXPECT_EQ(elsewhere, best);
    {
      KernelIsaPin inner(best);
      EXPECT_EQ(kernel_isa(), best);
    }
    EXPECT_EQ(kernel_isa(), KernelIsa::kBaseline);
  }
  EXPECT_EQ(kernel_isa(), best);
}

TEST(KernelIsa, PinningABuildTheCpuLacksIsAnError) {
  if (supported_kernel_isa() == KernelIsa::kAvx512Bf16) GTEST_SKIP() << "this CPU runs every build";
  try {
    KernelIsaPin pin(KernelIsa::kAvx512Bf16);
    FAIL() << "pinned a build the CPU cannot run";
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what_without_backtrace()).find("avx512_bf16 build cannot run here"),
              std::string::npos)
        << e.what_without_backtrace();
  }
  EXPECT_EQ(kernel_isa(), supported_kernel_isa());
}

TEST(KernelIsa, EveryBuildComputesTheSameOp) {
  Results baseline;
  {
    KernelIsaPin pin(KernelIsa::kBaseline);
    baseline = run_op();
  }
  for (KernelIsa isa : builds_here()) {
    SCOPED_TRACE(wdc::ops::cpu::kernel_isa_name(isa));
    KernelIsaPin pin(isa);
    const Results r = run_op();
    EXPECT_TRUE(torch::allclose(r.output, baseline.output, 1e-5, 1e-5));
    EXPECT_TRUE(torch::allclose(r.grad_input, baseline.grad_input, 1e-5, 1e-5));
    EXPECT_TRUE(torch::allclose(r.grad_offset, baseline.grad_offset, 1e-5, 1e-5));
    EXPECT_TRUE(torch::allclose(r.grad_mask, baseline.grad_mask, 1e-5, 1e-5));
    EXPECT_TRUE(torch::allclose(r.grad_weight, baseline.grad_weight, 1e-4, 1e-4));
  }
}

// bfloat16 inference's sampling has a build of its own per level, the AVX512_BF16 one narrowing
// with the CPU's instructions: each gives the baseline build's output within bfloat16 rounding
// (a column value may round the other way when its float sum differs in the last bit). 64
// channels: the runs the AVX512_BF16 build's own loop takes.
TEST(KernelIsa, EveryBuildComputesTheSameBfloat16Forward) {
  if (!wdc::ops::cpu::cpu_has_native_bf16())
    GTEST_SKIP() << "no native bfloat16 here: " << wdc::ops::cpu::native_bf16_missing_reason();
  torch::manual_seed(3);
  const auto input = torch::randn({2, 64, 9, 9})
                         .contiguous(torch::MemoryFormat::ChannelsLast)
                         .to(torch::kBFloat16);
  const auto offset = 1.5 * torch::randn({2, 18, 9, 9});
  const auto mask = torch::rand({2, 9, 9, 9});
  const auto weight = (0.1 * torch::randn({16, 64, 3, 3}))
                          .contiguous(torch::MemoryFormat::ChannelsLast)
                          .to(torch::kBFloat16);
  wdc::ops::DeformConv2dOptions options;
  options.padding = {1, 1};
  c10::InferenceMode inference;
  const auto forward = [&] {
    return wdc::ops::deform_conv2d(input, offset, weight, {}, mask, options).to(torch::kFloat);
  };
  torch::Tensor baseline;
  {
    KernelIsaPin pin(KernelIsa::kBaseline);
    baseline = forward();
  }
  const double scale = baseline.abs().max().item<double>();
  for (KernelIsa isa : builds_here()) {
    SCOPED_TRACE(wdc::ops::cpu::kernel_isa_name(isa));
    KernelIsaPin pin(isa);
    const auto out = forward();
    EXPECT_TRUE(torch::allclose(out, baseline, 1e-2, 1e-2 * scale))
        << "max diff " << (out - baseline).abs().max().item<double>() << " of " << scale;
  }
}

// The offset gradient comes from the backward sampling kernel alone (the GEMM before it does
// not depend on the build), so it differing between two pins shows the pin reached backward.
TEST(KernelIsa, ThePinReachesAutogradsBackward) {
  if (supported_kernel_isa() < KernelIsa::kAvx2) GTEST_SKIP() << "one build runs here";
  Results baseline, avx2, avx2_again;
  {
    KernelIsaPin pin(KernelIsa::kBaseline);
    baseline = run_op();
  }
  {
    KernelIsaPin pin(KernelIsa::kAvx2);
    avx2 = run_op();
    avx2_again = run_op();
  }
  EXPECT_FALSE(torch::equal(baseline.grad_offset, avx2.grad_offset));
  EXPECT_TRUE(torch::equal(avx2.grad_offset, avx2_again.grad_offset));
  EXPECT_TRUE(torch::equal(avx2.output, avx2_again.output));
}
