"""k-fold cross-validation in Python: the folds are stratified and cover every map once, each fold
is what training a fresh model on the other folds and evaluating it on the fold gives, and the
summary and pooled figures are the folds' figures put together."""

import numpy as np
import pytest

import wdc
from test_fab_data import SMALL_NET, two_class_maps

OPTIONS = {"epochs": 3, "lr": 0.05, "batch_size": 8, "val_fraction": 0, "threads": 1}


@pytest.fixture(scope="module")
def cv():
    maps, classes = two_class_maps(30, 0)
    more_maps, more_classes = two_class_maps(9, 1)
    names = ["Clean", "Full"]
    seen = []
    report = wdc.Model.create(SMALL_NET).cross_validate(
        (maps, classes, names),
        val=(more_maps, more_classes, names),
        folds=3,
        callback=lambda p: seen.append((p["fold"], p["folds"])),
        keep_probabilities=True,
        **OPTIONS,
    )
    return report, maps + more_maps, np.concatenate([classes, more_classes]), names, seen


def test_every_map_is_held_out_once_and_folds_are_stratified(cv):
    report, maps, classes, _, seen = cv
    assignment = np.array(report["assignment"])
    assert report["samples"] == len(maps) == len(assignment)
    assert sorted(set(assignment.tolist())) == [1, 2, 3]
    for result in report["fold_results"]:
        k = result["fold"]
        assert result["held_out_samples"] == int((assignment == k).sum())
        assert result["train_samples"] == len(maps) - result["held_out_samples"]
    per_class = [[int(((assignment == k) & (classes == c)).sum()) for k in (1, 2, 3)] for c in (0, 1)]
    assert all(max(row) - min(row) <= 1 for row in per_class)
    assert sorted(set(seen)) == [(1, 3), (2, 3), (3, 3)]
    assert [f for f, _ in seen] == sorted(f for f, _ in seen)  # fold after fold


def test_a_fold_is_a_fresh_model_trained_on_the_other_folds(cv):
    report, maps, classes, names, _ = cv
    assignment = np.array(report["assignment"])
    held = assignment == 2
    model = wdc.Model.create(SMALL_NET)
    model.train(
        ([m for m, h in zip(maps, held) if not h], classes[~held], names),
        novelty_bank=0,
        **OPTIONS,
    )
    fold_maps = [m for m, h in zip(maps, held) if h]
    by_hand = model.evaluate((fold_maps, classes[held], names))
    fold = report["fold_results"][1]["metrics"]
    assert fold["confusion"] == by_hand["confusion"]
    # The same weights: the same probabilities, to the float.
    kept = np.array(report["probabilities"], dtype=np.float32)[held]
    np.testing.assert_array_equal(kept, model.predict(fold_maps))


def test_summary_and_pooled_figures_are_the_folds_put_together(cv):
    report, maps, classes, _, _ = cv
    folds = report["fold_results"]
    rows = {row["metric"]: row for row in report["summary"]}
    accuracies = [f["metrics"]["accuracy"] for f in folds]
    assert rows["accuracy"]["values"] == pytest.approx(accuracies)
    assert rows["accuracy"]["mean"] == pytest.approx(np.mean(accuracies))
    assert rows["accuracy"]["std"] == pytest.approx(np.std(accuracies, ddof=1))
    assert rows["recall Full"]["values"] == pytest.approx(
        [f["metrics"]["labels"][1]["recall"] for f in folds]
    )
    pooled = report["out_of_fold"]
    assert pooled["samples"] == len(maps)
    assert pooled["confusion"] == np.sum([f["metrics"]["confusion"] for f in folds], axis=0).tolist()
    assert pooled["accuracy"] == pytest.approx(
        sum(f["metrics"]["accuracy"] * f["held_out_samples"] for f in folds) / len(maps)
    )
    # Mostly failed dies against none: models that never saw a map still get it right.
    assert pooled["accuracy"] >= 0.9


def test_a_checkpointed_run_resumes_from_its_fold_files(tmp_path):
    maps, classes = two_class_maps(12, 3)
    model = wdc.Model.create(SMALL_NET)
    prefix = str(tmp_path / "cv")
    first = model.cross_validate(
        (maps, classes), folds=2, checkpoint=prefix, keep_probabilities=True, **OPTIONS
    )
    # The run file and the finished folds' files stay; their training checkpoints do not.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cv.cv", "cv.fold1.json", "cv.fold2.json"]
    seen = []
    again = model.cross_validate(
        (maps, classes), folds=2, checkpoint=prefix, resume=True, keep_probabilities=True,
        callback=seen.append, **OPTIONS,
    )
    assert seen == []  # nothing trained
    assert [f["from_file"] for f in again["fold_results"]] == [True, True]
    assert [f["from_file"] for f in first["fold_results"]] == [False, False]
    assert again["probabilities"] == first["probabilities"]
    assert again["out_of_fold"] == first["out_of_fold"]
    # Another run's files (three folds cut the maps otherwise) are refused.
    with pytest.raises(wdc.ConfigError, match="another cross-validation"):
        model.cross_validate((maps, classes), folds=3, checkpoint=prefix, resume=True, **OPTIONS)


def test_bad_options_and_callback_errors():
    maps, classes = two_class_maps(12, 2)
    model = wdc.Model.create(SMALL_NET)
    with pytest.raises(wdc.ConfigError, match="keep_probabilities"):
        model.cross_validate((maps, classes), folds=2, keep_probabilities="yes")
    with pytest.raises(wdc.ConfigError, match="checkpoint"):
        model.cross_validate((maps, classes), folds=2, resume=True)  # resume from what?
    with pytest.raises(wdc.InvalidArgument, match="folds"):
        model.cross_validate((maps, classes), folds=1)
    with pytest.raises(wdc.InvalidArgument, match="cannot make"):
        model.cross_validate((maps[:3], classes[:3]), folds=4)
    with pytest.raises(wdc.InvalidArgument, match="different labels"):
        model.cross_validate((maps, classes, ["a", "b"]), val=(maps, classes, ["c", "d"]), folds=2)

    def stop(progress):
        raise KeyError("stop here")

    with pytest.raises(KeyError, match="stop here"):
        model.cross_validate((maps, classes), folds=2, epochs=1, callback=stop)
