"""wdc.Model: the wafer-map defect classifier."""

from __future__ import annotations

import json
import os
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple, Union

import numpy as np

from . import _wdc
from ._data import labelled_data
from ._errors import ConfigError, InvalidArgument
from ._util import (
    PathLike,
    as_int,
    as_labelled,
    as_map_input,
    as_maps,
    as_path,
    is_path,
    json_default,
    map_count,
)

__all__ = ["Model", "Progress", "DataArg"]

#: A training progress report as passed to ``Model.train``'s callback: ``epoch``/``epochs``
#: (1-based), ``step``/``steps`` (batches done in this epoch / per epoch), ``loss`` (mean training
#: loss so far in the epoch), ``val_exact_match`` (after an epoch's validation, else None); in
#: ``Model.cross_validate`` also ``fold``/``folds`` (1-based).
Progress = Dict[str, Any]
#: A labelled data set: an npz path, or a ``(maps, labels)`` pair of arrays.
DataArg = Union[PathLike, Tuple[Any, ...]]

def _split_config(config: Any) -> Tuple[str, Dict[str, Any]]:
    """(network JSON, training defaults) from Model.create's ``config`` argument."""
    if config is None:
        return "", {}
    if isinstance(config, (str, os.PathLike)):
        text = os.fspath(config)
        if isinstance(text, str) and text.lstrip().startswith("{"):
            try:
                config = json.loads(text)
            except json.JSONDecodeError as e:
                raise ConfigError(f"config: invalid JSON: {e}") from None
        else:
            # A file is the form of `wdc train --config`, read as wdc_config_read reads it.
            network, train = _wdc.read_config(as_path(config, "config"))
            return network, json.loads(train)
    if not isinstance(config, Mapping):
        raise ConfigError(
            f"config must be a dict, JSON text or a path, got {type(config).__name__}"
        )
    if "network" in config or "train" in config:
        # The file form of `wdc train --config`, checked as wdc_config_read checks a file.
        network, train = _wdc.parse_config(json.dumps(dict(config), default=json_default))
        return network, json.loads(train)
    return json.dumps(dict(config), default=json_default), {}


def _threads(threads: Optional[int]) -> int:
    return 0 if threads is None else as_int(threads, "threads", 0)


def _openblas_threads(threads: Optional[int]) -> int:
    return 1 if threads is None else as_int(threads, "openblas_threads", 0)


def _device(device: str) -> str:
    if not isinstance(device, str):
        raise InvalidArgument(f'device must be "cpu", "cuda" or "auto", got {device!r}')
    return device


def _precision(precision: str) -> str:
    if precision not in ("fp32", "bf16", "auto"):
        raise InvalidArgument(f'precision must be "fp32", "bf16" or "auto", got {precision!r}')
    return precision


