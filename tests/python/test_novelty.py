"""Novelty in Python: the calibrated threshold flags the share training asked for (counted here),
the score is 1 - the k-th largest cosine similarity to the training maps (recomputed with
numpy), classify carries the same values, a load-time threshold replaces the calibrated one,
the built-in model has statistics, fit_novelty gives an untrained one some, and models without
them say so."""

import math

import numpy as np
import pytest

import wdc

CONFIG = {"blocks": [{"channels": 8, "stride": 2}, {"channels": 16, "stride": 2}]}


@pytest.fixture(scope="module")
def data():
    return wdc.synth(240, seed=1), wdc.synth(200, seed=2)


@pytest.fixture(scope="module")
def trained(data):
    train, val = data
    model = wdc.Model.create(CONFIG, threads=2)
    report = model.train(train, val, epochs=1, lr=0.05, novelty_k=3, novelty_share=0.05)
    assert report["novelty"]["calibration_maps"] == 200
    return model


def test_threshold_flags_the_calibration_share(trained, data):
    _, (val_maps, _) = data
    scores = trained.novelty(val_maps)
    t = trained.novelty_threshold
    flagged = math.floor(0.05 * len(scores))
    assert (scores > t).sum() <= flagged
    assert t == np.sort(scores)[len(scores) - flagged - 1]


def test_score_is_one_minus_the_kth_nearest_similarity(trained, data):
    (train_maps, _), (val_maps, _) = data
    similarity = trained.embed(val_maps[:20]) @ trained.embed(train_maps).T
    expected = 1 - np.sort(similarity, axis=1)[:, -3]
    np.testing.assert_allclose(trained.novelty(val_maps[:20]), expected, atol=1e-5)
    assert isinstance(trained.novelty(val_maps[0]), float)
    # Maps of other sizes are resized as for predict, one by one or mixed in a list.
    mixed = [val_maps[0][:40, :44], val_maps[1]]
    np.testing.assert_allclose(trained.novelty(mixed)[1], trained.novelty(val_maps[1]), atol=1e-6)


def test_classify_carries_novelty_and_unknown(trained, data):
    _, (val_maps, _) = data
    scores = trained.novelty(val_maps)
    results = trained.classify(val_maps)
    np.testing.assert_allclose([r["novelty"] for r in results], scores, atol=1e-6)
    assert [r["unknown"] for r in results] == list(scores > trained.novelty_threshold)


def test_saved_model_keeps_statistics_and_load_overrides_threshold(trained, data, tmp_path):
    _, (val_maps, _) = data
    path = tmp_path / "novelty.wdcm"
    trained.save(path)
    loaded = wdc.Model.load(path, threads=2)
    np.testing.assert_array_equal(loaded.novelty(val_maps), trained.novelty(val_maps))
    assert loaded.novelty_threshold == trained.novelty_threshold
    median = float(np.median(trained.novelty(val_maps)))
    strict = wdc.Model.load(path, threads=2, novelty_threshold=median)
    assert strict.novelty_threshold == pytest.approx(median)
    unknown = [r["unknown"] for r in strict.classify(val_maps)]
    assert unknown == list(trained.novelty(val_maps) > np.float32(median))
    assert strict.info["novelty_threshold"] == pytest.approx(median)


def test_builtin_model_has_statistics(data):
    _, (val_maps, _) = data
    model = wdc.Model.load_builtin(threads=2)
    assert 0 < model.novelty_threshold < 2
    assert model.info["novelty"]["bank"] == 4096
    assert all(0 <= r["novelty"] <= 2 for r in model.classify(val_maps[:3]))


def test_fit_novelty_gives_an_untrained_model_statistics(data, tmp_path):
    train, val = data
    model = wdc.Model.create(CONFIG, threads=2)
    assert model.novelty_threshold is None
    with pytest.raises(wdc.Unsupported, match="no novelty statistics"):
        model.novelty(val[0][:2])
    assert all(r["novelty"] is None and not r["unknown"] for r in model.classify(val[0][:2]))
    with pytest.raises(wdc.InvalidArgument, match="no novelty statistics"):
        model.save(tmp_path / "plain.wdcm")
        wdc.Model.load(tmp_path / "plain.wdcm", novelty_threshold=0.2)
    summary = model.fit_novelty(train, val, k=2, bank=100, share=0.1)
    assert summary["bank"] == 100 and summary["k"] == 2 and summary["calibration_maps"] == 200
    assert (model.novelty(val[0]) > model.novelty_threshold).sum() <= 20


def test_refusals(data):
    train, val = data
    model = wdc.Model.load_builtin(threads=2)
    with pytest.raises(wdc.InvalidArgument, match="fewer than k"):
        model.fit_novelty((train[0][:2], train[1][:2]), val, k=3)
    with pytest.raises(wdc.InvalidArgument, match="share"):
        model.fit_novelty(train, val, share=1.5)
