#include "train/trainer.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/error.h"
#include "data/atomic_write.h"
#include "data/rng.h"
#include "nn/inference.h"
#include "train/process_group.h"
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

Batch make_batch(const data::WaferSet& set, const std::vector<int64_t>& order,
                 const std::vector<uint8_t>& symmetries, int64_t begin, int64_t count,
                 bool single_label, const torch::Device& device) {
  const int64_t size = set.map_size();
  const int64_t L = set.num_labels();
  std::vector<uint8_t> maps(static_cast<size_t>(count * size));
  torch::Tensor labels =
      single_label ? torch::empty({count}, torch::kLong) : torch::empty({count, L}, torch::kFloat);
  for (int64_t i = 0; i < count; ++i) {
    const int64_t index = order[begin + i];
    const int symmetry = symmetries.empty() ? 0 : symmetries[begin + i];
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

// The symmetry (apply_symmetry) of each position of the epoch's order: drawn in order, one per
// map, as the batches once drew them, so seeded runs keep their results; none without
// augmentation.
std::vector<uint8_t> epoch_symmetries(const data::WaferSet& set, size_t positions, bool augment,
                                      data::Rng& rng) {
  std::vector<uint8_t> symmetries;
  if (!augment || set.height != set.width) return symmetries;
  symmetries.resize(positions);
  for (uint8_t& s : symmetries) s = static_cast<uint8_t>(rng.below(8));
  return symmetries;
}

// The part of `count` maps that falls to `rank` of `ranks`: as even as can be, in rank order.
struct Share {
  int64_t offset = 0, count = 0;
};
Share share_of(int64_t count, int32_t rank, int32_t ranks) {
  const int64_t base = count / ranks, extra = count % ranks;
  return {rank * base + std::min<int64_t>(rank, extra), base + (rank < extra ? 1 : 0)};
}

// Exact match at 0.5 on the validation maps; with a group, each rank scores its share of them
// and the hits are summed, so every rank sees the same figure and picks the same best epoch.
double exact_match(nn::WaferNet& net, const data::WaferSet& set, const torch::Device& device,
                   ProcessGroup* group) {
  if (set.count == 0) return 0;
  const Share share =
      group ? share_of(set.count, group->rank(), group->size()) : Share{0, set.count};
  const int64_t L = set.num_labels();
  int64_t hits = 0;
  if (share.count > 0) {
    net->eval();
    const std::vector<float> p = nn::predict_probabilities(net, set.map(share.offset), share.count,
                                                           set.height, set.width, device);
    net->train();
    // Model selection decides at 0.5: the thresholds are tuned after training, on these maps.
    // For a single-label network this is the accuracy (the most probable class decides).
    const std::vector<uint8_t> predicted =
        decide(p, std::vector<float>(static_cast<size_t>(L), 0.5f), net->config().single_label());
    for (int64_t i = 0; i < share.count; ++i) {
      const uint8_t* truth = set.label(share.offset + i);
      hits += std::equal(truth, truth + L, predicted.begin() + i * L);
    }
  }
  if (group) {
    const torch::Tensor total = torch::tensor({hits}, torch::kLong);
    group->sum({total});
    hits = total.item<int64_t>();
  }
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

// The checkpoint file's bytes. In a group rank 0 reads them and every rank receives them, so
// the other ranks need no copy of the file (rank 0 alone writes it).
std::string checkpoint_bytes(const std::string& path, ProcessGroup* group) {
  std::string bytes, problem;
  if (!group || group->rank() == 0) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
      problem = std::filesystem::exists(path) ? "resume: cannot read checkpoint " + path
                                              : "resume: checkpoint " + path + " does not exist";
    else
      bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  if (group) bytes = group->broadcast_bytes(problem.empty() ? bytes : std::string());
  if (!problem.empty()) fail(ErrorCode::kIo, problem);
  if (bytes.empty()) fail(ErrorCode::kIo, "resume: rank 0 could not read checkpoint " + path);
  return bytes;
}

void load_checkpoint(const std::string& path, const std::string& bytes, nn::WaferNet& net,
                     std::vector<torch::Tensor>& best, torch::optim::SGD& optimizer,
                     TrainOutcome& outcome, const torch::Device& device) {
  torch::serialize::InputArchive archive, best_archive, optimizer_archive;
  try {
    std::istringstream stream(bytes);
    archive.load_from(stream, device);
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

// Every rank's gradients summed (each rank's loss is its share of the global batch's mean), with
// the loss itself in the same message; returns the global batch's loss.
double sum_gradients(nn::WaferNet& net, const torch::Tensor& loss, ProcessGroup& group) {
  std::vector<torch::Tensor> tensors;
  // The last layers first, as their gradients are the first ready (DistributedDataParallel's
  // order): the buckets then follow the backward pass.
  std::vector<torch::Tensor> parameters = net->parameters();
  for (auto it = parameters.rbegin(); it != parameters.rend(); ++it) {
    torch::Tensor& grad = it->mutable_grad();
    if (!grad.defined()) grad = torch::zeros_like(*it);  // every rank sends the same layout
    tensors.push_back(grad);
  }
  const torch::Tensor total_loss = loss.detach().reshape({1}).clone();
  tensors.push_back(total_loss);
  group.sum(tensors);
  return total_loss.item<double>();
}

// With BatchNorm per rank, each rank's running statistics saw its own shares alone: their mean
// over the ranks, once an epoch before validation, gives every rank the same model.
void average_batch_norm_statistics(nn::WaferNet& net, ProcessGroup& group) {
  std::vector<torch::Tensor> statistics;
  for (const auto& buffer : net->buffers())
    if (buffer.is_floating_point()) statistics.push_back(buffer);
  group.sum(statistics);
  torch::NoGradGuard no_grad;
  for (auto& s : statistics) s.div_(group.size());
}

}  // namespace

TrainOutcome fit(nn::WaferNet& net, const data::WaferSet& train_set, const data::WaferSet& val_set,
                 const TrainOptions& o, const ProgressFn& progress, const torch::Device& device,
                 ProcessGroup* group) {
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
  net->set_fixed_order_batch_norm(o.deterministic);
  std::vector<torch::Tensor> best = snapshot(net);
  if (o.resume)
    load_checkpoint(o.checkpoint, checkpoint_bytes(o.checkpoint, group), net, best, optimizer,
                    outcome, device);
  // Every rank starts from rank 0's weights (they agree anyway: same config, seed and init).
  if (group) group->broadcast(state_of(net));
  const int32_t ranks = group ? group->size() : 1;
  const bool writer = !group || group->rank() == 0;  // of checkpoints

  const auto rare = rare_types(train_set, o.min_type_samples);
  int64_t epoch_maps = train_set.count;
  for (const auto& members : rare) epoch_maps += o.min_type_samples - static_cast<int64_t>(members.size());
  // Each step takes the next batch_size maps of the order per rank; a last batch with fewer
  // maps than ranks is left out (it could not give every rank a map).
  const int64_t global_batch = o.batch_size * ranks;
  const int64_t remainder = epoch_maps % global_batch;
  const int64_t steps = epoch_maps / global_batch + (remainder >= ranks ? 1 : 0);
  if (steps == 0)
    fail(ErrorCode::kConfig, "train: " + std::to_string(epoch_maps) +
                                 " training maps are too few for " + std::to_string(ranks) +
                                 " ranks");
  const nn::CrossRankSum cross_rank_sum = [group](const std::vector<torch::Tensor>& tensors) {
    group->sum(tensors);
  };
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
      const std::vector<uint8_t> symmetries =
          epoch_symmetries(train_set, order.size(), o.augment, rng);

      double loss_sum = 0;
      for (int64_t step = 0; step < steps; ++step) {
        const int64_t begin = step * global_batch;
        const int64_t count = std::min(global_batch, epoch_maps - begin);
        const Share share = group ? share_of(count, group->rank(), ranks) : Share{0, count};
        const Batch batch = make_batch(train_set, order, symmetries, begin + share.offset,
                                       share.count, single_label, device);
        if (group)
          net->set_batch_share(
              {share.offset, count, o.sync_batch_norm ? &cross_rank_sum : nullptr});
        for (auto& group : optimizer.param_groups())
          static_cast<torch::optim::SGDOptions&>(group.options())
              .lr(learning_rate(o, (epoch - 1) * steps + step, steps));
        optimizer.zero_grad();
        const torch::Tensor logits = net->forward(batch.maps);
        const torch::Tensor loss = net->loss(logits, batch.labels, pos_weight);
        double step_loss = 0;
        if (group) {
          // This rank's part of the global batch's mean loss; the sum over ranks is that mean.
          const torch::Tensor part = loss * (static_cast<double>(share.count) / count);
          part.backward();
          step_loss = sum_gradients(net, part, *group);
        } else {
          loss.backward();
          step_loss = loss.item<double>();
        }
        optimizer.step();
        ++outcome.steps;
        loss_sum += step_loss;
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
      if (group && !o.sync_batch_norm) average_batch_norm_statistics(net, *group);
      EpochRecord record{epoch, loss_sum / steps, exact_match(net, val_set, device, group), 0};
      record.seconds = seconds_since(epoch_start);
      outcome.history.push_back(record);
      // Without a validation set every epoch counts as the best so far: the last one is kept.
      if (val_set.count == 0 || record.val_exact_match > outcome.best_val_exact_match) {
        outcome.best_val_exact_match = record.val_exact_match;
        outcome.best_epoch = epoch;
        best = snapshot(net);
      }
      if (!o.checkpoint.empty()) {
        if (writer) save_checkpoint(o.checkpoint, net, best, optimizer, outcome, o);
        // No rank runs ahead of the checkpoint: a group resumes from one epoch for all.
        if (group) group->barrier();
      }
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
    net->set_batch_share({});
    net->set_fixed_order_batch_norm(false);
    restore(net, best);
    net->eval();
    throw;
  }
  net->set_batch_share({});
  net->set_fixed_order_batch_norm(false);
  restore(net, best);
  net->eval();
  outcome.seconds = seconds_since(start);
  if (group) outcome.collective_seconds = group->seconds();
  return outcome;
}

nlohmann::json to_json(const TrainOutcome& o) {
  return nlohmann::json{{"history", history_json(o.history)},
                        {"best_epoch", o.best_epoch},
                        {"best_val_exact_match", o.best_val_exact_match},
                        {"epochs_run", o.history.size()},
                        {"train_samples", o.train_samples},
                        {"val_samples", o.val_samples},
                        {"seconds", o.seconds},
                        {"steps", o.steps},
                        {"collective_seconds", o.collective_seconds}};
}

}  // namespace wdc::train
