// Metrics against values computed by hand.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "train/metrics.h"

namespace {

const std::vector<std::string> kNames = {"Center", "Donut",   "Edge_Loc", "Edge_Ring",
                                         "Loc",    "Near_Full", "Scratch", "Random"};
const std::vector<float> kHalf(8, 0.5f);

TEST(Metrics, HandComputedExample) {
  // Three maps. Truth: C1 Normal, C2 Center, C13 C+S.
  const std::vector<uint8_t> truth = {0, 0, 0, 0, 0, 0, 0, 0,   //
                                      1, 0, 0, 0, 0, 0, 0, 0,   //
                                      1, 0, 0, 0, 0, 0, 1, 0};
  // Predicted: Normal (right), Center (right), Center only (Scratch missed).
  const std::vector<float> p = {.1f, .1f, .1f, .1f, .1f, .1f, .1f, .1f,  //
                                .9f, .2f, .1f, .1f, .1f, .1f, .3f, .1f,  //
                                .8f, .1f, .1f, .1f, .1f, .1f, .4f, .1f};
  const auto r = wdc::train::evaluate_predictions(p, truth, kNames, kHalf);
  EXPECT_EQ(r.samples, 3);
  EXPECT_DOUBLE_EQ(r.exact_match, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(r.hamming, 23.0 / 24.0);
  // Center: tp 2, fp 0, fn 0 -> 1. Scratch: tp 0, fn 1 -> P 0 (no predictions), R 0, F1 0.
  EXPECT_DOUBLE_EQ(r.labels[0].f1, 1.0);
  EXPECT_EQ(r.labels[0].support, 2);
  EXPECT_DOUBLE_EQ(r.labels[6].precision, 0.0);
  EXPECT_DOUBLE_EQ(r.labels[6].recall, 0.0);
  EXPECT_DOUBLE_EQ(r.labels[6].f1, 0.0);
  EXPECT_EQ(r.labels[6].support, 1);
  // Labels never present nor predicted count as perfect.
  EXPECT_DOUBLE_EQ(r.labels[1].f1, 1.0);
  EXPECT_DOUBLE_EQ(r.min_f1, 0.0);
  EXPECT_DOUBLE_EQ(r.mean_f1, 7.0 / 8.0);
  ASSERT_EQ(r.types.size(), 3u);
  EXPECT_EQ(r.types[0].id, "C1");
  EXPECT_EQ(r.types[1].id, "C2");
  EXPECT_EQ(r.types[2].id, "C13");
  EXPECT_EQ(r.types[2].name, "C+S");
  EXPECT_EQ(r.types[2].correct, 0);
  EXPECT_EQ(r.types[1].correct, 1);
}

TEST(Metrics, PrecisionRecallWithFalsePositives) {
  // Loc: truth 1,1,0,0; predicted 1,0,1,1 -> tp 1, fp 2, fn 1: P 1/3, R 1/2, F1 0.4.
  std::vector<uint8_t> truth(32, 0);
  std::vector<float> p(32, 0.f);
  const int loc = 4;
  truth[0 * 8 + loc] = truth[1 * 8 + loc] = 1;
  p[0 * 8 + loc] = p[2 * 8 + loc] = p[3 * 8 + loc] = 0.7f;
  const auto r = wdc::train::evaluate_predictions(p, truth, kNames, kHalf);
  EXPECT_NEAR(r.labels[loc].precision, 1.0 / 3.0, 1e-12);
  EXPECT_NEAR(r.labels[loc].recall, 0.5, 1e-12);
  EXPECT_NEAR(r.labels[loc].f1, 0.4, 1e-12);
  EXPECT_DOUBLE_EQ(r.exact_match, 0.25);  // only map 0 is right on all eight labels
}

TEST(Metrics, ThresholdsArePerLabel) {
  std::vector<uint8_t> truth(8, 0);
  truth[0] = 1;
  std::vector<float> p(8, 0.f);
  p[0] = 0.3f;
  std::vector<float> thresholds = kHalf;
  EXPECT_DOUBLE_EQ(wdc::train::evaluate_predictions(p, truth, kNames, thresholds).exact_match, 0);
  thresholds[0] = 0.25f;
  EXPECT_DOUBLE_EQ(wdc::train::evaluate_predictions(p, truth, kNames, thresholds).exact_match, 1);
}

TEST(Metrics, JsonHasTheDocumentedKeys) {
  std::vector<uint8_t> truth(8, 0);
  const auto j = (wdc::train::to_json(
      wdc::train::evaluate_predictions(std::vector<float>(8, 0.f), truth, kNames, kHalf)));
  for (const char* key : {"samples", "exact_match", "hamming", "mean_f1", "min_f1", "labels", "types"})
    EXPECT_TRUE(j.contains(key)) << key;
  for (const char* key : {"name", "precision", "recall", "f1", "support"})
    EXPECT_TRUE(j["labels"][0].contains(key)) << key;
  for (const char* key : {"id", "name", "count", "correct", "accuracy"})
    EXPECT_TRUE(j["types"][0].contains(key)) << key;
}

TEST(Metrics, MismatchedSizesAreAnError) {
  EXPECT_ANY_THROW(wdc::train::evaluate_predictions({0.f}, {0, 0}, kNames, kHalf));
}

}  // namespace

TEST(SingleLabelMetrics, HandComputedExample) {
  // Four maps of classes a, a, b, c; predicted (argmax) a, b, b, a.
  const std::vector<std::string> names = {"a", "b", "c"};
  const std::vector<uint8_t> truth = {1, 0, 0, /**/ 1, 0, 0, /**/ 0, 1, 0, /**/ 0, 0, 1};
  const std::vector<float> p = {.7f, .2f, .1f, /**/ .3f, .6f, .1f,
                                .1f, .8f, .1f, /**/ .5f, .1f, .4f};
  const auto r = wdc::train::evaluate_predictions(p, truth, names, {.5f, .5f, .5f}, true);
  ASSERT_TRUE(r.single_label);
  EXPECT_DOUBLE_EQ(r.exact_match, 0.5);
  const std::vector<std::vector<int64_t>> confusion = {{1, 1, 0}, {0, 1, 0}, {1, 0, 0}};
  EXPECT_EQ(r.confusion, confusion);
  // a: P 1/2, R 1/2, F1 1/2. b: P 1/2, R 1, F1 2/3. c: nothing predicted, R 0, F1 0.
  EXPECT_DOUBLE_EQ(r.labels[0].f1, 0.5);
  EXPECT_DOUBLE_EQ(r.labels[1].precision, 0.5);
  EXPECT_DOUBLE_EQ(r.labels[1].recall, 1.0);
  EXPECT_NEAR(r.labels[1].f1, 2.0 / 3.0, 1e-12);
  EXPECT_DOUBLE_EQ(r.labels[2].f1, 0.0);
  EXPECT_EQ(r.labels[2].support, 1);
  EXPECT_NEAR(r.mean_f1, (0.5 + 2.0 / 3.0) / 3.0, 1e-12);
  EXPECT_TRUE(r.types.empty());
  const nlohmann::json j = wdc::train::to_json(r);
  EXPECT_EQ(j["task"], "single_label");
  EXPECT_DOUBLE_EQ(j["accuracy"].get<double>(), 0.5);
  EXPECT_NEAR(j["macro_f1"].get<double>(), (0.5 + 2.0 / 3.0) / 3.0, 1e-12);
  EXPECT_EQ(j["confusion"], nlohmann::json(confusion));
}

TEST(SingleLabelMetrics, PatternTypesFollowMixedWM38NamesInAnyOrder) {
  // MixedWM38's labels, reordered: Random first. Truth Center only -> C2.
  const std::vector<std::string> names = {"Random",    "Center", "Donut",     "Edge_Loc",
                                          "Edge_Ring", "Loc",    "Near_Full", "Scratch"};
  const std::vector<uint8_t> truth = {0, 1, 0, 0, 0, 0, 0, 0};
  const std::vector<float> p = {.1f, .9f, .1f, .1f, .1f, .1f, .1f, .1f};
  const auto r = wdc::train::evaluate_predictions(p, truth, names, kHalf);
  ASSERT_EQ(r.types.size(), 1u);
  EXPECT_EQ(r.types[0].id, "C2");
  EXPECT_EQ(r.types[0].correct, 1);
}
