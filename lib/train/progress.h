// What a training run reports after every batch, and the callback that receives it: the one
// progress type of the trainer, the Classifier and the doors above it. Free of LibTorch.
#pragma once

#include <cstdint>
#include <functional>

namespace wdc {

struct TrainProgress {
  int32_t epoch = 0, epochs = 0;  // 1-based
  int64_t step = 0, steps = 0;    // batches done in this epoch, batches per epoch
  double loss = 0;                // mean training loss so far in this epoch
  double val_exact_match = -1;    // after an epoch's validation, else -1
  int32_t fold = 0, folds = 0;    // cross-validation: the fold being trained (1-based); else 0
};
// Returns true to cancel training (it then throws Error(kCancelled)).
using ProgressFn = std::function<bool(const TrainProgress&)>;

}  // namespace wdc
