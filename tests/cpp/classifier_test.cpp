// The classifier end to end on generated maps: training learns, save/load round-trips exactly,
// damaged model files are refused, CAMs have the right shape and look at the defect.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

#include "data/wafer_file.h"
#include "data/synth.h"
#include "model/classifier.h"
#include "error_code_of.h"
#include "nn/network_config.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const char* kTinyNet =
    R"({"input": {"encoding": "onehot"},
        "blocks": [{"channels": 16, "stride": 2}, {"channels": 32, "stride": 2},
                   {"channels": 32, "stride": 2}]})";

fs::path temp_dir() {
  fs::path dir = fs::temp_directory_path() / ("wdc_classifier_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir;
}

// One shared trained model keeps the suite fast: training is the slow part.
class ClassifierTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    model_ = wdc::Classifier::create(kTinyNet, {"cpu", 2}).release();
    untrained_ = wdc::Classifier::create(kTinyNet, {"cpu", 2}).release();
    std::vector<double> losses;
    report_ = json::parse(model_->train(
        R"({"synthetic": 1500, "epochs": 4, "lr": 0.1, "batch_size": 16, "seed": 3})",
        [&](const wdc::TrainProgress& p) {
          if (p.val_exact_match >= 0) losses.push_back(p.loss);
          return false;
        }));
    epoch_losses_ = losses;
    held_out_ = new wdc::data::WaferSet(wdc::data::synthesize(400, 999));
  }
  static void TearDownTestSuite() {
    delete model_;
    delete untrained_;
    delete held_out_;
    fs::remove_all(temp_dir());
  }
  static wdc::Classifier* model_;
  static wdc::Classifier* untrained_;
  static json report_;
  static std::vector<double> epoch_losses_;
  static wdc::data::WaferSet* held_out_;
};
wdc::Classifier* ClassifierTest::model_ = nullptr;
wdc::Classifier* ClassifierTest::untrained_ = nullptr;
json ClassifierTest::report_;
std::vector<double> ClassifierTest::epoch_losses_;
wdc::data::WaferSet* ClassifierTest::held_out_ = nullptr;

TEST_F(ClassifierTest, TrainingLowersLossAndLearnsFarAboveChance) {
  ASSERT_EQ(epoch_losses_.size(), 4u);
  EXPECT_LT(epoch_losses_.back(), epoch_losses_.front() * 0.75);
  EXPECT_EQ(report_["history"].size(), 4u);
  // Guessing one of 38 types scores under 3% exact match, an untrained net about that; four
  // short epochs on generated maps reach well over 15% (and a mean F1 far above the untrained).
  const json trained = wdc::train::to_json(model_->evaluate(*held_out_));
  const json untrained = wdc::train::to_json(untrained_->evaluate(*held_out_));
  EXPECT_GT(trained["exact_match"].get<double>(), 0.15) << trained.dump();
  EXPECT_GT(trained["exact_match"].get<double>(), untrained["exact_match"].get<double>() + 0.1);
  EXPECT_GT(trained["mean_f1"].get<double>(), untrained["mean_f1"].get<double>() + 0.2);
  EXPECT_EQ(trained["samples"], 400);
  EXPECT_EQ(trained["labels"].size(), 8u);
}

TEST_F(ClassifierTest, SaveLoadGivesIdenticalPredictions) {
  const fs::path path = temp_dir() / "model.wdcm";
  model_->save(path.string());
  auto loaded = wdc::Classifier::load(path.string(), {"cpu", 2});
  const auto a = model_->predict(held_out_->maps.data(), 50, 52, 52);
  const auto b = loaded->predict(held_out_->maps.data(), 50, 52, 52);
  EXPECT_EQ(a, b);
  EXPECT_EQ(json::parse(loaded->info())["training"]["history"].size(), 4u);
}

TEST_F(ClassifierTest, TruncatedAndCorruptedModelFilesAreRefused) {
  const fs::path path = temp_dir() / "damaged.wdcm";
  model_->save(path.string());
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), {});
  auto write = [&](const std::string& b) { std::ofstream(path, std::ios::binary) << b; };

  write(bytes.substr(0, bytes.size() / 2));
  EXPECT_EQ(error_code_of([&] { wdc::Classifier::load(path.string()); }), wdc::ErrorCode::kFormat);
  std::string flipped = bytes;
  flipped[bytes.size() / 2] ^= 0x40;
  write(flipped);
  EXPECT_EQ(error_code_of([&] { wdc::Classifier::load(path.string()); }), wdc::ErrorCode::kFormat);
  write("not a model at all");
  EXPECT_EQ(error_code_of([&] { wdc::Classifier::load(path.string()); }), wdc::ErrorCode::kFormat);
  EXPECT_EQ(error_code_of([&] { wdc::Classifier::load((temp_dir() / "missing.wdcm").string()); }),
            wdc::ErrorCode::kIo);
}

