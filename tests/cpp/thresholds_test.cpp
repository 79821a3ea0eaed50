// Threshold tuning on hand-made predictions whose best thresholds are known.
#include <gtest/gtest.h>

#include "train/thresholds.h"

namespace {

TEST(Thresholds, StayAtOneHalfWhenThatIsAlreadyPerfect) {
  const std::vector<float> p = {0.9f, 0.1f, 0.2f, 0.8f};
  const std::vector<uint8_t> truth = {1, 0, 0, 1};
  EXPECT_EQ(wdc::train::tune_thresholds(p, truth, 2), (std::vector<float>{0.5f, 0.5f}));
}

TEST(Thresholds, MoveToSeparateAnUnderconfidentLabel) {
  // Label 1 is present exactly when its probability is 0.3 or more; label 0 is fine at 0.5.
  const std::vector<float> p = {0.9f, 0.35f,  //
                                0.1f, 0.05f,  //
                                0.8f, 0.40f,  //
                                0.2f, 0.10f};
  const std::vector<uint8_t> truth = {1, 1, 0, 0, 1, 1, 0, 0};
  const auto t = wdc::train::tune_thresholds(p, truth, 2);
  EXPECT_FLOAT_EQ(t[0], 0.5f);
  // Any threshold in (0.10, 0.35] separates; the one nearest 0.5 is 0.35.
  EXPECT_NEAR(t[1], 0.35f, 1e-6);
}

TEST(Thresholds, SizesMustAgree) {
  EXPECT_ANY_THROW(wdc::train::tune_thresholds({0.5f}, {1, 0}, 2));
}

}  // namespace
