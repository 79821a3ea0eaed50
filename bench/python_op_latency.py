"""Per-call time of the Python op, wdc.ops.deform_conv2d, and its spread: N calls on one input
after a warm-up, median, p90, p99, p99.9 and max, beside torch.nn.functional.conv2d of the same
shape (the floor a numpy-in, numpy-out call cannot beat by much).

    PYTHONPATH=build/python /usr/bin/python3 bench/python_op_latency.py [--calls 2000]
        [--batch 32] [--channels 1 32] [--side 52] [--threads 1]

The default is the case first reported: 32 maps of 1 -> 32 channels at 52x52, modulated.
"""

import argparse
import time

import numpy as np
import torch

import wdc.ops


def percentiles(seconds):
    ms = np.sort(np.asarray(seconds)) * 1e3
    pick = lambda q: ms[min(int(q * len(ms)), len(ms) - 1)]
    return (f"{pick(0.5):8.3f} {pick(0.9):8.3f} {pick(0.99):8.3f} {pick(0.999):8.3f} "
            f"{ms[-1]:8.3f} {int((ms > 10).sum()):6d}")


def timed(call, calls, warmup=20):
    for _ in range(warmup):
        call()
    out = []
    for _ in range(calls):
        start = time.perf_counter()
        call()
        out.append(time.perf_counter() - start)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--channels", type=int, nargs=2, default=(1, 32))
    parser.add_argument("--side", type=int, default=52)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    # The op computes on the calling thread's LibTorch threads, which torch sets for us.
    torch.set_num_threads(args.threads)

    rng = np.random.default_rng(0)
    n, (c, o), s = args.batch, args.channels, args.side
    x = rng.standard_normal((n, c, s, s)).astype(np.float32)
    w = rng.standard_normal((o, c, 3, 3)).astype(np.float32)
    off = rng.standard_normal((n, 18, s, s)).astype(np.float32)
    mask = rng.uniform(size=(n, 9, s, s)).astype(np.float32)
    tx, tw = torch.from_numpy(x), torch.from_numpy(w)

    print(f"{n} maps of {c} -> {o} channels at {s}x{s}, 3x3, {args.threads} thread(s), "
          f"{args.calls} calls; times in ms")
    print(f"{'call':<34}{'median':>8} {'p90':>8} {'p99':>8} {'p99.9':>8} {'max':>8} {'>10ms':>6}")
    op = timed(lambda: wdc.ops.deform_conv2d(x, off, w, padding=1, mask=mask), args.calls)
    print(f"{'wdc.ops.deform_conv2d (modulated)':<34}{percentiles(op)}")
    with torch.inference_mode():
        conv = timed(lambda: torch.nn.functional.conv2d(tx, tw, padding=1).numpy(), args.calls)
    print(f"{'torch conv2d (the same shapes)':<34}{percentiles(conv)}")


if __name__ == "__main__":
    main()
