"""Hand-made, rotation-invariant descriptors of a wafer map, for novelty scores that do not
depend on what a network learnt to tell its known classes apart (tools/novelty_scores.py).

A network trained on the known classes keeps in its features what separates those classes, and
little else: a new pattern made of familiar pieces (a ring, a line) lands near a known class. These
descriptors describe where the fails are on the wafer whatever the classes are:

  shape  (19 numbers) the fail fraction; for 8 rings of equal width from the wafer's centre, the
         fail fraction of the ring and how much the ring's worst eighth (by angle) exceeds it
         (a ring that fails all round against one that fails in one place); the share of fail
         dies with at most 2 and with at least 5 failing neighbours (thin against solid).
  line   (1 number) the strongest thin line of fails: over 16 directions, the number of fails on
         the best line of one die's width minus the larger count on the parallel lines two dies
         either side, over the square root of the map's fail count. A scratch is a line with
         few fails beside it; a blob or a ring has fails on the neighbouring lines too.

Maps are 2-D arrays of any size (0 off-wafer, 1 pass, 2 fail).
"""

import numpy as np

RINGS = 8
SECTORS = 8
DIRECTIONS = 16


def shape(m):
    m = np.asarray(m)
    wafer, fail = m > 0, m == 2
    if not wafer.any():
        return np.zeros(1 + 2 * RINGS + 2)
    ys, xs = np.nonzero(wafer)
    cy, cx = ys.mean(), xs.mean()
    yy, xx = np.mgrid[0:m.shape[0], 0:m.shape[1]]
    radius = np.hypot(yy - cy, xx - cx)
    ring = np.minimum((radius / (radius[wafer].max() + 1e-6) * RINGS).astype(int), RINGS - 1)
    sector = ((np.arctan2(yy - cy, xx - cx) + np.pi) / (2 * np.pi) * SECTORS).astype(int) % SECTORS
    # Fail fraction per (ring, sector) cell and per ring, from counts (bincount, no loops).
    cell = (ring * SECTORS + sector)[wafer]
    dies = np.bincount(cell, minlength=RINGS * SECTORS).reshape(RINGS, SECTORS)
    fails = np.bincount(cell, weights=fail[wafer], minlength=RINGS * SECTORS).reshape(RINGS, SECTORS)
    ring_fraction = fails.sum(1) / np.maximum(dies.sum(1), 1)
    cell_fraction = np.where(dies > 0, fails / np.maximum(dies, 1), 0)
    concentration = cell_fraction.max(1) - ring_fraction
    padded = np.pad(fail, 1)
    h, w = fail.shape
    neighbours = sum(padded[1 + dy:1 + dy + h, 1 + dx:1 + dx + w]
                     for dy in (-1, 0, 1) for dx in (-1, 0, 1) if dy or dx)
    n = max(int(fail.sum()), 1)
    thin = ((neighbours <= 2) & fail).sum() / n
    solid = ((neighbours >= 5) & fail).sum() / n
    return np.concatenate([[fail[wafer].mean()], ring_fraction, concentration, [thin, solid]])


def line(m):
    m = np.asarray(m)
    fy, fx = np.nonzero(m == 2)
    wy, wx = np.nonzero(m > 0)
    if len(fy) < 3:
        return 0.0
    cy, cx = wy.mean(), wx.mean()
    best = -np.inf
    for angle in np.linspace(0, np.pi, DIRECTIONS, endpoint=False):
        c, s = np.cos(angle), np.sin(angle)
        # Signed distance of each fail die's centre from the line through the wafer's centre.
        d = np.round((fx - cx) * c + (fy - cy) * s).astype(int)
        counts = np.bincount(d - d.min() + 2, minlength=d.max() - d.min() + 5)
        beside = np.maximum(np.roll(counts, 2), np.roll(counts, -2))
        best = max(best, (counts - beside).max())
    return best / np.sqrt(len(fy))


def describe(maps):
    """(shape descriptors [N, 19], line scores [N]) of a sequence of 2-D maps."""
    shapes = np.array([shape(m) for m in maps])
    lines = np.array([line(m) for m in maps])
    return shapes, lines
