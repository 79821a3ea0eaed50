#include "nn/inference.h"

#include <torch/torch.h>

#include <algorithm>
#include <cstring>

namespace wdc::nn {

torch::Tensor maps_to_tensor(const uint8_t* maps, int64_t count, int64_t height, int64_t width,
                             const torch::Device& device) {
  torch::Tensor t = torch::empty({count, height, width}, torch::kUInt8);
  std::memcpy(t.data_ptr<uint8_t>(), maps, static_cast<size_t>(count * height * width));
  return device.is_cpu() ? t : t.to(device);
}

std::vector<float> predict_probabilities(WaferNet& net, const uint8_t* maps, int64_t count,
                                         int64_t height, int64_t width,
                                         const torch::Device& device, int64_t batch) {
  c10::InferenceMode inference;
  std::vector<float> out;
  out.reserve(static_cast<size_t>(count) * net->classifier_weight().size(0));
  for (int64_t begin = 0; begin < count; begin += batch) {
    const int64_t n = std::min(batch, count - begin);
    torch::Tensor x = maps_to_tensor(maps + begin * height * width, n, height, width, device);
    torch::Tensor p = net->probabilities(net->forward(x)).to(torch::kCPU).contiguous();
    out.insert(out.end(), p.data_ptr<float>(), p.data_ptr<float>() + p.numel());
  }
  return out;
}

}  // namespace wdc::nn
