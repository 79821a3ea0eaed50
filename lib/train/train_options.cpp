#include "train/train_options.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdlib>

#include "base/error.h"

namespace wdc::train {
namespace {

using nlohmann::json;

[[noreturn]] void option_error(const std::string& key, const std::string& problem) {
  fail(ErrorCode::kConfig, "training options: \"" + key + "\" " + problem);
}

template <typename T>
void read_number(const json& j, const char* key, T& out, double min, double max) {
  if (!j.contains(key)) return;
  const json& v = j.at(key);
  const bool integral = std::is_integral_v<T>;
  if (!(integral ? v.is_number_integer() : v.is_number()))
    option_error(key, std::string("must be ") + (integral ? "an integer" : "a number") +
                          ", got " + v.dump());
  const double value = v.get<double>();
  // Integer options show integer bounds ("[1, 100000]", not "[1.0, 100000.0]").
  const auto bound = [&](double b) {
    return integral ? std::to_string(static_cast<long long>(b)) : json(b).dump();
  };
  if (!(value >= min && value <= max))
    option_error(key, "must be in [" + bound(min) + ", " + bound(max) + "], got " + v.dump());
  out = v.get<T>();
}

void read_bool(const json& j, const char* key, bool& out) {
  if (!j.contains(key)) return;
  if (!j.at(key).is_boolean()) option_error(key, "must be true or false, got " + j.at(key).dump());
  out = j.at(key).get<bool>();
}

void read_string(const json& j, const char* key, std::string& out) {
  if (!j.contains(key)) return;
  if (!j.at(key).is_string()) option_error(key, "must be a string, got " + j.at(key).dump());
  out = j.at(key).get<std::string>();
}

// A number from the environment for "env://", or an error naming the variable.
int64_t env_number(const char* name, int64_t min, int64_t max) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0')
    option_error("dist_url", std::string("is \"env://\", but ") + name + " is not set");
  char* end = nullptr;
  errno = 0;
  const long long value = std::strtoll(text, &end, 10);
  if (errno != 0 || *end != '\0' || value < min || value > max)
    option_error("dist_url", std::string("is \"env://\", but ") + name + "=\"" + text +
                                 "\" is not an integer in [" + std::to_string(min) + ", " +
                                 std::to_string(max) + "]");
  return value;
}

void read_distributed(const json& j, TrainOptions& o) {
  constexpr int32_t kMaxRanks = 4096;
  read_number(j, "world_size", o.world_size, 1, kMaxRanks);
  read_number(j, "rank", o.rank, 0, kMaxRanks - 1);
  read_string(j, "dist_url", o.dist_url);
  read_number(j, "dist_timeout", o.dist_timeout, 1, 86400);
  read_bool(j, "sync_batch_norm", o.sync_batch_norm);
  if (o.dist_url == "env://") {
    if (!j.contains("world_size"))
      o.world_size = static_cast<int32_t>(env_number("WORLD_SIZE", 1, kMaxRanks));
    if (!j.contains("rank")) o.rank = static_cast<int32_t>(env_number("RANK", 0, kMaxRanks - 1));
    const char* host = std::getenv("MASTER_ADDR");
    if (host == nullptr || *host == '\0')
      option_error("dist_url", "is \"env://\", but MASTER_ADDR is not set");
    o.dist_host = host;
    o.dist_port = static_cast<int32_t>(env_number("MASTER_PORT", 1, 65535));
  } else if (!o.dist_url.empty()) {
    const std::string prefix = "tcp://";
    const size_t colon = o.dist_url.rfind(':');
    const std::string port = colon == std::string::npos ? "" : o.dist_url.substr(colon + 1);
    const bool digits = !port.empty() && port.size() <= 5 &&
                        port.find_first_not_of("0123456789") == std::string::npos;
    if (o.dist_url.rfind(prefix, 0) != 0 || colon <= prefix.size() || !digits ||
        std::stoi(port) < 1 || std::stoi(port) > 65535)
      option_error("dist_url",
                   "must be \"tcp://HOST:PORT\" (PORT in [1, 65535]) or \"env://\", "
                   "got \"" +
                       o.dist_url + "\"");
    o.dist_host = o.dist_url.substr(prefix.size(), colon - prefix.size());
    // An IPv6 address in brackets, as in URLs.
    if (o.dist_host.size() > 2 && o.dist_host.front() == '[' && o.dist_host.back() == ']')
      o.dist_host = o.dist_host.substr(1, o.dist_host.size() - 2);
    o.dist_port = std::stoi(port);
  }
  if (o.rank >= o.world_size)
    option_error("rank", "must be below world_size (" + std::to_string(o.world_size) + "), got " +
                             std::to_string(o.rank));
  if (o.world_size > 1 && o.dist_host.empty())
    option_error("dist_url",
                 "is needed when world_size is above 1 (\"tcp://HOST:PORT\", where "
                 "rank 0 listens, or \"env://\")");
}

}  // namespace

