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

// What one network's keys say ("input"'s encoding and fail_fraction, "blocks", "dropout",
// "seed") into `c`; `where` prefixes the key names in errors ("ensemble[1]." for a member).
void parse_network_keys(const json& j, const std::string& where, NetworkConfig& c) {
  if (j.contains("input")) {
    const json& in = j.at("input");
    c.fail_fraction = get_bool(in, "fail_fraction", where + "input.", false);
    if (in.contains("encoding")) {
      const json& e = in.at("encoding");
      if (!e.is_string() || (e != "raw" && e != "onehot"))
        config_error(where + "input.encoding", "must be \"raw\" or \"onehot\", got " + e.dump());
      c.encoding = e.get<std::string>();
    }
  }
  if (j.contains("blocks")) {
    const json& blocks = j.at("blocks");
    if (!blocks.is_array() || blocks.empty() || blocks.size() > 16)
      config_error(where + "blocks", "must be an array of 1 to 16 blocks");
    c.blocks.clear();
    for (size_t i = 0; i < blocks.size(); ++i) {
      const std::string at = where + "blocks[" + std::to_string(i) + "].";
      const json& b = blocks[i];
      if (!b.is_object()) config_error(at.substr(0, at.size() - 1), "must be an object");
      allow_only(b, at, {"channels", "kernel", "stride", "modulated", "deformable"});
      BlockConfig block;
      block.channels = get_int(b, "channels", at, 32, 1, 4096);
      block.kernel = get_int(b, "kernel", at, 3, 1, 11);
      if (block.kernel % 2 == 0)
        config_error(at + "kernel", "must be odd, got " + std::to_string(block.kernel));
      block.stride = get_int(b, "stride", at, 1, 1, 4);
      block.modulated = get_bool(b, "modulated", at, false);
      block.deformable = get_bool(b, "deformable", at, true);
      if (block.modulated && !block.deformable)
        config_error(at + "modulated", "needs a deformable block");
      c.blocks.push_back(block);
    }
  }
  if (j.contains("dropout")) {
    const json& d = j.at("dropout");
    if (!d.is_number() || d.get<double>() < 0 || d.get<double>() >= 1)
      config_error(where + "dropout", "must be a number in [0, 1), got " + d.dump());
    c.dropout = d.get<double>();
  }
  c.seed = static_cast<uint64_t>(get_int(j, "seed", where, 0, 0, INT64_MAX));
}

// An ensemble's members: each an object of one network's keys.
std::vector<NetworkConfig> parse_members(const json& members) {
  if (!members.is_array() || members.size() < 2 || members.size() > 16)
    config_error("ensemble", "must be an array of 2 to 16 member networks");
  std::vector<NetworkConfig> out;
  for (size_t i = 0; i < members.size(); ++i) {
    const std::string where = "ensemble[" + std::to_string(i) + "].";
    const json& m = members[i];
    if (!m.is_object()) config_error(where.substr(0, where.size() - 1), "must be an object");
    allow_only(m, where, {"input", "blocks", "dropout", "seed"});
    if (m.contains("input")) {
      if (!m.at("input").is_object()) config_error(where + "input", "must be an object");
      // The input size and fit are the ensemble's: every member sees the same maps.
      allow_only(m.at("input"), where + "input.", {"encoding", "fail_fraction"});
    }
    NetworkConfig member;
    member.blocks = seed_blocks();
    parse_network_keys(m, where, member);
    out.push_back(member);
  }
  return out;
}

}  // namespace

NetworkConfig NetworkConfig::member(size_t i) const {
  NetworkConfig m = ensemble.at(i);
  m.input_height = input_height;
  m.input_width = input_width;
  m.fit = fit;
  m.labels = labels;
  m.labels_given = labels_given;
  m.task = task;
  m.task_given = task_given;
  return m;
}

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
  allow_only(j, "", {"input", "blocks", "dropout", "labels", "task", "seed", "ensemble"});
  const bool ensemble = j.contains("ensemble");

  if (j.contains("input")) {
    const json& in = j.at("input");
    if (!in.is_object()) config_error("input", "must be an object");
    allow_only(in, "input.", {"height", "width", "encoding", "fit", "fail_fraction"});
    c.input_height = get_int(in, "height", "input.", c.input_height, 4, 4096);
    c.input_width = get_int(in, "width", "input.", c.input_width, 4, 4096);
    if (in.contains("fit")) {
      const json& f = in.at("fit");
      if (!f.is_string() || (f != "resize" && f != "pad"))
        config_error("input.fit", "must be \"resize\" or \"pad\", got " + f.dump());
      c.fit = f.get<std::string>();
    }
    if (ensemble)
      for (const char* key : {"encoding", "fail_fraction"})
        if (in.contains(key))
          config_error(std::string("input.") + key,
                       "belongs to each member of an ensemble (\"ensemble\": [{\"input\": "
                       "{...}}, ...])");
  }
  if (ensemble) {
    for (const char* key : {"blocks", "dropout", "seed"})
      if (j.contains(key))
        config_error(key, "belongs to each member of an ensemble (\"ensemble\": [{\"" +
                              std::string(key) + "\": ...}, ...])");
    c.ensemble = parse_members(j.at("ensemble"));
  } else {
    parse_network_keys(j, "", c);
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
  return c;
}

int64_t parameter_count(const NetworkConfig& c) {
  if (c.is_ensemble()) {
    int64_t total = 0;
    for (size_t i = 0; i < c.ensemble.size(); ++i) total += parameter_count(c.member(i));
    return total;
  }
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

namespace {

// One network's own keys: those an ensemble's member holds.
void write_network_keys(const NetworkConfig& c, json& out) {
  json blocks = json::array();
  for (const BlockConfig& b : c.blocks)
    blocks.push_back({{"channels", b.channels},
                      {"kernel", b.kernel},
                      {"stride", b.stride},
                      {"modulated", b.modulated},
                      {"deformable", b.deformable}});
  out["input"]["encoding"] = c.encoding;
  // Written only when on, so that a model without it stays readable by libraries before it.
  if (c.fail_fraction) out["input"]["fail_fraction"] = true;
  out["blocks"] = blocks;
  out["dropout"] = c.dropout;
  out["seed"] = c.seed;
}

}  // namespace

nlohmann::json to_json(const NetworkConfig& c) {
  json out{{"input", {{"height", c.input_height}, {"width", c.input_width}, {"fit", c.fit}}},
           {"labels", c.labels},
           {"task", c.task}};
  if (!c.is_ensemble()) {
    write_network_keys(c, out);
    return out;
  }
  json members = json::array();
  for (const NetworkConfig& m : c.ensemble) {
    json member = json::object();
    write_network_keys(m, member);
    members.push_back(member);
  }
  out["ensemble"] = members;
  return out;
}

}  // namespace wdc::nn
