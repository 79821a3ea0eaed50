#include "model/classifier.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <optional>
#include <shared_mutex>

#include "base/error.h"
#include "data/resize.h"
#include "data/split.h"
#include "data/wafer_file.h"
#include "data/synth.h"
#include "io/model_file.h"
#include "io/weights_section.h"
#include "model/builtin_model.h"
#include "model/cpu_buffer_cache.h"
#include "model/cpu_threads.h"
#include "model/deterministic_training.h"
#include "model/openblas_threads.h"
#include "model/precision.h"
#include "nn/folded_network.h"
#include "nn/inference.h"
#include "nn/network_config.h"
#include "nn/wafer_net.h"
#include "search/novelty.h"
#include "train/metrics.h"
#include "train/process_group.h"
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
  std::optional<search::Novelty> novelty;  // none until training (or fit_novelty) computes it
  float novelty_threshold = std::numeric_limits<float>::quiet_NaN();  // run-time override
  torch::Device device{torch::kCPU};
  Precision precision = Precision::kFloat32;
  // The bfloat16 network of the current weights, made on first use after they last changed
  // (null until then, and always with float32).
  mutable std::mutex folded_mutex;
  mutable std::shared_ptr<const nn::FoldedNetwork> folded;
  int threads = 0;  // per call; 0 = by the work (threads_for_work)
  Limits limits;
  // Shared by predict/cam/evaluate/info, exclusive for train/save; never waited on (kBusy).
  mutable std::shared_mutex mutex;
  // fingerprint(), computed on first use after the weights last changed ("" until then).
  mutable std::mutex fingerprint_mutex;
  mutable std::string fingerprint;
};

