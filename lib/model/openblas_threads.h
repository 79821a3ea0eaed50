// The size of OpenBLAS's own thread pool, which Debian's LibTorch computes some GEMMs on.
//
// Why: LibTorch links OpenBLAS (Debian's default is its pthread build) and sends it the GEMMs
// that oneDNN does not take, among them the novelty scores of every classified map. OpenBLAS
// splits a GEMM above a size across a pool of its own threads, whose workers then spin in
// sched_yield for a while, on the cores LibTorch's OpenMP threads compute on; at::set_num_threads
// does not reach that pool. wdc parallelises around its GEMMs, so a second pool only competes:
// on the development machine, four host threads classifying one map per call had a p99 of 19 ms
// with OpenBLAS's 2 threads and 10 ms with 1 (docs/PERFORMANCE.md, "Latency").
#pragma once

namespace wdc {

// Sets OpenBLAS's pool to `threads` (> 0) for the whole process, when the process's BLAS is
// OpenBLAS (found by its symbol, so other BLAS libraries are left alone); returns whether it did.
bool set_openblas_threads(int threads);

// OpenBLAS's pool size, or 0 when the process's BLAS is not OpenBLAS.
int openblas_threads();

// The kernel set OpenBLAS chose for this CPU ("Haswell", "Zen", ...), or null when the
// process's BLAS is not OpenBLAS.
const char* openblas_core();

}  // namespace wdc
