// The "precision" option's choice (model/precision.h): fp32 always; bf16 only where the CPU runs
// bfloat16 natively and oneDNN may use it; auto the one of the two that would be accepted.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <utility>

#include "base/error.h"
#include "model/precision.h"
#include "ops/cpu/bf16_support.h"

namespace {

using wdc::Precision;
using wdc::resolve_precision;

// The code (0 when it returns) and message of what `call` throws.
template <typename Call>
std::pair<int, std::string> error_of(Call call) {
  try {
    call();
  } catch (const wdc::Error& e) {
    return {static_cast<int>(e.code()), e.what()};
  }
  return {0, ""};
}

constexpr int code(wdc::ErrorCode c) { return static_cast<int>(c); }

// Sets an environment variable for one test and restores it after.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    const char* old = std::getenv(name);
    had_ = old != nullptr;
    if (had_) old_ = old;
    setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (had_)
      setenv(name_, old_.c_str(), 1);
    else
      unsetenv(name_);
  }

 private:
  const char* name_;
  bool had_ = false;
  std::string old_;
};

TEST(PrecisionTest, Fp32IsAlwaysAccepted) {
  EXPECT_EQ(resolve_precision("fp32", false), Precision::kFloat32);
  EXPECT_EQ(resolve_precision("fp32", true), Precision::kFloat32);
}

TEST(PrecisionTest, AutoIsBf16ExactlyWhereBf16IsAccepted) {
  const bool native = wdc::ops::cpu::cpu_has_native_bf16();
  EXPECT_EQ(resolve_precision("auto", false), native ? Precision::kBfloat16 : Precision::kFloat32);
  const auto [status, message] = error_of([] { resolve_precision("bf16", false); });
  if (native) {
    EXPECT_EQ(status, 0) << message;
  } else {
    EXPECT_EQ(status, code(wdc::ErrorCode::kUnsupported));
    EXPECT_NE(message.find(wdc::ops::cpu::native_bf16_missing_reason()), std::string::npos)
        << message;
  }
}

// Capping oneDNN below AVX512_CORE_BF16 takes bf16 away on any CPU, so the refusal is tested
// here even where the CPU has it.
TEST(PrecisionTest, OneDnnCappedBelowBf16RefusesBf16AndAutoFallsBack) {
  const ScopedEnv cap("ONEDNN_MAX_CPU_ISA", "avx2");
  EXPECT_FALSE(wdc::ops::cpu::cpu_has_native_bf16());
  const auto [status, message] = error_of([] { resolve_precision("bf16", false); });
  EXPECT_EQ(status, code(wdc::ErrorCode::kUnsupported));
  EXPECT_NE(message.find("\"bf16\""), std::string::npos) << message;
  EXPECT_EQ(resolve_precision("auto", false), Precision::kFloat32);
}

TEST(PrecisionTest, CudaModelsStayFloat32) {
  EXPECT_EQ(resolve_precision("auto", true), Precision::kFloat32);
  const auto [status, message] = error_of([] { resolve_precision("bf16", true); });
  EXPECT_EQ(status, code(wdc::ErrorCode::kUnsupported));
  EXPECT_NE(message.find("CPU only"), std::string::npos) << message;
}

TEST(PrecisionTest, OtherNamesAreRefusedWithTheChoices) {
  for (const char* name : {"", "FP32", "fp16", "bfloat16", "float32"}) {
    const auto [status, message] = error_of([&] { resolve_precision(name, false); });
    EXPECT_EQ(status, code(wdc::ErrorCode::kInvalidArgument)) << name;
    EXPECT_NE(message.find("\"fp32\", \"bf16\" or \"auto\""), std::string::npos) << message;
  }
  EXPECT_STREQ(wdc::precision_name(Precision::kBfloat16), "bf16");
  EXPECT_STREQ(wdc::precision_name(Precision::kFloat32), "fp32");
}

}  // namespace
