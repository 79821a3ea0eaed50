"""A fab's own data in Python: ragged files of mixed map sizes, class indices with names,
whole-number floats, single-label models, split by class and fine-tuning from another model."""

import os

import numpy as np
import pytest

import wdc
from conftest import FIXTURES

RAGGED = os.path.join(FIXTURES, "npz", "wafer_ragged.npz")
SMALL_NET = {
    "input": {"height": 24, "width": 24, "encoding": "onehot"},
    "blocks": [{"channels": 8, "stride": 2}, {"channels": 16, "stride": 2}],
}


def two_class_maps(count, seed):
    """Maps of mixed sizes: class 0 "Clean" all pass, class 1 "Full" mostly failed dies."""
    rng = np.random.default_rng(seed)
    maps, classes = [], []
    for i in range(count):
        h, w = [(20, 24), (31, 31), (40, 26)][i % 3]
        cls = i % 2
        m = np.ones((h, w), dtype=np.uint8)
        m[0, :] = 0  # an off-wafer edge
        if cls:
            m[rng.random((h, w)) < 0.7] = 2
        maps.append(m)
        classes.append(cls)
    return maps, np.array(classes)


def test_load_ragged_file_gives_a_list_of_maps_and_class_indices():
    maps, labels, names = wdc.load_npz(RAGGED, with_names=True)
    assert isinstance(maps, list) and [m.shape for m in maps] == [(4, 5), (6, 3), (2, 2)]
    flat = np.concatenate([m.ravel() for m in maps])
    assert flat.tolist() == [i % 3 for i in range(42)]
    assert labels.tolist() == [2, 0, 1] and labels.dtype == np.int64
    assert names == ["Center", "Donut", "None"]


def test_ragged_round_trip_is_what_numpy_reads(tmp_path):
    maps, labels, names = wdc.load_npz(RAGGED, with_names=True)
    out = str(tmp_path / "out.npz")
    wdc.save_npz(out, maps, labels, label_names=names)
    with np.load(out) as z:
        assert z["shapes"].tolist() == [[4, 5], [6, 3], [2, 2]]
        assert z["labels"].tolist() == [2, 0, 1]
        assert list(z["label_names"]) == names
    back, back_labels, back_names = wdc.load_npz(out, with_names=True)
    assert all(np.array_equal(a, b) for a, b in zip(back, maps))
    assert back_labels.tolist() == [2, 0, 1] and back_names == names


def test_whole_number_floats_are_accepted_and_fractions_named(tmp_path):
    maps = np.array([[[0.0, 1.0], [2.0, 1.0]]] * 3)
    out = str(tmp_path / "f.npz")
    wdc.save_npz(out, maps, np.array([0.0, 1.0, 1.0]), label_names=["a", "b"])
    m, lab, names = wdc.load_npz(out, with_names=True)
    assert m.tolist() == maps.astype(np.uint8).tolist() and lab.tolist() == [0, 1, 1]
    bad = maps.copy()
    bad[1, 0, 1] = 0.5
    with pytest.raises(wdc.InvalidArgument, match="0.5 at index"):
        wdc.save_npz(out, bad, np.array([0, 1, 1]), label_names=["a", "b"])


def test_malformed_ragged_file_is_a_format_error():
    with pytest.raises(wdc.FormatError, match="map shapes"):
        wdc.load_npz(os.path.join(FIXTURES, "npz", "bad_ragged_sum.npz"))
    with pytest.raises(wdc.FormatError, match=r"class 3 of map 1 is outside \[0, 3\)"):
        wdc.load_npz(os.path.join(FIXTURES, "npz", "bad_class_range.npz"))


def test_split_stratifies_class_indices():
    classes = np.array([0] * 80 + [1] * 15 + [2] * 5)
    train, val, test = wdc.split(classes, val=0.2, test=0.2, seed=3)
    for c, n in ((0, 80), (1, 15), (2, 5)):
        assert np.sum(classes[val] == c) == round(n * 0.2)
        assert np.sum(classes[test] == c) == round(n * 0.2)
    assert sorted(np.concatenate([train, val, test]).tolist()) == list(range(100))


@pytest.fixture(scope="module")
def single_label_model():
    maps, classes = two_class_maps(90, seed=1)
    model = wdc.Model.create(SMALL_NET, threads=2)
    model.train((maps, classes, ["Clean", "Full"]), epochs=3, lr=0.05, batch_size=16, seed=1)
    return model


def test_single_label_model_takes_the_data_names_and_sums_to_one(single_label_model):
    model = single_label_model
    assert model.labels == ["Clean", "Full"] and model.single_label
    maps, classes = two_class_maps(30, seed=2)
    p = model.predict(maps)  # a list of mixed sizes in one call
    assert p.shape == (30, 2)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-5)
    assert np.mean(p.argmax(axis=1) == classes) > 0.9
    decided = model.classify(maps)
    assert [d["labels"] for d in decided] == [[model.labels[k]] for k in p.argmax(axis=1)]
    cam = model.cam(maps[2], "Full")
    assert cam.shape == maps[2].shape


def test_single_label_evaluation_has_accuracy_macro_f1_and_confusion(single_label_model):
    maps, classes = two_class_maps(30, seed=2)
    r = single_label_model.evaluate((maps, classes))  # names default to the model's
    assert r["task"] == "single_label" and r["samples"] == 30
    confusion = np.array(r["confusion"])
    assert confusion.sum() == 30 and confusion.sum(axis=1).tolist() == [15, 15]
    assert r["accuracy"] == pytest.approx(np.trace(confusion) / 30)
    f1 = [label["f1"] for label in r["labels"]]
    assert r["macro_f1"] == pytest.approx(np.mean(f1))


def test_fine_tuning_from_a_saved_model(single_label_model, tmp_path):
    path = str(tmp_path / "base.wdcm")
    single_label_model.save(path)
    maps, classes = two_class_maps(60, seed=3)
    # lr 0 changes no weight: only a model that started from the trained one can be right.
    tuned = wdc.Model.create(SMALL_NET, threads=2)
    tuned.train((maps, classes, ["Clean", "Full"]), epochs=1, lr=0, momentum=0, init=path)
    assert tuned.evaluate((maps, classes))["accuracy"] > 0.9
    other = wdc.Model.create({**SMALL_NET, "blocks": [{"channels": 4, "stride": 2}]}, threads=2)
    with pytest.raises(wdc.InvalidArgument, match="differs from this one"):
        other.train((maps, classes, ["Clean", "Full"]), epochs=1, init=path)
