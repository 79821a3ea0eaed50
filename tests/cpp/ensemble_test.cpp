// Ensembles (NetworkConfig::ensemble): trained together, each member must learn exactly what it
// learns alone; the ensemble's probabilities are the mean of its members', its embedding theirs
// side by side; its config, model file, CAMs and folded inference work as one network's do.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/synth.h"
#include "error_code_of.h"
#include "model/classifier.h"
#include "nn/folded_network.h"
#include "nn/inference.h"
#include "nn/network_config.h"
#include "nn/wafer_net.h"
#include "train/trainer.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Two members that differ in encoding, the fail fraction plane, blocks, dropout and seed.
const char* kMemberA =
    R"({"input": {"encoding": "onehot"}, "blocks": [{"channels": 8, "stride": 2,
        "modulated": true}, {"channels": 12, "stride": 2}], "dropout": 0.2, "seed": 4})";
const char* kMemberB =
    R"({"input": {"encoding": "raw", "fail_fraction": true}, "blocks": [{"channels": 6,
        "stride": 2}, {"channels": 10, "stride": 2, "deformable": false}], "seed": 9})";

std::string ensemble_config() {
  return R"({"input": {"height": 52, "width": 52}, "ensemble": [)" + std::string(kMemberA) + ", " +
         kMemberB + "]}";
}

// A member's config as a network of its own (the ensemble's input size and labels are the
// defaults here too).
std::string alone(const char* member) {
  json j = json::parse(member);
  j["input"]["height"] = 52;
  j["input"]["width"] = 52;
  return j.dump();
}

std::vector<torch::Tensor> state_of(torch::nn::Module& module) {
  std::vector<torch::Tensor> all = module.parameters();
  for (const auto& b : module.buffers()) all.push_back(b);
  return all;
}

TEST(Ensemble, ConfigNamesItsMembersAndRefusesWhatBelongsToThem) {
  const wdc::nn::NetworkConfig c = wdc::nn::parse_network_config(ensemble_config());
  ASSERT_EQ(c.ensemble.size(), 2u);
  const wdc::nn::NetworkConfig b = c.member(1);
  EXPECT_EQ(b.encoding, "raw");
  EXPECT_TRUE(b.fail_fraction);
  EXPECT_EQ(b.seed, 9u);
  EXPECT_EQ(b.labels, c.labels);
  EXPECT_EQ(b.input_height, 52);
  // The JSON round trip keeps every member.
  const json written = wdc::nn::to_json(c);
  EXPECT_EQ(wdc::nn::to_json(wdc::nn::parse_network_config(written.dump())), written);
  EXPECT_FALSE(written.contains("blocks"));
  EXPECT_EQ(written["ensemble"][1]["input"]["fail_fraction"], true);
  // Parameters: the members' own, counted from the config as the built network has them.
  wdc::nn::WaferNet net(c);
  int64_t built = 0;
  for (const auto& p : net->parameters()) built += p.numel();
  EXPECT_EQ(wdc::nn::parameter_count(c), built);
  EXPECT_EQ(built, wdc::nn::parameter_count(wdc::nn::parse_network_config(alone(kMemberA))) +
                       wdc::nn::parameter_count(wdc::nn::parse_network_config(alone(kMemberB))));

  for (const char* bad : {
           R"({"ensemble": [{"blocks": [{"channels": 4}]}]})",  // one member
           R"({"ensemble": {"a": {}}})",
           R"({"blocks": [{"channels": 4}], "ensemble": [{}, {}]})",  // the members' key
           R"({"input": {"encoding": "onehot"}, "ensemble": [{}, {}]})",
           R"({"ensemble": [{}, {"labels": ["a", "b"]}]})",  // the ensemble's key
           R"({"ensemble": [{}, {"input": {"height": 30}}]})",
           R"({"ensemble": [{}, {"blocks": [{"kernel": 2}]}]})",
           R"({"ensemble": [{}, 3]})",
       })
    EXPECT_EQ(error_code_of([&] { wdc::nn::parse_network_config(bad); }), wdc::ErrorCode::kConfig)
        << bad;
}

