// Fuzz target: the JSON a user hands to wdc_create_with_options (network config, run-time
// options), to wdc_train and wdc_train_dataset (training options) and wdc_cross_validate
// (the same with "folds"; and a resumed run's fold files), to the data-set and picture
// functions (their options) and to wdc_config_read (a config file's text). Input: four texts
// separated by NUL bytes, "config\0options\0train_options\0data_options" (missing parts are
// empty). Every input must end in a result or a status with a message — never a crash, a hang
// or an unbounded allocation.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "base/error.h"
#include "model/config_file.h"
#include "model/cross_validation.h"
#include "model/fold_file.h"
#include "train/train_options.h"
#include "wdc/wdc.h"

namespace {

std::vector<std::string> split_on_nul(const uint8_t* data, size_t size, size_t parts) {
  std::vector<std::string> out(1);
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == 0 && out.size() < parts) out.emplace_back();
    else out.back().push_back(static_cast<char>(data[i]));
  }
  out.resize(parts);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<std::string> parts = split_on_nul(data, size, 4);
  // Raising max_parameters lets a config ask for gigabytes of weights, which the limit exists to
  // refuse; the harness keeps that limit small so each input runs in milliseconds.
  if (parts[1].find("max_parameters") != std::string::npos) return 0;
  const std::string options =
      parts[1].empty() ? std::string("{\"threads\": 1, \"max_parameters\": 2000000}") : parts[1];

  wdc_model* model = nullptr;
  const wdc_status status = wdc_create_with_options(parts[0].c_str(), options.c_str(), &model);
  if (status == WDC_OK) {
    if (model == nullptr || wdc_num_labels(model) < 1) std::abort();
    wdc_free(model);
  } else if (model != nullptr || wdc_last_error()[0] == '\0') {
    std::abort();  // a failure must leave `out` untouched and say why
  }

  // wdc_train parses its options before it reads data or touches the model, as does
  // wdc_train_dataset (with the data sets given in memory).
  for (const bool given : {false, true}) {
    try {
      wdc::train::parse_train_options(parts[2], given, given);
    } catch (const wdc::Error&) {
    }
  }
  // wdc_cross_validate checks its options before any fold trains, and reads a resumed run's
  // fold and run files (here: a fold of 4 maps of 3 labels, by a run of digest
  // "0123456789abcdef").
  try {
    wdc::parse_cross_validation_options(parts[2]);
  } catch (const wdc::Error&) {
  }
  for (const std::string& part : parts) {
    try {
      wdc::parse_fold_file(part, "fold file", "0123456789abcdef", 2, 4, 3);
    } catch (const wdc::Error&) {
    }
    try {
      wdc::check_run_file(part, "run file", "0123456789abcdef");
    } catch (const wdc::Error&) {
    }
  }
  // The same text as a config file (wdc_config_read's parser).
  try {
    wdc::parse_config_file(parts[0], "config");
  } catch (const wdc::Error&) {
  }

  // Options of the data-set functions, on a generated set of 4 maps; nothing is written.
  static wdc_dataset* set = [] {
    wdc_dataset* made = nullptr;
    if (wdc_dataset_synthesize(4, 1, &made) != WDC_OK) std::abort();
    return made;
  }();
  wdc_dataset *train = nullptr, *val = nullptr, *test = nullptr;
  if (wdc_dataset_split(set, parts[3].c_str(), &train, &val, &test) == WDC_OK) {
    if (wdc_dataset_count(train) + wdc_dataset_count(val) + wdc_dataset_count(test) != 4)
      std::abort();
    wdc_dataset_free(train);
    wdc_dataset_free(val);
    wdc_dataset_free(test);
  } else if (train != nullptr || val != nullptr || test != nullptr) {
    std::abort();
  }
  wdc_dataset* loaded = nullptr;  // the options are checked before the (missing) file is opened
  if (wdc_dataset_load("/nonexistent/wdc-fuzz.npz", parts[3].c_str(), &loaded) == WDC_OK)
    std::abort();
  return 0;
}
