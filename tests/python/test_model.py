"""wdc.Model: create, load, save, predict, cam, evaluate, info, train."""

import json
import os
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np
import pytest

import wdc
from conftest import TINY, WAFER_SMALL

# ---- create / load / save ------------------------------------------------------------------


def test_create_default_is_the_seed_network():
    m = wdc.Model.create()
    assert m.labels == list(wdc.LABELS) and m.num_labels == 8
    assert m.input_shape == (52, 52)
    info = m.info
    assert info["config"]["input"]["encoding"] == "raw"
    assert len(info["config"]["blocks"]) == 4
    assert info["device"] == "cpu" and info["parameters"] > 0
    assert info["library_version"] == wdc.__version__
    assert "wdc.Model" in repr(m)


def test_create_from_dict_json_text_and_config_file(tmp_path):
    a = wdc.Model.create(TINY)
    b = wdc.Model.create(json.dumps(TINY))
    cfg = {"network": TINY, "train": {"epochs": 2, "lr": 0.05}, "comment": "tiny"}
    c = wdc.Model.create(cfg)
    path = tmp_path / "cfg.json"
    path.write_text(json.dumps(cfg))
    d = wdc.Model.create(path)
    e = wdc.Model.create(str(path))
    for m in (a, b, c, d, e):
        assert [blk["channels"] for blk in m.info["config"]["blocks"]] == [8, 16]
    assert c.train_defaults == {"epochs": 2, "lr": 0.05}
    assert d.train_defaults == c.train_defaults and a.train_defaults == {}


@pytest.mark.parametrize(
    "config, fragment",
    [
        ({"blocks": [{"channels": 0}]}, "channels"),
        ({"input": {"encoding": "rgb"}}, "encoding"),
        ({"blokcs": []}, "blokcs"),
        ("{not json", "JSON"),
        ({"network": TINY, "extra": 1}, "extra"),
        ({"network": [1, 2]}, "network"),
        (42, "config"),
    ],
)
def test_create_config_errors(config, fragment):
    with pytest.raises(wdc.ConfigError) as e:
        wdc.Model.create(config)
    assert fragment in str(e.value)
    assert e.value.status == wdc.Status.CONFIG


def test_create_missing_config_file(tmp_path):
    with pytest.raises(wdc.IoError):
        wdc.Model.create(tmp_path / "nope.json")


def test_device_and_threads_arguments():
    with pytest.raises(wdc.InvalidArgument):
        wdc.Model.create(TINY, device="tpu")
    with pytest.raises(wdc.InvalidArgument):
        wdc.Model.create(TINY, threads=-1)
    with pytest.raises(wdc.InvalidArgument):
        wdc.Model.create(TINY, threads="two")
    m = wdc.Model.create(TINY, device="auto", threads=2)
    assert m.info["device"] in ("cpu", "cuda", "cuda:0")


def test_openblas_threads_sizes_the_process_pool_or_leaves_it():
    # The OpenBLAS that LibTorch links, as the process has it loaded (the same soname).
    ctypes = pytest.importorskip("ctypes")
    try:
        openblas = ctypes.CDLL("libopenblas.so.0")
    except OSError:
        pytest.skip("this process's BLAS is not OpenBLAS")
    openblas.openblas_set_num_threads(2)
    before = openblas.openblas_get_num_threads()  # 2, or fewer where OpenBLAS caps it
    wdc.Model.create(TINY, openblas_threads=0)
    assert openblas.openblas_get_num_threads() == before
    with pytest.raises(wdc.InvalidArgument):
        wdc.Model.create(TINY, openblas_threads=-1)
    assert openblas.openblas_get_num_threads() == before
    wdc.Model.create(TINY)
    assert openblas.openblas_get_num_threads() == 1


