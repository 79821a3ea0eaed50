// Training and inference throughput (wafers/s) of the seed network, beside the same network
// with every deformable convolution replaced by a plain conv2d — the practical limit, since the
// deformable version does the same arithmetic plus the sampling.
//
//   build/bench/network_bench [--threads=N] [--seconds=S] [--json]
// Also reports one 52x52 map through Classifier::predict (median of 1,000 calls), the peak
// resident memory and, where the CPU has native bfloat16, inference at the "bf16" precision
// (nn::FoldedNetwork, what Classifier runs under it).
#include <sys/resource.h>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "data/synth.h"
#include "model/classifier.h"
#include "model/cpu_buffer_cache.h"
#include "nn/folded_network.h"
#include "nn/network_config.h"
#include "nn/wafer_net.h"
#include "ops/cpu/bf16_support.h"

namespace wdc {
namespace {

using Clock = std::chrono::steady_clock;

std::string seed_network(bool deformable) {
  nlohmann::json blocks = nlohmann::json::array();
  const int channels[] = {32, 64, 128, 128}, strides[] = {2, 1, 2, 2};
  for (int i = 0; i < 4; ++i)
    blocks.push_back({{"channels", channels[i]}, {"stride", strides[i]}, {"deformable", deformable}});
  return nlohmann::json{{"blocks", blocks}}.dump();
}

// Runs `step` repeatedly for at least `seconds` after one warm-up call; returns calls/s.
template <typename Step>
double rate(double seconds, Step step) {
  step();
  int calls = 0;
  const auto start = Clock::now();
  double elapsed = 0;
  do {
    step();
    ++calls;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  } while (elapsed < seconds);
  return calls / elapsed;
}

struct Throughput {
  double train, infer;
  double infer_bf16 = 0;  // 0: not measured (no native bfloat16)
};

Throughput measure(bool deformable, const data::WaferSet& set, double seconds) {
  nn::WaferNet net(nn::parse_network_config(seed_network(deformable)));
  torch::optim::SGD optimizer(net->parameters(), torch::optim::SGDOptions(0.01).momentum(0.9));
  const auto maps = torch::from_blob(const_cast<uint8_t*>(set.maps.data()),
                                     {set.count, set.height, set.width}, torch::kUInt8);
  const auto labels = torch::from_blob(const_cast<uint8_t*>(set.labels.data()),
                                       {set.count, data::kNumLabels}, torch::kUInt8)
                          .to(torch::kFloat);
  const int64_t train_batch = 32, infer_batch = 256;
  Throughput t{};
  net->train();
  t.train = train_batch * rate(seconds, [&] {
              optimizer.zero_grad();
              auto loss = torch::binary_cross_entropy_with_logits(
                  net->forward(maps.narrow(0, 0, train_batch)), labels.narrow(0, 0, train_batch));
              loss.backward();
              optimizer.step();
            });
  net->eval();
  t.infer = infer_batch * rate(seconds, [&] {
              c10::InferenceMode guard;
              net->forward(maps.narrow(0, 0, infer_batch));
            });
  if (ops::cpu::cpu_has_native_bf16()) {
    const nn::FoldedNetwork folded(net, torch::kBFloat16);
    t.infer_bf16 = infer_batch * rate(seconds, [&] {
                     c10::InferenceMode guard;
                     net->head(folded.features(net->encode(maps.narrow(0, 0, infer_batch))));
                   });
  }
  return t;
}

double single_map_predict_ms(const data::WaferSet& set) {
  auto model = Classifier::create(seed_network(true));
  std::vector<float> out;
  for (int i = 0; i < 20; ++i) out = model->predict(set.map(i), 1, 52, 52);
  std::vector<double> ms;
  for (int i = 0; i < 1000; ++i) {
    const auto start = Clock::now();
    out = model->predict(set.map(i % set.count), 1, 52, 52);
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  std::nth_element(ms.begin(), ms.begin() + ms.size() / 2, ms.end());
  return ms[ms.size() / 2];
}

double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;
}

}  // namespace
}  // namespace wdc

int main(int argc, char** argv) {
  int threads = static_cast<int>(std::thread::hardware_concurrency());
  double seconds = 5;
  bool json_output = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--threads=", 10) == 0) threads = std::atoi(argv[i] + 10);
    else if (std::strncmp(argv[i], "--seconds=", 10) == 0) seconds = std::atof(argv[i] + 10);
    else if (std::strcmp(argv[i], "--json") == 0) json_output = true;
    else {
      std::fprintf(stderr, "usage: network_bench [--threads=N] [--seconds=S] [--json]\n");
      return 2;
    }
  }
  at::set_num_threads(std::max(threads, 1));
  wdc::use_cpu_buffer_cache();  // as a Classifier does; both networks run with it
  const wdc::data::WaferSet set = wdc::data::synthesize(256, 1);
  // Deformable training first: its peak memory is the one the targets speak of.
  const wdc::Throughput deform = wdc::measure(true, set, seconds);
  const double train_rss = wdc::peak_rss_mib();
  const wdc::Throughput plain = wdc::measure(false, set, seconds);
  const double predict_ms = wdc::single_map_predict_ms(set);
  if (json_output) {
    std::printf("%s\n", nlohmann::json{{"threads", threads},
                                       {"train_wafers_per_s", {{"deform", deform.train}, {"plain", plain.train}}},
                                       {"infer_wafers_per_s", {{"deform", deform.infer}, {"plain", plain.infer}}},
                                       {"infer_bf16_wafers_per_s",
                                        deform.infer_bf16 > 0
                                            ? nlohmann::json{{"deform", deform.infer_bf16},
                                                             {"plain", plain.infer_bf16}}
                                            : nlohmann::json(nullptr)},
                                       {"predict_one_map_ms_median", predict_ms},
                                       {"peak_rss_mib_training", train_rss}}
                             .dump()
                             .c_str());
    return 0;
  }
  std::printf("seed network, %d threads, float32\n", threads);
  std::printf("%-28s %12s %12s %8s\n", "", "deformable", "plain conv", "ratio");
  std::printf("%-28s %12.1f %12.1f %8.2f\n", "train wafers/s (batch 32)", deform.train,
              plain.train, deform.train / plain.train);
  std::printf("%-28s %12.1f %12.1f %8.2f\n", "infer wafers/s (batch 256)", deform.infer,
              plain.infer, deform.infer / plain.infer);
  if (deform.infer_bf16 > 0)
    std::printf("%-28s %12.1f %12.1f %8.2f\n", "infer bf16 wafers/s (256)", deform.infer_bf16,
                plain.infer_bf16, deform.infer_bf16 / plain.infer_bf16);
  std::printf("%-28s %12.2f\n", "predict 1 map, median ms", predict_ms);
  std::printf("%-28s %12.0f\n", "peak RSS training, MiB", train_rss);
  return 0;
}
