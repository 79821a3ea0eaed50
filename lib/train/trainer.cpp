#include "train/trainer.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "base/error.h"
#include "data/atomic_write.h"
#include "data/rng.h"
#include "nn/inference.h"
#include "train/thresholds.h"

namespace wdc::train {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// One of the 8 symmetries of the square (rotations by 90 degrees, with or without a flip),
// applied to a square map: they map a wafer to a wafer and keep every defect label.
void apply_symmetry(const uint8_t* src, uint8_t* dst, int64_t n, int symmetry) {
  for (int64_t r = 0; r < n; ++r)
    for (int64_t c = 0; c < n; ++c) {
      int64_t rr = r, cc = c;
      if (symmetry & 4) cc = n - 1 - cc;  // flip
      for (int k = 0; k < (symmetry & 3); ++k) {  // rotate by 90 degrees
        const int64_t t = rr;
        rr = cc;
        cc = n - 1 - t;
      }
      dst[rr * n + cc] = src[r * n + c];
    }
}

struct Batch {
  torch::Tensor maps;
  torch::Tensor labels;  // multi-label: [N, L] float 0/1; single-label: [N] class indices
};

Batch make_batch(const data::WaferSet& set, const std::vector<int64_t>& order, int64_t begin,
                 int64_t count, bool augment, bool single_label, data::Rng& rng,
                 const torch::Device& device) {
  const int64_t size = set.map_size();
  const int64_t L = set.num_labels();
  std::vector<uint8_t> maps(static_cast<size_t>(count * size));
  torch::Tensor labels =
      single_label ? torch::empty({count}, torch::kLong) : torch::empty({count, L}, torch::kFloat);
  const bool square = set.height == set.width;
  for (int64_t i = 0; i < count; ++i) {
    const int64_t index = order[begin + i];
    const int symmetry = augment && square ? static_cast<int>(rng.below(8)) : 0;
    if (symmetry)
      apply_symmetry(set.map(index), maps.data() + i * size, set.height, symmetry);
    else
      std::copy(set.map(index), set.map(index) + size, maps.data() + i * size);
    if (single_label)
      labels.data_ptr<int64_t>()[i] = set.class_of(index);
    else
      for (int64_t k = 0; k < L; ++k) labels.data_ptr<float>()[i * L + k] = set.label(index)[k];
  }
  return {nn::maps_to_tensor(maps.data(), count, set.height, set.width, device), labels.to(device)};
}

double exact_match(nn::WaferNet& net, const data::WaferSet& set, const torch::Device& device) {
  if (set.count == 0) return 0;
  net->eval();
  const std::vector<float> p =
      nn::predict_probabilities(net, set.maps.data(), set.count, set.height, set.width, device);
  net->train();
  // Model selection decides at 0.5: the thresholds are tuned after training, on these maps.
  // For a single-label network this is the accuracy (the most probable class decides).
  const int64_t L = set.num_labels();
  const std::vector<uint8_t> predicted =
      decide(p, std::vector<float>(static_cast<size_t>(L), 0.5f), net->config().single_label());
  int64_t hits = 0;
  for (int64_t i = 0; i < set.count; ++i)
    hits += std::equal(set.label(i), set.label(i) + L, predicted.begin() + i * L);
  return static_cast<double>(hits) / set.count;
}

// The maps of each label group (data::label_groups: MixedWM38's pattern types, or a
// single-label set's classes) with fewer than `min_type_samples` training maps; other groups are
// left out.
std::vector<std::vector<int64_t>> rare_types(const data::WaferSet& set, int64_t min_type_samples) {
  if (min_type_samples <= 0) return {};
  std::vector<std::vector<int64_t>> rare;
  for (auto& members : data::label_groups(set))
    if (!members.empty() && static_cast<int64_t>(members.size()) < min_type_samples)
      rare.push_back(std::move(members));
  return rare;
}

// The epoch's visiting order: every training map once, plus repeats of each rare type's maps
// (cycling from a random start) until the type has `min_type_samples`, all shuffled together.
std::vector<int64_t> epoch_order(int64_t count, const std::vector<std::vector<int64_t>>& rare,
                                 int64_t min_type_samples, data::Rng& rng) {
  std::vector<int64_t> order(count);
  for (int64_t i = 0; i < count; ++i) order[i] = i;
  for (const auto& members : rare) {
    const int64_t n = static_cast<int64_t>(members.size());
    const int64_t start = static_cast<int64_t>(rng.below(static_cast<uint64_t>(n)));
    for (int64_t k = 0; k < min_type_samples - n; ++k) order.push_back(members[(start + k) % n]);
  }
  for (int64_t i = static_cast<int64_t>(order.size()) - 1; i > 0; --i)
    std::swap(order[i], order[rng.below(static_cast<uint64_t>(i) + 1)]);
  return order;
}

// Parameters and buffers (BatchNorm statistics) as one list, for snapshots.
std::vector<torch::Tensor> state_of(nn::WaferNet& net) {
  std::vector<torch::Tensor> state = net->parameters();
  for (const auto& b : net->buffers()) state.push_back(b);
  return state;
}

std::vector<torch::Tensor> snapshot(nn::WaferNet& net) {
  std::vector<torch::Tensor> copy;
  for (const auto& t : state_of(net)) copy.push_back(t.detach().clone());
  return copy;
}

void restore(nn::WaferNet& net, const std::vector<torch::Tensor>& saved) {
  torch::NoGradGuard no_grad;
  const auto state = state_of(net);
  for (size_t i = 0; i < state.size(); ++i) state[i].copy_(saved[i]);
}

double learning_rate(const TrainOptions& o, int64_t step, int64_t steps_per_epoch) {
  const double total = static_cast<double>(o.epochs) * steps_per_epoch;
  const double warmup = static_cast<double>(o.warmup_epochs) * steps_per_epoch;
  if (step < warmup) return o.lr * (step + 1) / warmup;
  if (o.schedule == "cosine")
    return 0.5 * o.lr * (1 + std::cos(M_PI * (step - warmup) / std::max(1.0, total - warmup)));
  return o.lr;
}

nlohmann::json history_json(const std::vector<EpochRecord>& history) {
  nlohmann::json h = nlohmann::json::array();
  for (const EpochRecord& e : history)
    h.push_back({{"epoch", e.epoch},
                 {"loss", e.loss},
                 {"val_exact_match", e.val_exact_match},
                 {"seconds", e.seconds}});
  return h;
}

std::vector<EpochRecord> history_from_json(const nlohmann::json& h) {
  std::vector<EpochRecord> history;
  for (const auto& e : h)
    history.push_back({e.at("epoch").get<int32_t>(), e.at("loss").get<double>(),
                       e.at("val_exact_match").get<double>(), e.at("seconds").get<double>()});
  return history;
}

// Checkpoint: the network, the best snapshot, the optimizer and the history, written
// atomically so a run killed mid-save resumes from the previous epoch.
void save_checkpoint(const std::string& path, nn::WaferNet& net,
                     const std::vector<torch::Tensor>& best, torch::optim::SGD& optimizer,
                     const TrainOutcome& outcome, const TrainOptions& options) {
  torch::serialize::OutputArchive archive, best_archive, optimizer_archive;
  net->save(archive);
  for (size_t i = 0; i < best.size(); ++i) best_archive.write(std::to_string(i), best[i]);
  optimizer.save(optimizer_archive);
  archive.write("best", best_archive);
  archive.write("optimizer", optimizer_archive);
  const nlohmann::json meta = {{"history", history_json(outcome.history)},
                               {"best_epoch", outcome.best_epoch},
                               {"best_val_exact_match", outcome.best_val_exact_match},
                               {"options", to_json(options)}};
  archive.write("meta", c10::IValue(meta.dump()));
  const std::string temp = data::temp_path_for(path);
  try {
    archive.save_to(temp);
    data::commit_temp_file(temp, path);
  } catch (const std::exception& e) {
    data::discard_temp_file(temp);
    fail(ErrorCode::kIo, "cannot write checkpoint " + path + ": " +
                             std::string(e.what()).substr(0, 300));
  }
}

void load_checkpoint(const std::string& path, nn::WaferNet& net, std::vector<torch::Tensor>& best,
                     torch::optim::SGD& optimizer, TrainOutcome& outcome,
                     const torch::Device& device) {
  if (!std::filesystem::exists(path))
    fail(ErrorCode::kIo, "resume: checkpoint " + path + " does not exist");
  torch::serialize::InputArchive archive, best_archive, optimizer_archive;
  try {
    archive.load_from(path, device);
    net->load(archive);
    archive.read("best", best_archive);
    for (size_t i = 0; i < best.size(); ++i) best_archive.read(std::to_string(i), best[i]);
    archive.read("optimizer", optimizer_archive);
    optimizer.load(optimizer_archive);
    c10::IValue meta_value;
    archive.read("meta", meta_value);
    const auto meta = nlohmann::json::parse(meta_value.toStringRef());
    outcome.history = history_from_json(meta.at("history"));
    outcome.best_epoch = meta.at("best_epoch").get<int32_t>();
    outcome.best_val_exact_match = meta.at("best_val_exact_match").get<double>();
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    fail(ErrorCode::kFormat, "resume: checkpoint " + path + " does not fit this model: " +
                                 std::string(e.what()).substr(0, 300));
  }
}

}  // namespace