def test_precision_bf16_follows_fp32_where_the_cpu_has_it(synth_set):
    maps = synth_set[0][:32]
    fp32 = wdc.Model.load_builtin()
    assert fp32.info["precision"] == "fp32"
    native = wdc.Model.load_builtin(precision="auto").info["precision"] == "bf16"
    if not native:
        with pytest.raises(wdc.Unsupported, match="bf16"):
            wdc.Model.load_builtin(precision="bf16")
        pytest.skip("this CPU has no native bfloat16")
    bf16 = wdc.Model.load_builtin(precision="bf16", threads=2)
    assert bf16.info["precision"] == "bf16"
    p32, p16 = fp32.predict(maps), bf16.predict(maps)
    assert p16.dtype == np.float32 and p16.shape == p32.shape
    # bfloat16 rounds to 8 bits of mantissa: the probabilities move, but by little, and the
    # decisions at the model's thresholds stay those of float32 for nearly every map.
    assert 0 < np.abs(p16 - p32).max() < 0.05
    t = np.asarray(fp32.info["thresholds"], np.float32)
    assert ((p16 >= t) == (p32 >= t)).all(axis=1).mean() >= 0.9
    e32, e16 = fp32.embed(maps), bf16.embed(maps)
    assert np.abs(e32 - e16).max() < 0.02
    assert np.abs(fp32.cam(maps[0], 0) - bf16.cam(maps[0], 0)).max() < 0.1


def test_precision_is_checked():
    with pytest.raises(wdc.InvalidArgument, match="precision"):
        wdc.Model.create(TINY, precision="fp16")
    with pytest.raises(wdc.InvalidArgument, match="precision"):
        wdc.Model.create(TINY, precision=None)


def test_cuda_device_without_gpu_is_unsupported():
    try:
        m = wdc.Model.create(TINY, device="cuda")
    except wdc.Unsupported as e:
        assert "cuda" in str(e).lower()
    else:  # a CUDA build on a GPU machine
        assert m.info["device"].startswith("cuda")


def test_limits_protect_the_process(tmp_path):
    m = wdc.Model.create(TINY, limits={"max_batch": 2, "max_map_side": 30})
    maps = np.ones((3, 30, 30), dtype=np.uint8)
    assert m.predict(maps[:2]).shape == (2, 8)
    with pytest.raises(wdc.InvalidArgument, match="max_batch"):
        m.predict(maps)
    with pytest.raises(wdc.InvalidArgument, match="max_map_side"):
        m.predict(np.ones((1, 31, 30), dtype=np.uint8))
    path = tmp_path / "m.wdcm"
    m.save(path)
    with pytest.raises(wdc.FormatError, match="limit"):
        wdc.Model.load(path, limits={"max_file_bytes": 1024})
    with pytest.raises(wdc.ConfigError, match="max_parameters"):
        wdc.Model.create(TINY, limits={"max_parameters": 10})
    with pytest.raises(wdc.ConfigError, match="unknown limit"):
        wdc.Model.create(TINY, limits={"max_maps": 10})


def test_an_ensemble_predicts_the_mean_of_its_members_trained_alone(tmp_path, synth_set):
    # Two members that differ in encoding, the fail fraction plane and initial weights.
    a = dict(TINY, seed=1)
    b = {"input": {"encoding": "raw", "fail_fraction": True}, "blocks": TINY["blocks"], "seed": 2}
    ensemble = wdc.Model.create({"ensemble": [a, b]}, threads=2)
    assert len(ensemble.info["config"]["ensemble"]) == 2
    options = dict(synthetic=200, epochs=1, batch_size=32, lr=0.05, seed=3)
    ensemble.train(**options)
    alone = []
    for member in (a, b):
        m = wdc.Model.create(member, threads=2)
        m.train(**options)
        alone.append(m.predict(synth_set[0][:20]))
    # One epoch, so the ensemble's best epoch is each member's: its members are the models
    # trained alone.
    np.testing.assert_allclose(ensemble.predict(synth_set[0][:20]), (alone[0] + alone[1]) / 2,
                               atol=1e-6)
    path = tmp_path / "ensemble.wdcm"
    ensemble.save(path)
    loaded = wdc.Model.load(path)
    assert loaded.fingerprint == ensemble.fingerprint
    assert loaded.embed(synth_set[0][:3]).shape == (3, 16 + 16)


def test_save_and_load_round_trip(trained, tmp_path, synth_set):
    model, _, path = trained
    loaded = wdc.Model.load(path)
    maps = synth_set[0][:16]
    assert np.array_equal(loaded.predict(maps), model.predict(maps))
    assert loaded.labels == model.labels
    assert loaded.info["training"]["best_epoch"] == 1
    again = tmp_path / "again.wdcm"
    loaded.save(again)  # pathlib.Path
    assert np.array_equal(wdc.Model.load(str(again), device="cpu", threads=1).predict(maps),
                          model.predict(maps))


