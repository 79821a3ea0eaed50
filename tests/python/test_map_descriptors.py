"""The hand-made map descriptors behind tools/novelty_scores.py's network-free candidates: each
against a map drawn so that the answer is known."""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
from map_descriptors import describe, line, shape  # noqa: E402


def wafer(side=41):
    """A round wafer of passing dies on an off-wafer square."""
    yy, xx = np.mgrid[0:side, 0:side]
    c = (side - 1) / 2
    return np.where(np.hypot(yy - c, xx - c) <= c, 1, 0).astype(np.uint8), np.hypot(yy - c, xx - c)


def test_a_full_ring_fails_evenly_and_a_blob_in_one_place():
    ring, r = wafer()
    ring[(r >= 10) & (r < 14) & (ring > 0)] = 2
    blob, _ = wafer()
    blob[5:12, 17:24] = 2
    ring_d, blob_d = shape(ring), shape(blob)
    # Layout: fail fraction, 8 ring fractions, 8 concentrations, thin, solid.
    assert ring_d[0] == np.mean(ring[ring > 0] == 2)
    middle = ring_d[1:9].argmax()
    assert 2 <= middle <= 5  # the ring at about half the radius is the failing one
    assert ring_d[9 + middle] < 0.15  # every eighth of that ring fails as much as the whole ring
    # The blob fills part of a few (ring, eighth) cells: the best of them fails far above its ring.
    assert blob_d[9:17].max() > 0.3
    assert ring_d[18] > 0.5 and blob_d[18] > 0.5  # both solid, not thin


def test_shape_is_the_same_after_a_quarter_turn():
    m, r = wafer()
    m[(r < 8) & (m > 0)] = 2
    m[3:9, 15:20] = 2
    np.testing.assert_allclose(shape(np.rot90(m)), shape(m), atol=0.08)


def test_a_thin_line_scores_above_a_blob_of_as_many_fails():
    scratch, _ = wafer()
    for i in range(16):  # a diagonal scratch of 16 dies
        scratch[10 + i, 8 + i] = 2
    blob, _ = wafer()
    blob[14:18, 14:18] = 2  # 16 dies in a square
    empty, _ = wafer()
    assert line(scratch) > 2 * line(blob)
    assert line(scratch) > 3.0  # nearly all 16 fails on one line, none beside it: 16 / 4
    assert line(empty) == 0.0


def test_describe_takes_maps_of_any_size():
    small, _ = wafer(15)
    large, _ = wafer(60)
    shapes, lines = describe([small, large])
    assert shapes.shape == (2, 19) and lines.shape == (2,)
    assert np.isfinite(shapes).all()