// The members share no weights and the loss is the sum of theirs, so training them together
// must give each the weights it gets alone: the same data order, dropout masks and steps.
TEST(Ensemble, EachMemberLearnsExactlyWhatItLearnsAlone) {
  const wdc::data::WaferSet train = wdc::data::synthesize(96, 5);
  const wdc::data::WaferSet no_val;  // without validation every epoch's weights are kept
  wdc::train::TrainOptions o;
  o.epochs = 2;
  o.batch_size = 16;
  o.lr = 0.05;
  o.augment = true;
  o.seed = 3;
  wdc::nn::WaferNet ensemble(wdc::nn::parse_network_config(ensemble_config()));
  wdc::train::fit(ensemble, train, no_val, o, nullptr, torch::kCPU);
  const char* members[] = {kMemberA, kMemberB};
  for (size_t m = 0; m < 2; ++m) {
    wdc::nn::WaferNet single(wdc::nn::parse_network_config(alone(members[m])));
    const std::vector<torch::Tensor> before = state_of(*single);
    std::vector<torch::Tensor> initial;
    for (const auto& t : before) initial.push_back(t.clone());
    wdc::train::fit(single, train, no_val, o, nullptr, torch::kCPU);
    const std::vector<torch::Tensor> together = state_of(*ensemble->members()[m]);
    const std::vector<torch::Tensor> by_itself = state_of(*single);
    ASSERT_EQ(together.size(), by_itself.size());
    bool trained = false;
    for (size_t i = 0; i < together.size(); ++i) {
      EXPECT_TRUE(torch::equal(together[i], by_itself[i])) << "member " << m << " tensor " << i;
      trained = trained || !torch::equal(by_itself[i], initial[i]);
    }
    EXPECT_TRUE(trained) << "member " << m;  // the comparison is of trained weights
  }
}

// Members of one architecture differ in their initial weights (their seeds) and, so that they
// differ in more than their start, in their dropout masks; a network of seed 0 keeps the masks
// it always drew: the generator seeded with the trainer's seed itself.
TEST(Ensemble, NetworksOfOtherSeedsDrawOtherDropoutMasks) {
  const char* config = R"({"input": {"height": 20, "width": 20}, "blocks": [{"channels": 16,
      "stride": 2}], "dropout": 0.5, "seed": %d})";
  char text[256];
  std::snprintf(text, sizeof text, config, 0);
  wdc::nn::WaferNet seed0(wdc::nn::parse_network_config(text));
  std::snprintf(text, sizeof text, config, 1);
  wdc::nn::WaferNet seed1(wdc::nn::parse_network_config(text));
  {
    torch::NoGradGuard no_grad;  // the same weights, so that only the masks can differ
    const auto from = state_of(*seed0), to = state_of(*seed1);
    for (size_t i = 0; i < from.size(); ++i) to[i].copy_(from[i]);
  }
  const torch::Tensor maps = torch::randint(0, 3, {4, 20, 20}, torch::kUInt8);
  seed0->train();
  seed1->train();
  const torch::Tensor features = seed0->features(seed0->encode(maps)).detach();
  seed0->seed_dropout(7);
  seed1->seed_dropout(7);
  const torch::Tensor out0 = seed0->head(features).detach();
  const torch::Tensor out1 = seed1->head(features).detach();
  const torch::Tensor pooled = wdc::nn::WaferNetImpl::pool(features);
  torch::Tensor mask = torch::empty_like(pooled);
  mask.bernoulli_(0.5, at::make_generator<at::CPUGeneratorImpl>(7)).div_(0.5);
  const torch::Tensor by_hand = torch::nn::functional::linear(
      pooled * mask, seed0->classifier_weight(), seed0->named_parameters()["fc.bias"]);
  EXPECT_TRUE(torch::allclose(out0, by_hand.detach(), 1e-5, 1e-6));
  EXPECT_FALSE(torch::allclose(out1, out0, 1e-3, 1e-4));
}

