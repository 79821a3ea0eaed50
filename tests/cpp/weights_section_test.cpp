// The weights section of model files: a round trip is exact, and every way a file can disagree
// with the network it is loaded into is refused with ErrorCode::kFormat.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstring>

#include "base/error.h"
#include "io/weights_section.h"

namespace {

using wdc::io::NamedTensors;

NamedTensors network_like() {
  torch::manual_seed(1);
  return {{"blocks.0.weight", torch::randn({4, 3, 3, 3})},
          {"fc.bias", torch::randn({8})},
          {"blocks.0.norm.num_batches_tracked", torch::tensor(int64_t{17})}};
}

NamedTensors zeros_like(const NamedTensors& tensors) {
  NamedTensors out;
  for (const auto& [name, t] : tensors) out.emplace_back(name, torch::zeros_like(t));
  return out;
}

wdc::ErrorCode decode_code(const std::string& bytes, const NamedTensors& into) {
  try {
    wdc::io::decode_weights_into(bytes, into, "test.wdcm");
  } catch (const wdc::Error& e) {
    EXPECT_NE(std::string(e.what()).find("test.wdcm: weights: "), std::string::npos) << e.what();
    return e.code();
  }
  return static_cast<wdc::ErrorCode>(0);
}

TEST(WeightsSection, RoundTripIsExactInAnyOrder) {
  const NamedTensors source = network_like();
  NamedTensors target = zeros_like(source);
  std::swap(target[0], target[2]);  // the file's order need not be the network's
  wdc::io::decode_weights_into(wdc::io::encode_weights(source), target, "test.wdcm");
  for (const auto& [name, t] : source)
    for (const auto& [other, u] : target)
      if (name == other) EXPECT_TRUE(torch::equal(t, u)) << name;
}

TEST(WeightsSection, EveryTruncationIsRefused) {
  const std::string bytes = wdc::io::encode_weights(network_like());
  const NamedTensors target = zeros_like(network_like());
  for (size_t n = 0; n < bytes.size(); n += 7)
    EXPECT_EQ(decode_code(bytes.substr(0, n), target), wdc::ErrorCode::kFormat) << n;
  EXPECT_EQ(decode_code(bytes + "x", target), wdc::ErrorCode::kFormat);
}

TEST(WeightsSection, DisagreementWithTheNetworkIsRefused) {
  const std::string bytes = wdc::io::encode_weights(network_like());
  NamedTensors other_shape = zeros_like(network_like());
  other_shape[0].second = torch::zeros({4, 3, 3, 2});
  NamedTensors other_type = zeros_like(network_like());
  other_type[1].second = torch::zeros({8}, torch::kDouble);
  NamedTensors other_name = zeros_like(network_like());
  other_name[1].first = "fc.weight";
  NamedTensors fewer = zeros_like(network_like());
  fewer.pop_back();
  for (const NamedTensors* target : {&other_shape, &other_type, &other_name, &fewer})
    EXPECT_EQ(decode_code(bytes, *target), wdc::ErrorCode::kFormat);
}

TEST(WeightsSection, HugeSizeFieldsAreRefusedBeforeAnyCopy) {
  std::string bytes = wdc::io::encode_weights({{"fc.bias", torch::ones({8})}});
  NamedTensors target = {{"fc.bias", torch::zeros({8})}};
  // Layout: u64 count, u32 name length, name, u8 type, u8 rank, i64 size, u64 byte count.
  const size_t byte_count_at = 8 + 4 + 7 + 1 + 1 + 8;
  const uint64_t huge = uint64_t{1} << 62;
  std::string lying = bytes;
  std::memcpy(lying.data() + byte_count_at, &huge, sizeof huge);
  EXPECT_EQ(decode_code(lying, target), wdc::ErrorCode::kFormat);
  std::string long_name = bytes;
  const uint32_t name_bytes = 0xffffffff;
  std::memcpy(long_name.data() + 8, &name_bytes, sizeof name_bytes);
  EXPECT_EQ(decode_code(long_name, target), wdc::ErrorCode::kFormat);
  std::string many = bytes;
  std::memcpy(many.data(), &huge, sizeof huge);
  EXPECT_EQ(decode_code(many, target), wdc::ErrorCode::kFormat);
  EXPECT_TRUE(torch::equal(target[0].second, torch::zeros({8})));
}

}  // namespace
