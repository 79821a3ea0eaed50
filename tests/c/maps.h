/* Deterministic wafer maps for the C tests and the example (no data files needed): a 52 x 52
 * disc like MixedWM38's with a chosen pattern of failed dies. Header-only; C99. */
#ifndef WDC_TESTS_C_MAPS_H
#define WDC_TESTS_C_MAPS_H

#include <stdint.h>

/* Patterns: 0 random fails, 1 a center blob, 2 an edge ring, 3 a scratch, 4 none. */
#define WDCT_PATTERNS 5

static uint32_t wdct_next(uint32_t *state) {
  *state = *state * 1664525u + 1013904223u;
  return *state >> 8;
}

/* Fills height * width bytes: 0 off the wafer, 1 pass, 2 fail. */
static void wdct_make_map(uint8_t *map, int64_t height, int64_t width, int pattern,
                          uint32_t seed) {
  int64_t r, c;
  const double cr = (double)(height - 1) / 2.0, cc = (double)(width - 1) / 2.0;
  const double radius = (cr < cc ? cr : cc) + 0.5;
  uint32_t state = seed * 2654435761u + (uint32_t)pattern;
  for (r = 0; r < height; ++r) {
    for (c = 0; c < width; ++c) {
      const double dr = (double)r - cr, dc = (double)c - cc;
      const double d = (dr * dr + dc * dc) / (radius * radius); /* 0 center .. 1 edge */
      uint8_t v = 0;
      if (d <= 1.0) {
        int fail = (wdct_next(&state) % 100u) < 3u; /* background noise */
        switch (pattern) {
          case 0: fail = fail || (wdct_next(&state) % 100u) < 25u; break;
          case 1: fail = fail || d < 0.08; break;
          case 2: fail = fail || d > 0.8; break;
          case 3: fail = fail || (r - c >= -1 && r - c <= 1 && d < 0.6); break;
          default: break;
        }
        v = fail ? 2 : 1;
      }
      map[r * width + c] = v;
    }
  }
}

#endif /* WDC_TESTS_C_MAPS_H */
