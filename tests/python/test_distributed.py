"""Data-parallel training through Python: the training options world_size, rank and dist_url
reach the library (docs/DISTRIBUTED.md). Two ranks are two Python processes on loopback."""

import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest

import wdc
from conftest import TINY

RANK_PROGRAM = """
import json, sys
import numpy as np
import wdc
network, rank, url, batch, out = json.loads(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5]
model = wdc.Model.create(network, threads=1)
options = dict(synthetic=160, epochs=2, batch_size=batch, lr=0.05, seed=3, sync_batch_norm=True)
if url:
    options.update(world_size=2, rank=rank, dist_url=url)
report = model.train(**options)
np.save(out, model.predict(wdc.synth(40, seed=9)[0]))
print(json.dumps(report))
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(rank, url, batch, out):
    return subprocess.Popen(
        [sys.executable, "-c", RANK_PROGRAM, json.dumps(TINY), str(rank), url, str(batch), out],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ))


def test_two_ranks_train_the_model_one_process_trains_with_twice_the_batch(tmp_path):
    url = f"tcp://127.0.0.1:{free_port()}"
    ranks = [start(r, url, 8, str(tmp_path / f"rank{r}.npy")) for r in (0, 1)]
    outputs = [p.communicate(timeout=300) for p in ranks]
    for p, (out, err) in zip(ranks, outputs):
        if "has no Gloo" in err:
            pytest.skip("this build has no Gloo")
        assert p.returncode == 0, err
    single = start(0, "", 16, str(tmp_path / "single.npy"))
    out, err = single.communicate(timeout=300)
    assert single.returncode == 0, err

    reports = [json.loads(out) for out, _ in outputs]
    assert [r["rank"] for r in reports] == [0, 1]
    assert all(r["world_size"] == 2 for r in reports)
    # Every rank saw the same losses and validation figures, and so kept the same epoch.
    def figures(report):
        return [(e["loss"], e["val_exact_match"]) for e in report["history"]]
    assert figures(reports[0]) == figures(reports[1])
    assert reports[0]["best_epoch"] == reports[1]["best_epoch"]
    assert reports[0]["steps"] == json.loads(out)["steps"]
    rank0, rank1 = np.load(tmp_path / "rank0.npy"), np.load(tmp_path / "rank1.npy")
    np.testing.assert_array_equal(rank0, rank1)  # every rank ends with the same weights
    np.testing.assert_allclose(rank0, np.load(tmp_path / "single.npy"), atol=1e-4)


def test_bad_group_options_raise_config_error():
    model = wdc.Model.create(TINY, threads=1)
    with pytest.raises(wdc.ConfigError, match="dist_url"):
        model.train(synthetic=16, epochs=1, world_size=2, rank=0)
    with pytest.raises(wdc.ConfigError, match="rank"):
        model.train(synthetic=16, epochs=1, world_size=2, rank=5, dist_url="tcp://127.0.0.1:1")
