#!/usr/bin/python3
"""Train a small wafer-map classifier on generated maps, evaluate it, and explain one prediction
with a class activation map (CAM), saved as a PNG.

    PYTHONPATH=build/python /usr/bin/python3 examples/python/train_and_explain.py
    /usr/bin/python3 examples/python/train_and_explain.py --maps 600 --epochs 1 --out cam.png

Needs the wdc package (see docs/PYTHON.md) and, for the picture, matplotlib
(`apt install python3-matplotlib`); without it the CAM is written as a .npy file instead.
The maps are synthetic (wdc.synth): good for a demo, not for reported numbers.
"""

import argparse
import os
import sys
import time

import numpy as np

import wdc

# A small, quick network: one-hot input planes and three deformable blocks.
NETWORK = {
    "input": {"encoding": "onehot"},
    "blocks": [
        {"channels": 16, "stride": 2},
        {"channels": 32, "stride": 2},
        {"channels": 48, "stride": 2},
    ],
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--maps", type=int, default=3000, help="generated maps (default 3000)")
    parser.add_argument("--epochs", type=int, default=4, help="training epochs (default 4)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="cam.png", help="the picture (default cam.png)")
    parser.add_argument("--model", default=None, help="also save the model here (.wdcm)")
    args = parser.parse_args()

    # 1. Data: generated maps, 80 % to train on (of which 10 % validate), 20 % held out.
    maps, labels = wdc.synth(args.maps, seed=args.seed)
    cut = int(len(maps) * 0.8)
    train, test = (maps[:cut], labels[:cut]), (maps[cut:], labels[cut:])
    print(f"{len(maps)} maps of {maps.shape[1]}x{maps.shape[2]}; labels: {', '.join(wdc.LABELS)}")

    # 2. Train, printing one line per epoch (the callback sees every batch).
    model = wdc.Model.create(NETWORK)
    start = time.monotonic()

    def progress(p):
        if p["val_exact_match"] is not None:
            print(f"  epoch {p['epoch']}/{p['epochs']}: loss {p['loss']:.4f}, "
                  f"validation exact match {p['val_exact_match']:.3f}")
        return False  # True would stop training (wdc.Cancelled)

    report = model.train(train, epochs=args.epochs, lr=0.05, augment=True, seed=args.seed,
                         callback=progress)
    print(f"trained in {time.monotonic() - start:.1f} s; best epoch {report['best_epoch']}")
    if args.model:
        model.save(args.model)
        print(f"model saved to {args.model}")

    # 3. Evaluate on the held-out maps.
    metrics = model.evaluate(test)
    print(f"held out: exact match {metrics['exact_match']:.3f}, mean F1 {metrics['mean_f1']:.3f}")
    for label in metrics["labels"]:
        print(f"  {label['name']:<10} F1 {label['f1']:.3f}  (support {label['support']})")

    # 4. Explain: the held-out map with the most confident defect label, and its CAM.
    probs = model.predict(test[0])
    index, label = np.unravel_index(np.argmax(probs), probs.shape)
    wafer = test[0][index]
    cam = model.cam(wafer, int(label))
    truth = [n for n, v in zip(model.labels, test[1][index]) if v] or ["none"]
    name = model.labels[label]
    print(f"map {index}: predicted {name} ({probs[index, label]:.2f}); true: {', '.join(truth)}")

    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        out = os.path.splitext(args.out)[0] + ".npy"
        np.save(out, cam)
        print("matplotlib is not installed (apt install python3-matplotlib), so there is no "
              f"picture; the CAM array was saved to {out}")
        return 0

    fig, axes = plt.subplots(1, 2, figsize=(8, 4))
    axes[0].imshow(wafer, cmap="gray", vmin=0, vmax=2, interpolation="nearest")
    axes[0].set_title(f"wafer map (true: {', '.join(truth)})")
    axes[1].imshow(wafer, cmap="gray", vmin=0, vmax=2, interpolation="nearest")
    shown = axes[1].imshow(np.ma.masked_where(wafer == 0, cam), cmap="jet", alpha=0.5,
                           vmin=0, vmax=1)
    axes[1].set_title(f"CAM of {name} (p = {probs[index, label]:.2f})")
    for ax in axes:
        ax.axis("off")
    fig.colorbar(shown, ax=axes[1], fraction=0.046)
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    print(f"CAM saved to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
