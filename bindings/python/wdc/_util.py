"""Argument conversion shared by the wdc modules (internal)."""

from __future__ import annotations

import os
from typing import Any, Tuple, Union

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
    """Wafer maps as a C-contiguous uint8 array: any integer (or bool) dtype, no negative value,
    values above 2 (the real data's 3s) clipped to 2 = fail. ``ndims``: the accepted ranks."""
    a = np.asarray(maps)
    if a.dtype.kind not in "biu":
        raise InvalidArgument(
            f"{what} must have an integer dtype (0 off-wafer, 1 pass, >= 2 fail), got {a.dtype}"
        )
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


def as_labels(labels: Any, count: int, what: str = "labels") -> np.ndarray:
    """Multi-hot labels (count, 8) of 0/1 as a C-contiguous uint8 array."""
    a = np.asarray(labels)
    if a.dtype.kind not in "biu":
        raise InvalidArgument(f"{what} must have an integer or bool dtype, got {a.dtype}")
    if a.shape != (count, 8):
        raise InvalidArgument(f"{what} must have shape ({count}, 8), got {a.shape}")
    if a.size and (a.min() < 0 or a.max() > 1):
        raise InvalidArgument(f"{what} must hold only 0 and 1")
    return np.ascontiguousarray(a, dtype=np.uint8)


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
