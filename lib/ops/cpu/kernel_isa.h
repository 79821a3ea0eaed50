// Which build of the CPU sampling kernels a call runs: each row kernel is compiled for AVX-512,
// AVX2 (+FMA) and baseline x86-64 (deform_conv2d_kernel.cpp), and the three builds reduce float
// sums in different orders, so they give results that differ in the last bits. A fourth level,
// AVX-512 with AVX512_BF16, runs the AVX-512 build except in bfloat16 inference's sampling,
// which narrows its columns with the CPU's bfloat16 instructions there.
//
// By default a call runs the best build the CPU supports, capped by the environment variable
// WDC_MAX_CPU_ISA ("baseline", "avx2", "avx512" or "avx512_bf16", read once, as oneDNN reads
// ONEDNN_MAX_CPU_ISA): a stand-in for a weaker CPU in tests and measurements. A KernelIsaPin
// makes the calls of its thread run one build whatever the CPU offers above it — what
// deterministic training does, so that machines of different ISA levels compute alike.
#pragma once

namespace wdc::ops::cpu {

enum class KernelIsa { kBaseline = 0, kAvx2 = 1, kAvx512 = 2, kAvx512Bf16 = 3 };

// "baseline", "avx2", "avx512", "avx512_bf16".
const char* kernel_isa_name(KernelIsa isa);

// The best build this CPU runs within WDC_MAX_CPU_ISA. Throws c10::Error when the variable
// holds anything but the four names.
KernelIsa supported_kernel_isa();

// The build the calling thread's kernels run: the pinned one, else supported_kernel_isa().
KernelIsa kernel_isa();

// Pins the calling thread's kernels to `isa` for the pin's lifetime (pins nest). Throws
// c10::Error when the CPU, or WDC_MAX_CPU_ISA, does not offer it.
class KernelIsaPin {
 public:
  explicit KernelIsaPin(KernelIsa isa);
  ~KernelIsaPin();
  KernelIsaPin(const KernelIsaPin&) = delete;
  KernelIsaPin& operator=(const KernelIsaPin&) = delete;

 private:
  int previous_;
};

}  // namespace wdc::ops::cpu