namespace {

// Maps per pass of the network in predict, classify, embed and evaluate.
constexpr int64_t kInferenceBatch = 256;

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
  const int n = threads > 0 ? threads : machine_cores();
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

// One map as the network takes it: the model's input size (per the config's fit), values
// clamped to 0..2, appended to `out`.
void append_input(const uint8_t* map, int64_t height, int64_t width, const nn::NetworkConfig& c,
                  std::vector<uint8_t>& out) {
  const int64_t in_h = c.input_height, in_w = c.input_width;
  const size_t start = out.size();
  if (height == in_h && width == in_w)
    out.insert(out.end(), map, map + height * width);
  else if (c.fit == "pad") {
    const std::vector<uint8_t> padded = data::pad_centered(map, height, width, in_h, in_w);
    out.insert(out.end(), padded.begin(), padded.end());
  } else {
    const std::vector<uint8_t> resized = data::resize_nearest(map, height, width, in_h, in_w);
    out.insert(out.end(), resized.begin(), resized.end());
  }
  for (size_t i = start; i < out.size(); ++i) out[i] = std::min<uint8_t>(out[i], data::kFail);
}

// Appends a network output to the caller's vector, when the caller asked for it.
void append_to(std::vector<float>* out, const std::vector<float>& values) {
  if (out != nullptr) out->insert(out->end(), values.begin(), values.end());
}

// Maps of one size as the network takes them.
std::vector<uint8_t> prepare_maps(const uint8_t* maps, int64_t count, int64_t height, int64_t width,
                                  const nn::NetworkConfig& c) {
  std::vector<uint8_t> out;
  out.reserve(static_cast<size_t>(count * c.input_height * c.input_width));
  for (int64_t i = 0; i < count; ++i)
    append_input(maps + i * height * width, height, width, c, out);
  return out;
}

// Maps first .. first + count - 1 of a set (of any sizes) as the network takes them.
std::vector<uint8_t> prepare_set(const data::WaferSet& set, int64_t first, int64_t count,
                                 const nn::NetworkConfig& c) {
  std::vector<uint8_t> out;
  out.reserve(static_cast<size_t>(count * c.input_height * c.input_width));
  for (int64_t i = first; i < first + count; ++i)
    append_input(set.map(i), set.rows(i), set.cols(i), c, out);
  return out;
}

// The set at the network's input size, for training.
data::WaferSet fit_to_input(const data::WaferSet& set, const nn::NetworkConfig& c) {
  if (!set.mixed_sizes() && set.height == c.input_height && set.width == c.input_width) return set;
  data::WaferSet out;
  out.count = set.count;
  out.height = c.input_height;
  out.width = c.input_width;
  out.labels = set.labels;
  out.label_names = set.label_names;
  out.single_label = set.single_label;
  out.maps = prepare_set(set, 0, set.count, c);
  return out;
}

std::string joined(const std::vector<std::string>& names) {
  std::string s;
  for (const std::string& n : names) s += (s.empty() ? "" : ", ") + n;
  return s;
}

// Error(kInvalidArgument) unless the set's labels are the model's, by name and order.
void require_labels(const data::WaferSet& set, const nn::NetworkConfig& c, const char* what) {
  if (set.names() != c.labels)
    fail(ErrorCode::kInvalidArgument, std::string(what) + ": the data's labels (" +
                                          joined(set.names()) + ") are not the model's (" +
                                          joined(c.labels) + ")");
  if (!c.single_label()) return;
  for (int64_t i = 0; i < set.count; ++i) {
    const auto n = std::count(set.label(i), set.label(i) + set.num_labels(), 1);
    if (n != 1)
      fail(ErrorCode::kInvalidArgument, std::string(what) + ": map " + std::to_string(i) + " has " +
                                            std::to_string(n) +
                                            " labels; a single-label model needs exactly one");
  }
}

void check_map_args(const void* maps, int64_t count, int64_t height, int64_t width,
                    const Limits& limits) {
  if (count < 1 || height < 1 || width < 1)
    fail(ErrorCode::kInvalidArgument, "count, height and width must be >= 1, got " +
                                          std::to_string(count) + ", " + std::to_string(height) +
                                          ", " + std::to_string(width));
  if (maps == nullptr) fail(ErrorCode::kInvalidArgument, "maps is NULL");
  if (height > limits.max_map_side || width > limits.max_map_side)
    fail(ErrorCode::kInvalidArgument,
         "maps larger than max_map_side (" + std::to_string(limits.max_map_side) +
             ") are refused, got " + std::to_string(height) + "x" + std::to_string(width));
  if (count > limits.max_batch)
    fail(ErrorCode::kInvalidArgument, "more than max_batch (" +
                                          std::to_string(limits.max_batch) +
                                          ") maps in one call: " + std::to_string(count));
}

// check_map_args for every map of a set, which is predicted in bounded chunks.
void check_set_maps(const data::WaferSet& set, const Limits& limits) {
  Limits whole_set = limits;
  whole_set.max_batch = INT64_MAX;
  if (!set.mixed_sizes())
    return check_map_args(set.maps.data(), set.count, set.height, set.width, whole_set);
  for (int64_t i = 0; i < set.count; ++i)
    check_map_args(set.map(i), 1, set.rows(i), set.cols(i), whole_set);
}

uint64_t file_limit(const Limits& limits) { return static_cast<uint64_t>(limits.max_file_bytes); }

// The network's parameters and buffers (BatchNorm statistics) by name: what a model file stores.
io::NamedTensors named_state(nn::WaferNet& net) {
  io::NamedTensors all;
  for (const auto& p : net->named_parameters()) all.emplace_back(p.key(), p.value());
  for (const auto& b : net->named_buffers()) all.emplace_back(b.key(), b.value());
  return all;
}

// What a model file's weights section holds: the network's state and the novelty bank.
io::NamedTensors stored_tensors(nn::WaferNet& net, const std::optional<search::Novelty>& novelty) {
  io::NamedTensors all = named_state(net);
  if (novelty) all.emplace_back("novelty.bank", novelty->bank);
  return all;
}

json novelty_json(const search::Novelty& n) {
  return {{"method", "knn"},
          {"k", n.k},
          {"bank", n.bank.size(0)},
          {"threshold", n.threshold},
          {"calibration_share", n.calibration_share},
          {"calibration_maps", n.calibration_maps}};
}

// The novelty statistics a model file's metadata describes, with a bank of the size it states
// for the weights section to fill; Error(kFormat) for values that cannot be (a bank larger than
// the weights section's bytes is refused before it is allocated).
search::Novelty novelty_from_json(const json& j, int64_t dim, size_t weights_bytes,
                                  const std::string& what) {
  search::Novelty n;
  if (j.at("method").get<std::string>() != "knn")
    fail(ErrorCode::kFormat,
         what + ": unknown novelty method \"" + j.at("method").get<std::string>() + "\"");
  n.k = j.at("k").get<int64_t>();
  const int64_t rows = j.at("bank").get<int64_t>();
  n.threshold = j.at("threshold").get<float>();
  n.calibration_share = j.at("calibration_share").get<double>();
  n.calibration_maps = j.at("calibration_maps").get<int64_t>();
  if (n.k < 1 || rows < n.k || rows > static_cast<int64_t>(weights_bytes / sizeof(float)) / dim ||
      !std::isfinite(n.threshold))
    fail(ErrorCode::kFormat, what + ": the novelty statistics are invalid (k " +
                                 std::to_string(n.k) + ", bank " + std::to_string(rows) + ")");
  n.bank = torch::zeros({rows, dim}, torch::kFloat);
  return n;
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

// Copies `from`'s parameters and buffers into `to`'s of the same name (the fully connected
// head too when `head`). Every tensor is checked before any is copied, so that on
// Error(kInvalidArgument), naming the first tensor that is missing or of another shape, `to` is
// untouched: only networks of one architecture are mixed.
void copy_weights(nn::WaferNet& from, nn::WaferNet& to, bool head, const std::string& what) {
  const io::NamedTensors source = named_state(from);
  std::vector<std::pair<torch::Tensor, torch::Tensor>> pairs;  // (destination, source)
  for (auto& [name, tensor] : named_state(to)) {
    // The head: "fc.*", or an ensemble member's "members.K.fc.*".
    if (!head && (name.rfind("fc.", 0) == 0 || name.find(".fc.") != std::string::npos)) continue;
    const auto it = std::find_if(source.begin(), source.end(),
                                 [&](const auto& entry) { return entry.first == name; });
    if (it == source.end() || !it->second.sizes().equals(tensor.sizes()))
      fail(ErrorCode::kInvalidArgument,
           what + ": its network differs from this one at \"" + name +
               "\" (the networks must share blocks and input encoding)");
    pairs.emplace_back(tensor, it->second);
  }
  torch::NoGradGuard no_grad;
  for (auto& [destination, source_tensor] : pairs)
    destination.copy_(source_tensor.to(destination.device()));
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
  // Checked before any process-wide setting is made, so that a refused call changes nothing.
  if (runtime.openblas_threads < 0)
    fail(ErrorCode::kInvalidArgument, "openblas_threads must be >= 0 (0 = leave OpenBLAS alone)");
  if (runtime.buffer_cache) use_cpu_buffer_cache();
  set_openblas_threads(runtime.openblas_threads);
  auto state = std::make_unique<State>();
  state->config = nn::parse_network_config(config_json);
  const int64_t parameters = nn::parameter_count(state->config);  // of the config's labels
  if (parameters > runtime.limits.max_parameters)
    fail(ErrorCode::kConfig, "network config: the network would have " +
                                 std::to_string(parameters) + " parameters, more than "
                                 "max_parameters (" +
                                 std::to_string(runtime.limits.max_parameters) + ")");
  state->device = resolve_device(runtime.device);
  state->precision = resolve_precision(runtime.precision, state->device.is_cuda());
  use_threads(runtime.threads);
  state->threads = runtime.threads;
  state->limits = runtime.limits;
  if (!std::isnan(runtime.novelty_threshold) && !std::isfinite(runtime.novelty_threshold))
    fail(ErrorCode::kInvalidArgument, "novelty_threshold must be a finite number");
  state->novelty_threshold = runtime.novelty_threshold;
  return with_new_network(std::move(state));
}

std::unique_ptr<Classifier> Classifier::with_new_network(std::unique_ptr<State> state) {
  {
    std::lock_guard<std::mutex> lock(construction_mutex());
    state->net = nn::WaferNet(state->config);
  }
  state->net->to(state->device);
  state->net->eval();
  state->thresholds.assign(state->config.labels.size(), 0.5f);
  return std::unique_ptr<Classifier>(new Classifier(std::move(state)));
}

std::unique_ptr<Classifier> Classifier::untrained_copy() const {
  auto lock = read_lock(state_->mutex, "untrained_copy");
  auto state = std::make_unique<State>();
  state->config = state_->config;
  state->device = state_->device;
  state->precision = state_->precision;
  state->threads = state_->threads;
  state->limits = state_->limits;
  state->novelty_threshold = state_->novelty_threshold;
  return with_new_network(std::move(state));
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
    if (meta.contains("novelty"))
      s.novelty =
          novelty_from_json(meta["novelty"], s.net->embedding_size(), file.weights.size(), what);
    io::decode_weights_into(file.weights, stored_tensors(s.net, s.novelty), what);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    fail(ErrorCode::kFormat, what + ": the model's metadata or weights are invalid: " +
                                 std::string(e.what()).substr(0, 300));
  }
  s.net->eval();
  if (!std::isnan(runtime.novelty_threshold) && !s.novelty)
    fail(ErrorCode::kInvalidArgument,
         what +
             ": a novelty threshold was given, but the model has no novelty statistics "
             "(train it with this version, or add them with `wdc fit-novelty`)");
  return c;
}

void Classifier::save(const std::string& path) {
  auto lock = write_lock(state_->mutex, "save");
  json meta = {{"format", "wdc model"},
               {"library_version", WDC_VERSION_STRING},
               {"labels", state_->config.labels},
               {"thresholds", state_->thresholds},
               {"training", state_->training}};
  if (state_->novelty) meta["novelty"] = novelty_json(*state_->novelty);
  io::write_model_file(path, {nn::to_json(state_->config).dump(), meta.dump(),
                              io::encode_weights(stored_tensors(state_->net, state_->novelty))});
}

int Classifier::num_labels() const { return static_cast<int>(state_->config.labels.size()); }
const std::vector<std::string>& Classifier::label_names() const { return state_->config.labels; }
int64_t Classifier::input_height() const { return state_->config.input_height; }
int64_t Classifier::input_width() const { return state_->config.input_width; }

std::vector<float> Classifier::predict(const uint8_t* maps, int64_t count, int64_t height,
                                       int64_t width) const {
  check_map_args(maps, count, height, width, state_->limits);
  auto lock = read_lock(state_->mutex, "predict");
  std::vector<float> probabilities;
  run_locked(maps, count, height, width, &probabilities, nullptr);
  return probabilities;
}

int64_t Classifier::embedding_size() const { return state_->net->embedding_size(); }

std::string Classifier::fingerprint() const {
  auto lock = read_lock(state_->mutex, "fingerprint");
  return fingerprint_locked();
}

std::string Classifier::fingerprint_locked() const {
  std::lock_guard<std::mutex> cache_lock(state_->fingerprint_mutex);
  if (state_->fingerprint.empty()) {
    // FNV-1a (64 bit) of the config and the weights as the model file stores them.
    const std::string bytes =
        nn::to_json(state_->config).dump() + '\0' + io::encode_weights(named_state(state_->net));
    uint64_t hash = 0xcbf29ce484222325ULL;
    for (const char c : bytes) hash = (hash ^ static_cast<uint8_t>(c)) * 0x100000001b3ULL;
    char text[17];
    std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash));
    state_->fingerprint = text;
  }
  return state_->fingerprint;
}

