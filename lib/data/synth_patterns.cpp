#include "data/synth_patterns.h"

#include <array>
#include <cmath>

#include "data/mixedwm38.h"
#include "data/synth.h"

namespace wdc::data::detail {
namespace {

// Geometry uses only +, -, *, / and sqrt, which IEEE 754 rounds exactly: libm's sin, cos, atan2
// and hypot differ between platforms in the last bit, and a die on a threshold would then flip.
constexpr double kCenter = static_cast<double>(kWaferCenter);
constexpr double kRimRadius = 25.573423705088842;  // sqrt(654): the outermost dies

// A unit vector in (row, column) coordinates.
struct Direction {
  double r, c;
};

// Uniform over the circle, by rejection from the square.
Direction random_direction(Rng& rng) {
  for (;;) {
    const double r = rng.uniform(-1.0, 1.0), c = rng.uniform(-1.0, 1.0);
    const double n2 = r * r + c * c;
    if (n2 > 1e-4 && n2 <= 1.0) {
      const double n = std::sqrt(n2);
      return {r / n, c / n};
    }
  }
}

// `d` turned by the angle whose sine is `sine` (|sine| <= 1, angle within +-90 degrees).
Direction rotate(Direction d, double sine) {
  const double cosine = std::sqrt(1.0 - sine * sine);
  return {d.r * cosine + d.c * sine, d.c * cosine - d.r * sine};
}

double distance_from(double r, double c, double cr, double cc) {
  return std::sqrt((r - cr) * (r - cr) + (c - cc) * (c - cc));
}

}  // namespace

bool Canvas::on_wafer(int64_t r, int64_t c) const {
  return r >= 0 && r < kSynthSize && c >= 0 && c < kSynthSize && cells[r * kSynthSize + c] != kOff;
}

void Canvas::fail(int64_t r, int64_t c) {
  if (on_wafer(r, c)) cells[r * kSynthSize + c] = kFail;
}

void draw_standard_wafer(Canvas& canvas) {
  for (int64_t r = 0; r < kSynthSize; ++r)
    for (int64_t c = 0; c < kSynthSize; ++c)
      canvas.cells[r * kSynthSize + c] = on_standard_wafer(r, c) ? kPass : kOff;
}

void add_background(Canvas& canvas, Rng& rng, double rate) {
  canvas.fill(rng, rate, [](double, double) { return true; });
}

double normal_background_rate(Rng& rng) { return rng.uniform(0.02, 0.14); }
double patterned_background_rate(Rng& rng) { return rng.uniform(0.18, 0.22); }

void add_center(Canvas& canvas, Rng& rng) {
  const double cr = kCenter + rng.uniform(-2.5, 2.5), cc = kCenter + rng.uniform(-2.5, 2.5);
  const double radius = rng.uniform(4.0, 5.5);
  canvas.fill(rng, rng.uniform(0.9, 1.0),
              [&](double r, double c) { return distance_from(r, c, cr, cc) <= radius; });
}

void add_donut(Canvas& canvas, Rng& rng) {
  const double cr = kCenter + rng.uniform(-2.0, 2.0), cc = kCenter + rng.uniform(-2.0, 2.0);
  const double inner = rng.uniform(3.0, 4.0), outer = rng.uniform(9.0, 10.0);
  canvas.fill(rng, rng.uniform(0.75, 0.95), [&](double r, double c) {
    const double d = distance_from(r, c, cr, cc);
    return d >= inner && d <= outer;
  });
}

// The real rings and bands look 2-3 dies thick in train.npz; thicker ones made the shipped model,
// trained on real maps, see Scratch in them.
void add_edge_ring(Canvas& canvas, Rng& rng) {
  const double width = rng.uniform(1.3, 2.2);
  canvas.fill(rng, rng.uniform(0.75, 0.9), [&](double r, double c) {
    return distance_from(r, c, kCenter, kCenter) >= kRimRadius - width;
  });
}

void add_edge_loc(Canvas& canvas, Rng& rng) {
  const Direction middle = random_direction(rng);
  // Half the arc spans 30 to 80 degrees; kept as its cosine, so membership is a dot product.
  const double cos_half_span = rng.uniform(0.17364817766693041, 0.8660254037844387);
  const double thickness = rng.uniform(1.6, 3.2);
  canvas.fill(rng, rng.uniform(0.85, 0.97), [&](double r, double c) {
    const double d = distance_from(r, c, kCenter, kCenter);
    if (d == 0) return false;
    const double cos_off = ((r - kCenter) * middle.r + (c - kCenter) * middle.c) / d;
    if (cos_off < cos_half_span) return false;
    // 0 mid-arc, 1 at its ends (about (angle / half span)^2): the real bands taper.
    const double along = (1 - cos_off) / (1 - cos_half_span);
    const double local = thickness * (0.5 + 0.5 * std::sqrt(1 - along));
    return d >= kRimRadius - local;
  });
}

void add_loc(Canvas& canvas, Rng& rng) {
  // Measured on train.npz's Loc-only maps: the blob's centre lies 17-20 dies from the middle and
  // it ends 1-2 dies short of the rim; its short axis (half-length 4.5-5.6) points at the middle,
  // its long one (6-11) runs along the rim; 74-88% of its dies fail.
  const double at = rng.uniform(16.5, 20.5);
  const Direction where = random_direction(rng);
  const double cr = kCenter + at * where.r, cc = kCenter + at * where.c;
  const double across = rng.uniform(4.0, 6.0), along = rng.uniform(6.0, 11.0);
  canvas.fill(rng, rng.uniform(0.74, 0.88), [&](double r, double c) {
    if (distance_from(r, c, kCenter, kCenter) > kRimRadius - 1.0) return false;
    const double u = (r - cr) * where.r + (c - cc) * where.c;   // towards the rim
    const double v = (c - cc) * where.r - (r - cr) * where.c;   // along it
    return (u * u) / (across * across) + (v * v) / (along * along) <= 1;
  });
}

namespace {

// One scratch: a walk of half-die steps along a slowly turning heading, every die within
// `half_width` of the walk a candidate (lines 1-2 dies wide, 2-3 where they run diagonally).
// Measured on train.npz's Scratch-only maps, the longest unbroken run of a real line is 13-37
// dies (median 28) and most lines cross much of the wafer, so the walks are 24-44 long.
void draw_scratch_line(Canvas& canvas, Rng& rng) {
  double r, c;
  Direction heading;
  if (rng.bernoulli(0.75)) {  // from the rim, pointing at the middle give or take 0.8 radians
    const Direction from = random_direction(rng);
    r = kCenter + (kRimRadius - 0.5) * from.r;
    c = kCenter + (kRimRadius - 0.5) * from.c;
    heading = rotate({-from.r, -from.c}, rng.uniform(-0.7173560908995228, 0.7173560908995228));
  } else {  // somewhere inside, any direction
    const double at = rng.uniform(0.0, 15.0);
    const Direction where = random_direction(rng);
    r = kCenter + at * where.r;
    c = kCenter + at * where.c;
    heading = random_direction(rng);
  }
  const double length = rng.uniform(24.0, 44.0);
  // Sine of the turn per half-die step, up to 0.04 radians per die: lines to gentle arcs.
  const double turn = rng.uniform(-0.02, 0.02);
  const double half_width = rng.uniform(0.6, 0.9);
  std::array<bool, kSynthSize * kSynthSize> on_line{};
  const auto steps = static_cast<int64_t>(2 * length);  // half-die steps
  for (int64_t step = 0; step <= steps; ++step) {
    const int64_t ri = std::llround(r), ci = std::llround(c);
    for (int64_t dr = -2; dr <= 2; ++dr)
      for (int64_t dc = -2; dc <= 2; ++dc)
        if (canvas.on_wafer(ri + dr, ci + dc) &&
            distance_from(static_cast<double>(ri + dr), static_cast<double>(ci + dc), r, c) <=
                half_width)
          on_line[static_cast<size_t>((ri + dr) * kSynthSize + ci + dc)] = true;
    r += 0.5 * heading.r;
    c += 0.5 * heading.c;
    heading = rotate(heading, turn);
  }
  canvas.fill(rng, rng.uniform(0.85, 0.97), [&](double rr, double cc) {
    return on_line[static_cast<size_t>(rr) * kSynthSize + static_cast<size_t>(cc)];
  });
}

}  // namespace

void add_scratch(Canvas& canvas, Rng& rng) {
  const int lines = rng.bernoulli(0.7) ? 1 : 2;
  for (int i = 0; i < lines; ++i) draw_scratch_line(canvas, rng);
}

void draw_block_map(Canvas& canvas, Rng& rng, double rate) {
  constexpr int64_t kLow = kSynthSize / 2;
  const double radius = rng.bernoulli(0.5) ? 12.8 : 12.95;  // 524 or 532 blocks
  for (int64_t r = 0; r < kLow; ++r) {
    for (int64_t c = 0; c < kLow; ++c) {
      const bool on =
          distance_from(static_cast<double>(r), static_cast<double>(c), 12.5, 12.5) <= radius;
      const uint8_t value = !on ? kOff : rng.bernoulli(rate) ? kFail : kPass;
      for (int64_t dr = 0; dr < 2; ++dr)
        for (int64_t dc = 0; dc < 2; ++dc)
          canvas.cells[(2 * r + dr) * kSynthSize + 2 * c + dc] = value;
    }
  }
}

double random_fail_rate(Rng& rng) { return rng.uniform(0.37, 0.57); }
double near_full_fail_rate(Rng& rng) { return rng.uniform(0.80, 0.94); }

}  // namespace wdc::data::detail
