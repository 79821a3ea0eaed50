"""Write a copy of a wafer-map data set without the maps that carry some labels, and without
those labels: the training and calibration files of docs/ACCURACY.md "Unknown patterns", where a
model must meet patterns it was never trained on.

    PYTHONPATH=build/python /usr/bin/python3 tools/drop_labels.py IN.npz OUT.npz Donut,Scratch

Single-label files (one class per map, as WM-811K's) lose the maps of those classes; multi-label
files (MixedWM38's) lose every map whose labels include one of them (for Scratch: every pattern
type with Scratch). Any layout of docs/DATA.md; maps of mixed sizes stay as they are.
"""

import argparse

import numpy as np

import wdc


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source")
    parser.add_argument("out")
    parser.add_argument("labels", help="comma-separated label names to drop")
    args = parser.parse_args()

    maps, labels, names = wdc.load_npz(args.source, with_names=True)
    drop = args.labels.split(",")
    missing = [n for n in drop if n not in names]
    if missing:
        raise SystemExit(f"{args.source} has no label {', '.join(missing)} (it has {', '.join(names)})")
    dropped = [names.index(n) for n in drop]
    kept_names = [n for n in names if n not in drop]
    if labels.ndim == 1:
        keep = ~np.isin(labels, dropped)
        new_index = {names.index(n): i for i, n in enumerate(kept_names)}
        kept_labels = np.array([new_index[c] for c in labels[keep]], dtype=np.int64)
    else:
        keep = labels[:, dropped].sum(axis=1) == 0
        kept_labels = np.delete(labels[keep], dropped, axis=1)
    kept_maps = maps[keep] if isinstance(maps, np.ndarray) else [m for m, k in zip(maps, keep) if k]
    wdc.save_npz(args.out, kept_maps, kept_labels, label_names=kept_names)
    print(f"{args.out}: {int(keep.sum())} of {len(keep)} maps, labels {', '.join(kept_names)}")


if __name__ == "__main__":
    main()