std::vector<float> Classifier::embed(const uint8_t* maps, int64_t count, int64_t height,
                                     int64_t width) const {
  check_map_args(maps, count, height, width, state_->limits);
  auto lock = read_lock(state_->mutex, "embed");
  std::vector<float> embeddings;
  run_locked(maps, count, height, width, nullptr, &embeddings);
  return embeddings;
}

std::vector<float> Classifier::embed_set(const data::WaferSet& set) const {
  check_set_maps(set, state_->limits);
  auto lock = read_lock(state_->mutex, "embed");
  std::vector<float> embeddings;
  run_set_locked(set, nullptr, &embeddings);
  return embeddings;
}

std::shared_ptr<const nn::FoldedNetwork> Classifier::folded_locked() const {
  if (state_->precision == Precision::kFloat32) return nullptr;
  std::lock_guard<std::mutex> lock(state_->folded_mutex);
  if (!state_->folded)
    state_->folded = std::make_shared<const nn::FoldedNetwork>(state_->net, torch::kBFloat16);
  return state_->folded;
}

void Classifier::run_locked(const uint8_t* maps, int64_t count, int64_t height, int64_t width,
                            std::vector<float>* probabilities,
                            std::vector<float>* embeddings) const {
  const std::vector<uint8_t> input = prepare_maps(maps, count, height, width, state_->config);
  use_threads(threads_for_work(state_->threads, count * input_height() * input_width()));
  const std::shared_ptr<const nn::FoldedNetwork> folded = folded_locked();
  const nn::NetworkOutputs out = nn::run_network(
      state_->net, input.data(), count, input_height(), input_width(), state_->device,
      probabilities != nullptr, embeddings != nullptr, kInferenceBatch, folded.get());
  append_to(probabilities, out.probabilities);
  append_to(embeddings, out.embeddings);
}

