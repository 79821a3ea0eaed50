// The network's description, read from and written to JSON. Every key is optional; missing keys
// take the seed network's values (four deformable 3x3 blocks of 32, 64, 128, 128 channels with
// strides 2, 1, 2, 2 over a raw 52x52 map, eight MixedWM38 labels, multi-label).
//
//   {"input": {"height": 52, "width": 52, "encoding": "raw" | "onehot",
//              "fit": "resize" | "pad", "fail_fraction": false},
//    "blocks": [{"channels": 32, "kernel": 3, "stride": 2, "modulated": false,
//                "deformable": true}, ...],
//    "dropout": 0.0, "labels": ["Center", ...], "task": "multi_label" | "single_label",
//    "seed": 0}
//
// task: "multi_label" (any set of labels per map: sigmoid per label, per-label thresholds) or
// "single_label" (one class per map: softmax over the classes, the most probable one decides).
// Without "labels" the names (and, without "task", the task) come from the first training data.
// fit: how a map of another size becomes the input: "resize" (nearest neighbour, so 0/1/2 stay)
// or "pad" (centred on an off-wafer canvas; a larger map is first shrunk, keeping its aspect).
// ensemble: 2 to 16 member networks in place of "blocks", "dropout", "seed" and the input's
// "encoding" and "fail_fraction" (each member has those keys); the members are trained together,
// each on its own loss (so each learns as it would alone), and the ensemble's probabilities are
// the mean of theirs.
// fail_fraction: one more input plane holding the share of failed dies among the map's wafer
// dies, the same value everywhere. A sum over the whole map is what convolutions and an average
// pool only approximate, and it is what separates some classes (MixedWM38's Near_Full from
// Random lies at a share of about 0.69 to 0.73).
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
  std::string fit = "resize";    // "resize" or "pad"
  bool fail_fraction = false;    // an input plane of the map's share of failed wafer dies
  std::vector<BlockConfig> blocks;
  double dropout = 0.0;
  std::vector<std::string> labels;
  bool labels_given = false;  // "labels" was in the config (else the training data names them)
  std::string task = "multi_label";
  bool task_given = false;
  uint64_t seed = 0;  // initial weights

  // An ensemble (`"ensemble": [member, ...]`): its member networks, each with its own input
  // encoding and fail_fraction, blocks, dropout and seed; the input size, fit, labels and task
  // are the ensemble's. Empty for one network.
  std::vector<NetworkConfig> ensemble;

  bool is_ensemble() const { return !ensemble.empty(); }
  // Member i as a network of its own: its keys with the ensemble's input size, fit, labels and
  // task.
  NetworkConfig member(size_t i) const;
  int64_t input_channels() const {
    return (encoding == "onehot" ? 3 : 1) + (fail_fraction ? 1 : 0);
  }
  bool single_label() const { return task == "single_label"; }
};

// Parses and validates; throws wdc::Error(kConfig) naming the key, the expected and the actual
// value. Unknown keys are errors too, so a typo never passes silently.
NetworkConfig parse_network_config(const std::string& json_text);
nlohmann::json to_json(const NetworkConfig& config);

// The number of learnable parameters the network will have, computed from the config alone so
// that an oversized network is refused before its weights are allocated.
int64_t parameter_count(const NetworkConfig& config);

}  // namespace wdc::nn
