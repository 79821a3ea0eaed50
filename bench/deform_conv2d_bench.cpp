// deform_conv2d beside LibTorch's conv2d on the seed network's shapes (batch 32, float32):
// forward, and forward+backward. Prints Google Benchmark's table, then one line per shape with
// GFLOP/s of both and the ratio deform / conv2d, then where deform's time goes: the CPU sampling
// kernels (im2col in forward; col2im and the offset gradient in backward) timed on their own,
// and the rest (the GEMMs, layout copies, allocation).
//
//   build/bench/deform_conv2d_bench [--threads=N] [google benchmark flags]
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "model/cpu_buffer_cache.h"
#include "ops/deform_conv2d.h"
#include "ops/deform_conv2d_device.h"

namespace {

struct Shape {
  const char* name;
  int64_t in_channels, out_channels, size, stride;
};

// The seed network's four blocks, and a large shape where the GEMM dominates.
const Shape kShapes[] = {
    {"1->32 52x52 s2", 1, 32, 52, 2},     {"32->64 26x26 s1", 32, 64, 26, 1},
    {"64->128 26x26 s2", 64, 128, 26, 2}, {"128->128 13x13 s2", 128, 128, 13, 2},
    {"128->128 52x52 s1", 128, 128, 52, 1},
};
constexpr int64_t kBatch = 32, kKernel = 3, kPad = 1;

struct Problem {
  torch::Tensor input, offset, weight, bias;
  wdc::ops::DeformConv2dOptions options;
  double forward_flops;
};

Problem make_problem(const Shape& s, bool requires_grad) {
  torch::manual_seed(0);
  Problem p;
  const int64_t out = (s.size + 2 * kPad - kKernel) / s.stride + 1;
  p.input = torch::randn({kBatch, s.in_channels, s.size, s.size}).requires_grad_(requires_grad);
  p.offset = torch::randn({kBatch, 2 * kKernel * kKernel, out, out}).requires_grad_(requires_grad);
  p.weight = (torch::randn({s.out_channels, s.in_channels, kKernel, kKernel}) * 0.1)
                 .requires_grad_(requires_grad);
  p.bias = torch::zeros({s.out_channels}).requires_grad_(requires_grad);
  p.options.stride = {s.stride, s.stride};
  p.options.padding = {kPad, kPad};
  p.forward_flops = 2.0 * kBatch * s.out_channels * s.in_channels * kKernel * kKernel * out * out;
  return p;
}

enum class Op { kDeform, kConv2d };
enum class Pass { kForward, kForwardBackward };

torch::Tensor run(const Problem& p, Op op) {
  if (op == Op::kDeform)
    return wdc::ops::deform_conv2d(p.input, p.offset, p.weight, p.bias, {}, p.options);
  return torch::conv2d(p.input, p.weight, p.bias, p.options.stride, p.options.padding);
}

void bench(benchmark::State& state, const Shape& shape, Op op, Pass pass) {
  const bool backward = pass == Pass::kForwardBackward;
  const Problem p = make_problem(shape, backward);
  torch::NoGradGuard no_grad_when_forward_only;
  if (backward) torch::GradMode::set_enabled(true);
  for (auto _ : state) {
    torch::Tensor out = run(p, op);
    if (backward) out.sum().backward();
    benchmark::DoNotOptimize(out.data_ptr());
  }
  // Backward costs two GEMMs of the forward's size (grad-input, grad-weight).
  const double flops = p.forward_flops * (backward ? 3.0 : 1.0);
  state.counters["GFLOP/s"] =
      benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

enum class Kernel { kIm2col, kCol2im, kCoord };
const char* const kKernelNames[] = {"im2col", "col2im", "coord"};

// One CPU sampling kernel over the whole batch, on the layouts the op hands it (channels-last
// input and columns).
void bench_sampling(benchmark::State& state, const Shape& shape, Kernel kernel) {
  const Problem p = make_problem(shape, false);
  wdc::ops::DeformConv2dGeometry g;
  g.batch = kBatch;
  g.in_channels = shape.in_channels;
  g.height = g.width = shape.size;
  g.kernel_h = g.kernel_w = kKernel;
  g.stride_h = g.stride_w = shape.stride;
  g.pad_h = g.pad_w = kPad;
  g.out_h = g.out_w = p.offset.size(2);
  const torch::Tensor input = p.input.permute({0, 2, 3, 1}).contiguous();
  torch::Tensor columns = torch::randn({kBatch, g.out_h, g.out_w, g.column_rows()});
  torch::Tensor grad_input = torch::zeros_like(input), grad_offset = torch::empty_like(p.offset);
  torch::Tensor no_mask, no_grad_mask;
  for (auto _ : state) {
    switch (kernel) {
      case Kernel::kIm2col:
        wdc::ops::cpu::deformable_im2col(input, p.offset, no_mask, g, 0, kBatch, columns);
        break;
      case Kernel::kCol2im:
        wdc::ops::cpu::deformable_col2im(columns, p.offset, no_mask, g, 0, kBatch, grad_input);
        break;
      case Kernel::kCoord:
        wdc::ops::cpu::deformable_col2im_coord(columns, input, p.offset, no_mask, g, 0, kBatch,
                                               grad_offset, no_grad_mask);
        break;
    }
  }
}

// Console output as usual, plus the ratio table once every run is in.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs) {
      if (r.run_type != Run::RT_Iteration) continue;
      ms_[r.run_name.function_name] = r.GetAdjustedRealTime();
      auto it = r.counters.find("GFLOP/s");
      if (it != r.counters.end()) gflops_[r.run_name.function_name] = it->second.value;
    }
    ConsoleReporter::ReportRuns(runs);
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    std::printf("\n%-20s %-16s %12s %12s %8s\n", "shape", "pass", "deform GF/s", "conv2d GF/s",
                "ratio");
    for (const Shape& s : kShapes)
      for (const char* pass : {"forward", "fwd+bwd"}) {
        const std::string key = std::string(s.name) + "/" + pass;
        const double d = value("deform/" + key), c = value("conv2d/" + key);
        if (d > 0 && c > 0)
          std::printf("%-20s %-16s %12.1f %12.1f %8.2f\n", s.name, pass, d, c, d / c);
      }
    std::printf("\n%-20s %-8s %9s %9s %9s %9s %9s %9s\n", "deform, ms", "pass", "total",
                "im2col", "col2im", "coord", "sampling", "rest");
    for (const Shape& s : kShapes) {
      const std::string name(s.name);
      const double im2col = ms("sampling/" + name + "/im2col"),
                   col2im = ms("sampling/" + name + "/col2im"),
                   coord = ms("sampling/" + name + "/coord");
      const double forward = ms("deform/" + name + "/forward"),
                   both = ms("deform/" + name + "/fwd+bwd");
      if (forward > 0)
        std::printf("%-20s %-8s %9.2f %9.2f %9s %9s %9.2f %9.2f\n", s.name, "forward", forward,
                    im2col, "", "", im2col, forward - im2col);
      // Forward keeps its columns for backward when the batch's columns fit the op's 64 MiB
      // block; otherwise backward samples again.
      const int64_t out = (s.size + 2 * kPad - kKernel) / s.stride + 1;
      const bool kept = kBatch * s.in_channels * kKernel * kKernel * out * out * 4 <= (64 << 20);
      const double sampling = im2col * (kept ? 1 : 2) + col2im + coord;
      if (both > 0)
        std::printf("%-20s %-8s %9.2f %9.2f %9.2f %9.2f %9.2f %9.2f\n", s.name, "fwd+bwd", both,
                    im2col, col2im, coord, sampling, both - sampling);
    }
  }

 private:
  double value(const std::string& name) const {
    auto it = gflops_.find(name);
    return it == gflops_.end() ? 0.0 : it->second;
  }
  double ms(const std::string& name) const {
    auto it = ms_.find(name);
    return it == ms_.end() ? 0.0 : it->second;
  }
  std::map<std::string, double> gflops_, ms_;
};

}  // namespace