void Classifier::run_set_locked(const data::WaferSet& set, std::vector<float>* probabilities,
                                std::vector<float>* embeddings, bool float32) const {
  use_threads(threads_for_work(state_->threads, set.count * input_height() * input_width()));
  const std::shared_ptr<const nn::FoldedNetwork> folded = float32 ? nullptr : folded_locked();
  // Chunks bound the prepared input's memory whatever the set's size.
  constexpr int64_t kChunk = 4096;
  for (int64_t first = 0; first < set.count; first += kChunk) {
    const int64_t n = std::min(kChunk, set.count - first);
    const std::vector<uint8_t> input = prepare_set(set, first, n, state_->config);
    const nn::NetworkOutputs out = nn::run_network(
        state_->net, input.data(), n, input_height(), input_width(), state_->device,
        probabilities != nullptr, embeddings != nullptr, kInferenceBatch, folded.get());
    append_to(probabilities, out.probabilities);
    append_to(embeddings, out.embeddings);
  }
}

std::vector<float> Classifier::predict_set_locked(const data::WaferSet& set) const {
  std::vector<float> probabilities;
  run_set_locked(set, &probabilities, nullptr);
  return probabilities;
}

namespace {

// Values scaled to [0, 1] (all zero where they are all equal).
torch::Tensor unit_range(const torch::Tensor& t) {
  const float lo = t.min().item<float>(), hi = t.max().item<float>();
  return hi > lo ? (t - lo) / (hi - lo) : torch::zeros_like(t);
}

// One network's class activation map of `label` for the map `x` ([1, H, W] at the input size,
// fitted from a height x width map as `c` says), at the map's own size, scaled to [0, 1].
torch::Tensor network_cam(nn::WaferNet& net, const nn::FoldedNetwork* folded,
                          const torch::Tensor& x, int label, const nn::NetworkConfig& c,
                          int64_t height, int64_t width) {
  const torch::Tensor features = nn::network_features(net, x, folded);  // [1, C, h, w]
  // Zhou et al. 2016: the label's fully connected weights over the last feature maps.
  torch::Tensor cam = torch::einsum("c,nchw->nhw", {net->classifier_weight()[label], features});
  if (c.fit == "pad" && (height != c.input_height || width != c.input_width)) {
    // Only the canvas part that holds the map: first at input resolution, then cropped.
    const data::Placement at = data::pad_placement(height, width, c.input_height, c.input_width);
    cam = torch::upsample_bilinear2d(cam.unsqueeze(1), {c.input_height, c.input_width}, false)
              .squeeze(1)
              .narrow(1, at.top, at.height)
              .narrow(2, at.left, at.width);
  }
  cam = torch::upsample_bilinear2d(cam.unsqueeze(1), {height, width}, false)
            .reshape({height, width})
            .to(torch::kCPU, torch::kFloat);
  return unit_range(cam);
}

}  // namespace

