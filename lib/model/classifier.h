// wdc::Classifier: the wafer-map classifier as one object — the network built from its JSON
// config, the label names, per-label decision thresholds and the training history. It is what
// the C ABI, the bindings and the CLI call; this header is free of LibTorch so that those layers
// compile quickly.
//
// Threading: predict, cam, evaluate and info may run concurrently on one object (they take a
// shared lock); train, load_weights and save take the lock exclusively, and a call that finds
// the object in use by another thread fails at once with ErrorCode::kBusy rather than waiting.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "data/wafer_set.h"
#include "train/metrics.h"
#include "train/progress.h"

namespace wdc {

namespace io {
struct ModelFileContents;
}
namespace nn {
class FoldedNetwork;
}

// Bounds that protect the host process from oversized input: going past one is an error
// raised before anything is allocated for it (docs/RELIABILITY.md lists them).
struct Limits {
  int64_t max_map_side = 4096;                  // predict/cam: height and width
  int64_t max_batch = 65536;                    // predict: maps per call
  int64_t max_file_bytes = int64_t{2} << 30;    // a model file, or one array of an npz file
  int64_t max_parameters = 50'000'000;          // a network built from a config or model file
};

// Sets the limit called `name` ("max_map_side", "max_batch", "max_file_bytes",
// "max_parameters"); Error(kConfig) naming the key and its range for an unknown name or a value
// out of range.
void set_limit(Limits& limits, const std::string& name, int64_t value);

struct RuntimeOptions {
  std::string device = "cpu";  // "cpu", "cuda" or "auto"
  int threads = 0;             // per call; 0 = by the work (threads_for_work)
  Limits limits;
  // Install the process-wide cache of large CPU buffers (model/cpu_buffer_cache.h) if no model
  // did before; false leaves LibTorch's allocator as it is.
  bool buffer_cache = true;
  // Size OpenBLAS's own thread pool to this many threads for the whole process
  // (model/openblas_threads.h); 0 leaves it as it is.
  int openblas_threads = 1;
  // Novelty above which a map is unknown, instead of the threshold calibrated in training
  // (NaN: the model's).
  float novelty_threshold = std::numeric_limits<float>::quiet_NaN();
  // What inference computes in (model/precision.h): "fp32", "bf16" (Error(kUnsupported) where
  // the CPU has no native bfloat16) or "auto" (bf16 where it has, else fp32). Training, and
  // what training derives (thresholds, novelty statistics), is always float32.
  std::string precision = "fp32";
};

// Probabilities and the decisions the model's thresholds make of them, and how novel each map
// is (search/novelty.h).
struct Classification {
  std::vector<float> probabilities;  // count x num_labels, row-major
  std::vector<uint8_t> present;      // count x num_labels: 1 where probability >= threshold
  std::vector<float> novelty;        // per map; NaN when the model has no novelty statistics
  std::vector<uint8_t> unknown;      // per map: 1 where novelty > the novelty threshold
};

// What Classifier::fit_novelty reports: the statistics it kept and the threshold it chose.
struct NoveltySummary {
  int64_t k = 0;
  int64_t bank = 0;  // training maps kept for the search
  float threshold = 0;
  double calibration_share = 0;  // share of the calibration maps the threshold flags ...
  int64_t calibration_maps = 0;  // ... out of these
};

// Maps handed to Classifier::train in memory instead of through the options' "data" /
// "synthetic" and "val" (either may be null: then the options name that source).
struct TrainSets {
  const data::WaferSet* train = nullptr;
  const data::WaferSet* val = nullptr;
};

class Classifier {
 public:
  // An untrained classifier from a network config (JSON text; empty = the seed network).
  static std::unique_ptr<Classifier> create(const std::string& config_json,
                                            const RuntimeOptions& runtime = {});
  // A classifier from a .wdcm model file.
  static std::unique_ptr<Classifier> load(const std::string& path,
                                          const RuntimeOptions& runtime = {});
  // The MixedWM38 model shipped with this library: models/mixedwm38-dcn.wdcm, embedded in the
  // library when it was built (model/builtin_model.h).
  static std::unique_ptr<Classifier> load_builtin(const RuntimeOptions& runtime = {});
  // A new classifier of this one's network config (its labels only if the config named them or
  // training gave them) and run-time options, with freshly drawn weights: one run of a recipe,
  // as cross-validation trains one per fold.
  std::unique_ptr<Classifier> untrained_copy() const;
  ~Classifier();
  Classifier(const Classifier&) = delete;
  Classifier& operator=(const Classifier&) = delete;

  // Atomically writes the model file (temporary file + rename).
  void save(const std::string& path);

  int num_labels() const;
  const std::vector<std::string>& label_names() const;
  // One class per map (softmax, argmax) rather than any set of labels (sigmoid, thresholds).
  bool single_label() const;
  int64_t input_height() const;
  int64_t input_width() const;

