// Single-label models on maps of several sizes, as a fab's own data has them: the labels come
// from the data, probabilities are a softmax, evaluation gives accuracy, macro F1 and the
// confusion matrix, and fine-tuning starts from another model's weights.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <numeric>

#include "data/resize.h"
#include "data/synth.h"
#include "model/classifier.h"
#include "error_code_of.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const char* kTinyNet =
    R"({"input": {"height": 32, "width": 32, "encoding": "onehot"},
        "blocks": [{"channels": 16, "stride": 2}, {"channels": 32, "stride": 2}]})";

// `per_class` generated maps of each of three MixedWM38 types as the classes Clean (C1 Normal),
// Centre (C2 Center) and Ring (C5 Edge_Ring), each map resized to one of four sizes, so that the
// set has maps of several sizes and one class per map.
wdc::data::WaferSet three_classes(int64_t per_class, uint64_t seed) {
  const int types[] = {0, 1, 4};
  const int64_t sides[][2] = {{30, 30}, {40, 36}, {52, 52}, {26, 28}};
  wdc::data::WaferSet set;
  set.label_names = {"Clean", "Centre", "Ring"};
  set.single_label = true;
  std::vector<int64_t> shapes;
  for (int c = 0; c < 3; ++c) {
    const wdc::data::WaferSet maps = wdc::data::synthesize_type(types[c], seed + c, per_class);
    for (int64_t i = 0; i < per_class; ++i) {
      const int64_t* s = sides[(i + c) % 4];
      const std::vector<uint8_t> m = wdc::data::resize_nearest(maps.map(i), 52, 52, s[0], s[1]);
      set.maps.insert(set.maps.end(), m.begin(), m.end());
      shapes.insert(shapes.end(), {s[0], s[1]});
      for (int k = 0; k < 3; ++k) set.labels.push_back(k == c);
    }
  }
  set.count = 3 * per_class;
  set.set_shapes(std::move(shapes), "three_classes");
  return set;
}

class SingleLabelTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    train_ = new wdc::data::WaferSet(three_classes(120, 10));
    held_out_ = new wdc::data::WaferSet(three_classes(40, 500));
    model_ = wdc::Classifier::create(kTinyNet, {"cpu", 2}).release();
    wdc::TrainSets given;
    given.train = train_;
    model_->train(R"({"epochs": 4, "lr": 0.05, "batch_size": 16, "augment": true, "seed": 1})",
                  nullptr, given);
  }
  static void TearDownTestSuite() {
    delete model_;
    delete train_;
    delete held_out_;
  }
  static wdc::Classifier* model_;
  static wdc::data::WaferSet* train_;
  static wdc::data::WaferSet* held_out_;
};
wdc::Classifier* SingleLabelTest::model_ = nullptr;
wdc::data::WaferSet* SingleLabelTest::train_ = nullptr;
wdc::data::WaferSet* SingleLabelTest::held_out_ = nullptr;

TEST_F(SingleLabelTest, TakesTheLabelsAndTaskOfItsTrainingData) {
  EXPECT_EQ(model_->label_names(), (std::vector<std::string>{"Clean", "Centre", "Ring"}));
  EXPECT_TRUE(model_->single_label());
  EXPECT_EQ(json::parse(model_->info())["config"]["task"], "single_label");
}

TEST_F(SingleLabelTest, ProbabilitiesOfEveryMapSumToOneAndTheLargestDecides) {
  const wdc::Classification c = model_->classify_set(*held_out_);
  ASSERT_EQ(c.probabilities.size(), static_cast<size_t>(held_out_->count) * 3);
  for (int64_t i = 0; i < held_out_->count; ++i) {
    const float* p = c.probabilities.data() + i * 3;
    EXPECT_NEAR(p[0] + p[1] + p[2], 1.0, 1e-5);
    const auto best = std::max_element(p, p + 3) - p;
    for (int k = 0; k < 3; ++k) EXPECT_EQ(c.present[i * 3 + k], k == best);
  }
}