int main(int argc, char** argv) {
  int threads = static_cast<int>(std::thread::hardware_concurrency());
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--threads=", 10) == 0)
      threads = std::atoi(argv[i] + 10);
    else
      args.push_back(argv[i]);
  }
  at::set_num_threads(std::max(threads, 1));
  wdc::use_cpu_buffer_cache();  // as a Classifier does; both ops run with it
  for (const Shape& s : kShapes)
    for (Pass pass : {Pass::kForward, Pass::kForwardBackward})
      for (Op op : {Op::kDeform, Op::kConv2d}) {
        const std::string name = std::string(op == Op::kDeform ? "deform/" : "conv2d/") +
                                 s.name + (pass == Pass::kForward ? "/forward" : "/fwd+bwd");
        benchmark::RegisterBenchmark(name.c_str(), bench, s, op, pass)
            ->Unit(benchmark::kMillisecond)
            ->MinTime(0.5)
            ->UseRealTime();
      }
  for (const Shape& s : kShapes)
    for (Kernel k : {Kernel::kIm2col, Kernel::kCol2im, Kernel::kCoord})
      benchmark::RegisterBenchmark(
          (std::string("sampling/") + s.name + "/" + kKernelNames[static_cast<int>(k)]).c_str(),
          bench_sampling, s, k)
          ->Unit(benchmark::kMillisecond)
          ->MinTime(0.5)
          ->UseRealTime();
  int count = static_cast<int>(args.size());
  benchmark::Initialize(&count, args.data());
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
