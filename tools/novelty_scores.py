"""Which novelty score tells maps of an unseen class from known ones? The measurement behind
docs/ACCURACY.md "Unknown patterns": a model trained without some classes (the held-out ones)
scores every validation map with each candidate, and for each held-out class this prints the
AUROC of the score separating its maps from the known classes' maps, and the share of its maps
flagged at the threshold that flags 1% of the known validation maps.

Candidates (higher = more novel):
  msp          1 - the largest probability (Hendrycks & Gimpel 2017); multi-label: 1 - the
               least confident label's confidence max(p, 1 - p)
  mahalanobis  the smallest Mahalanobis distance of the map's embedding to a training class's
               mean, one covariance shared by the classes (Lee et al. 2018)
  knn-K        1 - the cosine similarity to the K-th nearest training map's embedding
               (Sun et al. 2022); knn-K/B: among a random sample of B training maps
  shape-knn    the Euclidean distance to the 5th nearest training map in the space of the
               maps' shape descriptors (tools/map_descriptors.py), each standardised over the
               training maps: no network involved
  line         the map's thin-line score (tools/map_descriptors.py)
  max-cdf      the largest of knn-5's, shape-knn's and line's ranks among the training maps'
               own scores (each score's empirical CDF over the training maps, a map left out
               of its own neighbours): a map is novel if any one view finds it unusual

    PYTHONPATH=build/python /usr/bin/python3 tools/novelty_scores.py --model M.wdcm \
        --train TRAIN.npz --val VAL.npz [--threads 2]

TRAIN.npz holds the model's labels only; VAL.npz may hold others (the held-out ones), named by
its label_names: for single-label data (one class per map, as WM-811K's) the held-out classes,
for multi-label data the maps that carry a held-out label (MixedWM38's types with Scratch).
The "model" row is the model's own novelty (its bank, its k), with the flagged share at the
model's calibrated threshold on the last line.
"""

import argparse
import time

import numpy as np

import wdc
from map_descriptors import describe


def auroc(known, novel):
    """P(novel score > known score), ties counting one half (Mann-Whitney U)."""
    scores = np.concatenate([known, novel])
    order = scores.argsort(kind="mergesort")
    ranks = np.empty(len(scores))
    ranks[order] = np.arange(1, len(scores) + 1)
    # Average ranks over ties.
    sorted_scores = scores[order]
    _, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    for f, c in zip(first, counts):
        if c > 1:
            ranks[order[f:f + c]] = f + (c + 1) / 2
    u = ranks[len(known):].sum() - len(novel) * (len(novel) + 1) / 2
    return u / (len(known) * len(novel))


def mahalanobis(train_e, train_y, num_classes, queries):
    means = np.stack([train_e[train_y == c].mean(axis=0) for c in range(num_classes)])
    centred = train_e - means[train_y]
    cov = centred.T @ centred / len(train_e)
    precision = np.linalg.pinv(cov + 1e-6 * np.eye(cov.shape[0]))
    d = np.stack([np.einsum("nd,de,ne->n", queries - m, precision, queries - m) for m in means])
    return d.min(axis=0)


def knn(train_e, queries, k, skip_self=False):
    """skip_self: the queries are rows of train_e, so the nearest (itself) does not count."""
    k += int(skip_self)
    out = np.empty(len(queries), np.float32)
    for start in range(0, len(queries), 2048):
        s = queries[start:start + 2048] @ train_e.T
        # -s's k-th smallest is minus the k-th largest similarity.
        out[start:start + 2048] = 1 + np.partition(-s, k - 1, axis=1)[:, k - 1]
    return out


def standardised_knn(train, queries, k, skip_self=False):
    """Euclidean distance to the k-th nearest row of train, columns scaled by train's spread;
    skip_self: the queries are rows of train, so the nearest (itself) does not count."""
    mean, spread = train.mean(axis=0), train.std(axis=0) + 1e-6
    a, q = (train - mean) / spread, (queries - mean) / spread
    k += int(skip_self)
    a_norms = (a ** 2).sum(1)
    out = np.empty(len(q))
    for start in range(0, len(q), 1024):
        b = q[start:start + 1024]
        d2 = (b ** 2).sum(1)[:, None] + a_norms[None, :] - 2 * b @ a.T
        out[start:start + 1024] = np.sqrt(np.maximum(np.partition(d2, k - 1, axis=1)[:, k - 1], 0))
    return out


def cdf(scores, reference):
    """Each score's rank among the reference scores, in [0, 1]."""
    return np.searchsorted(np.sort(reference), scores, side="right") / len(reference)


