"""Deterministic training through Python (the training option ``deterministic``,
docs/TRAINING.md): processes started as other machines would choose their kernels, with other
thread counts, train one model (the same ``fingerprint``); a process whose OpenBLAS runs other
kernels gets ``wdc.Unsupported`` saying what to set. ATen and OpenBLAS choose their kernels from
the environment as the process starts, so each training is a fresh Python process."""

import json
import os
import subprocess
import sys

import pytest

from conftest import TINY

PROGRAM = """
import json, sys
import wdc
model = wdc.Model.create(json.loads(sys.argv[1]))
try:
    model.train(synthetic=96, epochs=1, batch_size=16, lr=0.05, seed=3,
                threads=int(sys.argv[2]), deterministic=True)
except wdc.Unsupported as e:
    print(json.dumps({"refused": str(e)}))
else:
    print(json.dumps({"fingerprint": model.info["fingerprint"],
                      "options": model.info["training"]["options"]}))
"""

PINNED = {"ATEN_CPU_CAPABILITY": "avx2", "OPENBLAS_CORETYPE": "Haswell"}


def train_in_fresh_process(threads, **env):
    result = subprocess.run(
        [sys.executable, "-c", PROGRAM, json.dumps(TINY), str(threads)],
        capture_output=True, text=True, env={**os.environ, **env}, timeout=300)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def cpu_has_avx2_and_fma():
    with open("/proc/cpuinfo") as f:
        flags = f.read().split()
    return "avx2" in flags and "fma" in flags


pytestmark = pytest.mark.skipif(not cpu_has_avx2_and_fma(),
                                reason="deterministic training needs AVX2 and FMA")


def test_other_kernels_and_threads_train_one_model():
    here = train_in_fresh_process(2, **PINNED)
    # oneDNN capped as on a machine without AVX (deterministic training does not use it).
    elsewhere = train_in_fresh_process(1, **PINNED, ONEDNN_MAX_CPU_ISA="SSE41",
                                       DNNL_MAX_CPU_ISA="SSE41")
    assert len(here["fingerprint"]) == 16
    assert here["fingerprint"] == elsewhere["fingerprint"]
    assert here["options"]["deterministic"] is True


def test_other_openblas_kernels_are_refused_with_what_to_set():
    r = train_in_fresh_process(1, ATEN_CPU_CAPABILITY="avx2", OPENBLAS_CORETYPE="Sandybridge")
    assert "OPENBLAS_CORETYPE=Haswell" in r["refused"]
    assert "Sandybridge" in r["refused"]
