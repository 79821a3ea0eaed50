// The file a cross-validation with a checkpoint leaves for every finished fold
// (model/cross_validation.h): the fold's out-of-fold probabilities and training figures, and
// the digest of the run that wrote it, as JSON. A resumed run takes the fold from it instead of
// training the fold again, so hours of folds survive an interruption.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/wafer_set.h"

namespace wdc {

struct FinishedFold {
  std::vector<float> probabilities;  // held-out maps x labels, in the fold's order
  bool single_label = false;         // the task of the fold's model
  int64_t train_samples = 0, val_samples = 0;
  int32_t best_epoch = 0;
  double seconds = 0;
};

// 16 hex digits (FNV-1a, 64 bit) of what decides a cross-validation's folds and models: the maps,
// their labels and sizes, the number of folds, the seed, the recipe (its fingerprint: network
// and initial weights) and the training options.
std::string cross_validation_digest(const data::WaferSet& data, int32_t folds, uint64_t seed,
                                    const std::string& recipe_fingerprint,
                                    const std::string& train_json);

// Written atomically (data::write_file_atomically); Error(kIo) when it cannot be.
void write_fold_file(const std::string& path, const std::string& digest, int32_t fold,
                     const FinishedFold& finished);

// Fold `fold` (1-based) of `held_out` maps and `labels` labels, as written above. Error(kIo)
// when the file cannot be read; kConfig when another cross-validation (another digest) or
// another fold wrote it; kFormat when it is not a fold file, is damaged, or holds other sizes
// or values that are not probabilities. The file's size is checked against what such a fold
// can take before it is read.
FinishedFold read_fold_file(const std::string& path, const std::string& digest, int32_t fold,
                            int64_t held_out, int64_t labels);

// A run's training checkpoints (P.foldK.ckpt, the trainer's own) carry no digest: the run file
// P.cv does, written before the first fold trains. A resumed run continues those checkpoints
// only when the run file is its own. write_run_file: atomically, DataError(kIo) when it cannot.
// run_file_is_ours: false when `path` does not exist; Error(kConfig) when another run wrote it,
// kFormat when it is damaged, kIo when it cannot be read.
void write_run_file(const std::string& path, const std::string& digest);
bool run_file_is_ours(const std::string& path, const std::string& digest);

// The same checks on a fold file's and a run file's text (for fuzzing); `what` names the file in
// errors.
FinishedFold parse_fold_file(const std::string& text, const std::string& what,
                             const std::string& digest, int32_t fold, int64_t held_out,
                             int64_t labels);
void check_run_file(const std::string& text, const std::string& what, const std::string& digest);

}  // namespace wdc
