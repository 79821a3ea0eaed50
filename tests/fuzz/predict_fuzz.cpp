// Fuzz target: wdc_predict and wdc_cam with arbitrary sizes, buffer lengths and map bytes.
// Input: int16 count, int16 height, int16 width, int32 output length, u8 call (even: predict,
// odd: CAM of label call/2), then the map bytes (repeated to fill the maps). The model accepts
// maps up to 64x64 and 16 per call, so the harness can allocate every buffer the library may
// read; sizes past those limits get a 1-byte buffer and must be refused. Accepted calls must
// give probabilities (CAM values) in [0, 1] and leave the rest of the output untouched.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "wdc/wdc.h"

namespace {

constexpr int64_t kMaxSide = 64, kMaxBatch = 16;
constexpr float kSentinel = -7.0f;

wdc_model* tiny_model() {
  static wdc_model* model = [] {
    wdc_model* m = nullptr;
    const char* config =
        "{\"input\": {\"height\": 12, \"width\": 12}, \"blocks\": [{\"channels\": 4, "
        "\"stride\": 2, \"modulated\": true}]}";
    if (wdc_create_with_options(config, "{\"threads\": 1, \"max_map_side\": 64, \"max_batch\": 16}",
                                &m) != WDC_OK)
      std::abort();
    return m;
  }();
  return model;
}

template <typename T>
T take(const uint8_t*& data, size_t& size) {
  T value{};
  const size_t n = size < sizeof(T) ? size : sizeof(T);
  std::memcpy(&value, data, n);
  data += n;
  size -= n;
  return value;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  wdc_model* model = tiny_model();
  const int64_t count = take<int16_t>(data, size);
  const int64_t height = take<int16_t>(data, size);
  const int64_t width = take<int16_t>(data, size);
  const int64_t out_len = take<int32_t>(data, size) % 100000;
  const uint8_t call = take<uint8_t>(data, size);
  const bool cam = call & 1;
  const int32_t label = call / 2 - 8;  // -8 .. 119: mostly invalid, 8 valid

  // wdc_cam takes one map; `count` only matters to wdc_predict.
  const bool in_limits = height >= 1 && height <= kMaxSide && width >= 1 && width <= kMaxSide &&
                         (cam || (count >= 1 && count <= kMaxBatch));
  const int64_t map_bytes = (cam ? 1 : count) * height * width;
  std::vector<uint8_t> maps(in_limits ? static_cast<size_t>(map_bytes) : 1);
  for (size_t i = 0; i < maps.size(); ++i) maps[i] = size ? data[i % size] : 0;
  std::vector<float> out(out_len > 0 ? static_cast<size_t>(out_len) : 1, kSentinel);

  const wdc_status status =
      cam ? wdc_cam(model, maps.data(), height, width, label, out.data(), out_len)
          : wdc_predict(model, maps.data(), count, height, width, out.data(), out_len);
  if (status != WDC_OK) {
    for (float v : out)
      if (v != kSentinel) std::abort();  // failures leave the output untouched
    return 0;
  }
  if (!in_limits) std::abort();  // accepted sizes past the limits: it would have read past `maps`
  const int64_t written = cam ? height * width : count * wdc_num_labels(model);
  if (written > out_len) std::abort();
  for (int64_t i = 0; i < out_len; ++i) {
    const float v = out[static_cast<size_t>(i)];
    if (i < written ? !(v >= 0.0f && v <= 1.0f) : v != kSentinel) std::abort();
  }
  return 0;
}