class Model:
    """A wafer-map defect classifier: a deformable-convolution network over MixedWM38-style maps
    (0 off-wafer, 1 pass, >= 2 fail) with eight multi-label outputs (see :data:`wdc.LABELS`).

    Make one with :meth:`Model.create` (untrained) or :meth:`Model.load` (a ``.wdcm`` file), then
    :meth:`train`, :meth:`predict`, :meth:`cam`, :meth:`evaluate` and :meth:`save` it.

    Threads: predict, cam, evaluate and info may run concurrently from several Python threads
    (the GIL is released while they compute); train and save need the model to themselves, and a
    call that finds it in use by another thread raises :class:`wdc.Busy` instead of waiting.
    """

    __slots__ = ("_impl", "_train_defaults")

    def __init__(self, _impl: Any, _train_defaults: Optional[Dict[str, Any]] = None) -> None:
        # Internal: use Model.create or Model.load.
        if not isinstance(_impl, _wdc.Classifier):
            raise TypeError("use wdc.Model.create(...) or wdc.Model.load(...)")
        self._impl = _impl
        self._train_defaults: Dict[str, Any] = dict(_train_defaults or {})

    # ---- construction -------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        config: Union[None, Mapping[str, Any], str, "os.PathLike[str]"] = None,
        device: str = "cpu",
        threads: Optional[int] = None,
        limits: Optional[Mapping[str, int]] = None,
        novelty_threshold: Optional[float] = None,
        openblas_threads: Optional[int] = None,
        precision: str = "fp32",
    ) -> "Model":
        """An untrained model.

        ``config``: None for the seed network; a network config as a dict or JSON text, e.g.
        ``{"input": {"encoding": "onehot"}, "blocks": [{"channels": 16, "stride": 2}]}`` (keys:
        input {height, width, encoding "raw"|"onehot", fit, fail_fraction}, blocks [{channels,
        kernel, stride, modulated}], dropout, labels, task, seed; or an ensemble's "ensemble":
        [member networks], docs/TRAINING.md); or the config file form ``{"network": {...},
        "train": {...}}`` (dict, JSON text, or the path of such a file), whose "train" part
        becomes the default options of :meth:`train`.

        ``device``: "cpu", "cuda" or "auto". ``threads``: the CPU threads each call uses;
        None or 0 = chosen per call by its work (one thread per map, up to all cores).
        ``openblas_threads``: the size of OpenBLAS's own thread pool, which LibTorch (and
        numpy, where it links the same OpenBLAS) computes some matrix products on, set for the
        whole process; None = 1, which keeps that pool from competing with wdc's threads;
        0 leaves it as it is (docs/PERFORMANCE.md, "Latency"). ``limits``: bounds that protect
        the process, e.g. ``{"max_map_side": 512, "max_batch": 1024, "max_file_bytes": 2**30,
        "max_parameters": 10**7}`` (docs/RELIABILITY.md). Raises ConfigError naming a bad key.
        ``novelty_threshold``: the novelty above which :meth:`classify` calls a map unknown,
        instead of the threshold training calibrates (see :meth:`novelty`).
        ``precision``: what inference computes in: "fp32"; "bf16" (bfloat16 weights and
        activations, 1.6 to 1.7 times the throughput at batch 256; raises Unsupported on a CPU
        without AVX512_BF16); "auto" (bf16 where the CPU has it). :attr:`info`
        ``["precision"]`` says which is in use; training is always float32.
        """
        network, train = _split_config(config)
        impl = _wdc.Classifier.create(
            network, _device(device), _threads(threads), dict(limits or {}), novelty_threshold,
            _openblas_threads(openblas_threads), _precision(precision),
        )
        return cls(impl, train)

    @classmethod
    def load(
        cls,
        path: PathLike,
        device: str = "cpu",
        threads: Optional[int] = None,
        limits: Optional[Mapping[str, int]] = None,
        novelty_threshold: Optional[float] = None,
        openblas_threads: Optional[int] = None,
        precision: str = "fp32",
    ) -> "Model":
        """A model from a ``.wdcm`` file written by :meth:`save` or ``wdc train``.

        ``limits``, ``openblas_threads``, ``precision`` and ``novelty_threshold`` as for
        :meth:`create` (a
        threshold for a model without novelty statistics raises InvalidArgument). Raises IoError
        when the file cannot be read and FormatError when it is not a valid model file (or is
        larger than max_file_bytes).
        """
        impl = _wdc.Classifier.load(
            as_path(path, "path"), _device(device), _threads(threads), dict(limits or {}),
            novelty_threshold, _openblas_threads(openblas_threads), _precision(precision),
        )
        return cls(impl)

    @classmethod
    def load_builtin(
        cls,
        device: str = "cpu",
        threads: Optional[int] = None,
        limits: Optional[Mapping[str, int]] = None,
        novelty_threshold: Optional[float] = None,
        openblas_threads: Optional[int] = None,
        precision: str = "fp32",
    ) -> "Model":
        """The trained MixedWM38 model that ships inside the library (``models/mixedwm38-dcn.wdcm``
        of the source tree): the DCNv2 network trained on real MixedWM38 maps, 8 labels, 52x52
        input. Its accuracy and recipe are in docs/ACCURACY.md; :attr:`info` has its training
        history. ``limits``, ``openblas_threads``, ``precision`` and ``novelty_threshold`` as for
        :meth:`load`.
        """
        impl = _wdc.Classifier.load_builtin(
            _device(device), _threads(threads), dict(limits or {}), novelty_threshold,
            _openblas_threads(openblas_threads), _precision(precision),
        )
        return cls(impl)

    def save(self, path: PathLike) -> None:
        """Write the model (network, weights, thresholds, training history) to ``path``
        atomically (temporary file + rename). Conventional extension: ``.wdcm``."""
        self._impl.save(as_path(path, "path"))

    # ---- properties ---------------------------------------------------------------------------

    @property
    def labels(self) -> List[str]:
        """The label names, in the order of :meth:`predict`'s columns."""
        return list(self._impl.label_names)

    @property
    def num_labels(self) -> int:
        """The number of labels (8 for MixedWM38)."""
        return int(self._impl.num_labels)

    @property
    def input_shape(self) -> Tuple[int, int]:
        """(height, width) of the network's input; maps of other sizes are resized to it
        (nearest neighbour)."""
        return (int(self._impl.input_height), int(self._impl.input_width))

    @property
    def info(self) -> Dict[str, Any]:
        """Config, labels, thresholds, parameter count, device, training history and library
        version, as a dict (a fresh copy on every access)."""
        return json.loads(self._impl.info())

    @property
    def train_defaults(self) -> Dict[str, Any]:
        """Default options of :meth:`train` (the "train" part of a config file; a copy)."""
        return dict(self._train_defaults)

    def __repr__(self) -> str:
        h, w = self.input_shape
        return f"<wdc.Model labels={self.num_labels} input={h}x{w} device={self.info['device']}>"

    # ---- inference ----------------------------------------------------------------------------

    def predict(self, maps: Any) -> np.ndarray:
        """Label probabilities of wafer maps: a sigmoid per label, or for a
        :attr:`single_label` model a softmax over the classes (each row sums to 1).

        ``maps``: (N, H, W), a list of (H, W) maps of any sizes, or a single (H, W) map; any
        integer dtype or whole-number floats, 0 off-wafer, 1 pass, >= 2 fail (negative values
        raise InvalidArgument). Maps of another size than :attr:`input_shape` become input as
        the config's ``fit`` says (nearest-neighbour resizing by default).

        Returns float32 (N, num_labels), or (num_labels,) for one (H, W) map. A multi-label
        model's label is present at probability >= its threshold (0.5 unless calibrated; see
        :attr:`thresholds`); a single-label model's class is the most probable one.
        """
        m, one = as_map_input(maps)
        if map_count(m) == 0:
            return np.zeros((0, self.num_labels), dtype=np.float32)
        p = self._impl.predict(m)
        return p[0] if one else p

    def embed(self, maps: Any) -> np.ndarray:
        """One embedding per map: the network's features of the map averaged over space and
        scaled to unit length, so that ``a @ b`` is the cosine similarity of two maps as the
        model sees them. ``maps`` as for :meth:`predict`. Returns float32 (N,
        :attr:`embedding_size`), or (embedding_size,) for one (H, W) map. For searching a
        library of maps, see :class:`wdc.MapIndex`."""
        m, one = as_map_input(maps)
        if map_count(m) == 0:
            return np.zeros((0, self.embedding_size), dtype=np.float32)
        e = self._impl.embed(m)
        return e[0] if one else e

    @property
    def embedding_size(self) -> int:
        """The length of a map's embedding (the channels of the network's last block; an
        ensemble's: the sum of its members')."""
        return int(self._impl.embedding_size)

    @property
    def fingerprint(self) -> str:
        """Sixteen hex digits identifying the network's config and weights (an index records
        the fingerprint of the model that built it)."""
        return str(self._impl.fingerprint())

    @property
    def single_label(self) -> bool:
        """True for a model of one class per map (softmax, argmax), False for a multi-label one
        (sigmoid per label, thresholds)."""
        return bool(self._impl.single_label)

    def cam(self, map: Any, label: Union[int, str]) -> np.ndarray:
        """Class activation map (Zhou et al. 2016) of ``label`` for one map.

        ``map``: (H, W) integer array as for :meth:`predict`; ``label``: an index or a name
        from :attr:`labels` (full or short name, e.g. "Edge_Ring" or "ER", case-insensitive).
        Returns float32 (H, W) scaled to [0, 1], at the map's own size.
        """
        m = as_maps(map, (2,), "map")
        return self._impl.cam(m, self._label_index(label))

    def _label_index(self, label: Union[int, str]) -> int:
        if isinstance(label, str):
            return int(self._impl.label_index(label))  # names and short names, as wdc_label_index
        if isinstance(label, (bool, np.bool_)) or not isinstance(label, (int, np.integer)):
            raise InvalidArgument(f"label must be an index or a name, got {label!r}")
        i = int(label)
        if i < 0:
            i += self.num_labels  # Python-style negative index
        if not 0 <= i < self.num_labels:
            raise InvalidArgument(
                f"label index {int(label)} is out of range [0, {self.num_labels})"
            )
        return i

    def classify(self, maps: Any) -> List[Dict[str, Any]]:
        """:meth:`predict` with the model's decisions, as ``wdc_classify`` gives them: one dict
        per map, ``{"index", "probabilities" (list), "labels" (names of the labels at or above
        their thresholds), "type": {"id", "name"}, "novelty", "unknown"}`` — "type" is
        MixedWM38's pattern type of those labels (id None, name "unknown" when they form none of
        the 38 or the labels are not MixedWM38's); a single-label model's "labels" holds its one
        most probable class; "novelty" as :meth:`novelty` gives it (None for a model without
        novelty statistics) and "unknown" whether it is above :attr:`novelty_threshold`.
        ``maps`` as for :meth:`predict`; one (H, W) map gives a list of one.
        """
        m, _ = as_map_input(maps)
        if map_count(m) == 0:
            return []
        probabilities, present, types, novelty, unknown = self._impl.classify(m)
        names = self.labels
        return [
            {
                "index": i,
                "probabilities": [float(v) for v in probabilities[i]],
                "labels": [names[k] for k in range(len(names)) if present[i, k]],
                "type": {"id": t[0], "name": t[1]} if t else {"id": None, "name": "unknown"},
                "novelty": None if np.isnan(novelty[i]) else float(novelty[i]),
                "unknown": bool(unknown[i]),
            }
            for i, t in enumerate(types)
        ]

    def novelty(self, maps: Any) -> np.ndarray:
        """How unlike the maps the model was trained on each map is: 1 minus the cosine
        similarity of its embedding (:meth:`embed`) to that of its k-th nearest training map
        (k = 5 unless training said otherwise), in [0, 2]; higher = more novel. A map above
        :attr:`novelty_threshold` is probably a pattern none of the labels describes.
        ``maps`` as for :meth:`predict`. Returns float32 (N,), or a float for one (H, W) map.
        Raises UnsupportedError for a model without novelty statistics (:meth:`fit_novelty`
        adds them)."""
        m, one = as_map_input(maps)
        if map_count(m) == 0:
            return np.zeros((0,), dtype=np.float32)
        v = self._impl.novelty(m)
        return float(v[0]) if one else v

    @property
    def novelty_threshold(self) -> Optional[float]:
        """The novelty above which a map is unknown: the one given at load time, else the one
        training calibrated on the validation maps (by default it flags 1% of them); None for
        a model without novelty statistics."""
        t = self._impl.novelty_threshold()
        return None if np.isnan(t) else float(t)

    def fit_novelty(
        self,
        train: DataArg,
        val: DataArg,
        k: int = 5,
        bank: int = 4096,
        share: float = 0.01,
        seed: int = 0,
    ) -> Dict[str, Any]:
        """Compute the novelty statistics of a trained model, as :meth:`train` does at its end:
        the embeddings of ``train`` (the model's training maps; a seeded sample of at most
        ``bank`` of them), then the threshold that flags ``share`` of the maps of ``val`` (maps
        of known classes not used for training). ``train`` and ``val`` as ``data`` for
        :meth:`evaluate`. Replaces any statistics the model had (:meth:`save` keeps them).
        Returns ``{"method", "k", "bank", "threshold", "calibration_share",
        "calibration_maps"}``."""
        return dict(
            self._impl.fit_novelty(
                labelled_data(train, "train", self.labels), labelled_data(val, "val", self.labels),
                as_int(k, "k", 1), as_int(bank, "bank", 1), float(share), as_int(seed, "seed"),
            )
        )

    @property
    def thresholds(self) -> np.ndarray:
        """Per label, the probability from which :meth:`classify` counts it as present
        (chosen on validation maps by :meth:`train`; 0.5 for an untrained model)."""
        return np.asarray(self._impl.thresholds(), dtype=np.float32)

    def report(
        self,
        data: DataArg,
        out_dir: PathLike,
        per_type: int = 3,
        scale: int = 3,
        model_name: str = "model",
        data_name: str = "data",
    ) -> Dict[str, Any]:
        """Write the self-contained HTML report of ``wdc report`` (``wdc_report``) about this
        model on a labelled set (an npz path or a ``(maps, labels[, names])`` tuple) to
        ``out_dir/index.html``: training curves, metrics, the label confusion view and the CAMs
        of ``per_type`` maps per pattern type at ``scale`` pixels per die. Returns ``{"out",
        "bytes", "samples", "exact_match", "pictures", "types", "unknown"}`` (unknown: maps
        above the novelty threshold, which the page shows with their CAMs).
        """
        if is_path(data):
            if data_name == "data":
                data_name = os.fspath(data)
            from ._data import load_npz

            data = load_npz(data, with_names=True)
        return self._impl.report(
            as_labelled(data, "data", self.labels), as_path(out_dir, "out_dir"),
            as_int(per_type, "per_type"),
            as_int(scale, "scale"), str(model_name), str(data_name),
        )

    def evaluate(self, data: DataArg) -> Dict[str, Any]:
        """Metrics on a labelled data set: an npz path or a ``(maps, labels[, names])`` tuple
        (labels: class indices (N,) or 0/1 (N, L); without names, the model's when they fit).

        Returns the dict of ``wdc eval --json``: for a multi-label model exact match, per-label
        precision/recall/F1 and per-type accuracy; for a single-label one accuracy, macro F1,
        per-class metrics and the confusion matrix (see docs/PYTHON.md).
        """
        if is_path(data):
            return json.loads(self._impl.evaluate_file(as_path(data, "data")))
        labelled = as_labelled(data, "data", self.labels)
        if map_count(labelled[0]) == 0:
            raise InvalidArgument("evaluate: the data set is empty")
        return json.loads(self._impl.evaluate(labelled))

    # ---- training -----------------------------------------------------------------------------

    def train(
        self,
        data: Optional[DataArg] = None,
        val: Optional[DataArg] = None,
        epochs: Optional[int] = None,
        callback: Optional[Callable[[Progress], Optional[bool]]] = None,
        **options: Any,
    ) -> Dict[str, Any]:
        """Train the model; returns the training report as a dict (history per epoch, best
        epoch, ...). The model keeps the weights of the best epoch by validation exact match.

        ``data``: an npz path or a ``(maps, labels[, names])`` tuple (as for :meth:`evaluate`;
        a model created without labels takes the data's names, and its task: class indices
        make it single-label); or leave it out and pass
        ``synthetic=N`` to train on N generated maps. ``val``: the same forms; without it a
        stratified ``val_fraction`` (default 0.1) of ``data`` is held out. ``epochs``: default
        20 (or the config file's).

        ``callback(progress)`` is called after every batch with a dict (epoch, epochs, step,
        steps, loss, val_exact_match — None except at the end of an epoch). Returning True stops
        training with :class:`wdc.Cancelled`; an exception it raises (KeyboardInterrupt
        included) stops training and propagates from ``train``. Ctrl-C stops training either way.

        ``options``: the other training options — batch_size 32, lr 0.01, momentum 0.9,
        weight_decay 0, nesterov False, schedule "constant"|"cosine", warmup_epochs 0,
        augment False, seed 0, threads 0, checkpoint "", resume False, pos_weight 1,
        val_fraction 0.1, synthetic 0, min_type_samples 0, tune_thresholds False, init ""
        (a model file or "builtin" to start from: fine-tuning); for data-parallel training
        (docs/DISTRIBUTED.md) world_size 1, rank 0, dist_url "" ("tcp://HOST:PORT" or
        "env://"), dist_timeout 300, sync_batch_norm False; deterministic False (True: the
        same weights, bit for bit, on any x86-64 CPU with AVX2 and FMA and any thread count,
        for a process started with ATEN_CPU_CAPABILITY=avx2 and OPENBLAS_CORETYPE=Haswell in
        its environment, else :class:`wdc.Unsupported`; docs/TRAINING.md). Unknown or bad
        options raise ConfigError.
        """
        if callback is not None and not callable(callback):
            raise InvalidArgument("callback must be callable or None")
        opts: Dict[str, Any] = dict(self._train_defaults)
        opts.update(options)
        if epochs is not None:
            opts["epochs"] = epochs
        # Paths go into the options; arrays go to the library as they are (no temporary files).
        in_memory: Dict[str, Optional[tuple]] = {"data": None, "val": None}
        for key, value in (("data", data), ("val", val)):
            if value is None:
                continue
            if is_path(value):
                opts[key] = as_path(value, key)
            else:
                # No default names from the model here: a model without configured labels
                # takes the data's, so unnamed labels must not borrow its defaults.
                in_memory[key] = as_labelled(value, key)
                if key == "val":
                    opts.pop("val_fraction", None)
        try:
            text = json.dumps(opts, default=json_default)
        except (TypeError, ValueError) as e:
            raise ConfigError(f"training options: {e}") from None
        return json.loads(self._impl.train(text, callback, in_memory["data"], in_memory["val"]))

    def cross_validate(
        self,
        data: DataArg,
        val: Optional[DataArg] = None,
        folds: int = 5,
        epochs: Optional[int] = None,
        callback: Optional[Callable[[Progress], Optional[bool]]] = None,
        **options: Any,
    ) -> Dict[str, Any]:
        """k-fold cross-validation of this model's recipe: its network (and labels, if it has
        them) and the training options. The maps of ``data`` and ``val`` (pooled) are cut into
        ``folds`` stratified folds; for each fold an untrained copy of this model trains on the
        other folds and predicts the fold's maps. This model is not changed. Costs ``folds``
        trainings.

        ``data``, ``val``: npz paths or ``(maps, labels[, names])`` tuples, as for
        :meth:`train`. ``options``: :meth:`train`'s options (those of the config file this
        model was created from by default), without data sources or data-parallel options;
        ``checkpoint="P"`` keeps each finished fold in ``P.foldK.json`` (and the running fold's
        training in ``P.foldK.ckpt``), and ``resume=True`` takes those instead of training the
        folds again (each fold's ``from_file`` says which were). Each fold holds out ``val_fraction`` of its training maps to
        choose its epoch (and, with ``tune_thresholds``, its thresholds); each fold is then
        scored with thresholds chosen on the other folds' predictions, never on its own maps.
        ``callback`` as for :meth:`train`; its dict also has ``fold`` and ``folds``.

        Returns a dict: ``summary`` (per metric — "exact_match", "mean_f1", "f1 Near_Full",
        "accuracy C8", "recall Loc", ... — its ``mean``, ``std`` over the folds and ``values``
        per fold), ``out_of_fold`` (every map scored by the model that did not see it, in the
        schema of :meth:`evaluate`), ``fold_results``, ``assignment`` (each map's fold,
        1-based; ``data``'s maps, then ``val``'s) and more (docs/TRAINING.md).
        """
        if callback is not None and not callable(callback):
            raise InvalidArgument("callback must be callable or None")
        opts: Dict[str, Any] = dict(self._train_defaults)
        opts.update(options)
        opts["folds"] = as_int(folds, "folds", 2)
        if epochs is not None:
            opts["epochs"] = epochs
        pooled = labelled_data(data, "data")
        more = None if val is None else labelled_data(val, "val")
        try:
            text = json.dumps(opts, default=json_default)
        except (TypeError, ValueError) as e:
            raise ConfigError(f"cross-validation options: {e}") from None
        return json.loads(self._impl.cross_validate(text, callback, pooled, more))
