"""Similar-map search latency: one query map against a library of N maps (default 100,000),
through wdc.MapIndex.search (embedding the query, then exact cosine search), as an MES would
call it. The library's embeddings are random unit vectors stamped with the built-in model's
fingerprint: search costs the same whatever the vectors hold, and no data set is needed.

    PYTHONPATH=build/python /usr/bin/python3 bench/similar_latency.py [--library 100000]
        [--queries 300] [--threads 2]
"""

import argparse
import os
import tempfile
import time

import numpy as np

import wdc


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--library", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    model = wdc.Model.load_builtin(threads=args.threads)
    rng = np.random.default_rng(0)
    e = rng.standard_normal((args.library, model.embedding_size)).astype(np.float32)
    e /= np.linalg.norm(e, axis=1, keepdims=True)
    labels = np.zeros((args.library, len(wdc.LABELS)), np.int32)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "library.npz")
        np.savez(path, embeddings=e, labels=labels, label_names=np.array(wdc.LABELS),
                 model=np.array([model.fingerprint]))
        index = wdc.MapIndex.load(path)

    queries, _ = wdc.synth(args.queries, seed=1)
    for q in queries[:20]:  # warm-up
        index.search(model, q, k=5)
    total, embed_only = [], []
    for q in queries:
        start = time.perf_counter()
        model.embed(q)
        embed_only.append(time.perf_counter() - start)
        start = time.perf_counter()
        index.search(model, q, k=5)
        total.append(time.perf_counter() - start)

    def row(name, seconds):
        ms = np.array(seconds) * 1000
        print(f"{name:<22} median {np.median(ms):7.2f}  p90 {np.percentile(ms, 90):7.2f}  "
              f"p99 {np.percentile(ms, 99):7.2f}  max {ms.max():7.2f} ms")

    print(f"{args.library} library maps, {args.queries} single-map queries, k = 5, "
          f"{args.threads} threads")
    row("query (embed + search)", total)
    row("embed alone", embed_only)


if __name__ == "__main__":
    main()
