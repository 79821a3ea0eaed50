#!/usr/bin/python3
"""Classify wafer maps with wdc's trained MixedWM38 model (or one you train here), evaluate it,
and explain one prediction with a class activation map (CAM), saved as a PNG.

    PYTHONPATH=build/python /usr/bin/python3 examples/python/classify_and_explain.py
    /usr/bin/python3 examples/python/classify_and_explain.py --data val.npz --out cam.png
    /usr/bin/python3 examples/python/classify_and_explain.py --train --maps 3000 --epochs 4

Needs the wdc package (see docs/PYTHON.md) and, for the picture, matplotlib
(`apt install python3-matplotlib`); without it the CAM is written as a .npy file instead.
Without --data the maps are generated (wdc.synth): good for a demo, not for reported numbers.
"""

import argparse
import os
import sys
import time

import numpy as np

import wdc

# With --train: a small, quick network: one-hot input planes and three deformable blocks.
NETWORK = {
    "input": {"encoding": "onehot"},
    "blocks": [
        {"channels": 16, "stride": 2},
        {"channels": 32, "stride": 2},
        {"channels": 48, "stride": 2},
    ],
}


def train_small_model(args) -> wdc.Model:
    """Trains NETWORK on generated maps (10 % of them validate), printing one line per epoch."""
    maps, labels = wdc.synth(args.maps, seed=args.seed)
    print(f"training on {len(maps)} generated maps")
    model = wdc.Model.create(NETWORK)
    start = time.monotonic()

    def progress(p):
        if p["val_exact_match"] is not None:
            print(f"  epoch {p['epoch']}/{p['epochs']}: loss {p['loss']:.4f}, "
                  f"validation exact match {p['val_exact_match']:.3f}")
        return False  # True would stop training (wdc.Cancelled)

    report = model.train((maps, labels), epochs=args.epochs, lr=0.05, augment=True,
                         seed=args.seed, callback=progress)
    print(f"trained in {time.monotonic() - start:.1f} s; best epoch {report['best_epoch']}")
    if args.save:
        model.save(args.save)
        print(f"model saved to {args.save}")
    return model


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=None,
                        help="a .wdcm model file (default: the trained model built into wdc)")
    parser.add_argument("--data", default=None,
                        help="labelled maps, MixedWM38-layout npz (default: 400 generated maps)")
    parser.add_argument("--train", action="store_true",
                        help="train a small network on generated maps instead of loading one")
    parser.add_argument("--maps", type=int, default=3000, help="--train: generated maps")
    parser.add_argument("--epochs", type=int, default=4, help="--train: epochs")
    parser.add_argument("--save", default=None, help="--train: also save the model here")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="cam.png", help="the picture (default cam.png)")
    args = parser.parse_args()

    # 1. The model: trained here, read from a file, or the one built into the library.
    if args.train:
        model = train_small_model(args)
    elif args.model:
        model = wdc.Model.load(args.model)
    else:
        model = wdc.Model.load_builtin()
        print("the built-in model, trained on real MixedWM38 maps")

    # 2. Maps to classify: the user's file, or generated ones the model has never seen.
    if args.data:
        test = wdc.load_npz(args.data)
    else:
        test = wdc.synth(400, seed=args.seed + 1000)
    print(f"{len(test[0])} maps of {test[0].shape[1]}x{test[0].shape[2]}")

    # 3. Evaluate.
    metrics = model.evaluate(test)
    print(f"exact match {metrics['exact_match']:.3f}, mean F1 {metrics['mean_f1']:.3f}")
    for label in metrics["labels"]:
        print(f"  {label['name']:<10} F1 {label['f1']:.3f}  (support {label['support']})")

    # 4. Explain: the map with the most confident defect label, and its CAM.
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