def truth_names(labels, names):
    """Per map, its labels as one name ("Center+Loc"; "none" for no label)."""
    if labels.ndim == 1:
        return np.array([names[c] for c in labels])
    return np.array(["+".join(n for n, v in zip(names, row) if v) or "none" for row in labels])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--train", required=True)
    parser.add_argument("--val", required=True)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    model = wdc.Model.load(args.model, threads=args.threads)
    names = model.labels
    train_maps, train_y, train_names = wdc.load_npz(args.train, with_names=True)
    if list(train_names) != list(names):
        raise SystemExit(f"--train's labels {train_names} are not the model's {names}")
    val_maps, val_y, val_names = wdc.load_npz(args.val, with_names=True)
    single = model.single_label
    if single:
        val_truth = truth_names(val_y, val_names)
        known = np.isin(val_truth, names)
        groups = val_truth
    else:
        # A map is of a held-out kind when it carries a label the model does not know; such maps
        # are grouped by the held-out labels they carry.
        unknown_labels = [i for i, n in enumerate(val_names) if n not in names]
        known = val_y[:, unknown_labels].sum(axis=1) == 0
        groups = np.where(known, "", "+".join(val_names[i] for i in unknown_labels))
    held_out = sorted(set(groups[~known]))
    print(f"model labels: {', '.join(names)}; held out: {', '.join(held_out)} "
          f"({(~known).sum()} of {len(known)} validation maps)")

    t = time.time()
    train_e = model.embed(train_maps)
    p = model.predict(val_maps)
    val_e = model.embed(val_maps)
    print(f"embedded {len(train_maps)} training and {len(val_maps)} validation maps in "
          f"{time.time() - t:.1f} s")

    if single:
        truth = np.array([names.index(c) if c in names else -1 for c in groups])
        accuracy = (p.argmax(axis=1)[known] == truth[known]).mean()
        train_classes = train_y
        msp = 1 - p.max(axis=1)
    else:
        columns = [list(val_names).index(n) for n in names]
        decided = p >= model.thresholds
        accuracy = (decided[known] == val_y[known][:, columns].astype(bool)).all(axis=1).mean()
        # Classes for the Mahalanobis means: the label combinations (pattern types).
        _, train_classes = np.unique(train_y, axis=0, return_inverse=True)
        train_classes = train_classes.reshape(-1)
        # The least confident label's confidence.
        msp = 1 - np.maximum(p, 1 - p).min(axis=1)
    print(f"known {'accuracy' if single else 'exact match'}: {100 * accuracy:.2f}% "
          f"of {known.sum()} maps")

    scores = {"msp": msp,
              "mahalanobis": mahalanobis(train_e, train_classes, train_classes.max() + 1, val_e)}
    for k in (1, 5, 50):
        scores[f"knn-{k}"] = knn(train_e, val_e, k)
    # A model file can carry a sample of the training embeddings rather than all of them.
    for bank in (4096, 16384):
        if bank < len(train_e):
            sample = np.random.default_rng(0).choice(len(train_e), bank, replace=False)
            scores[f"knn-5/{bank}"] = knn(train_e[sample], val_e, 5)
    t = time.time()
    train_shape, train_line = describe(train_maps)
    val_shape, val_line = describe(val_maps)
    print(f"described {len(train_maps) + len(val_maps)} maps in {time.time() - t:.1f} s")
    scores["shape-knn"] = standardised_knn(train_shape, val_shape, 5)
    scores["line"] = val_line
    # The training maps' own scores, each map left out of its neighbours, for the CDFs.
    own = np.random.default_rng(0).choice(len(train_e), min(4096, len(train_e)), replace=False)
    train_knn = knn(train_e, train_e[own], 5, skip_self=True)
    train_shape_knn = standardised_knn(train_shape, train_shape[own], 5, skip_self=True)
    scores["max-cdf"] = np.maximum.reduce([cdf(scores["knn-5"], train_knn),
                                           cdf(scores["shape-knn"], train_shape_knn),
                                           cdf(val_line, train_line)])
    if model.novelty_threshold is not None:
        scores["model"] = model.novelty(val_maps)

    header = "score".ljust(13) + "".join(f"{c[:12] + ' AUROC':>19}{'flagged':>9}" for c in held_out)
    print(header)
    for name, s in scores.items():
        threshold = np.quantile(s[known], 0.99)
        row = name.ljust(13)
        for c in held_out:
            novel = s[groups == c]
            row += f"{auroc(s[known], novel):19.4f}{100 * (novel > threshold).mean():8.1f}%"
        print(row)
    if model.novelty_threshold is not None:
        s, t = scores["model"], model.novelty_threshold
        print(f"the model's own threshold {t:.4f} flags {100 * (s[known] > t).mean():.2f}% of "
              "known maps; " + "; ".join(
                  f"{c}: {100 * (s[groups == c] > t).mean():.1f}%" for c in held_out))


if __name__ == "__main__":
    main()
