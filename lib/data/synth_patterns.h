// Internal: the base defect patterns of the synthetic generator, one function each. Every
// function only turns dies of the wafer to kFail; none touches off-wafer cells.
//
// Sizes follow docs/mixedwm38.md; where it is silent, the ranges were read off the real maps
// (val.npz; Loc and Scratch measured on train.npz): e.g. dies outside the patterns of a
// patterned map fail at 18-22%, not at the 2-14% of Normal maps, which is what brings the mean
// fail fraction to the real ~0.32.
#pragma once

#include <cstdint>

#include "data/rng.h"
#include "data/synth.h"

namespace wdc::data::detail {

// A 52x52 map being drawn on.
struct Canvas {
  uint8_t* cells;  // kSynthSize * kSynthSize, row-major

  bool on_wafer(int64_t r, int64_t c) const;
  // Marks die (r, c) failed if it is on the wafer; cells off the map are ignored.
  void fail(int64_t r, int64_t c);
  // Calls fail(r, c) with probability p for every on-wafer die where inside(r, c) holds.
  template <class Inside>
  void fill(Rng& rng, double p, Inside inside) {
    for (int64_t r = 0; r < kSynthSize; ++r)
      for (int64_t c = 0; c < kSynthSize; ++c)
        if (on_wafer(r, c) && inside(static_cast<double>(r), static_cast<double>(c)) &&
            rng.bernoulli(p))
          fail(r, c);
  }
};

// The standard 2061-die disc, all passing.
void draw_standard_wafer(Canvas& canvas);
// Independent failures at `rate` over the whole wafer.
void add_background(Canvas& canvas, Rng& rng, double rate);
// Background rate of a Normal map (2-14%) and of a patterned one (18-22%).
double normal_background_rate(Rng& rng);
double patterned_background_rate(Rng& rng);

void add_center(Canvas& canvas, Rng& rng);     // solid disc, radius 4-5.5, near the middle
void add_donut(Canvas& canvas, Rng& rng);      // ring, inner radius 3-4, outer 9-10
void add_edge_ring(Canvas& canvas, Rng& rng);  // band about 1.5-2 dies wide along the whole rim
void add_edge_loc(Canvas& canvas, Rng& rng);   // band 1.6-3.2 thick along 60-160 degrees of rim
void add_loc(Canvas& canvas, Rng& rng);        // elliptic blob 8-12 x 12-22, just inside the rim
void add_scratch(Canvas& canvas, Rng& rng);    // 1-2 lines or arcs 2-3 wide, mostly from the rim

// Near_Full and Random maps: like the real ones, an upscaled 26x26 map of another fab (2x2 block
// texture, footprint of 2096 or 2128 dies) whose dies fail independently at `rate`.
void draw_block_map(Canvas& canvas, Rng& rng, double rate);
double random_fail_rate(Rng& rng);     // around 0.47
double near_full_fail_rate(Rng& rng);  // around 0.87

}  // namespace wdc::data::detail
