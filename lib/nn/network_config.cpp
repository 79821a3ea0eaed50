#include "nn/network_config.h"

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "data/mixedwm38.h"

namespace wdc::nn {
namespace {

using nlohmann::json;

[[noreturn]] void config_error(const std::string& key, const std::string& problem) {
  fail(ErrorCode::kConfig, "network config: \"" + key + "\" " + problem);
}

void allow_only(const json& object, const std::string& where,
                std::initializer_list<const char*> keys) {
  for (auto it = object.begin(); it != object.end(); ++it) {
    bool known = false;
    for (const char* k : keys) known = known || it.key() == k;
    if (!known) config_error(where + it.key(), "is not a known key");
  }
}

int64_t get_int(const json& object, const char* key, const std::string& where, int64_t fallback,
                int64_t min, int64_t max) {
  if (!object.contains(key)) return fallback;
  const json& v = object.at(key);
  if (!v.is_number_integer())
    config_error(where + key, "must be an integer, got " + v.dump());
  const int64_t value = v.get<int64_t>();
  if (value < min || value > max)
    config_error(where + key, "must be in [" + std::to_string(min) + ", " + std::to_string(max) +
                                  "], got " + std::to_string(value));
  return value;
}

bool get_bool(const json& object, const char* key, const std::string& where, bool fallback) {
  if (!object.contains(key)) return fallback;
  if (!object.at(key).is_boolean())
    config_error(where + key, "must be true or false, got " + object.at(key).dump());
  return object.at(key).get<bool>();
}

std::vector<BlockConfig> seed_blocks() {
  return {{32, 3, 2}, {64, 3, 1}, {128, 3, 2}, {128, 3, 2}};
}

std::vector<std::string> mixedwm38_labels() {
  return {data::kLabelNames.begin(), data::kLabelNames.end()};
}

}  // namespace

NetworkConfig parse_network_config(const std::string& json_text) {
  NetworkConfig c;
  c.blocks = seed_blocks();
  c.labels = mixedwm38_labels();
  if (json_text.empty()) return c;

  json j;
  try {
    j = json::parse(json_text);
  } catch (const json::exception& e) {  // parse_error, or out_of_range for 1e999
    fail(ErrorCode::kConfig, std::string("network config: invalid JSON: ") + e.what());
  }
  if (!j.is_object()) fail(ErrorCode::kConfig, "network config: must be a JSON object");
  allow_only(j, "", {"input", "blocks", "dropout", "labels", "task", "seed"});

  if (j.contains("input")) {
    const json& in = j.at("input");
    if (!in.is_object()) config_error("input", "must be an object");
    allow_only(in, "input.", {"height", "width", "encoding", "fit", "fail_fraction"});
    c.input_height = get_int(in, "height", "input.", c.input_height, 4, 4096);
    c.input_width = get_int(in, "width", "input.", c.input_width, 4, 4096);
    if (in.contains("encoding")) {
      const json& e = in.at("encoding");
      if (!e.is_string() || (e != "raw" && e != "onehot"))
        config_error("input.encoding", "must be \"raw\" or \"onehot\", got " + e.dump());
      c.encoding = e.get<std::string>();
    }
    if (in.contains("fit")) {
      const json& f = in.at("fit");
      if (!f.is_string() || (f != "resize" && f != "pad"))
        config_error("input.fit", "must be \"resize\" or \"pad\", got " + f.dump());
      c.fit = f.get<std::string>();
    }
    c.fail_fraction = get_bool(in, "fail_fraction", "input.", false);
  }
  if (j.contains("blocks")) {
    const json& blocks = j.at("blocks");
    if (!blocks.is_array() || blocks.empty() || blocks.size() > 16)
      config_error("blocks", "must be an array of 1 to 16 blocks");
    c.blocks.clear();
    for (size_t i = 0; i < blocks.size(); ++i) {
      const std::string where = "blocks[" + std::to_string(i) + "].";
      const json& b = blocks[i];
      if (!b.is_object()) config_error(where.substr(0, where.size() - 1), "must be an object");
      allow_only(b, where, {"channels", "kernel", "stride", "modulated", "deformable"});
      BlockConfig block;
      block.channels = get_int(b, "channels", where, 32, 1, 4096);
      block.kernel = get_int(b, "kernel", where, 3, 1, 11);
      if (block.kernel % 2 == 0) config_error(where + "kernel", "must be odd, got " +
                                                                    std::to_string(block.kernel));
      block.stride = get_int(b, "stride", where, 1, 1, 4);
      block.modulated = get_bool(b, "modulated", where, false);
      block.deformable = get_bool(b, "deformable", where, true);
      if (block.modulated && !block.deformable)
        config_error(where + "modulated", "needs a deformable block");
      c.blocks.push_back(block);
    }
  }
  if (j.contains("dropout")) {
    const json& d = j.at("dropout");
    if (!d.is_number() || d.get<double>() < 0 || d.get<double>() >= 1)
      config_error("dropout", "must be a number in [0, 1), got " + d.dump());
    c.dropout = d.get<double>();
  }
  if (j.contains("labels")) {
    const json& l = j.at("labels");
    if (!l.is_array() || l.empty() || l.size() > 1024)
      config_error("labels", "must be an array of 1 to 1024 names");
    c.labels.clear();
    for (const json& name : l) {
      if (!name.is_string() || name.get<std::string>().empty())
        config_error("labels", "must hold non-empty strings, got " + name.dump());
      for (const std::string& seen : c.labels)
        if (seen == name.get<std::string>()) config_error("labels", "repeats " + name.dump());
      c.labels.push_back(name.get<std::string>());
    }
    c.labels_given = true;
  }
  if (j.contains("task")) {
    const json& t = j.at("task");
    if (!t.is_string() || (t != "multi_label" && t != "single_label"))
      config_error("task", "must be \"multi_label\" or \"single_label\", got " + t.dump());
    c.task = t.get<std::string>();
    c.task_given = true;
  }
  if (c.single_label() && c.labels.size() < 2)
    config_error("labels", "a single-label network needs at least 2 classes");
  c.seed = static_cast<uint64_t>(get_int(j, "seed", "", 0, 0, INT64_MAX));
  return c;
}

int64_t parameter_count(const NetworkConfig& c) {
  // Per block (nn/deform_block.cpp): the kernel, BatchNorm's scale and shift, and for a
  // deformable block the offset (and mask) convolution with its bias; then the linear head.
  int64_t total = 0, in = c.input_channels();
  for (const BlockConfig& b : c.blocks) {
    const int64_t taps = b.kernel * b.kernel;
    total += b.channels * in * taps + 2 * b.channels;
    if (b.deformable) {
      const int64_t field = (b.modulated ? 3 : 2) * taps;
      total += field * in * taps + field;
    }
    in = b.channels;
  }
  const int64_t labels = static_cast<int64_t>(c.labels.size());
  return total + in * labels + labels;
}

nlohmann::json to_json(const NetworkConfig& c) {
  json blocks = json::array();
  for (const BlockConfig& b : c.blocks)
    blocks.push_back({{"channels", b.channels},
                      {"kernel", b.kernel},
                      {"stride", b.stride},
                      {"modulated", b.modulated},
                      {"deformable", b.deformable}});
  json input{{"height", c.input_height},
             {"width", c.input_width},
             {"encoding", c.encoding},
             {"fit", c.fit}};
  // Written only when on, so that a model without it stays readable by libraries before it.
  if (c.fail_fraction) input["fail_fraction"] = true;
  return json{{"input", input},     {"blocks", blocks}, {"dropout", c.dropout},
              {"labels", c.labels}, {"task", c.task},   {"seed", c.seed}};
}

}  // namespace wdc::nn
