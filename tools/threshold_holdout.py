#!/usr/bin/python3
"""How much of a model's score on val.npz is owed to its thresholds having been chosen there.

The shipped model's per-label thresholds were tuned on the same val.npz it is evaluated on, so
that evaluation flatters it. This script asks the question the held-out split will: it predicts
val.npz with `wdc predict --json`, then, 20 times over, splits the maps in two random halves,
chooses thresholds on one half (the same coordinate ascent as lib/train/thresholds.cpp) and
scores the other, and prints the mean of those scores beside the stored thresholds' and 0.5's.
With --symmetries 2/4/8 the probabilities are first averaged over that many of the square's
symmetries (test-time augmentation). Needs numpy and a built `wdc`; writes only to a temp dir.

  /usr/bin/python3 tools/threshold_holdout.py --data ../shared/data/mixedwm38/val.npz \
      [--model models/mixedwm38-dcn.wdcm] [--wdc build/cli/wdc] [--symmetries 8]
"""
import argparse
import json
import os
import subprocess
import tempfile

import numpy as np

LABELS = 8


def predict(wdc, model, maps_path):
    cmd = [wdc, "predict", "--data", maps_path, "--json"] + (["--model", model] if model else [])
    rows = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    return np.array([r["probabilities"] for r in rows], dtype=np.float32)


def symmetry(maps, k):
    """The k-th of the square's 8 symmetries: k % 4 quarter turns, then a mirror for k >= 4."""
    out = np.rot90(maps, k % 4, axes=(1, 2))
    return np.ascontiguousarray(out[:, :, ::-1] if k >= 4 else out)


def tune(p, y):
    """Mirror of wdc::train::tune_thresholds: per label, the grid value (0.05 steps) that
    maximises exact match given the other labels' thresholds, ties nearest 0.5, 3 sweeps."""
    th = np.full(LABELS, 0.5, np.float32)
    for _ in range(3):
        changed = False
        for l in range(LABELS):
            others_wrong = ((p >= th) != y).sum(1) - ((p[:, l] >= th[l]) != y[:, l])
            best, best_hits = th[l], -1
            for step in range(1, 20):
                t = np.float32(0.05) * step
                hits = int(((others_wrong + ((p[:, l] >= t) != y[:, l])) == 0).sum())
                if hits > best_hits or (hits == best_hits and abs(t - 0.5) < abs(best - 0.5)):
                    best, best_hits = t, hits
            changed |= best != th[l]
            th[l] = best
        if not changed:
            break
    return th


def scores(p, y, th):
    """Exact match, mean label F1, minimum label F1 (lib/train/metrics.cpp's definitions)."""
    pred = p >= th
    f1 = []
    for l in range(LABELS):
        tp = int((pred[:, l] & y[:, l]).sum())
        wrong = int((pred[:, l] != y[:, l]).sum())
        f1.append(1.0 if tp + wrong == 0 else 2 * tp / (2 * tp + wrong))
    return (pred == y).all(1).mean(), np.mean(f1), np.min(f1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--model", help="model file (default: the built-in model)")
    ap.add_argument("--wdc", default="build/cli/wdc")
    ap.add_argument("--symmetries", type=int, choices=(1, 2, 4, 8), default=1)
    ap.add_argument("--repeats", type=int, default=20)
    args = ap.parse_args()

    data = np.load(args.data)
    maps, truth = data["arr_0"], data["arr_1"].astype(bool)
    info = [args.wdc, "info", "--json"] + (["--model", args.model] if args.model else [])
    stored = np.array(json.loads(subprocess.check_output(info))["thresholds"], np.float32)

    probs = []
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(args.symmetries):
            path = args.data if k == 0 else os.path.join(tmp, "sym.npz")
            if k:
                np.savez(path, symmetry(maps, k), data["arr_1"])
            probs.append(predict(args.wdc, args.model, path))
    p = np.mean(probs, axis=0)

    rng = np.random.default_rng(0)
    held_out = []
    for _ in range(args.repeats):
        order = rng.permutation(len(p))
        halves = order[: len(p) // 2], order[len(p) // 2:]
        for chosen_on, scored_on in (halves, halves[::-1]):
            th = tune(p[chosen_on], truth[chosen_on])
            held_out.append(scores(p[scored_on], truth[scored_on], th))
    held_out = np.array(held_out)

    print(f"{len(p)} maps, {args.symmetries} symmetr{'y' if args.symmetries == 1 else 'ies'}")
    print("thresholds                         exact match  mean F1  min F1")
    for name, s in (("stored in the model, all maps", scores(p, truth, stored)),
                    ("0.5, all maps", scores(p, truth, np.full(LABELS, 0.5, np.float32))),
                    ("chosen on the other half (mean)", held_out.mean(0)),
                    ("  lowest half-score, per column", held_out.min(0))):
        print(f"{name:<34} {100 * s[0]:10.2f}%  {s[1]:7.4f}  {s[2]:6.4f}")


if __name__ == "__main__":
    main()
