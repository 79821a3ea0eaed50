// Whether this CPU runs bfloat16 inference natively, for the "precision" option's "bf16" and
// "auto" (model/precision.h).
#pragma once

#include <string>

namespace wdc::ops::cpu {

// True where the CPU has AVX512_BF16 (with the AVX-512 subsets LibTorch's oneDNN bfloat16
// convolutions require) and ONEDNN_MAX_CPU_ISA / DNNL_MAX_CPU_ISA, if set, still let oneDNN use
// it. Without it LibTorch 1.13 refuses bfloat16 oneDNN convolutions, or (AVX-512 without
// AVX512_BF16) emulates them with no gain.
bool cpu_has_native_bf16();

// Why not, in words, for error messages ("" where cpu_has_native_bf16()).
std::string native_bf16_missing_reason();

}  // namespace wdc::ops::cpu
