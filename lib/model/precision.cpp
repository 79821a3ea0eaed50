#include "model/precision.h"

#include "base/error.h"
#include "ops/cpu/bf16_support.h"

namespace wdc {

Precision resolve_precision(const std::string& name, bool cuda) {
  if (name == "fp32") return Precision::kFloat32;
  if (name != "bf16" && name != "auto")
    fail(ErrorCode::kInvalidArgument,
         "precision must be \"fp32\", \"bf16\" or \"auto\", got \"" + name.substr(0, 40) + "\"");
  const std::string missing =
      cuda ? "bfloat16 inference runs on the CPU only (the CUDA kernels are float32)"
           : ops::cpu::native_bf16_missing_reason();
  if (missing.empty()) return Precision::kBfloat16;
  if (name == "auto") return Precision::kFloat32;
  fail(ErrorCode::kUnsupported, "precision \"bf16\" was asked for, but " + missing +
                                    "; use \"fp32\", or \"auto\" to take "
                                    "bf16 only where it is native");
}

const char* precision_name(Precision precision) {
  return precision == Precision::kBfloat16 ? "bf16" : "fp32";
}

}  // namespace wdc
