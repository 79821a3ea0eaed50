#include "model/cpu_threads.h"

#include <algorithm>
#include <thread>

namespace wdc {

int machine_cores() { return std::max(static_cast<int>(std::thread::hardware_concurrency()), 1); }

int threads_for_work(int requested, int64_t pixels) {
  if (requested > 0) return requested;
  // Measured with bench/predict_latency --batch=N (docs/PERFORMANCE.md, "Latency"): one 52x52
  // map on two threads gained 7% at the median and lost the tail; two maps gained 26%.
  constexpr int64_t kPixelsPerThread = 52 * 52;
  return static_cast<int>(std::clamp<int64_t>(pixels / kPixelsPerThread, 1, machine_cores()));
}

}  // namespace wdc