TrainOptions parse_train_options(const std::string& json_text, bool data_given, bool val_given) {
  json j;
  try {
    j = json::parse(json_text.empty() ? "{}" : json_text);
  } catch (const json::exception& e) {  // parse_error, or out_of_range for 1e999
    fail(ErrorCode::kConfig, std::string("training options: invalid JSON: ") + e.what());
  }
  if (!j.is_object()) fail(ErrorCode::kConfig, "training options: must be a JSON object");
  static const char* kKeys[] = {"data",
                                "synthetic",
                                "val",
                                "val_fraction",
                                "epochs",
                                "batch_size",
                                "lr",
                                "momentum",
                                "weight_decay",
                                "nesterov",
                                "schedule",
                                "warmup_epochs",
                                "augment",
                                "seed",
                                "threads",
                                "checkpoint",
                                "resume",
                                "pos_weight",
                                "tune_thresholds",
                                "min_type_samples",
                                "init",
                                "novelty_k",
                                "novelty_bank",
                                "novelty_share",
                                "world_size",
                                "rank",
                                "dist_url",
                                "dist_timeout",
                                "sync_batch_norm",
                                "deterministic"};
  for (auto it = j.begin(); it != j.end(); ++it)
    if (std::find(std::begin(kKeys), std::end(kKeys), it.key()) == std::end(kKeys))
      option_error(it.key(), "is not a known key");

  TrainOptions o;
  read_string(j, "data", o.data);
  read_number(j, "synthetic", o.synthetic, 0, 1e8);
  read_string(j, "val", o.val);
  read_number(j, "val_fraction", o.val_fraction, 0, 0.9);
  read_number(j, "epochs", o.epochs, 1, 100000);
  read_number(j, "batch_size", o.batch_size, 1, 65536);
  read_number(j, "lr", o.lr, 0, 100);
  read_number(j, "momentum", o.momentum, 0, 1);
  read_number(j, "weight_decay", o.weight_decay, 0, 1);
  read_bool(j, "nesterov", o.nesterov);
  read_string(j, "schedule", o.schedule);
  if (o.schedule != "constant" && o.schedule != "cosine")
    option_error("schedule", "must be \"constant\" or \"cosine\", got \"" + o.schedule + "\"");
  read_number(j, "warmup_epochs", o.warmup_epochs, 0, 1000);
  read_bool(j, "augment", o.augment);
  read_number(j, "seed", o.seed, 0, 9e15);
  read_number(j, "threads", o.threads, 0, 1024);
  read_string(j, "checkpoint", o.checkpoint);
  read_bool(j, "resume", o.resume);
  read_number(j, "pos_weight", o.pos_weight, 0.01, 100);
  read_bool(j, "tune_thresholds", o.tune_thresholds);
  read_number(j, "min_type_samples", o.min_type_samples, 0, 1e7);
  read_string(j, "init", o.init);
  read_number(j, "novelty_k", o.novelty_k, 1, 1000);
  read_number(j, "novelty_bank", o.novelty_bank, 0, 1e7);
  read_number(j, "novelty_share", o.novelty_share, 0, 0.5);
  if (o.novelty_bank > 0 && o.novelty_bank < o.novelty_k)
    option_error("novelty_bank", "must be 0 (no novelty) or at least novelty_k (" +
                                     std::to_string(o.novelty_k) + ")");
  read_distributed(j, o);
  read_bool(j, "deterministic", o.deterministic);
  if (data_given) {
    for (const char* key : {"data", "synthetic"})
      if (j.contains(key))
        option_error(key, "must be left out: the training maps are given in memory");
  } else if (o.data.empty() == (o.synthetic == 0)) {
    fail(ErrorCode::kConfig,
         "training options: give exactly one data source, \"data\" (an npz path) or "
         "\"synthetic\" (a count of generated maps)");
  }
  if (val_given)
    for (const char* key : {"val", "val_fraction"})
      if (j.contains(key))
        option_error(key, "must be left out: the validation maps are given in memory");
  if (o.resume && o.checkpoint.empty())
    option_error("resume", "needs \"checkpoint\" (the path to resume from)");
  return o;
}

nlohmann::json to_json(const TrainOptions& o) {
  return json{{"data", o.data},
              {"synthetic", o.synthetic},
              {"val", o.val},
              {"val_fraction", o.val_fraction},
              {"epochs", o.epochs},
              {"batch_size", o.batch_size},
              {"lr", o.lr},
              {"momentum", o.momentum},
              {"weight_decay", o.weight_decay},
              {"nesterov", o.nesterov},
              {"schedule", o.schedule},
              {"warmup_epochs", o.warmup_epochs},
              {"augment", o.augment},
              {"seed", o.seed},
              {"threads", o.threads},
              {"pos_weight", o.pos_weight},
              {"tune_thresholds", o.tune_thresholds},
              {"min_type_samples", o.min_type_samples},
              {"init", o.init},
              {"novelty_k", o.novelty_k},
              {"novelty_bank", o.novelty_bank},
              {"novelty_share", o.novelty_share},
              {"world_size", o.world_size},
              {"rank", o.rank},
              {"dist_url", o.dist_url},
              {"dist_timeout", o.dist_timeout},
              {"sync_batch_norm", o.sync_batch_norm},
              {"deterministic", o.deterministic}};
}

}  // namespace wdc::train
