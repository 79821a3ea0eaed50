#!/usr/bin/python3
"""Recipes compared by their cross-validations, alone and averaged as an ensemble.

Each --run names a recipe's config and the checkpoint prefix of a finished `wdc cross-validate
--checkpoint P` run of it on the same data and folds (the config's seed chooses the folds). The
finished runs' out-of-fold probabilities are read back from their fold files (no training: a
run with a missing fold file is refused). For each recipe, and for the average of all recipes'
probabilities (an ensemble of one model per recipe), every fold is scored with thresholds
chosen on the other folds' out-of-fold predictions (tools/threshold_holdout.py's mirror of
lib/train/thresholds.cpp), as `wdc cross-validate` does. Printed: exact match, mean label F1,
the weakest label's F1 and the lowest type's accuracy over all maps, each metric's mean and
spread over the folds, and the maps of the weakest label (or --label) that were decided wrongly,
with their share of failed wafer dies. Multi-label (MixedWM38-style) data only. Needs numpy and the Python
binding (PYTHONPATH=build/python).

  PYTHONPATH=build/python /usr/bin/python3 tools/cv_compare.py \\
      --data ../shared/data/mixedwm38/train.npz --val ../shared/data/mixedwm38/val.npz \\
      --run examples/configs/mixedwm38-dcnv2-balanced.json=cv-balanced@2 \\
      --run examples/configs/mixedwm38-fail-fraction.json=cv-fail-fraction
"""
import argparse
import os

import numpy as np

import wdc
from threshold_holdout import tune


def out_of_fold(config, prefix, data, val, folds, epochs, threads):
    missing = [k for k in range(1, folds + 1) if not os.path.exists(f"{prefix}.fold{k}.json")]
    if missing:
        raise SystemExit(f"{prefix}: folds {missing} are not finished (no {prefix}.foldK.json)")
    model = wdc.Model.create(config)
    options = {"threads": threads} if threads else {}
    report = model.cross_validate(data, val, folds=folds, epochs=epochs, checkpoint=prefix,
                                  resume=True, keep_probabilities=True, **options)
    return (np.array(report["probabilities"], np.float32), np.array(report["assignment"]),
            report["out_of_fold"])


def decide_by_fold(p, y, fold_of, folds):
    """Each fold's decisions under thresholds tuned on the other folds' maps."""
    decided = np.zeros_like(y)
    for k in range(1, folds + 1):
        held = fold_of == k
        th = tune(p[~held], y[~held])
        decided[held] = p[held] >= th
    return decided


def label_f1(decided, y):
    tp = (decided & y).sum(0)
    wrong = (decided != y).sum(0)
    return np.where(tp + wrong == 0, 1.0, 2 * tp / np.maximum(2 * tp + wrong, 1))


def shares(rows, fail_share, most=12):
    """The fail shares of `rows`, sorted, at most `most` of them."""
    values = np.round(np.sort(fail_share[rows]), 3).tolist()
    return str(values[:most])[:-1] + (", ...]" if len(values) > most else "]")


def type_accuracy(decided, y, names):
    """Each pattern type's (label combination's) exact match over its maps, as lists."""
    types = {}
    for row, ok in zip(y, (decided == y).all(1)):
        key = "+".join(n for n, on in zip(names, row) if on) or "Normal"
        types.setdefault(key, []).append(ok)
    return types


