// Training options, read from the JSON that wdc_train / Classifier::train take. Every key is
// optional except a data source ("data" or "synthetic"):
//
//   data          path of a MixedWM38-layout npz with the training maps
//   synthetic     number of generated maps to train on instead (demos, tests)
//   val           path of an npz for validation; without it val_fraction of the data is split
//                 off, stratified by pattern type (default 0.1)
//   epochs 20, batch_size 32, lr 0.01, momentum 0.9, weight_decay 0, nesterov false,
//   schedule "constant" | "cosine" (per step, to 0 at the end), warmup_epochs 0,
//   augment false (random rotations by 90 degrees and flips: they keep every label),
//   seed 0, threads 0 (= all cores), checkpoint "" (path written after every epoch),
//   resume false (continue from the checkpoint), pos_weight 1 (BCE weight of positive labels),
//   tune_thresholds false (choose per-label decision thresholds on the validation maps),
//   min_type_samples 0 (each epoch repeats the maps of any pattern type, or of any class of a
//   single-label set, with fewer training maps than this until it has this many, so rare types
//   such as Near_Full weigh more),
//   init "" (a model file, or "builtin", whose weights the network starts from: fine-tuning;
//   its head too when it has the same labels and task),
//   novelty_k 5, novelty_bank 4096, novelty_share 0.01 (novelty, search/novelty.h: each map's
//   novelty is 1 - its cosine similarity to the novelty_k-th nearest of a seeded sample of at
//   most novelty_bank training maps, and the model calls a map unknown above the threshold that
//   flags novelty_share of the validation maps; novelty_bank 0: no novelty),
//   world_size 1, rank 0, dist_url "", dist_timeout 300 (data-parallel training, docs/
//   DISTRIBUTED.md: world_size processes, each given its rank, meet at dist_url,
//   "tcp://HOST:PORT" (rank 0 listens there) or "env://" (MASTER_ADDR and MASTER_PORT, and
//   WORLD_SIZE and RANK unless given, from the environment, as torchrun sets them); batch_size
//   is per rank; every collective waits at most dist_timeout seconds for the other ranks;
//   sync_batch_norm false: in training BatchNorm normalises by each rank's share of the batch,
//   as PyTorch's DistributedDataParallel does, and the running statistics are averaged over the
//   ranks after every epoch; true: by the whole global batch's statistics, so N ranks train
//   the model that one process trains with N times the batch, at two more round trips per
//   BatchNorm layer and step),
//   deterministic false (true: the same weights, bit for bit, on any x86-64 CPU with AVX2 and
//   FMA and any thread count, at some speed; CPU only; model/deterministic_training.h)
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>

namespace wdc::train {

struct TrainOptions {
  std::string data;
  int64_t synthetic = 0;
  std::string val;
  double val_fraction = 0.1;
  int32_t epochs = 20;
  int64_t batch_size = 32;
  double lr = 0.01;
  double momentum = 0.9;
  double weight_decay = 0;
  bool nesterov = false;
  std::string schedule = "constant";
  int32_t warmup_epochs = 0;
  bool augment = false;
  uint64_t seed = 0;
  int32_t threads = 0;
  std::string checkpoint;
  bool resume = false;
  double pos_weight = 1.0;
  bool tune_thresholds = false;
  int64_t min_type_samples = 0;
  std::string init;
  int64_t novelty_k = 5;
  int64_t novelty_bank = 4096;
  double novelty_share = 0.01;
  int32_t world_size = 1;
  int32_t rank = 0;
  std::string dist_url;  // as given; "env://" resolved into dist_host and dist_port
  std::string dist_host;
  int32_t dist_port = 0;
  double dist_timeout = 300;
  bool sync_batch_norm = false;
  bool deterministic = false;
};

// Throws wdc::Error(kConfig) naming the bad key; unknown keys are errors. `data_given`: the
// caller hands the training maps over in memory, so "data" and "synthetic" must be absent
// (otherwise exactly one of them is required); `val_given`: likewise the validation maps, so
// "val" and "val_fraction" must be absent.
TrainOptions parse_train_options(const std::string& json_text, bool data_given = false,
                                 bool val_given = false);
nlohmann::json to_json(const TrainOptions& options);

}  // namespace wdc::train
