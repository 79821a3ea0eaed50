#include "client.h"

#include <cstring>

namespace wdc::cli {

void fail(wdc_status status, const std::string& message) { throw Failure(status, message); }

void check(wdc_status status) {
  if (status == WDC_OK) return;
  // The library names the function that failed ("wdc_load: model.wdcm: ..."); a person at the
  // command line needs only the reason.
  std::string message = wdc_last_error();
  const size_t colon = message.find(": ");
  if (message.rfind("wdc_", 0) == 0 && colon != std::string::npos &&
      message.find(' ') == colon + 1)
    message.erase(0, colon + 2);
  throw Failure(status, message);
}

std::string take_string(char* text) {
  std::unique_ptr<char, void (*)(char*)> owned(text, wdc_string_free);
  return text ? std::string(text) : std::string();
}

nlohmann::json take_json(char* text) { return nlohmann::json::parse(take_string(text)); }

Dataset load_dataset(const std::string& path) {
  wdc_dataset* data = nullptr;
  check(wdc_dataset_load(path.c_str(), nullptr, &data));
  return Dataset(data);
}

}  // namespace wdc::cli
