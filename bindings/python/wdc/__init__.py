"""wdc — wafer-map defect classifier (MixedWM38-style maps, eight multi-label defect patterns).

    >>> import wdc
    >>> maps, labels = wdc.synth(200, seed=1)
    >>> model = wdc.Model.create({"input": {"encoding": "onehot"},
    ...                           "blocks": [{"channels": 8, "stride": 2}]})
    >>> report = model.train((maps, labels), epochs=1)
    >>> model.predict(maps[:3]).shape
    (3, 8)

Contents: :class:`Model` (create / load / save / train / predict / classify / cam / embed / evaluate /
report / info), :class:`MapIndex` (similar-map search),
:func:`load_npz`, :func:`save_npz`, :func:`synth`, :func:`split`, :func:`write_map_png`, :data:`LABELS`, :mod:`wdc.ops`
(deform_conv2d on numpy arrays) and the exceptions, all subclasses of :class:`WdcError` with a
``status`` (:class:`Status`). See docs/PYTHON.md.
"""

from . import _wdc
from ._data import (
    LABEL_SHORT_NAMES,
    LABELS,
    PATTERN_TYPES,
    load_npz,
    save_npz,
    split,
    synth,
    write_map_png,
)
from ._errors import (
    Busy,
    Cancelled,
    ConfigError,
    FormatError,
    InternalError,
    InvalidArgument,
    IoError,
    Misuse,
    OutOfMemory,
    RuntimeFailure,
    Status,
    Unsupported,
    WdcError,
)
from ._model import Model
from ._index import MapIndex
from . import ops

#: The version of the wdc library the module was built from.
__version__: str = _wdc.__version__

__all__ = [
    "Model",
    "MapIndex",
    "load_npz",
    "save_npz",
    "synth",
    "split",
    "write_map_png",
    "LABELS",
    "LABEL_SHORT_NAMES",
    "PATTERN_TYPES",
    "ops",
    "Status",
    "WdcError",
    "InvalidArgument",
    "IoError",
    "FormatError",
    "ConfigError",
    "Unsupported",
    "Cancelled",
    "OutOfMemory",
    "Busy",
    "Misuse",
    "InternalError",
    "RuntimeFailure",
    "__version__",
]