std::vector<float> Classifier::cam(const uint8_t* map, int64_t height, int64_t width,
                                   int label) const {
  check_map_args(map, 1, height, width, state_->limits);
  if (label < 0 || label >= num_labels())
    fail(ErrorCode::kInvalidArgument, "label index " + std::to_string(label) +
                                          " is out of range [0, " +
                                          std::to_string(num_labels()) + ")");
  auto lock = read_lock(state_->mutex, "cam");
  const nn::NetworkConfig& c = state_->config;
  const std::vector<uint8_t> input = prepare_maps(map, 1, height, width, c);
  use_threads(threads_for_work(state_->threads, input_height() * input_width()));
  c10::InferenceMode inference;
  const torch::Tensor x =
      nn::maps_to_tensor(input.data(), 1, input_height(), input_width(), state_->device);
  const std::shared_ptr<const nn::FoldedNetwork> folded = folded_locked();
  torch::Tensor cam;
  if (!state_->net->is_ensemble()) {
    cam = network_cam(state_->net, folded.get(), x, label, c, height, width);
  } else {
    // An ensemble's: the mean of its members' maps, each scaled to [0, 1] first so that every
    // member counts alike whatever the scale of its features.
    const auto& members = state_->net->members();
    for (size_t m = 0; m < members.size(); ++m) {
      nn::WaferNet member(members[m]);
      const torch::Tensor one =
          network_cam(member, folded ? &folded->member(m) : nullptr, x, label, c, height, width);
      cam = m == 0 ? one : cam + one;
    }
    cam = unit_range(cam);
  }
  cam = cam.contiguous();
  return {cam.data_ptr<float>(), cam.data_ptr<float>() + cam.numel()};
}

