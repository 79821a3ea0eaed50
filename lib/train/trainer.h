// The training loop: binary cross-entropy on logits, SGD with momentum, optional symmetry
// augmentation and cosine schedule; validation exact match after every epoch; the best epoch's
// weights kept; a checkpoint after every epoch from which a killed run resumes to the same
// result as an uninterrupted one (each epoch draws from its own seed).
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "data/wafer_set.h"
#include "train/progress.h"
#include "nn/wafer_net.h"
#include "train/train_options.h"

namespace wdc::train {

class ProcessGroup;

struct EpochRecord {
  int32_t epoch = 0;
  double loss = 0;             // mean training loss
  double val_exact_match = 0;  // at threshold 0.5
  double seconds = 0;
};

struct TrainOutcome {
  std::vector<EpochRecord> history;
  int32_t best_epoch = 0;  // 0: no epoch completed
  double best_val_exact_match = -1;
  int64_t train_samples = 0, val_samples = 0;
  double seconds = 0;  // this call's wall time
  int64_t steps = 0;   // optimizer steps this call took
  double collective_seconds = 0;  // of `seconds`, in collectives across ranks (0 alone)
};

// Trains `net` in place. On return (and when cancelled through `progress`, which then throws
// Error(kCancelled)) the network holds the weights of the best completed epoch, or its weights
// before the call if no epoch completed.
// With a `group` of ranks (data-parallel training), each rank runs on the same data its share of
// every global batch (batch_size maps per rank), the gradients and BatchNorm's statistics are
// summed across the ranks, every rank holds the same weights after each step and picks the same
// best epoch, and rank 0 alone writes the checkpoint. A rank that fails or is cancelled makes the
// others fail within the group's timeout.
TrainOutcome fit(nn::WaferNet& net, const data::WaferSet& train_set, const data::WaferSet& val_set,
                 const TrainOptions& options, const ProgressFn& progress,
                 const torch::Device& device, ProcessGroup* group = nullptr);

nlohmann::json to_json(const TrainOutcome& outcome);

}  // namespace wdc::train
