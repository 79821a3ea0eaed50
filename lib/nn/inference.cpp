#include "nn/inference.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>

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

namespace {

// One batch's probabilities [N, labels] and embeddings [N, embedding_size] (undefined where not
// wanted). An ensemble's: the mean of its members' probabilities, and their embeddings side by
// side, each scaled by 1/sqrt(members) so that the whole has unit length.
std::pair<torch::Tensor, torch::Tensor> batch_outputs(WaferNet& net, const torch::Tensor& maps,
                                                      const FoldedNetwork* folded,
                                                      bool probabilities, bool embeddings) {
  if (!net->is_ensemble()) {
    const torch::Tensor features = network_features(net, maps, folded);
    return {probabilities ? net->probabilities(net->head(features)) : torch::Tensor(),
            embeddings ? WaferNetImpl::embed(WaferNetImpl::pool(features)) : torch::Tensor()};
  }
  const auto& members = net->members();
  const double count = static_cast<double>(members.size());
  torch::Tensor sum;
  std::vector<torch::Tensor> parts;
  for (size_t m = 0; m < members.size(); ++m) {
    WaferNet member(members[m]);
    auto [p, e] = batch_outputs(member, maps, folded ? &folded->member(m) : nullptr, probabilities,
                                embeddings);
    if (probabilities) sum = m == 0 ? p : sum + p;
    if (embeddings) parts.push_back(e / std::sqrt(count));
  }
  return {probabilities ? sum / count : torch::Tensor(),
          embeddings ? torch::cat(parts, 1) : torch::Tensor()};
}

}  // namespace

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
    const auto [p, e] = batch_outputs(net, x, folded, probabilities, embeddings);
    if (probabilities) append(out.probabilities, p);
    if (embeddings) append(out.embeddings, e);
  }
  return out;
}

std::vector<float> predict_probabilities(WaferNet& net, const uint8_t* maps, int64_t count,
                                         int64_t height, int64_t width, const torch::Device& device,
                                         int64_t batch) {
  return run_network(net, maps, count, height, width, device, true, false, batch).probabilities;
}

}  // namespace wdc::nn
