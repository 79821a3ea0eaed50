#include "model/deterministic_training.h"

#include <ATen/Context.h>

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

#include "base/error.h"
#include "model/openblas_threads.h"
#include "ops/cpu/kernel_isa.h"

namespace wdc {
namespace {

constexpr const char* kAtenPin = "ATEN_CPU_CAPABILITY=avx2";
constexpr const char* kOpenBlasPin = "OPENBLAS_CORETYPE=Haswell";

[[noreturn]] void unsupported(const std::string& why) {
  fail(ErrorCode::kUnsupported, "train: deterministic training: " + why);
}

// ATen reads ATEN_CPU_CAPABILITY at its first kernel call, else takes AVX-512 where the CPU has
// avx512vl, avx512bw and avx512dq (LibTorch 1.13 and 2.x alike), else AVX2.
bool aten_runs_avx2() {
  const char* env = std::getenv("ATEN_CPU_CAPABILITY");
  if (env != nullptr && std::strcmp(env, "avx2") == 0) return true;
  if (env != nullptr && (std::strcmp(env, "default") == 0 || std::strcmp(env, "avx512") == 0))
    return false;
#if defined(__x86_64__) && defined(__GNUC__)
  return !(__builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512dq"));
#else
  return false;
#endif
}

// oneDNN is off while any deterministic training runs; the last one to end restores the switch.
std::mutex onednn_mutex;
int onednn_holders = 0;
bool onednn_was_enabled = true;

void hold_onednn_off() {
  std::lock_guard<std::mutex> lock(onednn_mutex);
  if (onednn_holders++ == 0) {
    onednn_was_enabled = at::globalContext().userEnabledMkldnn();
    at::globalContext().setUserEnabledMkldnn(false);
  }
}

void release_onednn() {
  std::lock_guard<std::mutex> lock(onednn_mutex);
  if (--onednn_holders == 0) at::globalContext().setUserEnabledMkldnn(onednn_was_enabled);
}

}  // namespace

DeterministicTraining::DeterministicTraining(bool on_cuda) {
  if (on_cuda)
    unsupported(
        "it runs on the CPU only (the CUDA kernels add gradients up with atomics, in no fixed "
        "order); create the model on the CPU");
  const ops::cpu::KernelIsa isa = ops::cpu::supported_kernel_isa();
  if (isa < ops::cpu::KernelIsa::kAvx2)
    unsupported(std::string("it needs a CPU with AVX2 and FMA (x86-64-v3); this one offers ") +
                ops::cpu::kernel_isa_name(isa) + " (within WDC_MAX_CPU_ISA, if set)");
  const char* core = openblas_core();
  if (core == nullptr)
    unsupported("it pins OpenBLAS's kernels, and this process's BLAS is not OpenBLAS");
  std::string missing;
  if (!aten_runs_avx2()) missing += kAtenPin;
  if (std::strcmp(core, "Haswell") != 0)
    missing += std::string(missing.empty() ? "" : " ") + kOpenBlasPin + " (OpenBLAS runs its " +
               core + " kernels)";
  if (!missing.empty())
    unsupported("start the process with " + missing +
                " in its environment: ATen and OpenBLAS choose their kernels once, before wdc "
                "can (the wdc command does this itself)");
  pin_ = std::make_unique<ops::cpu::KernelIsaPin>(ops::cpu::KernelIsa::kAvx2);
  hold_onednn_off();
}

DeterministicTraining::~DeterministicTraining() { release_onednn(); }

}  // namespace wdc
