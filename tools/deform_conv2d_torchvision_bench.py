#!/usr/bin/env python3
"""torchvision.ops.deform_conv2d timed on the GPU, the baseline of tools/deform_conv2d_gpu_bench.

Same problems as the C++ benchmark (float32, batch 32, 3x3, padding 1, bias, no mask, offsets
~ N(0, 1); the seed network's four shapes and 128->128 52x52 s1) and the same method: 5 untimed
calls, then R rounds of N calls, each round between two CUDA events after a synchronise, best
round reported in ms per call; forward under torch.no_grad(), forward+backward with every .grad
set to None before each call. TF32 off for cuBLAS and cuDNN (as the C++ side).

    python3 tools/deform_conv2d_torchvision_bench.py [--iters N] [--rounds R]

Prints lines like:  BENCH impl=torchvision pass=fwd shape=1->32_52x52_s2 ms=0.123
"""
import argparse

import torch
import torchvision
from torchvision.ops import deform_conv2d

SHAPES = [("1->32_52x52_s2", 1, 32, 52, 2), ("32->64_26x26_s1", 32, 64, 26, 1),
          ("64->128_26x26_s2", 64, 128, 26, 2), ("128->128_13x13_s2", 128, 128, 13, 2),
          ("128->128_52x52_s1", 128, 128, 52, 1)]
BATCH, K, PAD = 32, 3, 1


def best_ms(call, iters, rounds):
    for _ in range(5):
        call()
    best = float("inf")
    for _ in range(rounds):
        torch.cuda.synchronize()
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(iters):
            call()
        end.record()
        torch.cuda.synchronize()
        best = min(best, start.elapsed_time(end) / iters)
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iters", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=5)
    a = ap.parse_args()
    if not torch.cuda.is_available():
        print("BENCH skipped: no CUDA device")
        return
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    print(f"# torch {torch.__version__} torchvision {torchvision.__version__} "
          f"{torch.cuda.get_device_name()}", flush=True)
    dev = dict(dtype=torch.float32, device="cuda")
    for name, cin, cout, size, stride in SHAPES:
        torch.manual_seed(0)
        out = (size + 2 * PAD - K) // stride + 1
        x = torch.randn(BATCH, cin, size, size, **dev)
        off = torch.randn(BATCH, 2 * K * K, out, out, **dev)
        w = torch.randn(cout, cin, K, K, **dev) * 0.1
        b = torch.randn(cout, **dev)
        gout = torch.randn(BATCH, cout, out, out, **dev)
        kw = dict(stride=(stride, stride), padding=(PAD, PAD))

        def fwd():
            with torch.no_grad():
                deform_conv2d(x, off, w, b, **kw)

        leaves = [t.detach().clone().requires_grad_(True) for t in (x, off, w, b)]

        def fwdbwd():
            for t in leaves:
                t.grad = None
            deform_conv2d(leaves[0], leaves[1], leaves[2], leaves[3], **kw).backward(gout)

        f = best_ms(fwd, a.iters, a.rounds)
        fb = best_ms(fwdbwd, a.iters, a.rounds)
        print(f"BENCH impl=torchvision pass=fwd shape={name} ms={f:.4f}")
        print(f"BENCH impl=torchvision pass=fwdbwd shape={name} ms={fb:.4f}", flush=True)


if __name__ == "__main__":
    main()