def summarise(name, decided, y, fold_of, folds, names, fail_share, label):
    f1 = label_f1(decided, y)
    exact = (decided == y).all(1)
    types = type_accuracy(decided, y, names)
    worst_type = min(types, key=lambda t: np.mean(types[t]))
    weakest = int(np.argmin(f1)) if label is None else names.index(label)
    per_fold = []
    for k in range(1, folds + 1):
        held = fold_of == k
        fk = label_f1(decided[held], y[held])
        per_fold.append((exact[held].mean(), fk.mean(), fk[weakest]))
    per_fold = np.array(per_fold)
    mean, std = per_fold.mean(0), per_fold.std(0, ddof=1)
    print(f"{name}")
    print(f"  all {len(y)} maps: exact match {100 * exact.mean():.2f}%, mean label F1 "
          f"{f1.mean():.4f}, {names[weakest]} F1 {f1[weakest]:.4f}, lowest type {worst_type} "
          f"{100 * np.mean(types[worst_type]):.1f}% ({len(types[worst_type])} maps), types under "
          f"93%: {sum(np.mean(v) < 0.93 for v in types.values())}")
    print(f"  over folds: exact match {100 * mean[0]:.2f}% ± {100 * std[0]:.2f}, mean F1 "
          f"{mean[1]:.4f} ± {std[1]:.4f}, {names[weakest]} F1 {mean[2]:.3f} ± {std[2]:.3f}")
    missed = np.where(y[:, weakest] & ~decided[:, weakest])[0]
    alarms = np.where(~y[:, weakest] & decided[:, weakest])[0]
    print(f"  {names[weakest]}: {len(missed)} missed (fail shares {shares(missed, fail_share)}), "
          f"{len(alarms)} false alarms ({shares(alarms, fail_share)})")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--val")
    ap.add_argument("--folds", type=int, default=5)
    # Both are training options, which the fold files' digest covers.
    ap.add_argument("--epochs", type=int, help="as the runs' --epochs, if they were given one")
    ap.add_argument("--threads", type=int,
                    help="as the runs' wdc --threads, if they had it (PREFIX@N: one run's)")
    ap.add_argument("--run", action="append", required=True, metavar="CONFIG=PREFIX[@THREADS]")
    ap.add_argument("--label", help="the label whose errors are listed (default: the weakest)")
    ap.add_argument("--types", action="store_true",
                    help="also print every pattern type's out-of-fold exact match per recipe")
    args = ap.parse_args()

    sets = [np.load(path) for path in [args.data] + ([args.val] if args.val else [])]
    maps = np.concatenate([s["arr_0"] for s in sets])
    y = np.concatenate([s["arr_1"] for s in sets]).astype(bool)
    names = wdc.Model.create(None).labels
    wafer = (maps > 0).sum((1, 2))
    fail_share = (maps == 2).sum((1, 2)) / np.maximum(wafer, 1)

    runs, assignment, columns = [], None, []
    for spec in args.run:
        config, _, prefix = spec.partition("=")
        prefix, _, threads = prefix.partition("@")
        p, fold_of, reported = out_of_fold(config, prefix, args.data, args.val, args.folds,
                                           args.epochs,
                                           int(threads) if threads else args.threads)
        if assignment is not None and not (fold_of == assignment).all():
            raise SystemExit(f"{spec}: other folds than the first run's (another seed?)")
        assignment = fold_of
        decided = decide_by_fold(p, y, fold_of, args.folds)
        mirrored = (decided == y).all(1).mean()
        summarise(f"{config} ({prefix}; wdc's own out-of-fold exact match "
                  f"{100 * reported['exact_match']:.2f}%, this mirror {100 * mirrored:.2f}%)",
                  decided, y, fold_of, args.folds, names, fail_share, args.label)
        runs.append(p)
        columns.append(type_accuracy(decided, y, names))
    if len(runs) > 1:
        p = np.mean(runs, axis=0)
        decided = decide_by_fold(p, y, assignment, args.folds)
        summarise(f"ensemble: the mean of the {len(runs)} recipes' probabilities", decided, y,
                  assignment, args.folds, names, fail_share, args.label)
        columns.append(type_accuracy(decided, y, names))
    if args.types:
        print("type, maps, out-of-fold exact match (%) per recipe" +
              (" and the ensemble" if len(runs) > 1 else ""))
        for key in sorted(columns[0], key=lambda t: (t.count("+"), t)):
            cells = " ".join(f"{100 * np.mean(c[key]):6.1f}" for c in columns)
            print(f"{key:<36} {len(columns[0][key]):5d} {cells}")


if __name__ == "__main__":
    main()
