// The config file of `wdc train --config` and wdc_config_read: {"network": {...}, "train":
// {...}}, both optional; keys starting with "_", "comment" and "description" are notes.
#pragma once

#include <string>

namespace wdc {

struct ConfigFile {
  std::string network_json;       // the network config for Classifier::create; "" = the default
  std::string train_json = "{}";  // the training options for Classifier::train
};

// Error(kIo) when the file cannot be read, Error(kConfig) naming the file for anything else.
ConfigFile read_config_file(const std::string& path);
// The same from the file's text; `what` (a path, "config") names it in messages.
ConfigFile parse_config_file(const std::string& text, const std::string& what);

}  // namespace wdc
