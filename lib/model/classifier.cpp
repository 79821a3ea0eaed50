#include "model/classifier.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <shared_mutex>
#include <thread>

#include "base/error.h"
#include "data/resize.h"
#include "data/split.h"
#include "data/synth.h"
#include "io/model_file.h"
#include "io/weights_section.h"
#include "model/builtin_model.h"
#include "model/cpu_buffer_cache.h"
#include "nn/inference.h"
#include "nn/network_config.h"
#include "nn/wafer_net.h"
#include "train/metrics.h"
#include "train/thresholds.h"
#include "train/trainer.h"
#include "wdc_version.h"

namespace wdc {

using nlohmann::json;

struct Classifier::State {
  nn::NetworkConfig config;
  nn::WaferNet net{nullptr};
  std::vector<float> thresholds;  // per label; a label is predicted at probability >= threshold
  json training = json::object();  // options and history of the last training run
  torch::Device device{torch::kCPU};
  int threads = 0;  // per call; 0 = all cores
  Limits limits;
  // Shared by predict/cam/evaluate/info, exclusive for train/save; never waited on (kBusy).
  mutable std::shared_mutex mutex;
};

namespace {

// Model construction seeds LibTorch's global generator; serialise it across threads.
std::mutex& construction_mutex() {
  static std::mutex m;
  return m;
}

torch::Device resolve_device(const std::string& name) {
  const bool cuda = torch::cuda::is_available();
  if (name == "cpu") return torch::kCPU;
  if (name == "auto") return cuda ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
  if (name == "cuda") {
    if (!cuda)
      fail(ErrorCode::kUnsupported,
           "device \"cuda\" requested, but this build of wdc or this machine has no CUDA GPU");
    return torch::kCUDA;
  }
  fail(ErrorCode::kInvalidArgument,
       "device must be \"cpu\", \"cuda\" or \"auto\", got \"" + name + "\"");
}

// LibTorch's OpenMP thread count belongs to the calling thread, so every call that computes
// sets it for its own thread (cheaply: only when it differs).
void use_threads(int threads) {
  if (threads < 0) fail(ErrorCode::kInvalidArgument, "threads must be >= 0 (0 = all cores)");
  const int n = std::max(
      threads > 0 ? threads : static_cast<int>(std::thread::hardware_concurrency()), 1);
  if (at::get_num_threads() != n) at::set_num_threads(n);
}

std::shared_lock<std::shared_mutex> read_lock(std::shared_mutex& m, const char* what) {
  std::shared_lock<std::shared_mutex> lock(m, std::try_to_lock);
  if (!lock.owns_lock())
    fail(ErrorCode::kBusy, std::string(what) + ": the model is being trained or saved");
  return lock;
}

std::unique_lock<std::shared_mutex> write_lock(std::shared_mutex& m, const char* what) {
  std::unique_lock<std::shared_mutex> lock(m, std::try_to_lock);
  if (!lock.owns_lock())
    fail(ErrorCode::kBusy, std::string(what) + ": the model is in use by another call");
  return lock;
}

// Maps as the network takes them: the model's input size, values clamped to 0..2.
std::vector<uint8_t> prepare_maps(const uint8_t* maps, int64_t count, int64_t height,
                                  int64_t width, int64_t in_h, int64_t in_w) {
  std::vector<uint8_t> out;
  out.reserve(static_cast<size_t>(count * in_h * in_w));
  for (int64_t i = 0; i < count; ++i) {
    const uint8_t* map = maps + i * height * width;
    std::vector<uint8_t> resized = (height == in_h && width == in_w)
                                       ? std::vector<uint8_t>(map, map + height * width)
                                       : data::resize_nearest(map, height, width, in_h, in_w);
    for (uint8_t& v : resized) v = std::min<uint8_t>(v, data::kFail);
    out.insert(out.end(), resized.begin(), resized.end());
  }
  return out;
}

void check_map_args(const void* maps, int64_t count, int64_t height, int64_t width,
                    const Limits& limits) {
  if (maps == nullptr) fail(ErrorCode::kInvalidArgument, "maps is NULL");
  if (count < 1 || height < 1 || width < 1)
    fail(ErrorCode::kInvalidArgument, "count, height and width must be >= 1, got " +
                                          std::to_string(count) + ", " + std::to_string(height) +
                                          ", " + std::to_string(width));
  if (height > limits.max_map_side || width > limits.max_map_side)
    fail(ErrorCode::kInvalidArgument,
         "maps larger than max_map_side (" + std::to_string(limits.max_map_side) +
             ") are refused, got " + std::to_string(height) + "x" + std::to_string(width));
  if (count > limits.max_batch)
    fail(ErrorCode::kInvalidArgument, "more than max_batch (" +
                                          std::to_string(limits.max_batch) +
                                          ") maps in one call: " + std::to_string(count));
}

uint64_t file_limit(const Limits& limits) { return static_cast<uint64_t>(limits.max_file_bytes); }

// The network's parameters and buffers (BatchNorm statistics) by name: what a model file stores.
io::NamedTensors named_state(nn::WaferNet& net) {
  io::NamedTensors all;
  for (const auto& p : net->named_parameters()) all.emplace_back(p.key(), p.value());
  for (const auto& b : net->named_buffers()) all.emplace_back(b.key(), b.value());
  return all;
}

data::WaferSet load_training_set(const train::TrainOptions& o, const Limits& limits) {
  if (o.synthetic == 0) return data::load_wafer_npz(o.data, file_limit(limits));
  // Generated maps are held like maps read from a file, so the same limit bounds them.
  const int64_t bytes = o.synthetic * data::kSynthSize * data::kSynthSize;
  if (bytes > limits.max_file_bytes)
    fail(ErrorCode::kConfig, "training options: \"synthetic\": " + std::to_string(o.synthetic) +
                                 " maps take " + std::to_string(bytes) +
                                 " bytes, more than max_file_bytes (" +
                                 std::to_string(limits.max_file_bytes) + ")");
  return data::synthesize(o.synthetic, o.seed);
}

data::WaferSet fit_to_input(data::WaferSet set, int64_t h, int64_t w) {
  return set.height == h && set.width == w ? set : data::resize_nearest(set, h, w);
}

}  // namespace

void set_limit(Limits& limits, const std::string& name, int64_t value) {
  struct Entry {
    const char* name;
    int64_t Limits::*field;
    int64_t low, high;
  };
  static const Entry kEntries[] = {
      {"max_map_side", &Limits::max_map_side, 1, 65536},
      {"max_batch", &Limits::max_batch, 1, int64_t{1} << 31},
      {"max_file_bytes", &Limits::max_file_bytes, 1024, int64_t{1} << 40},
      {"max_parameters", &Limits::max_parameters, 1, int64_t{1} << 32},
  };
  for (const Entry& e : kEntries) {
    if (name != e.name) continue;
    if (value < e.low || value > e.high)
      fail(ErrorCode::kConfig, "limit \"" + name + "\" must be in [" + std::to_string(e.low) +
                                   ", " + std::to_string(e.high) + "], got " +
                                   std::to_string(value));
    limits.*e.field = value;
    return;
  }
  fail(ErrorCode::kConfig, "unknown limit \"" + name + "\" (known: \"max_map_side\", "
                           "\"max_batch\", \"max_file_bytes\", \"max_parameters\")");
}

Classifier::Classifier(std::unique_ptr<State> state) : state_(std::move(state)) {}
Classifier::~Classifier() = default;

std::unique_ptr<Classifier> Classifier::create(const std::string& config_json,
                                               const RuntimeOptions& runtime) {
  if (runtime.buffer_cache) use_cpu_buffer_cache();
  auto state = std::make_unique<State>();
  state->config = nn::parse_network_config(config_json);
  const int64_t parameters = nn::parameter_count(state->config);
  if (parameters > runtime.limits.max_parameters)
    fail(ErrorCode::kConfig, "network config: the network would have " +
                                 std::to_string(parameters) + " parameters, more than "
                                 "max_parameters (" +
                                 std::to_string(runtime.limits.max_parameters) + ")");
  state->device = resolve_device(runtime.device);
  use_threads(runtime.threads);
  state->threads = runtime.threads;
  state->limits = runtime.limits;
  {
    std::lock_guard<std::mutex> lock(construction_mutex());
    state->net = nn::WaferNet(state->config);
  }
  state->net->to(state->device);
  state->net->eval();
  state->thresholds.assign(state->config.labels.size(), 0.5f);
  return std::unique_ptr<Classifier>(new Classifier(std::move(state)));
}

std::unique_ptr<Classifier> Classifier::load(const std::string& path,
                                             const RuntimeOptions& runtime) {
  return from_file_contents(io::read_model_file(path, file_limit(runtime.limits)), path, runtime);
}

std::unique_ptr<Classifier> Classifier::load_builtin(const RuntimeOptions& runtime) {
  const std::string what = std::string("the built-in model ") + kBuiltinModelName;
  const std::string bytes(reinterpret_cast<const char*>(kBuiltinModel), kBuiltinModel_size);
  return from_file_contents(io::parse_model_file(bytes, what), what, runtime);
}

std::unique_ptr<Classifier> Classifier::from_file_contents(const io::ModelFileContents& file,
                                                           const std::string& what,
                                                           const RuntimeOptions& runtime) {
  std::unique_ptr<Classifier> c = create(file.config_json, runtime);
  State& s = *c->state_;
  try {
    const json meta = json::parse(file.metadata_json);
    s.thresholds = meta.at("thresholds").get<std::vector<float>>();
    s.training = meta.value("training", json::object());
    if (s.thresholds.size() != s.config.labels.size())
      fail(ErrorCode::kFormat, what + ": thresholds do not match the labels");
    io::decode_weights_into(file.weights, named_state(s.net), what);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    fail(ErrorCode::kFormat, what + ": the model's metadata or weights are invalid: " +
                                 std::string(e.what()).substr(0, 300));
  }
  s.net->eval();
  return c;
}

void Classifier::save(const std::string& path) {
  auto lock = write_lock(state_->mutex, "save");
  json meta = {{"format", "wdc model"},
               {"library_version", WDC_VERSION_STRING},
               {"labels", state_->config.labels},
               {"thresholds", state_->thresholds},
               {"training", state_->training}};
  io::write_model_file(path, {nn::to_json(state_->config).dump(), meta.dump(),
                              io::encode_weights(named_state(state_->net))});
}

int Classifier::num_labels() const { return static_cast<int>(state_->config.labels.size()); }
const std::vector<std::string>& Classifier::label_names() const { return state_->config.labels; }
int64_t Classifier::input_height() const { return state_->config.input_height; }
int64_t Classifier::input_width() const { return state_->config.input_width; }

std::vector<float> Classifier::predict(const uint8_t* maps, int64_t count, int64_t height,
                                       int64_t width) const {
  check_map_args(maps, count, height, width, state_->limits);
  auto lock = read_lock(state_->mutex, "predict");
  return predict_locked(maps, count, height, width);
}

std::vector<float> Classifier::predict_locked(const uint8_t* maps, int64_t count,
                                              int64_t height, int64_t width) const {
  use_threads(state_->threads);
  const int64_t h = input_height(), w = input_width();
  const std::vector<uint8_t> input = prepare_maps(maps, count, height, width, h, w);
  return nn::predict_probabilities(state_->net, input.data(), count, h, w, state_->device);
}

std::vector<float> Classifier::cam(const uint8_t* map, int64_t height, int64_t width,
                                   int label) const {
  check_map_args(map, 1, height, width, state_->limits);
  if (label < 0 || label >= num_labels())
    fail(ErrorCode::kInvalidArgument, "label index " + std::to_string(label) +
                                          " is out of range [0, " +
                                          std::to_string(num_labels()) + ")");
  auto lock = read_lock(state_->mutex, "cam");
  use_threads(state_->threads);
  const std::vector<uint8_t> input =
      prepare_maps(map, 1, height, width, input_height(), input_width());
  c10::InferenceMode inference;
  nn::WaferNet& net = state_->net;
  const torch::Tensor x =
      nn::maps_to_tensor(input.data(), 1, input_height(), input_width(), state_->device);
  const torch::Tensor features = net->features(net->encode(x));  // [1, C, h, w]
  // Zhou et al. 2016: the label's fully connected weights over the last feature maps.
  torch::Tensor cam = torch::einsum("c,nchw->nhw", {net->classifier_weight()[label], features});
  cam = torch::upsample_bilinear2d(cam.unsqueeze(1), {height, width}, false)
            .reshape({height, width})
            .to(torch::kCPU, torch::kFloat);
  const float lo = cam.min().item<float>(), hi = cam.max().item<float>();
  cam = hi > lo ? (cam - lo) / (hi - lo) : torch::zeros_like(cam);
  cam = cam.contiguous();
  return {cam.data_ptr<float>(), cam.data_ptr<float>() + cam.numel()};
}

std::string Classifier::train(const std::string& train_json, const ProgressFn& progress,
                              const TrainSets& given) {
  const train::TrainOptions options =
      train::parse_train_options(train_json, given.train != nullptr, given.val != nullptr);
  if (num_labels() != data::kNumLabels)
    fail(ErrorCode::kUnsupported, "train: MixedWM38 data has 8 labels, this network has " +
                                      std::to_string(num_labels()));
  for (const data::WaferSet* set : {given.train, given.val})
    if (set != nullptr && set->count == 0)
      fail(ErrorCode::kInvalidArgument, "train: a data set given for training holds no maps");
  auto lock = write_lock(state_->mutex, "train");
  use_threads(options.threads > 0 ? options.threads : state_->threads);
  const int64_t h = input_height(), w = input_width();
  data::WaferSet all = fit_to_input(
      given.train != nullptr ? *given.train : load_training_set(options, state_->limits), h, w);
  data::WaferSet train_set, val_set;
  if (given.val != nullptr) {
    train_set = std::move(all);
    val_set = fit_to_input(*given.val, h, w);
  } else if (!options.val.empty()) {
    train_set = std::move(all);
    val_set = fit_to_input(data::load_wafer_npz(options.val, file_limit(state_->limits)), h, w);
  } else {
    const data::Split split = data::stratified_split(all, options.val_fraction, 0, options.seed);
    train_set = data::subset(all, split.train);
    val_set = data::subset(all, split.val);
  }
  const train::TrainOutcome outcome =
      train::fit(state_->net, train_set, val_set, options, progress, state_->device);
  // The old thresholds belonged to the old weights.
  state_->thresholds.assign(num_labels(), 0.5f);
  if (options.tune_thresholds && val_set.count > 0)
    state_->thresholds = train::tune_thresholds(
        nn::predict_probabilities(state_->net, val_set.maps.data(), val_set.count, h, w,
                                     state_->device),
        val_set.labels, num_labels());
  json report = train::to_json(outcome);
  report["thresholds"] = state_->thresholds;
  state_->training = {{"options", train::to_json(options)},
                      {"history", report["history"]},
                      {"best_epoch", outcome.best_epoch},
                      {"best_val_exact_match", outcome.best_val_exact_match},
                      {"train_samples", outcome.train_samples},
                      {"val_samples", outcome.val_samples},
                      {"seconds", outcome.seconds}};
  return report.dump();
}

train::EvalReport Classifier::evaluate(const data::WaferSet& set) const {
  if (set.count == 0) fail(ErrorCode::kInvalidArgument, "evaluate: the data set is empty");
  if (num_labels() != data::kNumLabels)
    fail(ErrorCode::kUnsupported, "evaluate: MixedWM38 data has 8 labels, this network has " +
                                      std::to_string(num_labels()));
  Limits whole_set = state_->limits;  // a file's maps are predicted in bounded chunks
  whole_set.max_batch = INT64_MAX;
  check_map_args(set.maps.data(), set.count, set.height, set.width, whole_set);
  // One lock over predictions and thresholds: a training run in between would mix models.
  auto lock = read_lock(state_->mutex, "evaluate");
  const std::vector<float> p = predict_locked(set.maps.data(), set.count, set.height, set.width);
  return train::evaluate_predictions(p, set.labels, state_->config.labels, state_->thresholds);
}

train::EvalReport Classifier::evaluate_file(const std::string& npz_path) const {
  return evaluate(data::load_wafer_npz(npz_path, file_limit(state_->limits)));
}

Classification Classifier::classify(const uint8_t* maps, int64_t count, int64_t height,
                                    int64_t width) const {
  check_map_args(maps, count, height, width, state_->limits);
  auto lock = read_lock(state_->mutex, "classify");
  Classification result;
  result.probabilities = predict_locked(maps, count, height, width);
  result.present = train::apply_thresholds(result.probabilities, state_->thresholds);
  return result;
}

std::vector<float> Classifier::thresholds() const {
  auto lock = read_lock(state_->mutex, "thresholds");
  return state_->thresholds;
}

int Classifier::label_index(const std::string& text) const {
  const auto& names = state_->config.labels;
  const int n = static_cast<int>(names.size());
  auto lower = [](std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  if (!text.empty() &&
      std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    const long index = text.size() <= 6 ? std::stol(text) : n;
    if (index < n) return static_cast<int>(index);
    fail(ErrorCode::kInvalidArgument, "label index " + text + " is out of range: the model has " +
                                          std::to_string(n) + " labels (0-" +
                                          std::to_string(n - 1) + ")");
  }
  for (int i = 0; i < n; ++i)
    if (lower(names[i]) == lower(text)) return i;
  for (int k = 0; k < data::kNumLabels; ++k) {  // MixedWM38's short names, for its labels
    if (lower(data::kLabelShortNames[k]) != lower(text)) continue;
    for (int i = 0; i < n; ++i)
      if (names[i] == data::kLabelNames[k]) return i;
  }
  std::string choices;
  for (int i = 0; i < n; ++i) choices += (i ? ", " : "") + names[i];
  fail(ErrorCode::kInvalidArgument, "unknown label '" + text + "': expected one of " + choices +
                                        " or an index 0-" + std::to_string(n - 1));
}

std::string Classifier::info() const {
  auto lock = read_lock(state_->mutex, "info");
  int64_t parameters = 0;
  for (const auto& p : state_->net->parameters()) parameters += p.numel();
  return json{{"library_version", WDC_VERSION_STRING},
              {"config", nn::to_json(state_->config)},
              {"labels", state_->config.labels},
              {"short_labels", data::short_label_names(state_->config.labels)},
              {"thresholds", state_->thresholds},
              {"parameters", parameters},
              {"device", state_->device.str()},
              {"training", state_->training}}
      .dump();
}

}  // namespace wdc
