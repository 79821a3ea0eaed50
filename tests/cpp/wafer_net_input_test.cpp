// The network's input planes: the "fail_fraction" plane holds each map's share of failed wafer
// dies, counted here by hand, beside the encoding's own planes, which it leaves as they were.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include "error_code_of.h"
#include "nn/network_config.h"
#include "nn/wafer_net.h"

namespace {

using nlohmann::json;

const char* kWithFraction = R"({"input": {"height": 4, "width": 5, "encoding": "onehot",
  "fail_fraction": true}, "blocks": [{"channels": 4, "stride": 2, "modulated": true}]})";
const char* kWithout = R"({"input": {"height": 4, "width": 5, "encoding": "onehot"},
  "blocks": [{"channels": 4, "stride": 2, "modulated": true}]})";

// Three 4x5 maps: 3 of 14 wafer dies failed; every wafer die failed; no wafer die at all.
torch::Tensor three_maps() {
  torch::Tensor maps = torch::zeros({3, 4, 5}, torch::kUInt8);
  maps[0].narrow(0, 0, 3).narrow(1, 0, 4).fill_(1);  // 12 pass dies
  maps[0][3][0] = 1;
  maps[0][3][1] = 1;  // 14 wafer dies
  maps[0][0][0] = 2;
  maps[0][1][2] = 2;
  maps[0][3][1] = 2;  // 3 of them failed
  maps[1].narrow(0, 1, 2).fill_(2);
  return maps;
}

TEST(WaferNetInput, FailFractionPlaneHoldsEachMapsShareOfFailedWaferDies) {
  wdc::nn::WaferNet with(wdc::nn::parse_network_config(kWithFraction));
  wdc::nn::WaferNet without(wdc::nn::parse_network_config(kWithout));
  const torch::Tensor maps = three_maps();
  const torch::Tensor encoded = with->encode(maps);
  ASSERT_EQ(encoded.sizes(), (std::vector<int64_t>{3, 4, 4, 5}));
  const float expected[3] = {3.0f / 14.0f, 1.0f, 0.0f};
  for (int64_t i = 0; i < 3; ++i)
    EXPECT_TRUE(torch::allclose(encoded[i][3], torch::full({4, 5}, expected[i]))) << "map " << i;
  EXPECT_TRUE(torch::equal(encoded.narrow(1, 0, 3), without->encode(maps)));
}

TEST(WaferNetInput, FailFractionAddsOneInputChannelToTheFirstBlock) {
  const wdc::nn::NetworkConfig config = wdc::nn::parse_network_config(kWithFraction);
  EXPECT_EQ(config.input_channels(), 4);
  wdc::nn::WaferNet net(config);
  int64_t built = 0;
  for (const auto& p : net->parameters()) built += p.numel();
  EXPECT_EQ(wdc::nn::parameter_count(config), built);
  net->eval();
  torch::NoGradGuard no_grad;
  EXPECT_EQ(net->forward(three_maps()).sizes(), (std::vector<int64_t>{3, 8}));
}

TEST(WaferNetInput, FailFractionSurvivesTheConfigsJsonAndIsWrittenOnlyWhenOn) {
  const json on = wdc::nn::to_json(wdc::nn::parse_network_config(kWithFraction));
  EXPECT_EQ(on["input"]["fail_fraction"], true);
  EXPECT_TRUE(wdc::nn::parse_network_config(on.dump()).fail_fraction);
  // Models without the plane keep the JSON that libraries before it read.
  EXPECT_FALSE(
      wdc::nn::to_json(wdc::nn::parse_network_config(kWithout))["input"].contains("fail_fraction"));
  EXPECT_EQ(
      error_code_of([] { wdc::nn::parse_network_config(R"({"input": {"fail_fraction": 1}})"); }),
      wdc::ErrorCode::kConfig);
}

}  // namespace