TEST_F(SingleLabelTest, EvaluationCountsEveryMapOnceInTheConfusionMatrix) {
  const wdc::train::EvalReport r = model_->evaluate(*held_out_);
  ASSERT_TRUE(r.single_label);
  ASSERT_EQ(r.confusion.size(), 3u);
  int64_t total = 0, diagonal = 0;
  for (int t = 0; t < 3; ++t) {
    const int64_t row = std::accumulate(r.confusion[t].begin(), r.confusion[t].end(), int64_t{0});
    EXPECT_EQ(row, 40) << "class " << t;  // every true class has 40 maps
    EXPECT_EQ(r.labels[t].support, 40);
    total += row;
    diagonal += r.confusion[t][t];
    EXPECT_DOUBLE_EQ(r.labels[t].recall, r.confusion[t][t] / 40.0);
  }
  EXPECT_EQ(total, held_out_->count);
  EXPECT_DOUBLE_EQ(r.exact_match, static_cast<double>(diagonal) / total);
  // Clean, centre and ring maps are easy to tell apart: far above the 1/3 of guessing.
  EXPECT_GT(r.exact_match, 0.8);
  const json j = wdc::train::to_json(r);
  EXPECT_EQ(j["task"], "single_label");
  for (const char* key : {"samples", "accuracy", "macro_f1", "labels", "confusion"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_FALSE(j.contains("types"));
}

TEST_F(SingleLabelTest, CamsComeBackAtEachMapsOwnSize) {
  for (int64_t i : {0, 1, 3}) {
    const std::vector<float> cam =
        model_->cam(held_out_->map(i), held_out_->rows(i), held_out_->cols(i), 1);
    EXPECT_EQ(cam.size(), static_cast<size_t>(held_out_->rows(i) * held_out_->cols(i)));
  }
}

TEST_F(SingleLabelTest, DataOfOtherLabelsIsRefused) {
  wdc::data::WaferSet other = *held_out_;
  other.label_names = {"Clean", "Centre", "Donut"};
  EXPECT_EQ(error_code_of([&] { model_->evaluate(other); }), wdc::ErrorCode::kInvalidArgument);
  // A config that names its labels keeps them: data of other labels is an error, not a swap.
  auto named = wdc::Classifier::create(
      R"({"blocks": [{"channels": 8, "stride": 2}], "labels": ["a", "b", "c"]})", {"cpu", 2});
  wdc::TrainSets given;
  given.train = train_;
  EXPECT_EQ(error_code_of([&] { named->train(R"({"epochs": 1})", nullptr, given); }),
            wdc::ErrorCode::kInvalidArgument);
  EXPECT_EQ(named->label_names(), (std::vector<std::string>{"a", "b", "c"}));
}

TEST_F(SingleLabelTest, FineTuningStartsFromTheInitModelsWeights) {
  const fs::path path =
      fs::temp_directory_path() / ("wdc_single_label_" + std::to_string(::getpid()) + ".wdcm");
  model_->save(path.string());
  const double trained = model_->evaluate(*held_out_).exact_match;
  // lr 0: training changes no weight, only BatchNorm's running statistics (on the same maps),
  // so a model started from the trained one predicts like it, and one started from scratch
  // stays near guessing.
  const std::string frozen =
      R"({"epochs": 1, "lr": 0, "momentum": 0, "init": ")" + path.string() + R"("})";
  const std::string scratch_options = R"({"epochs": 1, "lr": 0, "momentum": 0})";
  wdc::TrainSets given;
  given.train = train_;
  auto tuned = wdc::Classifier::create(kTinyNet, {"cpu", 2});
  tuned->train(frozen, nullptr, given);
  auto scratch = wdc::Classifier::create(kTinyNet, {"cpu", 2});
  scratch->train(scratch_options, nullptr, given);
  EXPECT_NEAR(tuned->evaluate(*held_out_).exact_match, trained, 0.05);
  EXPECT_LT(scratch->evaluate(*held_out_).exact_match, 0.6);
  // Another architecture cannot lend its weights.
  auto wider = wdc::Classifier::create(
      R"({"input": {"height": 32, "width": 32, "encoding": "onehot"},
          "blocks": [{"channels": 24, "stride": 2}, {"channels": 32, "stride": 2}]})",
      {"cpu", 2});
  EXPECT_EQ(error_code_of([&] { wider->train(frozen, nullptr, given); }),
            wdc::ErrorCode::kInvalidArgument);
  fs::remove(path);
}

}  // namespace
