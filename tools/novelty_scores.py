"""Which novelty score tells maps of an unseen class from known ones? The measurement behind
docs/ACCURACY.md "Unknown patterns": a model trained without some classes (the held-out ones)
scores every validation map with each candidate, and for each held-out class this prints the
AUROC of the score separating its maps from the known classes' maps, and the share of its maps
flagged at the threshold that flags 1% of the known validation maps.

Candidates (higher = more novel):
  msp          1 - the largest probability (Hendrycks & Gimpel 2017)
  mahalanobis  the smallest Mahalanobis distance of the map's embedding to a training class's
               mean, one covariance shared by the classes (Lee et al. 2018)
  knn-K        1 - the cosine similarity to the K-th nearest training map's embedding
               (Sun et al. 2022); knn-K/B: among a random sample of B training maps

    PYTHONPATH=build/python /usr/bin/python3 tools/novelty_scores.py --model M.wdcm \
        --train TRAIN.npz --val VAL.npz [--threads 2]

TRAIN.npz holds the model's classes only; VAL.npz may hold others (the held-out classes), named
by its label_names. Single-label data (one class per map), as WM-811K's files.
"""

import argparse
import time

import numpy as np

import wdc


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


def knn(train_e, queries, k):
    out = np.empty(len(queries), np.float32)
    for start in range(0, len(queries), 2048):
        s = queries[start:start + 2048] @ train_e.T
        # -s's k-th smallest is minus the k-th largest similarity.
        out[start:start + 2048] = 1 + np.partition(-s, k - 1, axis=1)[:, k - 1]
    return out


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
        raise SystemExit(f"--train's classes {train_names} are not the model's {names}")
    val_maps, val_y, val_names = wdc.load_npz(args.val, with_names=True)
    val_class = np.array([val_names[c] for c in val_y])
    known = np.isin(val_class, names)
    held_out = sorted(set(val_class[~known]))
    print(f"model classes: {', '.join(names)}; held out: {', '.join(held_out)}")

    t = time.time()
    train_e = model.embed(train_maps)
    p = model.predict(val_maps)
    val_e = model.embed(val_maps)
    print(f"embedded {len(train_y)} training and {len(val_y)} validation maps in "
          f"{time.time() - t:.1f} s")

    truth = np.array([names.index(c) if c in names else -1 for c in val_class])
    accuracy = (p.argmax(axis=1)[known] == truth[known]).mean()
    print(f"known classes' accuracy: {100 * accuracy:.2f}% of {known.sum()} maps")

    scores = {"msp": 1 - p.max(axis=1),
              "mahalanobis": mahalanobis(train_e, train_y, len(names), val_e)}
    for k in (1, 5, 50):
        scores[f"knn-{k}"] = knn(train_e, val_e, k)
    # A model file can carry a sample of the training embeddings rather than all of them.
    for bank in (4096, 16384):
        if bank < len(train_e):
            sample = np.random.default_rng(0).choice(len(train_e), bank, replace=False)
            scores[f"knn-5/{bank}"] = knn(train_e[sample], val_e, 5)

    header = "score".ljust(12) + "".join(f"{c + ' AUROC':>16}{c + ' flagged':>18}" for c in held_out)
    print(header)
    for name, s in scores.items():
        threshold = np.quantile(s[known], 0.99)
        row = name.ljust(12)
        for c in held_out:
            novel = s[val_class == c]
            row += f"{auroc(s[known], novel):16.4f}{100 * (novel > threshold).mean():17.1f}%"
        print(row)


if __name__ == "__main__":
    main()
