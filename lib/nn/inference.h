// Running the network on wafer maps: batching, tensor conversion, device placement.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <vector>

#include "nn/wafer_net.h"

namespace wdc::nn {
class FoldedNetwork;
}

namespace wdc::nn {

// uint8 maps [count, h, w] (values already 0..2) as a tensor on `device`; copies.
torch::Tensor maps_to_tensor(const uint8_t* maps, int64_t count, int64_t height, int64_t width,
                             const torch::Device& device);

// What one pass of the network gives for each map, row-major; empty where not asked for.
struct NetworkOutputs {
  std::vector<float> probabilities;  // count x labels (WaferNetImpl::probabilities)
  std::vector<float> embeddings;     // count x embedding_size (WaferNetImpl::embed)
};

// Runs the network (or ensemble) over uint8 maps at its input size in batches of `batch` maps,
// keeping what is asked for; with `folded`, its blocks (lower precision, nn/folded_network.h)
// compute the features instead of net's. The network must be in eval mode; safe to call from
// several threads at once on one network.
NetworkOutputs run_network(WaferNet& net, const uint8_t* maps, int64_t count, int64_t height,
                           int64_t width, const torch::Device& device, bool probabilities,
                           bool embeddings, int64_t batch = 256,
                           const FoldedNetwork* folded = nullptr);

// The last block's features [N, C_last, h, w] in float32 from uint8 maps, through `folded`
// when given (as run_network); of one network, not an ensemble.
torch::Tensor network_features(WaferNet& net, const torch::Tensor& maps,
                               const FoldedNetwork* folded = nullptr);

// run_network's probabilities alone.
std::vector<float> predict_probabilities(WaferNet& net, const uint8_t* maps, int64_t count,
                                         int64_t height, int64_t width,
                                         const torch::Device& device, int64_t batch = 256);

}  // namespace wdc::nn
