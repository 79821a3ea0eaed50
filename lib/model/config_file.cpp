#include "model/config_file.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/error.h"

namespace wdc {

ConfigFile read_config_file(const std::string& path) {
  using nlohmann::json;
  std::ifstream in(path);
  if (!in) fail(ErrorCode::kIo, path + ": cannot open the config file");
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) fail(ErrorCode::kIo, path + ": cannot read the config file");
  return parse_config_file(text.str(), path);
}

ConfigFile parse_config_file(const std::string& text, const std::string& path) {
  using nlohmann::json;
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {  // parse_error, or out_of_range for 1e999
    fail(ErrorCode::kConfig, path + ": invalid JSON: " + e.what());
  }
  if (!j.is_object())
    fail(ErrorCode::kConfig,
         path + ": expected a JSON object {\"network\": {...}, \"train\": {...}}");
  ConfigFile config;
  for (const auto& [key, value] : j.items()) {
    if (key == "network") {
      if (!value.is_object()) fail(ErrorCode::kConfig, path + ": \"network\" must be an object");
      config.network_json = value.dump();
    } else if (key == "train") {
      if (!value.is_object()) fail(ErrorCode::kConfig, path + ": \"train\" must be an object");
      config.train_json = value.dump();
    } else if (key.rfind("_", 0) != 0 && key != "comment" && key != "description") {
      fail(ErrorCode::kConfig,
           path + ": unknown key \"" + key + "\" (a config holds \"network\" and \"train\")");
    }
  }
  return config;
}

}  // namespace wdc
