// A cache of large CPU buffers for LibTorch, so that training and batch prediction reuse their
// activations, column buffers and gradients from one step to the next instead of asking the
// system for fresh pages every time.
//
// Why: glibc serves blocks above its mmap threshold (at most 32 MiB, often less) with fresh
// pages, and every page is then faulted in and zeroed by the kernel on first touch. A training
// step of the seed network allocates and frees many such blocks (each column buffer of its
// second block is 25 MiB); on the development machine page faults took most of the 19% of
// network_bench's time spent in the kernel (docs/PERFORMANCE.md).
//
// The cache replaces LibTorch's CPU allocator for the whole process (c10::SetCPUAllocator), the
// way a CUDA caching allocator serves GPU memory: blocks of 1 MiB or more go back to the cache
// when freed and are handed out again for a request of the same size or up to a quarter
// smaller; the idle blocks it keeps total at most 1 GiB (the largest go first). Smaller blocks go
// straight to LibTorch's own allocator, whose malloc reuses them well.
#pragma once

#include <cstddef>

namespace wdc {

// Installs the cache (once per process; later calls do nothing). Thread-safe.
void use_cpu_buffer_cache();

// Bytes held idle by the cache now (0 before use_cpu_buffer_cache()).
std::size_t cpu_buffer_cache_idle_bytes();

}  // namespace wdc