def test_load_errors(tmp_path):
    with pytest.raises(wdc.IoError):
        wdc.Model.load(tmp_path / "missing.wdcm")
    junk = tmp_path / "junk.wdcm"
    junk.write_bytes(b"\x00garbage" * 100)
    with pytest.raises(wdc.FormatError) as e:
        wdc.Model.load(junk)
    assert "junk.wdcm" in str(e.value)


def test_load_builtin_is_the_trained_mixedwm38_model():
    m = wdc.Model.load_builtin(threads=1)
    assert m.labels == list(wdc.LABELS) and m.input_shape == (52, 52)
    info = m.info
    assert len(info["config"]["blocks"]) == 4 and info["training"]["best_epoch"] >= 1
    # Trained on real maps only, it recognises generated ones of all 38 types far above
    # chance (76% exact match on 1,000 maps).
    maps, labels = wdc.synth(200, seed=11)
    assert m.evaluate((maps, labels))["exact_match"] >= 0.6
    # Each call gives its own model with the same weights (threads change only the rounding).
    other = wdc.Model.load_builtin()
    assert other is not m
    assert np.allclose(other.predict(maps[:4]), m.predict(maps[:4]), rtol=0, atol=1e-5)
    with pytest.raises(wdc.ConfigError):
        wdc.Model.load_builtin(limits={"max_bogus": 1})


def test_save_to_missing_directory(model, tmp_path):
    with pytest.raises(wdc.IoError):
        model.save(tmp_path / "no" / "dir" / "m.wdcm")


# ---- predict ---------------------------------------------------------------------------------


def test_predict_shapes_and_dtype(model, synth_set):
    maps = synth_set[0][:10]
    p = model.predict(maps)
    assert p.shape == (10, 8) and p.dtype == np.float32
    assert np.all((p >= 0) & (p <= 1))
    one = model.predict(maps[3])
    assert one.shape == (8,) and one.dtype == np.float32
    assert np.allclose(one, p[3], atol=1e-6)
    assert model.predict(maps[:0]).shape == (0, 8)


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.int64, np.uint16, np.uint64])
def test_predict_any_integer_dtype(model, synth_set, dtype):
    maps = synth_set[0][:4]
    assert np.array_equal(model.predict(maps.astype(dtype)), model.predict(maps))


def test_predict_values_above_two_are_fail(model, synth_set):
    maps = synth_set[0][:4].astype(np.int32)
    threes = np.where(maps == 2, 3, maps)
    big = np.where(maps == 2, 1000, maps)
    p = model.predict(maps)
    assert np.array_equal(model.predict(threes), p)
    assert np.array_equal(model.predict(big), p)
    assert np.array_equal(model.predict(np.where(maps == 2, 3, maps).astype(np.uint8)), p)


def test_predict_non_contiguous_and_lists(model, synth_set):
    maps = synth_set[0][:4]
    strided = np.asfortranarray(maps)
    assert np.array_equal(model.predict(strided), model.predict(maps))
    assert np.array_equal(model.predict(maps[1].tolist()), model.predict(maps[1]))


def test_predict_resizes_other_map_sizes(model):
    maps, _ = wdc.load_npz(WAFER_SMALL)  # 6x7 maps
    p = model.predict(maps)
    assert p.shape == (38, 8)


@pytest.mark.parametrize(
    "maps, fragment",
    [
        (np.full((2, 52, 52), -1, np.int32), "negative"),
        (np.full((2, 52, 52), 1.5, np.float32), "not a whole number"),
        (np.zeros((1, 2, 52, 52), np.uint8), "(N, H, W)"),
        (np.zeros(52, np.uint8), "(H, W)"),
        (np.zeros((1, 0, 52), np.uint8), ">= 1"),
        (np.zeros((1, 5000, 10), np.uint8), "4096"),
    ],
)
def test_predict_errors(model, maps, fragment):
    with pytest.raises(wdc.InvalidArgument) as e:
        model.predict(maps)
    assert fragment in str(e.value)
    assert isinstance(e.value, ValueError)


# ---- cam -------------------------------------------------------------------------------------