TrainOutcome fit(nn::WaferNet& net, const data::WaferSet& train_set,
                 const data::WaferSet& val_set, const TrainOptions& o, const ProgressFn& progress,
                 const torch::Device& device) {
  const auto start = Clock::now();
  if (train_set.count == 0)
    fail(ErrorCode::kConfig, "train: the training set is empty (is val_fraction too large?)");
  TrainOutcome outcome;
  outcome.train_samples = train_set.count;
  outcome.val_samples = val_set.count;

  torch::optim::SGD optimizer(net->parameters(), torch::optim::SGDOptions(o.lr)
                                                     .momentum(o.momentum)
                                                     .weight_decay(o.weight_decay)
                                                     .nesterov(o.nesterov));
  std::vector<torch::Tensor> best = snapshot(net);
  if (o.resume) load_checkpoint(o.checkpoint, net, best, optimizer, outcome, device);

  const auto rare = rare_types(train_set, o.min_type_samples);
  int64_t epoch_maps = train_set.count;
  for (const auto& members : rare) epoch_maps += o.min_type_samples - static_cast<int64_t>(members.size());
  const int64_t steps = (epoch_maps + o.batch_size - 1) / o.batch_size;
  const bool single_label = net->config().single_label();
  const int64_t labels = static_cast<int64_t>(net->config().labels.size());
  for (const data::WaferSet* set : {&train_set, &val_set})
    if (set->count > 0 && set->num_labels() != labels)
      fail(ErrorCode::kInvalidArgument, "train: the data has " + std::to_string(set->num_labels()) +
                                            " labels, the network " + std::to_string(labels));
  const torch::Tensor pos_weight =
      torch::full({labels}, o.pos_weight, torch::TensorOptions().device(device));
  net->train();
  try {
    for (int32_t epoch = static_cast<int32_t>(outcome.history.size()) + 1; epoch <= o.epochs;
         ++epoch) {
      const auto epoch_start = Clock::now();
      // Each epoch draws from its own seed, so a resumed run repeats an uninterrupted one.
      data::Rng rng(o.seed * 1000003 + static_cast<uint64_t>(epoch));
      net->seed_dropout(o.seed * 1000003 + static_cast<uint64_t>(epoch));
      const std::vector<int64_t> order = epoch_order(train_set.count, rare, o.min_type_samples, rng);

      double loss_sum = 0;
      for (int64_t step = 0; step < steps; ++step) {
        const int64_t begin = step * o.batch_size;
        const int64_t count = std::min(o.batch_size, epoch_maps - begin);
        const Batch batch =
            make_batch(train_set, order, begin, count, o.augment, single_label, rng, device);
        for (auto& group : optimizer.param_groups())
          static_cast<torch::optim::SGDOptions&>(group.options())
              .lr(learning_rate(o, (epoch - 1) * steps + step, steps));
        optimizer.zero_grad();
        const torch::Tensor logits = net->forward(batch.maps);
        const torch::Tensor loss =
            single_label
                ? torch::nn::functional::cross_entropy(logits, batch.labels)
                : torch::binary_cross_entropy_with_logits(logits, batch.labels, {}, pos_weight);
        loss.backward();
        optimizer.step();
        loss_sum += loss.item<double>();
        if (progress) {
          TrainProgress p;
          p.epoch = epoch;
          p.epochs = o.epochs;
          p.step = step + 1;
          p.steps = steps;
          p.loss = loss_sum / (step + 1);
          if (progress(p)) fail(ErrorCode::kCancelled, "train: cancelled by the progress callback");
        }
      }
      EpochRecord record{epoch, loss_sum / steps, exact_match(net, val_set, device), 0};
      record.seconds = seconds_since(epoch_start);
      outcome.history.push_back(record);
      // Without a validation set every epoch counts as the best so far: the last one is kept.
      if (val_set.count == 0 || record.val_exact_match > outcome.best_val_exact_match) {
        outcome.best_val_exact_match = record.val_exact_match;
        outcome.best_epoch = epoch;
        best = snapshot(net);
      }
      if (!o.checkpoint.empty()) save_checkpoint(o.checkpoint, net, best, optimizer, outcome, o);
      if (progress) {
        TrainProgress p;
        p.epoch = epoch;
        p.epochs = o.epochs;
        p.step = p.steps = steps;
        p.loss = record.loss;
        p.val_exact_match = record.val_exact_match;
        if (progress(p)) fail(ErrorCode::kCancelled, "train: cancelled by the progress callback");
      }
    }
  } catch (...) {
    restore(net, best);
    net->eval();
    throw;
  }
  restore(net, best);
  net->eval();
  outcome.seconds = seconds_since(start);
  return outcome;
}

nlohmann::json to_json(const TrainOutcome& o) {
  return nlohmann::json{{"history", history_json(o.history)},
                        {"best_epoch", o.best_epoch},
                        {"best_val_exact_match", o.best_val_exact_match},
                        {"epochs_run", o.history.size()},
                        {"train_samples", o.train_samples},
                        {"val_samples", o.val_samples},
                        {"seconds", o.seconds}};
}

}  // namespace wdc::train
