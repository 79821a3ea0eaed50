// The network's description, read from and written to JSON. Every key is optional; missing keys
// take the seed network's values (four deformable 3x3 blocks of 32, 64, 128, 128 channels with
// strides 2, 1, 2, 2 over a raw 52x52 map, eight MixedWM38 labels).
//
//   {"input": {"height": 52, "width": 52, "encoding": "raw" | "onehot"},
//    "blocks": [{"channels": 32, "kernel": 3, "stride": 2, "modulated": false,
//                "deformable": true}, ...],
//    "dropout": 0.0, "labels": ["Center", ...], "seed": 0}
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace wdc::nn {

struct BlockConfig {
  int64_t channels = 32;
  int64_t kernel = 3;
  int64_t stride = 1;
  bool modulated = false;  // DCNv2 mask
  bool deformable = true;  // false: a plain convolution (for ablations and speed baselines)
};

struct NetworkConfig {
  int64_t input_height = 52;
  int64_t input_width = 52;
  std::string encoding = "raw";  // "raw": one plane of 0/1/2; "onehot": three 0/1 planes
  std::vector<BlockConfig> blocks;
  double dropout = 0.0;
  std::vector<std::string> labels;
  uint64_t seed = 0;  // initial weights

  int64_t input_channels() const { return encoding == "onehot" ? 3 : 1; }
};

// Parses and validates; throws wdc::Error(kConfig) naming the key, the expected and the actual
// value. Unknown keys are errors too, so a typo never passes silently.
NetworkConfig parse_network_config(const std::string& json_text);
nlohmann::json to_json(const NetworkConfig& config);

// The number of learnable parameters the network will have, computed from the config alone so
// that an oversized network is refused before its weights are allocated.
int64_t parameter_count(const NetworkConfig& config);

}  // namespace wdc::nn
