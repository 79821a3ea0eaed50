// How many CPU threads an inference call computes with.
//
// Why: on the development machine (2 cores) one map through two OpenMP threads took 1.9 ms at
// the median but up to 21 ms, whenever the other core was busy and the team waited at its
// barriers for the descheduled thread; on one thread it took 2.1 ms and never more than 7 ms
// (docs/PERFORMANCE.md, "Latency"). One map is not worth waking the pool for.
#pragma once

#include <cstdint>

namespace wdc {

// The machine's cores as the standard library counts them, at least 1.
int machine_cores();

// The threads for a call over `pixels` input values (maps x height x width): `requested` when
// it is > 0, else one per 52x52 map of work, at least 1 and at most the machine's cores.
int threads_for_work(int requested, int64_t pixels);

}  // namespace wdc