def test_cam(model, synth_set):
    m = synth_set[0][0]
    c = model.cam(m, 3)
    assert c.shape == (52, 52) and c.dtype == np.float32
    assert c.min() >= 0 and c.max() <= 1
    assert np.array_equal(model.cam(m, "Edge_Ring"), c)
    assert np.array_equal(model.cam(m, "edge_ring"), c)
    assert np.array_equal(model.cam(m, "ER"), c)
    assert np.array_equal(model.cam(m, -5), c)
    assert np.array_equal(model.cam(m, np.int64(3)), c)
    small = model.cam(np.ones((20, 30), np.int64), 0)
    assert small.shape == (20, 30)


@pytest.mark.parametrize("label", [8, -9, "Nope", 1.5, None, True])
def test_cam_bad_label(model, synth_set, label):
    with pytest.raises(wdc.InvalidArgument):
        model.cam(synth_set[0][0], label)


def test_cam_needs_one_map(model, synth_set):
    with pytest.raises(wdc.InvalidArgument):
        model.cam(synth_set[0][:2], 0)


def test_classify_is_predict_with_the_thresholds_decisions():
    model = wdc.Model.load_builtin(threads=2)
    maps, labels = wdc.synth(40, seed=4)
    probabilities = model.predict(maps)
    thresholds = model.thresholds
    assert thresholds.shape == (8,) and not np.all(thresholds == 0.5)  # tuned on val
    out = model.classify(maps)
    assert [o["index"] for o in out] == list(range(40))
    for o, p in zip(out, probabilities):
        assert np.allclose(o["probabilities"], p)
        assert o["labels"] == [n for n, v, t in zip(wdc.LABELS, p, thresholds) if v >= t]
    # The type names the labels decided: C1 Normal for none, the one label's type for one.
    type_of = {tuple(t[2]): (t[0], t[1]) for t in wdc.PATTERN_TYPES}
    for o in out:
        decided = tuple(int(n in o["labels"]) for n in wdc.LABELS)
        expected = type_of.get(decided)
        assert (o["type"]["id"], o["type"]["name"]) == (expected if expected else (None, "unknown"))
    # One map alone: the same answer (batching may move the last bits of a probability).
    assert np.allclose(model.classify(maps[0])[0]["probabilities"], out[0]["probabilities"])
    assert model.classify(maps[:0]) == []


def test_report_writes_the_page(tmp_path):
    model = wdc.Model.load_builtin(threads=2)
    maps, labels = wdc.synth(40, seed=5)
    r = model.report((maps, labels), tmp_path / "report", per_type=1, model_name="built-in")
    page = (tmp_path / "report" / "index.html").read_bytes()
    assert page.startswith(b"<!DOCTYPE html>") and len(page) == r["bytes"]
    assert r["samples"] == 40 and r["pictures"] == r["types"] > 0
    assert r["exact_match"] == pytest.approx(model.evaluate((maps, labels))["exact_match"])
    wdc.save_npz(tmp_path / "d.npz", maps, labels)
    assert model.report(tmp_path / "d.npz", tmp_path / "r2", per_type=0)["pictures"] == 0
    with pytest.raises(wdc.InvalidArgument):
        model.report((maps, labels), tmp_path / "d.npz")  # a file, not a folder
    with pytest.raises(wdc.ConfigError):
        model.report((maps, labels), tmp_path / "r3", per_type=101)


# ---- evaluate / info ---------------------------------------------------------------------------


def test_evaluate_path_and_arrays(model, synth_set, tmp_path):
    maps, labels = synth_set
    path = tmp_path / "eval.npz"
    wdc.save_npz(path, maps, labels)
    from_file = model.evaluate(path)
    from_arrays = model.evaluate((maps, labels))
    assert from_file == from_arrays
    assert from_file["samples"] == len(maps)
    assert 0 <= from_file["exact_match"] <= 1
    assert [l["name"] for l in from_file["labels"]] == list(wdc.LABELS)
    assert len(from_file["types"]) > 0


def test_evaluate_errors(model, tmp_path):
    with pytest.raises(wdc.IoError):
        model.evaluate(tmp_path / "missing.npz")
    with pytest.raises(wdc.InvalidArgument):
        model.evaluate((np.zeros((2, 52, 52), np.uint8), np.zeros((3, 8), np.uint8)))
    with pytest.raises(wdc.InvalidArgument):
        model.evaluate((np.zeros((0, 52, 52), np.uint8), np.zeros((0, 8), np.uint8)))
    with pytest.raises(wdc.InvalidArgument):
        model.evaluate(12)


