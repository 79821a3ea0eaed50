// The op's GEMMs while oneDNN is switched off (ops/cpu/column_gemm.h): the op computes what it
// computes through oneDNN, in training and in inference mode, and bit for bit the same whatever
// the thread count.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "ops/cpu/column_gemm.h"
#include "ops/deform_conv2d.h"

namespace {

// oneDNN off for the guard's lifetime, as deterministic training switches it.
class OneDnnOff {
 public:
  OneDnnOff() : was_(at::globalContext().userEnabledMkldnn()) {
    at::globalContext().setUserEnabledMkldnn(false);
  }
  ~OneDnnOff() { at::globalContext().setUserEnabledMkldnn(was_); }

 private:
  bool was_;
};

struct Results {
  torch::Tensor output, grad_input, grad_offset, grad_weight, grad_bias, inference;
};

// 4 images of 32 channels at 20x20: 1,600 rows of columns, so two blocks of rows.
Results run_op(int threads) {
  at::set_num_threads(threads);
  torch::manual_seed(11);
  const auto input =
      torch::randn({4, 32, 20, 20}).contiguous(at::MemoryFormat::ChannelsLast).requires_grad_();
  const auto offset = (2 * torch::randn({4, 18, 20, 20})).requires_grad_();
  const auto weight = (0.1 * torch::randn({24, 32, 3, 3})).requires_grad_();
  const auto bias = torch::randn({24}).requires_grad_();
  const auto grad_output = torch::randn({4, 24, 20, 20});
  wdc::ops::DeformConv2dOptions options;
  options.padding = {1, 1};
  const auto output = wdc::ops::deform_conv2d(input, offset, weight, bias, {}, options);
  output.backward(grad_output);
  torch::Tensor inference;
  {
    c10::InferenceMode inference_mode;
    inference = wdc::ops::deform_conv2d(input, offset, weight, bias, {}, options);
  }
  return {output.detach(), input.grad(), offset.grad(), weight.grad(), bias.grad(), inference};
}

void expect_close(const Results& a, const Results& b) {
  EXPECT_TRUE(torch::allclose(a.output, b.output, 1e-4, 1e-4));
  EXPECT_TRUE(torch::allclose(a.inference, b.inference, 1e-4, 1e-4));
  EXPECT_TRUE(torch::allclose(a.grad_input, b.grad_input, 1e-4, 1e-4));
  EXPECT_TRUE(torch::allclose(a.grad_offset, b.grad_offset, 1e-4, 1e-4));
  EXPECT_TRUE(torch::allclose(a.grad_weight, b.grad_weight, 1e-3, 1e-3));
  EXPECT_TRUE(torch::allclose(a.grad_bias, b.grad_bias, 1e-3, 1e-3));
}

}  // namespace

TEST(ColumnGemm, TakesTheGemmsOnlyWhileOneDnnIsOff) {
  const auto columns = torch::zeros({2, 9, 4, 4}).contiguous(at::MemoryFormat::ChannelsLast);
  if (at::hasMKLDNN()) EXPECT_FALSE(wdc::ops::cpu::use_column_gemm(columns, 1));
  OneDnnOff off;
  EXPECT_TRUE(wdc::ops::cpu::use_column_gemm(columns, 1));
  EXPECT_FALSE(wdc::ops::cpu::use_column_gemm(columns, 3));
  EXPECT_FALSE(wdc::ops::cpu::use_column_gemm(columns.contiguous(), 1));
}

TEST(ColumnGemm, ComputesWhatOneDnnComputes) {
  const Results with_onednn = run_op(2);
  OneDnnOff off;
  expect_close(run_op(2), with_onednn);
}

TEST(ColumnGemm, GivesOneResultForEveryThreadCount) {
  OneDnnOff off;
  const Results one = run_op(1), two = run_op(2), three = run_op(3);
  for (const Results* other : {&two, &three}) {
    EXPECT_TRUE(torch::equal(one.output, other->output));
    EXPECT_TRUE(torch::equal(one.inference, other->inference));
    EXPECT_TRUE(torch::equal(one.grad_input, other->grad_input));
    EXPECT_TRUE(torch::equal(one.grad_offset, other->grad_offset));
    EXPECT_TRUE(torch::equal(one.grad_weight, other->grad_weight));
    EXPECT_TRUE(torch::equal(one.grad_bias, other->grad_bias));
  }
}
