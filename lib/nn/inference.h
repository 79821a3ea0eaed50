// Running the network on wafer maps: batching, tensor conversion, device placement.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <vector>

#include "nn/wafer_net.h"

namespace wdc::nn {

// uint8 maps [count, h, w] (values already 0..2) as a tensor on `device`; copies.
torch::Tensor maps_to_tensor(const uint8_t* maps, int64_t count, int64_t height, int64_t width,
                             const torch::Device& device);

// Probabilities (WaferNetImpl::probabilities), count x labels row-major, in batches of `batch`
// maps. The network must be in eval mode; safe to call from several threads at once on one network.
std::vector<float> predict_probabilities(WaferNet& net, const uint8_t* maps, int64_t count,
                                         int64_t height, int64_t width,
                                         const torch::Device& device, int64_t batch = 256);

}  // namespace wdc::nn
