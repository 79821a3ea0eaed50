"""wdc.MapIndex: similar-map search over a library of embedded wafer maps."""

from __future__ import annotations

from typing import Any, List, Tuple

import numpy as np

from . import _wdc
from ._data import labelled_data
from ._model import DataArg, Model
from ._util import PathLike, as_int, as_map_input, as_path, map_count

__all__ = ["MapIndex"]


class MapIndex:
    """A library of wafer maps for "which past maps look like this one?": each map's embedding
    (:meth:`Model.embed`) with its labels, and the fingerprint of the model that embedded them.
    Build it once (:meth:`build`, or ``wdc embed``), save and load it as an npz file, and query
    it many times with :meth:`search` — always with the model that built it.

        >>> index = wdc.MapIndex.build(model, "history.npz")
        >>> indices, similarities = index.search(model, new_maps, k=5)
    """

    def __init__(self, impl: Any) -> None:
        self._impl = impl

    @classmethod
    def build(cls, model: Model, data: DataArg) -> "MapIndex":
        """Embed every map of ``data`` (an npz path or a ``(maps, labels[, names])`` tuple, as
        for :meth:`Model.evaluate`) with ``model``."""
        return cls(_wdc.MapIndex.build(model._impl, labelled_data(data, "data", model.labels)))

    @classmethod
    def load(cls, path: PathLike) -> "MapIndex":
        """An index file written by :meth:`save` or ``wdc embed`` (npz: embeddings, labels,
        label_names, model)."""
        return cls(_wdc.MapIndex.load(as_path(path, "path")))

    def save(self, path: PathLike) -> None:
        """Write the index as an npz file (atomically)."""
        self._impl.save(as_path(path, "path"))

    def search(self, model: Model, maps: Any, k: int = 5) -> Tuple[np.ndarray, np.ndarray]:
        """For each map (``maps`` as for :meth:`Model.predict`), the ``k`` indexed maps most
        similar to it by cosine similarity, most similar first: ``(indices, similarities)``,
        int64 and float32 arrays of shape (N, min(k, len(index))) — or (min(k, len),) each for
        one (H, W) map. ``model`` must be the one that built the index (InvalidArgument
        otherwise). The neighbours' labels are ``index.labels[indices]``."""
        k = as_int(k, "k", 1)
        m, one = as_map_input(maps)
        if map_count(m) == 0:
            keep = min(k, len(self))
            return np.zeros((0, keep), np.int64), np.zeros((0, keep), np.float32)
        indices, similarities = self._impl.nearest(model._impl, m, k)
        return (indices[0], similarities[0]) if one else (indices, similarities)

    def __len__(self) -> int:
        return int(self._impl.count)

    @property
    def embeddings(self) -> np.ndarray:
        """float32 (N, D), each row of unit length (a copy)."""
        return self._impl.embeddings

    @property
    def labels(self) -> np.ndarray:
        """uint8 (N, L) 0/1: the labels of each indexed map (one 1 per row for a single-label
        index); names in :attr:`label_names` (a copy)."""
        return self._impl.labels

    @property
    def label_names(self) -> List[str]:
        return list(self._impl.label_names)

    @property
    def model(self) -> str:
        """The fingerprint of the model that built the index (:attr:`Model.fingerprint`)."""
        return str(self._impl.model)

    def __repr__(self) -> str:
        return f"<wdc.MapIndex maps={len(self)} dim={self._impl.dim} model={self.model}>"
