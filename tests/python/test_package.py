"""The package surface: names, docs, stubs, exceptions."""

import os
import pickle
import pydoc

import pytest

import wdc

ERRORS = {
    "InvalidArgument": 1,
    "IoError": 2,
    "FormatError": 3,
    "ConfigError": 4,
    "Unsupported": 5,
    "Cancelled": 6,
    "OutOfMemory": 7,
    "Busy": 8,
    "Misuse": 9,
    "InternalError": 10,
    "RuntimeFailure": 11,
}


def test_all_names_exist():
    for name in wdc.__all__:
        assert hasattr(wdc, name), name
    assert isinstance(wdc.__version__, str) and wdc.__version__.count(".") == 2


def test_error_classes_and_status_codes():
    for name, code in ERRORS.items():
        cls = getattr(wdc, name)
        assert issubclass(cls, wdc.WdcError)
        assert cls.status == code and cls.status is wdc.Status(code)
        e = cls("the message")
        assert str(e) == "the message" and e.message == "the message"
        again = pickle.loads(pickle.dumps(e))
        assert type(again) is cls and str(again) == "the message"
    assert issubclass(wdc.InvalidArgument, ValueError)
    assert issubclass(wdc.IoError, OSError)
    assert issubclass(wdc.OutOfMemory, MemoryError)
    assert issubclass(wdc.RuntimeFailure, RuntimeError)
    assert not issubclass(wdc.Cancelled, ValueError)


def test_docstrings_and_help():
    text = pydoc.render_doc(wdc.Model, renderer=pydoc.plaintext)
    for word in ("create", "load", "save", "train", "predict", "cam", "evaluate", "labels", "info"):
        assert word in text
    assert "(N, num_labels)" in wdc.Model.predict.__doc__
    for f in (wdc.load_npz, wdc.save_npz, wdc.synth, wdc.ops.deform_conv2d,
              wdc.ops.deform_conv2d_backward):
        assert f.__doc__ and len(f.__doc__) > 80


def test_type_stubs_ship_with_the_package():
    here = os.path.dirname(wdc.__file__)
    assert os.path.isfile(os.path.join(here, "py.typed"))
    assert os.path.isfile(os.path.join(here, "_wdc.pyi"))


def test_label_constants():
    assert wdc.LABELS == ("Center", "Donut", "Edge_Loc", "Edge_Ring", "Loc", "Near_Full",
                          "Scratch", "Random")
    assert len(wdc.LABEL_SHORT_NAMES) == 8
    assert len(wdc.PATTERN_TYPES) == 38
    ident, name, labels, count = wdc.PATTERN_TYPES[0]
    assert ident == "C1" and len(labels) == 8 and count > 0
    assert sum(t[3] for t in wdc.PATTERN_TYPES) == 38015


def test_model_needs_a_factory():
    with pytest.raises(TypeError):
        wdc.Model(None)
