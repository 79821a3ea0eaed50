#include "ops/cpu/kernel_isa.h"

#include <c10/util/Exception.h>

#include <cstdlib>
#include <cstring>
#include <string>

namespace wdc::ops::cpu {
namespace {

constexpr int kNotPinned = -1;
thread_local int pinned = kNotPinned;

KernelIsa cpu_isa() {
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
  // The x86-64 feature levels the kernels are compiled for, tested feature by feature.
  if (__builtin_cpu_supports("x86-64-v4"))
    return __builtin_cpu_supports("avx512bf16") ? KernelIsa::kAvx512Bf16 : KernelIsa::kAvx512;
  if (__builtin_cpu_supports("x86-64-v3")) return KernelIsa::kAvx2;
#elif defined(__x86_64__) && defined(__GNUC__)
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
    return __builtin_cpu_supports("avx512bf16") ? KernelIsa::kAvx512Bf16 : KernelIsa::kAvx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
      __builtin_cpu_supports("bmi2"))
    return KernelIsa::kAvx2;
#endif
  return KernelIsa::kBaseline;
}

struct Supported {
  KernelIsa isa = KernelIsa::kBaseline;
  std::string error;  // a bad WDC_MAX_CPU_ISA
};

Supported find_supported() {
  Supported s{cpu_isa(), {}};
  const char* cap = std::getenv("WDC_MAX_CPU_ISA");
  if (cap == nullptr || *cap == '\0') return s;
  for (KernelIsa isa :
       {KernelIsa::kBaseline, KernelIsa::kAvx2, KernelIsa::kAvx512, KernelIsa::kAvx512Bf16})
    if (std::strcmp(cap, kernel_isa_name(isa)) == 0) {
      if (isa < s.isa) s.isa = isa;
      return s;
    }
  s.error = std::string(
                "WDC_MAX_CPU_ISA must be \"baseline\", \"avx2\", \"avx512\" or \"avx512_bf16\", "
                "got \"") +
            cap + "\"";
  return s;
}

}  // namespace

const char* kernel_isa_name(KernelIsa isa) {
  switch (isa) {
    case KernelIsa::kAvx512Bf16:
      return "avx512_bf16";
    case KernelIsa::kAvx512:
      return "avx512";
    case KernelIsa::kAvx2:
      return "avx2";
    case KernelIsa::kBaseline:
      break;
  }
  return "baseline";
}

KernelIsa supported_kernel_isa() {
  static const Supported supported = find_supported();
  TORCH_CHECK(supported.error.empty(), supported.error);
  return supported.isa;
}

KernelIsa kernel_isa() {
  return pinned == kNotPinned ? supported_kernel_isa() : static_cast<KernelIsa>(pinned);
}

KernelIsaPin::KernelIsaPin(KernelIsa isa) : previous_(pinned) {
  TORCH_CHECK(isa <= supported_kernel_isa(), "the CPU sampling kernels' ", kernel_isa_name(isa),
              " build cannot run here: this CPU (within WDC_MAX_CPU_ISA) offers ",
              kernel_isa_name(supported_kernel_isa()));
  pinned = static_cast<int>(isa);
}

KernelIsaPin::~KernelIsaPin() { pinned = previous_; }

}  // namespace wdc::ops::cpu
