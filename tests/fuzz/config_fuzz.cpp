// Fuzz target: the JSON a user hands to wdc_create_with_options (network config, run-time
// options) and to wdc_train (training options). Input: three texts separated by NUL bytes,
// "config\0options\0train_options" (missing parts are empty). Every input must end in a model
// or a status with a message — never a crash, a hang or an unbounded allocation.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "base/error.h"
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
  const std::vector<std::string> parts = split_on_nul(data, size, 3);
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

  // wdc_train parses its options before it reads data or touches the model.
  try {
    wdc::train::parse_train_options(parts[2]);
  } catch (const wdc::Error&) {
  }
  return 0;
}
