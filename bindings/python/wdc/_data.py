"""Data sets: MixedWM38-layout npz files and synthetic wafer maps."""

from __future__ import annotations

import os
from typing import Any, Optional, Tuple

import numpy as np

from . import _wdc
from ._errors import InvalidArgument, IoError
from ._util import PathLike, as_int, as_labels, as_maps, as_path

__all__ = [
    "LABELS",
    "LABEL_SHORT_NAMES",
    "PATTERN_TYPES",
    "load_npz",
    "save_npz",
    "synth",
    "split",
    "write_map_png",
]

#: The eight MixedWM38 labels, in the order of the label columns and of ``Model.predict``.
LABELS: Tuple[str, ...] = tuple(_wdc.LABEL_NAMES)
#: Short forms of :data:`LABELS` ("C", "D", "EL", "ER", "L", "NF", "S", "R").
LABEL_SHORT_NAMES: Tuple[str, ...] = tuple(_wdc.LABEL_SHORT_NAMES)
#: The 38 MixedWM38 pattern types as (id, name, labels, count in the full data set) tuples;
#: index t is type "C<t+1>".
PATTERN_TYPES: Tuple[Tuple[str, str, Tuple[int, ...], int], ...] = tuple(_wdc.PATTERN_TYPES)


def load_npz(path: PathLike) -> Tuple[np.ndarray, np.ndarray]:
    """Read a MixedWM38-layout npz file.

    Returns ``(maps, labels)``: ``maps`` uint8 (N, H, W) with 0 off-wafer, 1 pass, 2 fail (any
    stored value >= 2 reads as 2); ``labels`` uint8 (N, 8) multi-hot in the order of
    :data:`LABELS`. Raises IoError when the file cannot be read, FormatError when it is not such a
    data set (arr_0 (N, H, W) and arr_1 (N, 8) of integers).
    """
    return _wdc.load_npz(as_path(path, "path"))


def save_npz(path: PathLike, maps: Any, labels: Any, compressed: bool = True) -> None:
    """Write ``maps`` (N, H, W) and ``labels`` (N, 8) as a MixedWM38-layout npz file.

    ``maps`` may have any integer dtype (negative values are an InvalidArgument, values above 2
    are stored as 2 = fail); ``labels`` integers or bools, 0/1. The file holds arr_0 and arr_1 as
    int32 like the real data set, written atomically (temporary file + rename).
    """
    p = as_path(path, "path")
    m = as_maps(maps, (3,))
    lab = as_labels(labels, m.shape[0])
    directory = os.path.dirname(os.path.abspath(p))
    if not os.path.isdir(directory):
        raise IoError(f"{p}: cannot write: directory {directory} does not exist")
    _wdc.save_npz(p, m, lab, bool(compressed))


def synth(count: int, seed: int = 0, pattern: Optional[int] = None) -> Tuple[np.ndarray, np.ndarray]:
    """Generate ``count`` synthetic 52x52 MixedWM38-like maps.

    Returns ``(maps, labels)`` like :func:`load_npz`. The same ``seed`` gives the same maps on
    every platform, and map i does not depend on ``count``. Pattern types are drawn in the real
    data set's proportions, or all of type ``pattern`` (0..37, i.e. "C<pattern+1>", see
    :data:`PATTERN_TYPES`) when given. For demos and tests, not for reported numbers.
    """
    n = as_int(count, "count")
    s = as_int(seed, "seed")
    if pattern is None:
        return _wdc.synth(n, s)
    t = as_int(pattern, "pattern")
    if t >= len(PATTERN_TYPES):
        raise InvalidArgument(f"pattern must be in [0, {len(PATTERN_TYPES)}), got {t}")
    return _wdc.synth_type(t, s, n)


def split(
    labels: Any, val: float = 0.1, test: float = 0.1, seed: int = 0
) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices of a train / validation / test split of a labelled set, as ``wdc split`` and
    ``wdc_dataset_split`` make it: each MixedWM38 pattern type (by its (N, 8) ``labels``) is
    shuffled and cut on its own, ``round(n * val)`` maps to val and ``round(n * test)`` to test,
    so every type keeps its share in every part. The same seed gives the same split everywhere.

    Returns three int64 index arrays, each ascending; together they cover ``range(N)``.
    ``val`` or ``test`` outside [0, 1], or summing to more than 1, raise ConfigError.
    """
    lab = np.asarray(labels)
    lab = as_labels(lab, lab.shape[0] if lab.ndim == 2 else -1)
    return _wdc.split(lab, float(val), float(test), as_int(seed, "seed"))


def write_map_png(
    path: PathLike, map: Any, cam: Any = None, scale: int = 8, alpha: float = 0.5
) -> None:
    """Write a wafer map as a PNG picture, with a class activation map (:meth:`Model.cam`)
    blended over it when ``cam`` is given, atomically (as ``wdc cam`` and
    ``wdc_write_map_png``): each die a ``scale`` x ``scale`` block (1-64), off-wafer white,
    pass grey, fail dark grey, the CAM in "inferno" colours at opacity ``alpha`` (0-1).
    """
    m = as_maps(map, (2,), "map")
    _wdc.write_map_png(as_path(path, "path"), m, cam, as_int(scale, "scale"), float(alpha))
