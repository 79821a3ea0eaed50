// wdc::ops::deform_conv2d timed on one device, forward and forward+backward, float32, batch 32,
// on the seed network's shapes (3x3, padding 1, bias, no mask, offsets ~ N(0, 1)) and a large
// 128->128 52x52 one. tools/deform_conv2d_torchvision_bench.py times torchvision.ops.deform_conv2d
// on exactly the same problems and the same way; tools/gpu-check.sh puts the two side by side.
//
//   deform_conv2d_gpu_bench [--device cuda|cpu] [--iters N] [--rounds R]
//
// Timing: after 5 untimed calls, R rounds of N calls each, the device synchronised before and
// after each round (torch::cuda::synchronize), wall time / N per round; the best round is
// reported (milliseconds per call). forward+backward = the op, then out.backward(grad_out) into
// input, offset, weight and bias, their .grad reset to undefined before each call (as Python's
// `t.grad = None`), so no accumulation kernel runs. TF32 is off for cuBLAS and cuDNN, as in
// PyTorch's defaults for matmul; the Python side sets the same. One line per shape and pass:
//   BENCH impl=wdc pass=fwd shape=1->32_52x52_s2 ms=0.123
#include <ATen/Context.h>
#include <torch/cuda.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "ops/deform_conv2d.h"

namespace {

struct Shape {
  const char* name;
  int64_t in_channels, out_channels, size, stride;
};
const Shape kShapes[] = {
    {"1->32_52x52_s2", 1, 32, 52, 2},     {"32->64_26x26_s1", 32, 64, 26, 1},
    {"64->128_26x26_s2", 64, 128, 26, 2}, {"128->128_13x13_s2", 128, 128, 13, 2},
    {"128->128_52x52_s1", 128, 128, 52, 1},
};
constexpr int64_t kBatch = 32, kKernel = 3, kPad = 1;

using Clock = std::chrono::steady_clock;

void sync(const torch::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize();
}

template <typename F>
double best_ms(const torch::Device& device, int iters, int rounds, F&& call) {
  for (int i = 0; i < 5; ++i) call();
  double best = 1e30;
  for (int r = 0; r < rounds; ++r) {
    sync(device);
    const auto start = Clock::now();
    for (int i = 0; i < iters; ++i) call();
    sync(device);
    best = std::min(best, std::chrono::duration<double, std::milli>(Clock::now() - start).count() /
                              iters);
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  std::string device_name = "cuda";
  int iters = 20, rounds = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i];
    if (key == "--device") device_name = argv[i + 1];
    else if (key == "--iters") iters = std::atoi(argv[i + 1]);
    else if (key == "--rounds") rounds = std::atoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "usage: deform_conv2d_gpu_bench [--device cuda|cpu] [--iters N] "
                           "[--rounds R]\n");
      return 2;
    }
  }
  if (device_name == "cuda" && !torch::cuda::is_available()) {
    std::printf("BENCH skipped: no CUDA device visible to LibTorch\n");
    return 0;
  }
  const torch::Device device(device_name);
  at::globalContext().setAllowTF32CuBLAS(false);
  at::globalContext().setAllowTF32CuDNN(false);

  for (const Shape& s : kShapes) {
    torch::manual_seed(0);
    const int64_t out = (s.size + 2 * kPad - kKernel) / s.stride + 1;
    const auto f32 = torch::TensorOptions().dtype(torch::kFloat).device(device);
    const torch::Tensor input = torch::randn({kBatch, s.in_channels, s.size, s.size}, f32);
    const torch::Tensor offset = torch::randn({kBatch, 2 * kKernel * kKernel, out, out}, f32);
    const torch::Tensor weight =
        torch::randn({s.out_channels, s.in_channels, kKernel, kKernel}, f32) * 0.1;
    const torch::Tensor bias = torch::randn({s.out_channels}, f32);
    const torch::Tensor grad_out = torch::randn({kBatch, s.out_channels, out, out}, f32);
    wdc::ops::DeformConv2dOptions options;
    options.stride = {s.stride, s.stride};
    options.padding = {kPad, kPad};

    double fwd = 0;
    {
      torch::NoGradGuard no_grad;
      fwd = best_ms(device, iters, rounds, [&] {
        (void)wdc::ops::deform_conv2d(input, offset, weight, bias, {}, options);
      });
    }
    std::vector<torch::Tensor> leaves = {input.detach().requires_grad_(true),
                                         offset.detach().requires_grad_(true),
                                         weight.detach().requires_grad_(true),
                                         bias.detach().requires_grad_(true)};
    const double fwdbwd = best_ms(device, iters, rounds, [&] {
      for (auto& t : leaves) t.mutable_grad() = torch::Tensor();
      torch::Tensor y =
          wdc::ops::deform_conv2d(leaves[0], leaves[1], leaves[2], leaves[3], {}, options);
      y.backward(grad_out);
    });
    std::printf("BENCH impl=wdc pass=fwd shape=%s ms=%.4f\n", s.name, fwd);
    std::printf("BENCH impl=wdc pass=fwdbwd shape=%s ms=%.4f\n", s.name, fwdbwd);
    std::fflush(stdout);
  }
  return 0;
}