void Classifier::prepare_network(const data::WaferSet& set, const std::string& init) {
  nn::NetworkConfig config = state_->config;
  const bool task_follows = !config.task_given && set.single_label != config.single_label();
  const bool relabel = set.names() != config.labels || task_follows;
  if (set.names() != config.labels && config.labels_given)
    fail(ErrorCode::kInvalidArgument, "train: the data's labels (" + joined(set.names()) +
                                          ") are not the model's (" + joined(config.labels) +
                                          "); to train a model on other labels, start a new one "
                                          "from it (training option \"init\")");
  if (relabel) {
    config.labels = set.names();
    if (!config.task_given) config.task = set.single_label ? "single_label" : "multi_label";
  }
  // The network to train is built aside and replaces the model's only when every step worked,
  // so that a failure (an init model that does not fit) leaves the model as it was.
  nn::WaferNet net = state_->net;
  if (relabel) {
    {
      std::lock_guard<std::mutex> lock(construction_mutex());
      net = nn::WaferNet(config);
    }
    net->to(state_->device);
    copy_weights(state_->net, net, false, "the network");  // new head, the rest kept
  }
  std::vector<float> thresholds(config.labels.size(), 0.5f);
  if (!init.empty()) {
    RuntimeOptions runtime;
    runtime.device = state_->device.is_cuda() ? "cuda" : "cpu";
    runtime.threads = state_->threads;
    runtime.limits = state_->limits;
    runtime.buffer_cache = false;
    runtime.openblas_threads = 0;  // process-wide settings are the caller's model's to make
    const std::unique_ptr<Classifier> source =
        init == "builtin" ? load_builtin(runtime) : load(init, runtime);
    const nn::NetworkConfig& from = source->state_->config;
    // The head carries over only where it means the same: the same labels and task.
    const bool same_head = from.labels == config.labels && from.task == config.task;
    copy_weights(source->state_->net, net, same_head, "init model " + init);
    if (same_head) thresholds = source->state_->thresholds;
  }
  net->eval();
  state_->config = config;
  state_->net = net;
  if (relabel || !init.empty()) state_->thresholds = thresholds;
}

std::string Classifier::train(const std::string& train_json, const ProgressFn& progress,
                              const TrainSets& given) {
  const train::TrainOptions options =
      train::parse_train_options(train_json, given.train != nullptr, given.val != nullptr);
  for (const data::WaferSet* set : {given.train, given.val})
    if (set != nullptr && set->count == 0)
      fail(ErrorCode::kInvalidArgument, "train: a data set given for training holds no maps");
  auto lock = write_lock(state_->mutex, "train");
  // The weights change (also when training fails half-way): what was derived from them goes.
  state_->fingerprint.clear();
  state_->folded.reset();
  state_->novelty.reset();
  use_threads(options.threads > 0 ? options.threads : state_->threads);
  // From the first weight drawn to the last threshold chosen.
  std::optional<DeterministicTraining> deterministic;
  if (options.deterministic) deterministic.emplace(state_->device.is_cuda());
  data::WaferSet loaded;
  if (given.train == nullptr) loaded = load_training_set(options, state_->limits);
  const data::WaferSet& all = given.train != nullptr ? *given.train : loaded;
  prepare_network(all, options.init);
  const nn::NetworkConfig& c = state_->config;
  require_labels(all, c, "train");
  data::WaferSet train_set, val_set;
  if (given.val != nullptr || !options.val.empty()) {
    const data::WaferSet val_loaded =
        given.val != nullptr ? data::WaferSet{}
                             : data::load_wafer_npz(options.val, file_limit(state_->limits));
    const data::WaferSet& val = given.val != nullptr ? *given.val : val_loaded;
    require_labels(val, c, "train (validation data)");
    train_set = fit_to_input(all, c);
    val_set = fit_to_input(val, c);
  } else {
    const data::Split split = data::stratified_split(all, options.val_fraction, 0, options.seed);
    train_set = fit_to_input(data::subset(all, split.train), c);
    val_set = fit_to_input(data::subset(all, split.val), c);
  }
  loaded = data::WaferSet{};  // the fitted copies are what training needs
  // Data-parallel training: the ranks meet once each has its data ready.
  std::unique_ptr<train::ProcessGroup> group;
  if (options.world_size > 1) {
    if (state_->device.is_cuda())
      fail(ErrorCode::kConfig,
           "train: distributed training runs on the CPU (Gloo); on CUDA devices (NCCL) it is not "
           "built yet");
    group = train::ProcessGroup::join({options.world_size, options.rank, options.dist_host,
                                       options.dist_port, options.dist_timeout});
  }
  const train::TrainOutcome outcome =
      train::fit(state_->net, train_set, val_set, options, progress, state_->device, group.get());
  // The old thresholds belonged to the old weights; a single-label model decides by argmax.
  state_->thresholds.assign(num_labels(), 0.5f);
  const bool tune = options.tune_thresholds && val_set.count > 0 && !c.single_label();
  std::vector<float> val_probabilities;
  if (options.novelty_bank > 0 && val_set.count > 0)
    fit_novelty_locked(train_set, val_set, options.novelty_k, options.novelty_bank,
                       options.novelty_share, options.seed, tune ? &val_probabilities : nullptr);
  else if (tune)
    run_set_locked(val_set, &val_probabilities, nullptr, true);
  if (tune)
    state_->thresholds = train::tune_thresholds(val_probabilities, val_set.labels, num_labels());
  // The labels are the model's now, whatever named them.
  state_->config.labels_given = state_->config.task_given = true;
  // Every rank has finished (thresholds and novelty are computed alike on each) before any
  // returns: rank 0 then writes the model, the others leave that to it.
  if (group) group->barrier();
  json report = train::to_json(outcome);
  report["world_size"] = options.world_size;
  report["rank"] = options.rank;
  report["thresholds"] = state_->thresholds;
  report["novelty"] = state_->novelty ? novelty_json(*state_->novelty) : json(nullptr);
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
  require_labels(set, state_->config, "evaluate");
  check_set_maps(set, state_->limits);
  // One lock over predictions and thresholds: a training run in between would mix models.
  auto lock = read_lock(state_->mutex, "evaluate");
  const std::vector<float> p = predict_set_locked(set);
  return train::evaluate_predictions(p, set.labels, state_->config.labels, state_->thresholds,
                                     state_->config.single_label());
}

