#include "ops/cpu/bf16_support.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace wdc::ops::cpu {
namespace {

bool cpu_has_avx512_bf16() {
#if defined(__x86_64__) && defined(__GNUC__)
  return __builtin_cpu_supports("avx512bf16") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
#else
  return false;
#endif
}

// The ISA cap the process gives oneDNN, upper-cased; "" when none is set.
std::string onednn_isa_cap() {
  for (const char* name : {"ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA"}) {
    const char* value = std::getenv(name);
    if (value != nullptr && *value != '\0') {
      std::string cap(value);
      std::transform(cap.begin(), cap.end(), cap.begin(),
                     [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
      return cap;
    }
  }
  return "";
}

// oneDNN's ISA names from AVX512_CORE_BF16 up (its documentation's list, in order).
bool cap_allows_bf16(const std::string& cap) {
  for (const char* allowed :
       {"", "ALL", "AVX512_CORE_BF16", "AVX10_1_512", "AVX512_CORE_FP16", "AVX512_CORE_AMX",
        "AVX512_CORE_AMX_FP16", "AVX10_2_512", "AVX10_2_512_AMX_2"})
    if (cap == allowed) return true;
  return false;
}

}  // namespace

bool cpu_has_native_bf16() { return native_bf16_missing_reason().empty(); }

std::string native_bf16_missing_reason() {
  // The cap first: it is the same answer on every CPU.
  const std::string cap = onednn_isa_cap();
  if (!cap_allows_bf16(cap))
    return "oneDNN is capped below AVX512_CORE_BF16 in this process (ONEDNN_MAX_CPU_ISA=" + cap +
           ")";
  if (!cpu_has_avx512_bf16())
    return "this CPU has no AVX512_BF16 (with AVX512BW/VL/DQ) instructions";
  return "";
}

}  // namespace wdc::ops::cpu
