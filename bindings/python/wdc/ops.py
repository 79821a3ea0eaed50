"""wdc.ops: the deformable convolution of the wdc core on numpy arrays.

Same semantics as ``torchvision.ops.deform_conv2d`` (Dai et al. 2017; with ``mask``, the
modulated DCNv2 of Zhu et al. 2019), CPU, float32 and float64, NCHW. The GIL is released while
the op runs.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Sequence, Tuple, Union

import numpy as np

from . import _wdc
from ._errors import InvalidArgument

__all__ = ["deform_conv2d", "deform_conv2d_backward"]

IntPair = Union[int, Sequence[int]]


def _pair(value: IntPair, name: str) -> Tuple[int, int]:
    if isinstance(value, (bool, np.bool_)):
        raise InvalidArgument(f"{name} must be an int or a pair of ints, got {value!r}")
    if isinstance(value, (int, np.integer)):
        return int(value), int(value)
    try:
        a, b = value  # type: ignore[misc]
    except (TypeError, ValueError):
        raise InvalidArgument(
            f"{name} must be an int or a pair of ints, got {value!r}"
        ) from None
    for v in (a, b):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
            raise InvalidArgument(f"{name} must be an int or a pair of ints, got {value!r}")
    return int(a), int(b)


def _input(x: Any) -> np.ndarray:
    a = np.asarray(x)
    if a.dtype not in (np.float32, np.float64):
        raise InvalidArgument(f"deform_conv2d: input must be float32 or float64, got {a.dtype}")
    return np.ascontiguousarray(a)


def _like(x: Any, dtype: np.dtype, name: str) -> np.ndarray:
    """``x`` as a C-contiguous array of the input's dtype (other float/int dtypes converted)."""
    a = np.asarray(x)
    if a.dtype.kind not in "fiu":
        raise InvalidArgument(f"deform_conv2d: {name} must be a numeric array, got {a.dtype}")
    return np.ascontiguousarray(a, dtype=dtype)


def _groups(groups: Optional[int], offset_groups: Optional[int], x: np.ndarray,
            offset: np.ndarray, weight: np.ndarray) -> Tuple[int, int]:
    """Explicit values as given; None inferred from the shapes like torchvision does (when they
    divide evenly; otherwise 1, and the op reports the shape that does not fit)."""
    if groups is None:
        groups = 1
        if x.ndim == 4 and weight.ndim == 4 and weight.shape[1] > 0 \
                and x.shape[1] % weight.shape[1] == 0 and x.shape[1] // weight.shape[1] > 0:
            groups = x.shape[1] // weight.shape[1]
    if offset_groups is None:
        offset_groups = 1
        if offset.ndim == 4 and weight.ndim == 4:
            taps = 2 * weight.shape[2] * weight.shape[3]
            if taps > 0 and offset.shape[1] % taps == 0 and offset.shape[1] // taps > 0:
                offset_groups = offset.shape[1] // taps
    for v, name in ((groups, "groups"), (offset_groups, "offset_groups")):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
            raise InvalidArgument(f"{name} must be an int, got {v!r}")
    return int(groups), int(offset_groups)


def _prepare(input: Any, offset: Any, weight: Any, bias: Any, mask: Any):
    x = _input(input)
    off = _like(offset, x.dtype, "offset")
    w = _like(weight, x.dtype, "weight")
    b = None if bias is None else _like(bias, x.dtype, "bias")
    m = None if mask is None else _like(mask, x.dtype, "mask")
    return x, off, w, b, m


def deform_conv2d(
    input: Any,
    offset: Any,
    weight: Any,
    bias: Optional[Any] = None,
    stride: IntPair = 1,
    padding: IntPair = 0,
    dilation: IntPair = 1,
    groups: Optional[int] = None,
    offset_groups: Optional[int] = None,
    mask: Optional[Any] = None,
) -> np.ndarray:
    """Deformable 2-D convolution; returns a new array (N, O, Ho, Wo) of the input's dtype.

    ``input`` (N, C, H, W) float32 or float64 — the other arrays are converted to its dtype;
    ``offset`` (N, 2·G·kh·kw, Ho, Wo), channel 2k the row (y) and 2k+1 the column (x) shift of
    tap k in offset group g; ``weight`` (O, C/groups, kh, kw); ``bias`` (O,) or None; ``mask``
    (N, G·kh·kw, Ho, Wo) or None (DCNv2 modulation). ``stride``, ``padding``, ``dilation``: an
    int or an (h, w) pair. ``groups`` / ``offset_groups`` (G): None = inferred from the shapes as
    torchvision does. Raises InvalidArgument naming the argument whose shape or value is wrong.
    """
    x, off, w, b, m = _prepare(input, offset, weight, bias, mask)
    g, og = _groups(groups, offset_groups, x, off, w)
    return _wdc.deform_conv2d(x, off, w, b, m, _pair(stride, "stride"),
                              _pair(padding, "padding"), _pair(dilation, "dilation"), g, og)


def deform_conv2d_backward(
    grad_output: Any,
    input: Any,
    offset: Any,
    weight: Any,
    bias: Optional[Any] = None,
    stride: IntPair = 1,
    padding: IntPair = 0,
    dilation: IntPair = 1,
    groups: Optional[int] = None,
    offset_groups: Optional[int] = None,
    mask: Optional[Any] = None,
) -> Dict[str, Optional[np.ndarray]]:
    """Gradients of :func:`deform_conv2d` for ``grad_output`` (N, O, Ho, Wo) — what autograd
    computes for the same arguments.

    Returns a dict with keys "input", "offset", "weight", "bias" and "mask": arrays of the
    shapes of those arguments, "bias" / "mask" None when the argument was None.
    """
    x, off, w, b, m = _prepare(input, offset, weight, bias, mask)
    go = _like(grad_output, x.dtype, "grad_output")
    g, og = _groups(groups, offset_groups, x, off, w)
    return _wdc.deform_conv2d_backward(go, x, off, w, b, m, _pair(stride, "stride"),
                                       _pair(padding, "padding"), _pair(dilation, "dilation"),
                                       g, og)