TEST_F(ClassifierTest, PredictResizesMapsOfOtherSizes) {
  // A 104x104 map made of 2x2 blocks of a 52x52 map resizes back to exactly that map.
  const uint8_t* map = held_out_->map(0);
  std::vector<uint8_t> big(104 * 104);
  for (int r = 0; r < 104; ++r)
    for (int c = 0; c < 104; ++c) big[r * 104 + c] = map[(r / 2) * 52 + c / 2];
  EXPECT_EQ(model_->predict(big.data(), 1, 104, 104), model_->predict(map, 1, 52, 52));
}

TEST_F(ClassifierTest, CamHasMapSizeUnitRangeAndPeaksOnThePlantedDefect) {
  // Center maps: the defect sits in the middle of the wafer.
  const wdc::data::WaferSet centers = wdc::data::synthesize_type(1, 5, 20);  // C2 Center
  int peaks_near_center = 0;
  for (int64_t i = 0; i < centers.count; ++i) {
    const auto cam = model_->cam(centers.map(i), 52, 52, wdc::data::kCenter);
    ASSERT_EQ(cam.size(), 52u * 52u);
    const auto [lo, hi] = std::minmax_element(cam.begin(), cam.end());
    EXPECT_FLOAT_EQ(*lo, 0.0f);
    EXPECT_FLOAT_EQ(*hi, 1.0f);
    const int64_t peak = hi - cam.begin();
    const int64_t r = peak / 52, c = peak % 52;
    peaks_near_center += (r - 26) * (r - 26) + (c - 26) * (c - 26) <= 12 * 12;
  }
  EXPECT_GE(peaks_near_center, 16) << "of 20 Center maps";
  const auto small = model_->cam(centers.map(0), 52, 52, 0);
  EXPECT_EQ(small.size(), 52u * 52u);
}

TEST_F(ClassifierTest, MisuseGivesErrorCodes) {
  const uint8_t map[4] = {0, 1, 2, 1};
  EXPECT_EQ(error_code_of([&] { model_->predict(nullptr, 1, 52, 52); }),
            wdc::ErrorCode::kInvalidArgument);
  EXPECT_EQ(error_code_of([&] { model_->predict(map, 0, 2, 2); }),
            wdc::ErrorCode::kInvalidArgument);
  EXPECT_EQ(error_code_of([&] { model_->cam(map, 2, 2, 8); }), wdc::ErrorCode::kInvalidArgument);
  EXPECT_EQ(error_code_of([&] { model_->cam(map, 2, 2, -1); }), wdc::ErrorCode::kInvalidArgument);
  EXPECT_EQ(error_code_of([&] { wdc::Classifier::create(R"({"blocks": 3})"); }),
            wdc::ErrorCode::kConfig);
  EXPECT_EQ(error_code_of([&] { wdc::Classifier::create(R"({"blokcs": []})"); }),
            wdc::ErrorCode::kConfig);
  EXPECT_EQ(error_code_of([&] { wdc::Classifier::create("{not json"); }), wdc::ErrorCode::kConfig);
  EXPECT_EQ(error_code_of([&] {
              wdc::Classifier::create("", {"tpu", 0});
            }),
            wdc::ErrorCode::kInvalidArgument);
  EXPECT_EQ(error_code_of([&] { untrained_->train(R"({"epochs": 1})", nullptr); }),
            wdc::ErrorCode::kConfig);
  EXPECT_EQ(error_code_of([&] { untrained_->train(R"({"data": "/nonexistent.npz"})", nullptr); }),
            wdc::ErrorCode::kIo);
}

TEST_F(ClassifierTest, CancellingKeepsTheWeightsBeforeTheCall) {
  auto model = wdc::Classifier::create(kTinyNet, {"cpu", 2});
  const auto before = model->predict(held_out_->maps.data(), 5, 52, 52);
  int calls = 0;
  EXPECT_EQ(error_code_of([&] {
              model->train(R"({"synthetic": 200, "epochs": 2})",
                           [&](const wdc::TrainProgress&) { return ++calls == 3; });
            }),
            wdc::ErrorCode::kCancelled);
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(model->predict(held_out_->maps.data(), 5, 52, 52), before);
}

TEST(ClassifierConfig, ParameterCountMatchesTheBuiltNetwork) {
  for (const char* config :
       {"", kTinyNet,
        R"({"blocks": [{"channels": 5, "kernel": 7, "modulated": true}, {"channels": 3,
            "deformable": false}], "labels": ["a", "b", "c"]})",
        R"({"input": {"encoding": "onehot"}, "blocks": [{"kernel": 1, "stride": 3}]})"}) {
    auto model = wdc::Classifier::create(config);
    const int64_t built = json::parse(model->info())["parameters"].get<int64_t>();
    EXPECT_EQ(wdc::nn::parameter_count(wdc::nn::parse_network_config(config)), built) << config;
  }
}

