// Fuzz target: wdc_load on arbitrary bytes. Input: one mode byte, then the rest. Even mode: the
// rest is the whole file, so the container checks (magic, version, CRC-32, section lengths) are
// fuzzed. Odd mode: the rest is the payload, and the harness writes a valid header with its
// CRC-32 around it, so the fuzzer reaches what lies behind the checksum (the config and metadata
// JSON, the LibTorch weights archive, weights that do not fit the config, novelty statistics that
// do not fit the weights). Every input must end in a usable model or a status with a message —
// never a crash.
#include <unistd.h>
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "io/model_file.h"
#include "wdc/wdc.h"

namespace {

void put_le(std::string& out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

std::string with_valid_header(const uint8_t* payload, size_t size) {
  std::string file("\x89WDCM\r\n\x1a", 8);
  put_le(file, wdc::io::kModelFormatVersion, 4);
  put_le(file, crc32(crc32(0, nullptr, 0), payload, static_cast<uInt>(size)), 4);
  put_le(file, size, 8);
  file.append(reinterpret_cast<const char*>(payload), size);
  return file;
}

const std::string& scratch_path() {
  static const std::string path = [] {
    const char* dir = std::getenv("TMPDIR");
    return std::string(dir != nullptr ? dir : "/tmp") + "/wdc_model_load_fuzz." +
           std::to_string(getpid()) + ".wdcm";
  }();
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bool wrap = data[0] & 1;
  const std::string bytes = wrap ? with_valid_header(data + 1, size - 1)
                                 : std::string(reinterpret_cast<const char*>(data + 1), size - 1);
  FILE* f = std::fopen(scratch_path().c_str(), "wb");
  if (f == nullptr) std::abort();
  std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);

  wdc_model* model = nullptr;
  const wdc_status status =
      wdc_load(scratch_path().c_str(), "{\"threads\": 1, \"max_parameters\": 2000000}", &model);
  if (status != WDC_OK) {
    if (model != nullptr || wdc_last_error()[0] == '\0') std::abort();
    return 0;
  }
  // A model that loads must also predict (or refuse with a status).
  int64_t h = 0, w = 0;
  if (wdc_input_size(model, &h, &w) != WDC_OK) std::abort();
  const std::vector<uint8_t> map(static_cast<size_t>(h * w), 1);
  std::vector<float> p(static_cast<size_t>(wdc_num_labels(model)));
  wdc_predict(model, map.data(), 1, h, w, p.data(), static_cast<int64_t>(p.size()));
  // And a model with novelty statistics scores (one without refuses with a status).
  float novelty = 0;
  wdc_novelty(model, map.data(), 1, h, w, &novelty, 1);
  wdc_free(model);
  return 0;
}
