// The "precision" run-time option: what a model's inference computes in.
#pragma once

#include <string>

namespace wdc {

enum class Precision { kFloat32, kBfloat16 };

// "fp32", "bf16" or "auto" for a model on the CPU (`cuda` false) or a CUDA GPU:
// "bf16" where the CPU runs bfloat16 natively (ops/cpu/bf16_support.h), else
// Error(kUnsupported) saying why; "auto" is bf16 where it would be accepted and fp32 elsewhere
// (CUDA included: the CUDA kernels are float32 and float64); anything else is
// Error(kInvalidArgument) listing the choices.
Precision resolve_precision(const std::string& name, bool cuda);

// "fp32" or "bf16".
const char* precision_name(Precision precision);

}  // namespace wdc
