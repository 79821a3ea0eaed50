"""Argument conversion shared by the wdc modules (internal)."""

from __future__ import annotations

import os
from typing import Any, List, Optional, Sequence, Tuple, Union

import numpy as np

from ._errors import InvalidArgument

PathLike = Union[str, "os.PathLike[str]"]


def as_path(path: Any, what: str) -> str:
    """``path`` as a str, or InvalidArgument."""
    if isinstance(path, (str, os.PathLike)):
        p = os.fspath(path)
        if isinstance(p, str):
            return p
    raise InvalidArgument(f"{what} must be a path (str or os.PathLike), got {type(path).__name__}")


def is_path(value: Any) -> bool:
    return isinstance(value, (str, os.PathLike))


def as_maps(maps: Any, ndims: Tuple[int, ...], what: str = "maps") -> np.ndarray:
    """Wafer maps as a C-contiguous uint8 array: any integer (or bool) dtype, or floats holding
    whole numbers (as pandas writes them), no negative value, values above 2 (the real data's
    3s) clipped to 2 = fail. ``ndims``: the accepted ranks."""
    a = _whole_numbers(np.asarray(maps), what, "(0 off-wafer, 1 pass, >= 2 fail)")
    if a.ndim not in ndims:
        shapes = " or ".join({2: "(H, W)", 3: "(N, H, W)"}[n] for n in ndims)
        raise InvalidArgument(f"{what} must have shape {shapes}, got {a.shape}")
    if a.size and a.dtype.kind == "i" and a.min() < 0:
        raise InvalidArgument(
            f"{what} must not hold negative values (0 off-wafer, 1 pass, >= 2 fail), "
            f"got {a.min()}"
        )
    if a.dtype != np.uint8 and a.dtype != np.bool_:
        a = np.minimum(a, 2)
    elif a.dtype == np.uint8 and a.size and a.max() > 2:
        a = np.minimum(a, 2)
    return np.ascontiguousarray(a, dtype=np.uint8)


def _whole_numbers(a: np.ndarray, what: str, meaning: str) -> np.ndarray:
    """Integer arrays as they are; floats holding whole numbers as int64; anything else an
    InvalidArgument naming the first offending index."""
    if a.dtype.kind in "biu":
        return a
    if a.dtype.kind != "f":
        raise InvalidArgument(f"{what} must hold integers {meaning}, got dtype {a.dtype}")
    bad = ~np.isfinite(a) | (a != np.trunc(a)) | (a < 0)
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        raise InvalidArgument(
            f"{what}: value {a[index]!r} at index {index if len(index) > 1 else index[0]} "
            f"is not a whole number >= 0 {meaning}"
        )
    return a.astype(np.int64)


def as_map_input(maps: Any, what: str = "maps") -> Tuple[Any, bool]:
    """Maps for the library: an (N, H, W) array, or a list of (H, W) maps of any sizes (a list
    or tuple of 2-D arrays); one (H, W) map counts as one. Returns (maps, one) where maps is a
    uint8 array or a list of them and ``one`` says a single map was given."""
    if isinstance(maps, (list, tuple)) and (len(maps) == 0 or np.ndim(maps[0]) == 2):
        shapes = {np.shape(m) for m in maps}
        if len(shapes) <= 1:  # one size: the faster array path
            stacked = np.asarray(list(maps)) if maps else np.zeros((0, 1, 1), np.uint8)
            return as_maps(stacked, (3,), what), False
        return [as_maps(m, (2,), f"{what}[{i}]") for i, m in enumerate(maps)], False
    m = as_maps(maps, (2, 3), what)
    return (m[np.newaxis], True) if m.ndim == 2 else (m, False)


def map_count(maps: Any) -> int:
    return len(maps) if isinstance(maps, list) else int(maps.shape[0])


def as_labels(
    labels: Any, count: int, names: Optional[Sequence[str]] = None, what: str = "labels"
) -> Tuple[np.ndarray, Optional[List[str]], bool]:
    """Labels for the library: ``(one-hot or multi-hot uint8 (count, L), names or None for
    MixedWM38's 8, single_label)``. ``labels``: class indices (count,) — one class per map,
    names from ``names`` or "0".."L-1" — or 0/1 vectors (count, L), names from ``names``, else
    MixedWM38's for L = 8 and "0".."L-1" otherwise. Integers, bools or whole-number floats."""
    a = _whole_numbers(np.asarray(labels), what, "")
    name_list = None if names is None else [str(n) for n in names]
    if a.ndim == 1:
        if a.shape[0] != count:
            raise InvalidArgument(f"{what} must have shape ({count},) or ({count}, L), got {a.shape}")
        if a.size and a.min() < 0:
            raise InvalidArgument(f"{what}: class {int(a.min())} is negative")
        classes = len(name_list) if name_list is not None else (int(a.max()) + 1 if a.size else 1)
        if a.size and a.max() >= classes:
            raise InvalidArgument(
                f"{what}: class {int(a.max())} is outside [0, {classes}) (there are {classes} names)"
            )
        onehot = np.zeros((count, classes), dtype=np.uint8)
        onehot[np.arange(count), a.astype(np.int64)] = 1
        return onehot, name_list or [str(i) for i in range(classes)], True
    if a.ndim != 2 or a.shape[0] != count:
        raise InvalidArgument(f"{what} must have shape ({count},) or ({count}, L), got {a.shape}")
    if a.size and (a.min() < 0 or a.max() > 1):
        raise InvalidArgument(f"{what} must hold only 0 and 1")
    if name_list is not None and len(name_list) != a.shape[1]:
        raise InvalidArgument(f"{what} have {a.shape[1]} columns but {len(name_list)} names")
    if name_list is None and a.shape[1] != 8:
        name_list = [str(i) for i in range(a.shape[1])]
    return np.ascontiguousarray(a, dtype=np.uint8), name_list, False


def as_labelled(data: Any, what: str, default_names: Optional[Sequence[str]] = None) -> tuple:
    """A ``(maps, labels)`` or ``(maps, labels, names)`` tuple as the library's (maps, labels,
    names, single_label). Without names, ``default_names`` (a model's labels) name the labels
    when their count matches."""
    if not (isinstance(data, (tuple, list)) and len(data) in (2, 3)):
        raise InvalidArgument(f"{what} must be an npz path or a (maps, labels[, names]) tuple")
    maps, one = as_map_input(data[0], f"{what} maps")
    if one:
        raise InvalidArgument(f"{what} maps must be (N, H, W) or a list of (H, W) maps")
    names = data[2] if len(data) == 3 else None
    count = map_count(maps)
    if names is None and default_names is not None:
        lab = np.asarray(data[1])
        width = lab.shape[1] if lab.ndim == 2 else (int(lab.max()) + 1 if lab.size else 0)
        if (lab.ndim == 2 and width == len(default_names)) or (
            lab.ndim == 1 and width <= len(default_names)
        ):
            names = default_names
    labels, label_names, single = as_labels(data[1], count, names, f"{what} labels")
    return maps, labels, label_names, single


def as_int(value: Any, what: str, minimum: int = 0) -> int:
    """An integer argument (int or numpy integer, not bool) >= minimum."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise InvalidArgument(f"{what} must be an integer, got {value!r}")
    if value < minimum:
        raise InvalidArgument(f"{what} must be >= {minimum}, got {value}")
    return int(value)


def json_default(value: Any) -> Any:
    """json.dumps fallback: numpy scalars and paths."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
