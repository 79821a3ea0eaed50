#include "nn/inference.h"

#include <torch/torch.h>

#include <algorithm>
#include <cstring>

#include "nn/folded_network.h"

namespace wdc::nn {

torch::Tensor maps_to_tensor(const uint8_t* maps, int64_t count, int64_t height, int64_t width,
                             const torch::Device& device) {
  torch::Tensor t = torch::empty({count, height, width}, torch::kUInt8);
  std::memcpy(t.data_ptr<uint8_t>(), maps, static_cast<size_t>(count * height * width));
  return device.is_cpu() ? t : t.to(device);
}

namespace {

void append(std::vector<float>& out, const torch::Tensor& t) {
  const torch::Tensor cpu = t.to(torch::kCPU).contiguous();
  out.insert(out.end(), cpu.data_ptr<float>(), cpu.data_ptr<float>() + cpu.numel());
}

}  // namespace

torch::Tensor network_features(WaferNet& net, const torch::Tensor& maps,
                               const FoldedNetwork* folded) {
  const torch::Tensor encoded = net->encode(maps);
  return folded != nullptr ? folded->features(encoded) : net->features(encoded);
}

NetworkOutputs run_network(WaferNet& net, const uint8_t* maps, int64_t count, int64_t height,
                           int64_t width, const torch::Device& device, bool probabilities,
                           bool embeddings, int64_t batch, const FoldedNetwork* folded) {
  c10::InferenceMode inference;
  NetworkOutputs out;
  if (probabilities) out.probabilities.reserve(static_cast<size_t>(count) * net->num_labels());
  if (embeddings) out.embeddings.reserve(static_cast<size_t>(count) * net->embedding_size());
  for (int64_t begin = 0; begin < count; begin += batch) {
    const int64_t n = std::min(batch, count - begin);
    const torch::Tensor x = maps_to_tensor(maps + begin * height * width, n, height, width, device);
    const torch::Tensor features = network_features(net, x, folded);
    if (probabilities) append(out.probabilities, net->probabilities(net->head(features)));
    if (embeddings) append(out.embeddings, WaferNetImpl::embed(WaferNetImpl::pool(features)));
  }
  return out;
}

std::vector<float> predict_probabilities(WaferNet& net, const uint8_t* maps, int64_t count,
                                         int64_t height, int64_t width, const torch::Device& device,
                                         int64_t batch) {
  return run_network(net, maps, count, height, width, device, true, false, batch).probabilities;
}

}  // namespace wdc::nn