def test_info_is_a_fresh_dict(model):
    info = model.info
    info["labels"].append("x")
    assert model.info["labels"] == list(wdc.LABELS)
    assert set(info) >= {"config", "labels", "thresholds", "parameters", "device", "training"}


# ---- train -----------------------------------------------------------------------------------


def test_train_report(trained):
    _, report, _ = trained
    assert report["epochs_run"] == 1 and report["best_epoch"] == 1
    assert report["train_samples"] + report["val_samples"] == 200
    assert len(report["history"]) == 1


def test_train_on_arrays_with_val_and_callback(synth_set):
    maps, labels = synth_set
    model = wdc.Model.create(TINY)
    seen = []
    report = model.train((maps[:160], labels[:160]), val=(maps[160:], labels[160:]), epochs=1,
                         batch_size=40, callback=seen.append, seed=1)
    assert report["train_samples"] == 160 and report["val_samples"] == 80
    assert [p["step"] for p in seen] == [1, 2, 3, 4, 4]
    first, last = seen[0], seen[-1]
    assert set(first) == {"epoch", "epochs", "step", "steps", "loss", "val_exact_match"}
    assert first["epoch"] == 1 and first["epochs"] == 1 and first["steps"] == 4
    assert first["val_exact_match"] is None and isinstance(first["loss"], float)
    assert 0 <= last["val_exact_match"] <= 1


def test_train_on_arrays_equals_train_on_files_and_writes_nothing(synth_set, tmp_path, monkeypatch):
    maps, labels = synth_set
    wdc.save_npz(tmp_path / "t.npz", maps[:160], labels[:160])
    wdc.save_npz(tmp_path / "v.npz", maps[160:], labels[160:])
    options = dict(epochs=1, batch_size=40, seed=1, threads=1)
    from_files = wdc.Model.create(TINY)
    from_files.train(tmp_path / "t.npz", val=tmp_path / "v.npz", **options)
    # Arrays go to the library in memory: no temporary file is written anywhere.
    empty = tmp_path / "tmp"
    empty.mkdir()
    monkeypatch.setenv("TMPDIR", str(empty))
    monkeypatch.setattr(tempfile, "tempdir", str(empty))
    from_arrays = wdc.Model.create(TINY)
    from_arrays.train((maps[:160], labels[:160]), val=(maps[160:], labels[160:]), **options)
    assert list(empty.iterdir()) == []
    assert np.array_equal(from_files.predict(maps[:20]), from_arrays.predict(maps[:20]))
    with pytest.raises(wdc.ConfigError, match="synthetic"):
        from_arrays.train((maps, labels), synthetic=10, epochs=1)


def test_train_uses_config_file_defaults(synth_set):
    model = wdc.Model.create({"network": TINY, "train": {"epochs": 2, "batch_size": 64}})
    report = model.train(synthetic=64, val_fraction=0.25, callback=lambda p: None)
    assert report["epochs_run"] == 2
    report = model.train(synthetic=64, epochs=1)  # arguments override the defaults
    assert report["epochs_run"] == 1


def test_callback_returning_true_cancels():
    model = wdc.Model.create(TINY)
    calls = []

    def stop_at_second(p):
        calls.append(p)
        return len(calls) >= 2

    with pytest.raises(wdc.Cancelled) as e:
        model.train(synthetic=200, epochs=3, batch_size=16, callback=stop_at_second)
    assert isinstance(e.value, wdc.WdcError) and e.value.status == wdc.Status.CANCELLED
    assert len(calls) == 2
    # The model is usable afterwards (the lock was released).
    assert model.predict(np.ones((52, 52), np.uint8)).shape == (8,)


class Boom(Exception):
    pass


def test_exception_in_callback_propagates():
    model = wdc.Model.create(TINY)
    calls = []

    def explode(p):
        calls.append(p)
        if len(calls) == 3:
            raise Boom("from the callback")

    with pytest.raises(Boom, match="from the callback"):
        model.train(synthetic=200, epochs=2, batch_size=16, callback=explode)
    assert len(calls) == 3


def test_callback_truthiness():
    model = wdc.Model.create(TINY)
    with pytest.raises(wdc.Cancelled):
        model.train(synthetic=40, epochs=1, callback=lambda p: "yes")
    report = model.train(synthetic=40, epochs=1, callback=lambda p: 0)
    assert report["epochs_run"] == 1


