"""wdc.synth, wdc.load_npz, wdc.save_npz."""

import os

import numpy as np
import pytest

import wdc
from conftest import WAFER_SMALL


def test_synth_shapes_and_values():
    maps, labels = wdc.synth(50, seed=1)
    assert maps.shape == (50, 52, 52) and maps.dtype == np.uint8
    assert labels.shape == (50, 8) and labels.dtype == np.uint8
    assert set(np.unique(maps)) <= {0, 1, 2}
    assert set(np.unique(labels)) <= {0, 1}
    assert maps.flags.c_contiguous and maps.flags.writeable


def test_synth_is_deterministic_and_prefix_stable():
    a, la = wdc.synth(20, seed=5)
    b, lb = wdc.synth(30, seed=5)
    c, _ = wdc.synth(20, seed=6)
    assert np.array_equal(a, b[:20]) and np.array_equal(la, lb[:20])
    assert not np.array_equal(a, c)


def test_synth_pattern_type():
    maps, labels = wdc.synth(4, seed=0, pattern=37)
    assert maps.shape == (4, 52, 52)
    assert all(tuple(row) == wdc.PATTERN_TYPES[37][2] for row in labels.tolist())
    with pytest.raises(wdc.InvalidArgument):
        wdc.synth(1, pattern=38)


def test_synth_zero_and_bad_count():
    maps, labels = wdc.synth(0)
    assert maps.shape[0] == 0 and labels.shape == (0, 8)
    with pytest.raises(wdc.InvalidArgument):
        wdc.synth(-1)
    with pytest.raises(wdc.InvalidArgument):
        wdc.synth(2.5)


def test_save_load_round_trip(tmp_path):
    maps, labels = wdc.synth(12, seed=2)
    path = tmp_path / "set.npz"  # a pathlib.Path works as well as a str
    wdc.save_npz(path, maps, labels)
    m2, l2 = wdc.load_npz(path)
    assert np.array_equal(m2, maps) and np.array_equal(l2, labels)
    # Stored like the real data set: int32 arr_0 / arr_1, readable by numpy.
    with np.load(path) as f:
        assert f["arr_0"].dtype == np.int32 and f["arr_1"].shape == (12, 8)
    wdc.save_npz(str(tmp_path / "raw.npz"), maps, labels, compressed=False)
    assert np.array_equal(wdc.load_npz(str(tmp_path / "raw.npz"))[0], maps)


def test_save_accepts_any_integer_dtype_and_clips_fail_values(tmp_path):
    maps = np.array([[[0, 1], [2, 3]], [[7, 0], [1, 300]]], dtype=np.int64)
    labels = np.zeros((2, 8), dtype=bool)
    labels[0, 3] = True
    wdc.save_npz(tmp_path / "x.npz", maps, labels)
    m, lab = wdc.load_npz(tmp_path / "x.npz")
    assert m.tolist() == [[[0, 1], [2, 2]], [[2, 0], [1, 2]]]
    assert lab[0, 3] == 1 and lab.sum() == 1


def test_load_fixture_written_by_numpy():
    maps, labels = wdc.load_npz(WAFER_SMALL)
    assert maps.shape == (38, 6, 7) and labels.shape == (38, 8)
    n, r, c = np.indices(maps.shape)
    assert np.array_equal(maps, np.minimum((n + 2 * r + 3 * c) % 4, 2))
    for t in range(38):
        assert tuple(labels[t]) == wdc.PATTERN_TYPES[t][2]


@pytest.mark.parametrize(
    "maps, labels, fragment",
    [
        (np.zeros((2, 4, 4), np.int32) - 1, np.zeros((2, 8), np.int32), "negative"),
        (np.full((2, 4, 4), 0.5, np.float32), np.zeros((2, 8), np.int32), "not a whole number"),
        (np.zeros((4, 4), np.int32), np.zeros((1, 8), np.int32), "(N, H, W)"),
        (np.zeros((2, 4, 4), np.int32), np.zeros((3, 8), np.int32), "(2,) or (2, L)"),
        (np.zeros((2, 4, 4), np.int32), np.full((2, 8), 2), "0 and 1"),
    ],
)
def test_save_rejects_bad_arrays(tmp_path, maps, labels, fragment):
    with pytest.raises(wdc.InvalidArgument) as e:
        wdc.save_npz(tmp_path / "bad.npz", maps, labels)
    assert fragment in str(e.value)
    assert not os.path.exists(tmp_path / "bad.npz")


def test_load_errors(tmp_path):
    with pytest.raises(wdc.IoError) as e:
        wdc.load_npz(tmp_path / "missing.npz")
    assert "missing.npz" in str(e.value) and e.value.status == wdc.Status.IO
    junk = tmp_path / "junk.npz"
    junk.write_text("not a zip file")
    with pytest.raises(wdc.FormatError) as e:
        wdc.load_npz(junk)
    assert "junk.npz" in str(e.value)
    bad = os.path.join(os.path.dirname(WAFER_SMALL), "bad_negative_map.npz")
    if os.path.exists(bad):
        with pytest.raises(wdc.FormatError):
            wdc.load_npz(bad)
    with pytest.raises(wdc.InvalidArgument):
        wdc.load_npz(42)


def test_save_to_missing_directory_is_io_error(tmp_path):
    maps, labels = wdc.synth(2)
    with pytest.raises(wdc.IoError):
        wdc.save_npz(tmp_path / "no" / "such" / "dir.npz", maps, labels)


def test_split_is_stratified_and_covers_every_map():
    maps, labels = wdc.synth(400, seed=5)
    train, val, test = wdc.split(labels, val=0.2, test=0.1, seed=9)
    together = np.concatenate([train, val, test])
    assert sorted(together.tolist()) == list(range(400))
    for part in (train, val, test):
        assert np.all(np.diff(part) > 0)
    assert 70 <= len(val) <= 90 and 30 <= len(test) <= 50
    again = wdc.split(labels, val=0.2, test=0.1, seed=9)
    assert all(np.array_equal(a, b) for a, b in zip(again, (train, val, test)))
    with pytest.raises(wdc.ConfigError):
        wdc.split(labels, val=0.7, test=0.4)
    with pytest.raises(wdc.InvalidArgument):
        wdc.split(labels[:, :, np.newaxis])


def test_write_map_png(tmp_path):
    maps, _ = wdc.synth(1, seed=1)
    path = tmp_path / "m.png"
    wdc.write_map_png(path, maps[0], np.full((52, 52), 0.5, np.float32), scale=3, alpha=0.7)
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(head[16:20], "big") == 3 * 52
    wdc.write_map_png(path, maps[0])  # the map alone, 8 pixels per die
    assert int.from_bytes(path.read_bytes()[16:20], "big") == 8 * 52
    with pytest.raises(wdc.InvalidArgument):
        wdc.write_map_png(path, maps[0], np.zeros((5, 5), np.float32))
    with pytest.raises(wdc.InvalidArgument):
        wdc.write_map_png(path, maps[0], scale=0)
