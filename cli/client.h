// The CLI's thin C++ face on the C ABI (include/wdc/wdc.h), the only interface of the library it
// uses: owning handles, strings the library allocated, and statuses turned into exceptions that
// main() prints.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "wdc/wdc.h"

namespace wdc::cli {

// A failed call (or a check of the CLI's own), with the status the library gave.
class Failure : public std::runtime_error {
 public:
  Failure(wdc_status status, const std::string& message)
      : std::runtime_error(message), status_(status) {}
  wdc_status status() const { return status_; }

 private:
  wdc_status status_;
};

[[noreturn]] void fail(wdc_status status, const std::string& message);

// Throws Failure with wdc_last_error() (less its "function: " prefix) unless status is WDC_OK.
void check(wdc_status status);

// The text of a string the library returned, which is then released.
std::string take_string(char* text);
// The same, parsed as JSON.
nlohmann::json take_json(char* text);

struct ModelFree {
  void operator()(wdc_model* model) const { wdc_free(model); }
};
struct DatasetFree {
  void operator()(wdc_dataset* data) const { wdc_dataset_free(data); }
};
using Model = std::unique_ptr<wdc_model, ModelFree>;
struct IndexFree {
  void operator()(wdc_index* index) const { wdc_index_free(index); }
};
using Dataset = std::unique_ptr<wdc_dataset, DatasetFree>;
using Index = std::unique_ptr<wdc_index, IndexFree>;

// wdc_dataset_load with the default options.
Dataset load_dataset(const std::string& path);

}  // namespace wdc::cli
