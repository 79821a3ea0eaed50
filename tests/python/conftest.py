"""Fixtures of the wdc Python tests.

Run from the build tree (CTest sets this up):
    PYTHONPATH=<build>/python /usr/bin/python3 -m pytest -q tests/python
"""

import os
import sys

import numpy as np
import pytest

try:
    import wdc
except ImportError as e:  # fail loudly: a skipped suite would hide a broken build
    raise ImportError(
        f"cannot import wdc ({e}); build the _wdc target and run with "
        "PYTHONPATH=<build>/python (CTest's python_tests does)"
    ) from e

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures")
WAFER_SMALL = os.path.join(FIXTURES, "npz", "wafer_small.npz")

#: A network small enough to train in a second or two on two cores.
TINY = {
    "input": {"encoding": "onehot"},
    "blocks": [{"channels": 8, "stride": 2}, {"channels": 16, "stride": 2}],
}


@pytest.fixture(scope="session")
def synth_set():
    return wdc.synth(240, seed=7)


@pytest.fixture(scope="session")
def trained(tmp_path_factory):
    """(model, report, path of its saved .wdcm): the tiny network, one epoch on 200 maps."""
    model = wdc.Model.create(TINY, threads=2)
    report = model.train(synthetic=200, epochs=1, batch_size=32, lr=0.05, seed=3)
    path = str(tmp_path_factory.mktemp("model") / "tiny.wdcm")
    model.save(path)
    return model, report, path


@pytest.fixture
def model(trained):
    return trained[0]


def pytest_report_header(config):
    return f"wdc {wdc.__version__} from {os.path.dirname(wdc.__file__)}; python {sys.executable}"
