// Training on a CUDA GPU against the same training on the CPU, float32 with TF32 off:
//   - the seed network, same weights, same batch: loss, every parameter's gradient and the
//     BatchNorm statistics after three SGD steps (momentum 0.9) agree;
//   - wdc::Classifier::train on device "cuda" (batches moved to the GPU by the trainer) gives the
//     CPU's epoch loss and the CPU's predictions afterwards.
// Builds with any LibTorch (it uses no CUDA header); every test skips where no GPU is visible.
#include <ATen/Context.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "model/classifier.h"
#include "nn/network_config.h"
#include "nn/wafer_net.h"

namespace {

#define SKIP_WITHOUT_CUDA()                                                                  \
  do {                                                                                       \
    if (!torch::cuda::is_available()) {                                                      \
      GTEST_SKIP() << "no CUDA device visible to LibTorch (torch::cuda::is_available() is "  \
                      "false)";                                                              \
    }                                                                                        \
  } while (0)

// float32 on both sides; TF32 would round the GPU's GEMM and convolution inputs to 10 bits.
void tf32_off() {
  at::globalContext().setAllowTF32CuBLAS(false);
  at::globalContext().setAllowTF32CuDNN(false);
}

// max |a - b| / max(max |a|, floor), a on the CPU (reference), b anywhere.
double relative_error(const torch::Tensor& a, const torch::Tensor& b, double floor = 1e-12) {
  const torch::Tensor ad = a.detach().to(torch::kCPU, torch::kDouble);
  const torch::Tensor bd = b.detach().to(torch::kCPU, torch::kDouble);
  const double scale = std::max(ad.abs().max().item<double>(), floor);
  return (ad - bd).abs().max().item<double>() / scale;
}

std::vector<torch::Tensor> state_of(wdc::nn::WaferNet& net) {
  std::vector<torch::Tensor> s = net->parameters();
  for (const auto& b : net->buffers()) s.push_back(b);
  return s;
}

TEST(TrainStepCuda, SeedNetworkSgdStepsMatchCpu) {
  SKIP_WITHOUT_CUDA();
  tf32_off();
  const wdc::nn::NetworkConfig config = wdc::nn::parse_network_config("");
  torch::manual_seed(0);
  wdc::nn::WaferNet cpu(config), gpu(config);
  {
    torch::NoGradGuard no_grad;
    const auto from = state_of(cpu), to = state_of(gpu);
    ASSERT_EQ(from.size(), to.size());
    for (size_t i = 0; i < from.size(); ++i) to[i].copy_(from[i]);
  }
  gpu->to(torch::kCUDA);
  cpu->train();
  gpu->train();

  torch::manual_seed(1);
  const torch::Tensor maps = torch::randint(0, 3, {32, config.input_height, config.input_width},
                                            torch::TensorOptions().dtype(torch::kUInt8));
  const int64_t labels_count =
      static_cast<int64_t>(config.labels.empty() ? 8 : config.labels.size());
  const torch::Tensor labels = torch::randint(0, 2, {32, labels_count}).to(torch::kFloat);
  const torch::Tensor maps_gpu = maps.to(torch::kCUDA), labels_gpu = labels.to(torch::kCUDA);

  const auto sgd = torch::optim::SGDOptions(0.01).momentum(0.9);
  torch::optim::SGD opt_cpu(cpu->parameters(), sgd), opt_gpu(gpu->parameters(), sgd);
  const auto params_cpu = cpu->named_parameters(), params_gpu = gpu->named_parameters();

  for (int step = 0; step < 3; ++step) {
    SCOPED_TRACE("step " + std::to_string(step));
    opt_cpu.zero_grad();
    opt_gpu.zero_grad();
    const torch::Tensor loss_cpu =
        torch::binary_cross_entropy_with_logits(cpu->forward(maps), labels);
    const torch::Tensor loss_gpu =
        torch::binary_cross_entropy_with_logits(gpu->forward(maps_gpu), labels_gpu);
    ASSERT_TRUE(loss_gpu.is_cuda());
    const double lc = loss_cpu.item<double>(), lg = loss_gpu.item<double>();
    EXPECT_LE(std::abs(lc - lg) / std::abs(lc), 1e-4) << "CPU loss " << lc << ", CUDA loss " << lg;
    loss_cpu.backward();
    loss_gpu.backward();
    for (const auto& item : params_cpu) {
      const torch::Tensor& g_cpu = item.value().grad();
      const torch::Tensor& g_gpu = params_gpu[item.key()].grad();
      ASSERT_TRUE(g_cpu.defined() && g_gpu.defined()) << item.key();
      // Gradients are sums over the batch and the pixels: 1e-3 of the largest entry.
      EXPECT_LE(relative_error(g_cpu, g_gpu, 1e-8), 1e-3) << "gradient of " << item.key();
    }
    opt_cpu.step();
    opt_gpu.step();
  }
  const auto buffers_cpu = cpu->named_buffers(), buffers_gpu = gpu->named_buffers();
  for (const auto& item : buffers_cpu) {
    if (!item.value().is_floating_point()) {  // num_batches_tracked
      EXPECT_TRUE(torch::equal(item.value(), buffers_gpu[item.key()].to(torch::kCPU)))
          << item.key();
      continue;
    }
    EXPECT_LE(relative_error(item.value(), buffers_gpu[item.key()]), 1e-4) << item.key();
  }
  for (const auto& item : params_cpu)
    EXPECT_LE(relative_error(item.value(), params_gpu[item.key()]), 1e-4)
        << "weights after 3 steps: " << item.key();
}

TEST(TrainStepCuda, ClassifierTrainOnCudaMatchesCpu) {
  SKIP_WITHOUT_CUDA();
  tf32_off();
  // 96 synthetic maps: 10% held out for validation, 3 steps of 32 (the last one partial).
  const std::string train_json =
      R"({"synthetic": 96, "epochs": 1, "batch_size": 32, "lr": 0.01, "momentum": 0.9})";
  wdc::RuntimeOptions on_cpu, on_gpu;
  on_gpu.device = "cuda";
  auto cpu = wdc::Classifier::create("", on_cpu);
  auto gpu = wdc::Classifier::create("", on_gpu);
  EXPECT_EQ(nlohmann::json::parse(gpu->info()).value("device", "").substr(0, 4), "cuda");
  const auto report_cpu = nlohmann::json::parse(cpu->train(train_json, nullptr));
  const auto report_gpu = nlohmann::json::parse(gpu->train(train_json, nullptr));
  ASSERT_EQ(report_cpu["history"].size(), 1u);
  ASSERT_EQ(report_gpu["history"].size(), 1u);
  EXPECT_EQ(report_cpu["train_samples"], report_gpu["train_samples"]);
  const double lc = report_cpu["history"][0]["loss"].get<double>();
  const double lg = report_gpu["history"][0]["loss"].get<double>();
  EXPECT_LE(std::abs(lc - lg) / std::abs(lc), 1e-4) << "CPU epoch loss " << lc << ", CUDA " << lg;

  // Predictions of the trained models on a few maps (0 off-wafer, 1 pass, 2 fail).
  std::vector<uint8_t> maps(static_cast<size_t>(4 * 52 * 52));
  for (size_t i = 0; i < maps.size(); ++i) maps[i] = static_cast<uint8_t>((i * 7919 + i / 13) % 3);
  const std::vector<float> pc = cpu->predict(maps.data(), 4, 52, 52);
  const std::vector<float> pg = gpu->predict(maps.data(), 4, 52, 52);
  ASSERT_EQ(pc.size(), pg.size());
  for (size_t i = 0; i < pc.size(); ++i) EXPECT_NEAR(pc[i], pg[i], 1e-4) << "probability " << i;
}

}  // namespace
