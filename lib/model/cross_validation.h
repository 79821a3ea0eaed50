// k-fold cross-validation of a training recipe: figures for choosing recipes that do not fit one
// small validation split (a rare class's 23 validation maps move its F1 by 0.02 each).
#pragma once

#include <cstdint>
#include <string>

#include "data/wafer_set.h"
#include "model/classifier.h"
#include "train/progress.h"

namespace wdc {

// The options of cross_validate, checked (Error(kConfig) naming the problem): "folds", and the
// training options every fold's training gets (with novelty_bank 0), as JSON text.
struct CrossValidationOptions {
  int32_t folds = 5;
  uint64_t seed = 0;
  bool tune_thresholds = false;
  bool keep_probabilities = false;
  std::string checkpoint;  // path prefix of the fold files; empty: none
  bool resume = false;
  std::string train_json;  // without "checkpoint" and "resume", which are per fold
};
CrossValidationOptions parse_cross_validation_options(const std::string& options_json);

// Cuts `data` (and `more` when not null, pooled after it) into `folds` stratified folds
// (data::stratified_folds, by the options' "seed") and, for each fold, trains an untrained copy of
// `recipe` (its network and run-time options) on the other folds, as Classifier::train with these
// maps and no validation set (so "val_fraction" of them is held out for choosing the epoch and,
// with "tune_thresholds", the thresholds, as usual), then predicts the fold's maps. Each fold is
// scored with thresholds chosen on the out-of-fold predictions of the other folds (with
// "tune_thresholds"; else 0.5), never on the maps they score.
//
// options_json: the training options of Classifier::train, plus "folds" (2 to 100, default 5)
// and "keep_probabilities" (default false: true adds each map's out-of-fold probabilities);
// "data", "synthetic", "val" and the data-parallel options are refused (the maps are given),
// and novelty statistics are not computed (novelty_bank 0). `progress` sees every fold's
// batches with `fold`/`folds` set.
//
// "checkpoint" (a path prefix P) keeps the work of a long run: fold k's training writes its
// checkpoint P.foldK.ckpt after every epoch, and a finished fold leaves its out-of-fold
// predictions in P.foldK.json (the fold's checkpoint is then removed); P.cv names the run. With
// "resume": true a finished fold's file is read instead of training the fold again, and an
// unfinished fold with a checkpoint continues from it if P.cv is this run's; the fold files and
// P.cv hold a digest of the data, the folds, the recipe and the options, and those written by
// another cross-validation are refused (kConfig), as are damaged ones (kFormat). Without
// "resume" every fold trains afresh and overwrites them.
//
// Returns the report as JSON text: "folds", "seed", "samples", "task", "seconds"; "assignment"
// (each map's fold, 1-based, in the set's order); "fold_results"
// (per fold: "fold", "train_samples", "held_out_samples", "best_epoch", "seconds",
// "from_file" (true: taken from its fold file by a resumed run; "seconds" are then the fold's
// first training's), "thresholds", "metrics" in `wdc eval --json`'s schema); "summary" (per metric:
// "metric", "mean", "std" (the sample standard deviation over the folds), "values" per fold, null
// where a fold holds none of a type); "out_of_fold" (every map scored once, by the model that did
// not see it, in `wdc eval --json`'s schema); with "keep_probabilities", "probabilities" (per map,
// in the set's order, the probabilities the model that did not see it gave).
// Errors: kConfig (options; fold files of another run), kFormat (a damaged fold file), kIo
// (fold files that cannot be read or written), kInvalidArgument (fewer maps than folds; `data` and
// `more` of different labels; data of other labels than the recipe's), kCancelled (progress
// returned true), and those of Classifier::train.
std::string cross_validate(const Classifier& recipe, const std::string& options_json,
                           const data::WaferSet& data, const data::WaferSet* more,
                           const ProgressFn& progress);

}  // namespace wdc