train::EvalReport Classifier::evaluate_file(const std::string& npz_path) const {
  return evaluate(data::load_wafer_npz(npz_path, file_limit(state_->limits)));
}

Classification Classifier::classify(const uint8_t* maps, int64_t count, int64_t height,
                                    int64_t width) const {
  check_map_args(maps, count, height, width, state_->limits);
  auto lock = read_lock(state_->mutex, "classify");
  Classification result;
  std::vector<float> embeddings;
  run_locked(maps, count, height, width, &result.probabilities,
             state_->novelty ? &embeddings : nullptr);
  result.present =
      train::decide(result.probabilities, state_->thresholds, state_->config.single_label());
  add_novelty_locked(embeddings, result);
  return result;
}

Classification Classifier::classify_set(const data::WaferSet& set) const {
  check_set_maps(set, state_->limits);
  auto lock = read_lock(state_->mutex, "classify");
  Classification result;
  std::vector<float> embeddings;
  run_set_locked(set, &result.probabilities, state_->novelty ? &embeddings : nullptr);
  result.present =
      train::decide(result.probabilities, state_->thresholds, state_->config.single_label());
  add_novelty_locked(embeddings, result);
  return result;
}

void Classifier::add_novelty_locked(const std::vector<float>& embeddings,
                                    Classification& result) const {
  const size_t count = result.probabilities.size() / state_->config.labels.size();
  if (!state_->novelty) {
    result.novelty.assign(count, std::numeric_limits<float>::quiet_NaN());
    result.unknown.assign(count, 0);
    return;
  }
  result.novelty =
      search::novelty_scores(*state_->novelty, embeddings.data(), static_cast<int64_t>(count));
  const float threshold = novelty_threshold_locked();
  result.unknown.resize(count);
  for (size_t i = 0; i < count; ++i) result.unknown[i] = result.novelty[i] > threshold;
}

float Classifier::novelty_threshold() const {
  auto lock = read_lock(state_->mutex, "novelty_threshold");
  return novelty_threshold_locked();
}

float Classifier::novelty_threshold_locked() const {
  if (!state_->novelty) return std::numeric_limits<float>::quiet_NaN();
  return std::isnan(state_->novelty_threshold) ? state_->novelty->threshold
                                               : state_->novelty_threshold;
}

