"""Data sets: wafer-map npz files (MixedWM38, named and ragged layouts) and synthetic maps."""

from __future__ import annotations

import os
from typing import Any, Optional, Sequence, Tuple

import numpy as np

from . import _wdc
from ._errors import InvalidArgument, IoError
from ._util import PathLike, as_int, as_labelled, as_labels, as_maps, as_path, is_path

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


def load_npz(path: PathLike, with_names: bool = False) -> tuple:
    """Read a wafer-map npz file in any layout of docs/DATA.md: MixedWM38's (arr_0, arr_1), named
    (maps, labels, label_names) or ragged (maps of several sizes, as WM-811K's).

    Returns ``(maps, labels)``, or ``(maps, labels, label_names)`` with ``with_names``.
    ``maps``: uint8 (N, H, W) when the maps share a size, else a list of N uint8 (H, W) arrays;
    0 off-wafer, 1 pass, 2 fail (any stored value >= 2 reads as 2). ``labels``: for a
    single-label file (one class per map) int64 class indices (N,); otherwise uint8 (N, L)
    multi-hot (MixedWM38: L = 8 in the order of :data:`LABELS`). Raises IoError when the file
    cannot be read, FormatError when it is not such a data set.
    """
    maps, labels, names, single = _wdc.load_npz(as_path(path, "path"))
    if single:
        labels = labels.argmax(axis=1).astype(np.int64)
    return (maps, labels, list(names)) if with_names else (maps, labels)


def labelled_data(data: Any, what: str, default_names: Optional[Sequence[str]] = None) -> tuple:
    """An npz path or a ``(maps, labels[, names])`` tuple as the labelled tuple the core takes
    (the file read when it is a path)."""
    if is_path(data):
        data = load_npz(data, with_names=True)
    return as_labelled(data, what, default_names)


def save_npz(
    path: PathLike,
    maps: Any,
    labels: Any,
    compressed: bool = True,
    label_names: Optional[Sequence[str]] = None,
) -> None:
    """Write maps and labels as an npz file that :func:`load_npz` reads back the same.

    ``maps``: (N, H, W) or a list of (H, W) maps of any sizes, any integer dtype or whole-number
    floats (negative values are an InvalidArgument, values above 2 are stored as 2 = fail).
    ``labels``: class indices (N,) (a single-label set) or 0/1 vectors (N, L); ``label_names``
    names them (default MixedWM38's for L = 8 multi-hot, else "0".."L-1"). MixedWM38-labelled
    maps of one size are written as arr_0/arr_1 int32 like the real data set; anything else in
    the named or ragged layout. Written atomically (temporary file + rename).
    """
    p = as_path(path, "path")
    data = as_labelled((maps, labels, label_names), "save_npz")
    directory = os.path.dirname(os.path.abspath(p))
    if not os.path.isdir(directory):
        raise IoError(f"{p}: cannot write: directory {directory} does not exist")
    _wdc.save_npz(p, data, bool(compressed))


def synth(count: int, seed: int = 0, pattern: Optional[int] = None) -> Tuple[np.ndarray, np.ndarray]:
    """Generate ``count`` synthetic 52x52 MixedWM38-like maps.

    Returns ``(maps, labels)`` like :func:`load_npz` (labels (N, 8)). The same ``seed`` gives the same maps on
    every platform, and map i does not depend on ``count``. Pattern types are drawn in the real
    data set's proportions, or all of type ``pattern`` (0..37, i.e. "C<pattern+1>", see
    :data:`PATTERN_TYPES`) when given. For demos and tests, not for reported numbers.
    """
    n = as_int(count, "count")
    s = as_int(seed, "seed")
    if pattern is None:
        return _wdc.synth(n, s)[:2]
    t = as_int(pattern, "pattern")
    if t >= len(PATTERN_TYPES):
        raise InvalidArgument(f"pattern must be in [0, {len(PATTERN_TYPES)}), got {t}")
    return _wdc.synth_type(t, s, n)[:2]


def split(
    labels: Any, val: float = 0.1, test: float = 0.1, seed: int = 0
) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices of a train / validation / test split of a labelled set, as ``wdc split`` and
    ``wdc_dataset_split`` make it, stratified: for class indices (N,) each class, for MixedWM38's
    (N, 8) labels each pattern type, for other (N, L) labels each distinct label vector is
    shuffled and cut on its own, ``round(n * val)`` maps to val and ``round(n * test)`` to test,
    so every group keeps its share in every part. The same seed gives the same split everywhere.

    Returns three int64 index arrays, each ascending; together they cover ``range(N)``.
    ``val`` or ``test`` outside [0, 1], or summing to more than 1, raise ConfigError.
    """
    lab = np.asarray(labels)
    count = lab.shape[0] if lab.ndim in (1, 2) else -1
    onehot, names, single = as_labels(lab, count)
    return _wdc.split(onehot, names, single, float(val), float(test), as_int(seed, "seed"))


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