def test_model_is_busy_while_training(synth_set):
    model = wdc.Model.create(TINY)
    errors = []

    def probe(p):
        if not errors:
            for call in (lambda: model.predict(synth_set[0][:1]),
                         lambda: model.save("/tmp/never-written.wdcm"),
                         lambda: model.info):
                try:
                    call()
                except wdc.Busy as e:
                    errors.append(e)
        return False

    model.train(synthetic=40, epochs=1, callback=probe)
    assert len(errors) == 3 and all(e.status == wdc.Status.BUSY for e in errors)


@pytest.mark.parametrize(
    "kwargs, error, fragment",
    [
        ({"synthetic": 50, "epochs": 1, "bogus": 1}, wdc.ConfigError, "bogus"),
        ({"synthetic": 50, "epochs": 0}, wdc.ConfigError, "epochs"),
        ({"synthetic": 50, "epochs": 1, "schedule": "steps"}, wdc.ConfigError, "schedule"),
        ({"epochs": 1}, wdc.ConfigError, "data source"),
        ({"synthetic": 50, "epochs": 1, "lr": object()}, wdc.ConfigError, "training options"),
        ({"data": "/nonexistent/x.npz", "epochs": 1}, wdc.IoError, "x.npz"),
        ({"synthetic": 50, "callback": 3}, wdc.InvalidArgument, "callback"),
    ],
)
def test_train_errors(kwargs, error, fragment):
    model = wdc.Model.create(TINY)
    with pytest.raises(error) as e:
        model.train(**kwargs)
    assert fragment in str(e.value)


def test_train_on_npz_path(tmp_path, synth_set):
    maps, labels = synth_set
    wdc.save_npz(tmp_path / "train.npz", maps[:100], labels[:100])
    model = wdc.Model.create(TINY)
    report = model.train(tmp_path / "train.npz", epochs=1, checkpoint=tmp_path / "ckpt")
    assert report["train_samples"] + report["val_samples"] == 100


# ---- threads -----------------------------------------------------------------------------------


def test_concurrent_predict_equals_serial(model, synth_set):
    maps = synth_set[0]
    chunks = [maps[i : i + 30] for i in range(0, len(maps), 30)]
    serial = [model.predict(c) for c in chunks]
    cams = [model.cam(c[0], i % 8) for i, c in enumerate(chunks)]
    results = [None] * len(chunks)
    cam_results = [None] * len(chunks)
    failures = []
    start = threading.Barrier(len(chunks))

    def work(i):
        try:
            start.wait()
            for _ in range(3):
                results[i] = model.predict(chunks[i])
                cam_results[i] = model.cam(chunks[i][0], i % 8)
        except Exception as e:  # pragma: no cover - reported below
            failures.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(chunks))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures
    for got, want in zip(results, serial):
        np.testing.assert_array_equal(got, want)
    for got, want in zip(cam_results, cams):
        np.testing.assert_array_equal(got, want)


def test_predict_releases_the_gil(model):
    # One call long enough (~0.3 s) to tell a released GIL from a held one on any machine.
    probe = np.ones((200, 52, 52), np.uint8)
    start = time.perf_counter()
    model.predict(probe)
    per_map = (time.perf_counter() - start) / 200
    maps = np.ones((int(min(max(0.3 / per_map, 200), 50000)), 52, 52), np.uint8)
    running = threading.Event()
    done = threading.Event()

    def work():
        running.set()
        model.predict(maps)
        done.set()

    t = threading.Thread(target=work)
    t.start()
    running.wait()
    ticks = 0
    while not done.is_set():
        time.sleep(0.0005)  # needs the GIL back after every sleep
        ticks += 1
    t.join()
    # A GIL held for the whole call would allow a tick or two at most.
    assert ticks >= 5


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_stops_training():
    script = f"""
import os, signal, threading, time, wdc
model = wdc.Model.create({TINY!r})
threading.Timer(1.5, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
start = time.monotonic()
try:
    model.train(synthetic=1000, epochs=1000)
except KeyboardInterrupt:
    print("interrupted after", round(time.monotonic() - start, 1), "s")
    print(model.predict(wdc.synth(1)[0]).shape)
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            env=dict(os.environ), timeout=120)
    assert result.returncode == 0, result.stderr
    assert "interrupted after" in result.stdout and "(1, 8)" in result.stdout
