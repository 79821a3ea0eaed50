// Deterministic training (the training option "deterministic"): the same options and data give
// the same weights, bit for bit, on any x86-64 CPU with AVX2 and FMA, with any thread count
// (docs/TRAINING.md, "Reproducible training", says what was measured).
//
// Why it takes more than a seed: every library under the network picks its kernels by the CPU
// it finds, and each pick sums floats in its own order. Measured on one machine by forcing one
// pick at a time, each changed a trained model (docs/ACCURACY.md): ATen's vector kernels,
// oneDNN's (which also block by the caches' sizes), OpenBLAS's, and wdc's own sampling kernels.
// So while a deterministic training runs:
// - wdc's sampling kernels run their AVX2 build (ops/cpu/kernel_isa.h);
// - oneDNN is switched off for the process, because no setting of it fixes its cache-dependent
//   blocking: the op's GEMMs then go to OpenBLAS directly (ops/cpu/column_gemm.h), the plain
//   convolutions through LibTorch's im2col + OpenBLAS;
// - ATen and OpenBLAS must already run their AVX2 ("avx2" and "Haswell") kernels. Both choose once,
//   from the environment, before wdc is called: ATEN_CPU_CAPABILITY=avx2 and
//   OPENBLAS_CORETYPE=Haswell. The `wdc` CLI sets them itself (it starts itself again);
//   a library caller starts its process with them, and is told so if they are missing.
#pragma once

#include <memory>

namespace wdc::ops::cpu {
class KernelIsaPin;
}

namespace wdc {

class DeterministicTraining {
 public:
  // Checks that this process can compute as any other deterministic one does, then sets it up
  // until destruction. Throws Error(kUnsupported) saying what is missing: a CUDA device, a CPU
  // without AVX2 and FMA, or kernels of ATen or OpenBLAS chosen otherwise.
  explicit DeterministicTraining(bool on_cuda);
  ~DeterministicTraining();
  DeterministicTraining(const DeterministicTraining&) = delete;
  DeterministicTraining& operator=(const DeterministicTraining&) = delete;

 private:
  std::unique_ptr<ops::cpu::KernelIsaPin> pin_;
};

}  // namespace wdc