namespace {

void require_novelty(const std::optional<search::Novelty>& novelty) {
  if (!novelty)
    fail(ErrorCode::kUnsupported,
         "novelty: the model has no novelty statistics (train it with this version, or add "
         "them with `wdc fit-novelty`)");
}

}  // namespace

std::vector<float> Classifier::novelty(const uint8_t* maps, int64_t count, int64_t height,
                                       int64_t width) const {
  check_map_args(maps, count, height, width, state_->limits);
  auto lock = read_lock(state_->mutex, "novelty");
  require_novelty(state_->novelty);
  std::vector<float> embeddings;
  run_locked(maps, count, height, width, nullptr, &embeddings);
  return search::novelty_scores(*state_->novelty, embeddings.data(), count);
}

std::vector<float> Classifier::novelty_set(const data::WaferSet& set) const {
  check_set_maps(set, state_->limits);
  auto lock = read_lock(state_->mutex, "novelty");
  require_novelty(state_->novelty);
  std::vector<float> embeddings;
  run_set_locked(set, nullptr, &embeddings);
  return search::novelty_scores(*state_->novelty, embeddings.data(), set.count);
}

NoveltySummary Classifier::fit_novelty(const data::WaferSet& train, const data::WaferSet& val,
                                       int64_t k, int64_t bank, double share, uint64_t seed) {
  for (const auto* set : {&train, &val}) {
    if (set->count == 0)
      fail(ErrorCode::kInvalidArgument, "fit_novelty: a data set given holds no maps");
    check_set_maps(*set, state_->limits);
  }
  auto lock = write_lock(state_->mutex, "fit_novelty");
  use_threads(state_->threads);
  return fit_novelty_locked(train, val, k, bank, share, seed, nullptr);
}

NoveltySummary Classifier::fit_novelty_locked(const data::WaferSet& train,
                                              const data::WaferSet& val, int64_t k, int64_t bank,
                                              double share, uint64_t seed,
                                              std::vector<float>* val_probabilities) {
  // Only the maps the bank keeps are embedded: a sample of a large training set costs no more
  // than the sample.
  const std::vector<int64_t> rows = search::bank_rows(train.count, k, bank, seed);
  const int64_t kept = static_cast<int64_t>(rows.size());
  std::vector<float> embeddings;
  const data::WaferSet sample = kept < train.count ? data::subset(train, rows) : data::WaferSet{};
  run_set_locked(kept < train.count ? sample : train, nullptr, &embeddings, true);
  search::Novelty novelty = search::make_novelty(embeddings, kept, embedding_size(), k);
  embeddings.clear();
  run_set_locked(val, val_probabilities, &embeddings, true);
  novelty.threshold = search::calibrated_threshold(
      search::novelty_scores(novelty, embeddings.data(), val.count), share);
  novelty.calibration_share = share;
  novelty.calibration_maps = val.count;
  state_->novelty = std::move(novelty);
  const search::Novelty& n = *state_->novelty;
  return {n.k, n.bank.size(0), n.threshold, n.calibration_share, n.calibration_maps};
}

bool Classifier::single_label() const { return state_->config.single_label(); }

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
  const std::vector<std::string> shorts = data::short_label_names(names);  // MixedWM38's only
  for (int i = 0; i < n; ++i)
    if (lower(shorts[i]) == lower(text)) return i;
  std::string choices;
  for (int i = 0; i < n; ++i) choices += (i ? ", " : "") + names[i];
  fail(ErrorCode::kInvalidArgument, "unknown label '" + text + "': expected one of " + choices +
                                        " or an index 0-" + std::to_string(n - 1));
}

std::string Classifier::info() const {
  auto lock = read_lock(state_->mutex, "info");
  int64_t parameters = 0;
  for (const auto& p : state_->net->parameters()) parameters += p.numel();
  return json{
      {"library_version", WDC_VERSION_STRING},
      {"config", nn::to_json(state_->config)},
      {"labels", state_->config.labels},
      {"short_labels", data::short_label_names(state_->config.labels)},
      {"thresholds", state_->thresholds},
      {"novelty", state_->novelty ? novelty_json(*state_->novelty) : json(nullptr)},
      {"novelty_threshold",
       std::isnan(state_->novelty_threshold) ? json(nullptr) : json(state_->novelty_threshold)},
      {"parameters", parameters},
      {"fingerprint", fingerprint_locked()},
      {"device", state_->device.str()},
      {"precision", precision_name(state_->precision)},
      {"training", state_->training}}
      .dump();
}

}  // namespace wdc