  // Probabilities, count x num_labels (a sigmoid per label; for a single-label model a softmax,
  // so each row sums to 1), for count row-major maps of height x width values (0 off-wafer,
  // 1 pass, >= 2 fail). Maps of another size than the input become input per the config's
  // "fit" (nearest-neighbour resizing or padding).
  std::vector<float> predict(const uint8_t* maps, int64_t count, int64_t height,
                             int64_t width) const;
  // predict, and the decisions of the model's thresholds, under one lock (so a training run in
  // between cannot pair one model's probabilities with another's thresholds).
  Classification classify(const uint8_t* maps, int64_t count, int64_t height,
                          int64_t width) const;
  // classify for every map of a set, whatever their sizes.
  Classification classify_set(const data::WaferSet& set) const;
  // Per label, the probability from which the label counts as present (multi-label models).
  std::vector<float> thresholds() const;
  // The novelty above which a map is unknown: the run-time option if given, else the one
  // calibrated in training; NaN when the model has no novelty statistics.
  float novelty_threshold() const;
  // Novelty of each map (maps as for predict); Error(kUnsupported) without novelty statistics.
  std::vector<float> novelty(const uint8_t* maps, int64_t count, int64_t height,
                             int64_t width) const;
  // novelty for every map of a set, whatever their sizes.
  std::vector<float> novelty_set(const data::WaferSet& set) const;
  // (Re)computes the novelty statistics of a trained model, as training does at its end: the
  // embeddings of `train` (a seeded sample of at most `bank` maps), then the threshold that
  // flags `share` of the maps of `val` (maps of the known classes). Takes the lock exclusively.
  NoveltySummary fit_novelty(const data::WaferSet& train, const data::WaferSet& val, int64_t k,
                             int64_t bank, double share, uint64_t seed);
  // The index of a label given as its name (case-insensitive), a MixedWM38 short name ("EL")
  // when the labels are MixedWM38's, or a decimal index; Error(kInvalidArgument) listing the
  // choices otherwise.
  int label_index(const std::string& text) const;
  // Length of a map's embedding: the channels of the network's last block.
  int64_t embedding_size() const;
  // Per map, count x embedding_size values: the network's pooled features scaled to unit length
  // (so a dot product is a cosine similarity); maps as for predict.
  std::vector<float> embed(const uint8_t* maps, int64_t count, int64_t height, int64_t width) const;
  // embed for every map of a set, whatever their sizes.
  std::vector<float> embed_set(const data::WaferSet& set) const;
  // Sixteen hex digits that identify the network's config and weights: an index of embeddings
  // records its model's, so that it is never queried with another model's embeddings, and
  // info() shows it, so that two models' weights compare at a glance.
  std::string fingerprint() const;
  // Class activation map of `label` for one map, at the map's own size, scaled to [0, 1].
  std::vector<float> cam(const uint8_t* map, int64_t height, int64_t width, int label) const;

  // Trains per `train_json` (see docs/TRAINING.md: data, val, epochs, batch_size, lr, init, ...),
  // returns the report as JSON text. Keeps the best epoch by validation exact match (accuracy,
  // for a single-label model). A model whose config named no labels takes the training data's
  // (and its task); otherwise the data's labels must be the model's. With "init" the network
  // starts from another model's weights (its head too where the labels are the same).
  std::string train(const std::string& train_json, const ProgressFn& progress,
                    const TrainSets& given = {});
  // Metrics on a labelled set (the doors write them as `wdc eval --json`'s schema with
  // train::to_json).
  train::EvalReport evaluate(const data::WaferSet& set) const;
  train::EvalReport evaluate_file(const std::string& npz_path) const;
  // Config, labels, thresholds, training metadata, library version and the run-time device and
  // precision as JSON text.
  std::string info() const;

 private:
  struct State;
  // `what` names the source (a path) in error messages.
  static std::unique_ptr<Classifier> from_file_contents(const io::ModelFileContents& file,
                                                        const std::string& what,
                                                        const RuntimeOptions& runtime);
  // One pass of the network over maps of one size, or over a set: the probabilities and the
  // embeddings into the vectors given (null: not wanted), at the run-time precision unless
  // `float32` (what training derives and stores). The caller holds the read lock.
  void run_locked(const uint8_t* maps, int64_t count, int64_t height, int64_t width,
                  std::vector<float>* probabilities, std::vector<float>* embeddings) const;
  void run_set_locked(const data::WaferSet& set, std::vector<float>* probabilities,
                      std::vector<float>* embeddings, bool float32 = false) const;
  std::vector<float> predict_set_locked(const data::WaferSet& set) const;
  // The bfloat16 network of the current weights under the run-time precision bf16, made on
  // first use; null under fp32.
  std::shared_ptr<const nn::FoldedNetwork> folded_locked() const;
  // Novelty and unknown flags of maps from their embeddings, into `result` (NaN and 0 without
  // novelty statistics).
  void add_novelty_locked(const std::vector<float>& embeddings, Classification& result) const;
  float novelty_threshold_locked() const;
  std::string fingerprint_locked() const;
  NoveltySummary fit_novelty_locked(const data::WaferSet& train, const data::WaferSet& val,
                                    int64_t k, int64_t bank, double share, uint64_t seed,
                                    std::vector<float>* val_probabilities);
  // Before training on `set`: the config takes the data's labels (and task) if it named none
  // (Error when it named others), with a new head and every other weight kept; then `init`
  // (a model file or "builtin", may be empty) lends its weights. All or nothing.
  void prepare_network(const data::WaferSet& set, const std::string& init);
  // Builds the state's network from its config, weights freshly drawn, thresholds at 0.5.
  static std::unique_ptr<Classifier> with_new_network(std::unique_ptr<State> state);
  explicit Classifier(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace wdc