TEST(ClassifierLimits, AreEnforcedBeforeAnythingIsAllocated) {
  wdc::RuntimeOptions small{"cpu", 1, {}};
  wdc::set_limit(small.limits, "max_map_side", 40);
  wdc::set_limit(small.limits, "max_batch", 3);
  wdc::set_limit(small.limits, "max_file_bytes", 1024);
  auto model = wdc::Classifier::create(kTinyNet, small);
  const std::vector<uint8_t> maps(4 * 52 * 52, 1);
  EXPECT_EQ(model->predict(maps.data(), 3, 40, 40).size(), 3u * 8);
  EXPECT_EQ(error_code_of([&] { model->predict(maps.data(), 1, 41, 40); }),
            wdc::ErrorCode::kInvalidArgument);
  EXPECT_EQ(error_code_of([&] { model->cam(maps.data(), 40, 41, 0); }),
            wdc::ErrorCode::kInvalidArgument);
  EXPECT_EQ(error_code_of([&] { model->predict(maps.data(), 4, 20, 20); }),
            wdc::ErrorCode::kInvalidArgument);

  // A model file and an npz array larger than max_file_bytes are refused.
  const fs::path path = temp_dir() / "limits.wdcm";
  model->save(path.string());
  EXPECT_EQ(error_code_of([&] { wdc::Classifier::load(path.string(), small); }),
            wdc::ErrorCode::kFormat);
  const fs::path npz = temp_dir() / "limits.npz";
  wdc::data::save_wafer_npz(npz.string(), wdc::data::synthesize(20, 1));
  EXPECT_EQ(error_code_of([&] { model->evaluate_file(npz.string()); }), wdc::ErrorCode::kFormat);
  fs::remove_all(temp_dir());  // the suite's teardown ran before this test
  // Generated training maps count against the same limit (20 maps of 52x52 > 1024 bytes).
  EXPECT_EQ(error_code_of([&] { model->train(R"({"synthetic": 20, "epochs": 1})", nullptr); }),
            wdc::ErrorCode::kConfig);

  wdc::RuntimeOptions tight{"cpu", 1, {}};
  wdc::set_limit(tight.limits, "max_parameters", 1000);
  EXPECT_EQ(error_code_of([&] { wdc::Classifier::create(kTinyNet, tight); }),
            wdc::ErrorCode::kConfig);

  wdc::Limits limits;
  EXPECT_EQ(error_code_of([&] { wdc::set_limit(limits, "max_side", 10); }),
            wdc::ErrorCode::kConfig);
  EXPECT_EQ(error_code_of([&] { wdc::set_limit(limits, "max_batch", 0); }),
            wdc::ErrorCode::kConfig);
  EXPECT_EQ(error_code_of([&] { wdc::set_limit(limits, "max_file_bytes", 1023); }),
            wdc::ErrorCode::kConfig);
  EXPECT_EQ(limits.max_batch, wdc::Limits{}.max_batch);  // failures change nothing
}

// min_type_samples: each epoch has every map once plus repeats that bring each rarer type up to
// the minimum, so the number of steps follows from the type counts of the data.
TEST(ClassifierTraining, RareTypesAreRepeatedUpToMinTypeSamples) {
  const int64_t maps = 300, minimum = 12, batch = 16;
  const wdc::data::WaferSet set = wdc::data::synthesize(maps, 4);
  std::map<int, int64_t> per_type;
  for (int64_t i = 0; i < set.count; ++i) ++per_type[set.pattern_type(i)];
  int64_t epoch_maps = maps;
  for (const auto& [type, n] : per_type) epoch_maps += std::max<int64_t>(0, minimum - n);
  ASSERT_GT(epoch_maps, maps) << "the generated set should have types rarer than the minimum";

  auto steps_of = [&](const std::string& extra) {
    auto model = wdc::Classifier::create(R"({"blocks": [{"channels": 4, "stride": 4}]})");
    int64_t steps = 0;
    model->train(R"({"synthetic": 300, "seed": 4, "epochs": 1, "batch_size": 16,
                     "val_fraction": 0)" + extra + "}",
                 [&](const wdc::TrainProgress& p) {
                   steps = p.steps;
                   return false;
                 });
    return steps;
  };
  EXPECT_EQ(steps_of(""), (maps + batch - 1) / batch);
  EXPECT_EQ(steps_of(", \"min_type_samples\": 12"), (epoch_maps + batch - 1) / batch);
}

}  // namespace