TEST(Ensemble, ProbabilitiesAreTheMembersMeanAndEmbeddingsTheirsSideBySide) {
  wdc::nn::WaferNet ensemble(wdc::nn::parse_network_config(ensemble_config()));
  ensemble->eval();
  const wdc::data::WaferSet maps = wdc::data::synthesize(6, 8);
  const auto outputs = [&](wdc::nn::WaferNet& net, const wdc::nn::FoldedNetwork* folded) {
    return wdc::nn::run_network(net, maps.maps.data(), maps.count, 52, 52, torch::kCPU, true, true,
                                4, folded);
  };
  const wdc::nn::NetworkOutputs all = outputs(ensemble, nullptr);
  wdc::nn::WaferNet a(ensemble->members()[0]), b(ensemble->members()[1]);
  const wdc::nn::NetworkOutputs first = outputs(a, nullptr), second = outputs(b, nullptr);
  ASSERT_EQ(all.probabilities.size(), first.probabilities.size());
  for (size_t i = 0; i < all.probabilities.size(); ++i)
    EXPECT_NEAR(all.probabilities[i], (first.probabilities[i] + second.probabilities[i]) / 2, 1e-6);
  const int64_t da = a->embedding_size(), db = b->embedding_size();
  ASSERT_EQ(ensemble->embedding_size(), da + db);
  for (int64_t n = 0; n < maps.count; ++n) {
    double norm = 0;
    for (int64_t k = 0; k < da + db; ++k) {
      const float v = all.embeddings[n * (da + db) + k];
      const float member =
          k < da ? first.embeddings[n * da + k] : second.embeddings[n * db + (k - da)];
      EXPECT_NEAR(v, member / std::sqrt(2.0), 1e-6);
      norm += v * v;
    }
    EXPECT_NEAR(norm, 1.0, 1e-5);
  }
  // Folded (BatchNorm into the convolutions, float32) per member: the same outputs.
  const wdc::nn::FoldedNetwork folded(ensemble, torch::kFloat);
  const wdc::nn::NetworkOutputs through_folded = outputs(ensemble, &folded);
  for (size_t i = 0; i < all.probabilities.size(); ++i)
    EXPECT_NEAR(through_folded.probabilities[i], all.probabilities[i], 1e-4);
}

TEST(Ensemble, ModelFileCamAndTrainingWorkAsForOneNetwork) {
  auto model = wdc::Classifier::create(ensemble_config(), {"cpu", 2});
  const json report = json::parse(model->train(
      R"({"synthetic": 200, "epochs": 1, "batch_size": 16, "tune_thresholds": true})", nullptr));
  EXPECT_EQ(report["history"].size(), 1u);
  const fs::path path =
      fs::temp_directory_path() / ("wdc_ensemble_test_" + std::to_string(::getpid()) + ".wdcm");
  model->save(path.string());
  auto loaded = wdc::Classifier::load(path.string(), {"cpu", 2});
  fs::remove(path);
  const wdc::data::WaferSet maps = wdc::data::synthesize(5, 2);
  EXPECT_EQ(loaded->predict(maps.maps.data(), 5, 52, 52),
            model->predict(maps.maps.data(), 5, 52, 52));
  EXPECT_EQ(loaded->fingerprint(), model->fingerprint());
  EXPECT_EQ(json::parse(loaded->info())["config"], json::parse(model->info())["config"]);
  // A CAM at the map's own size, in [0, 1], reaching both ends.
  const std::vector<uint8_t> small(maps.maps.begin(), maps.maps.begin() + 52 * 52);
  const std::vector<float> cam = loaded->cam(small.data(), 52, 52, 0);
  ASSERT_EQ(cam.size(), 52u * 52u);
  EXPECT_EQ(*std::min_element(cam.begin(), cam.end()), 0.0f);
  EXPECT_EQ(*std::max_element(cam.begin(), cam.end()), 1.0f);
  EXPECT_EQ(loaded->embedding_size(), 12 + 10);
}

}  // namespace
