# How far the "bf16" precision moves the shipped models' outputs on the real validation maps
# (docs/PERFORMANCE.md, "bfloat16 inference"): largest and mean probability change, maps whose
# decisions change, embedding change, and the evaluation metrics of both precisions. Needs a CPU
# with AVX512_BF16 and ../shared/data (skips without either).
#
#   PYTHONPATH=build/python /usr/bin/python3 bench/bf16_accuracy.py
import os
import sys

import numpy as np

import wdc

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "..", "shared", "data")
MODELS = (("mixedwm38", None, "mixedwm38/val.npz"),
          ("wm811k", os.path.join(ROOT, "models", "wm811k-dcn.wdcm"), "wm811k/val.npz"))


def load(path, precision):
    if path is None:
        return wdc.Model.load_builtin(threads=2, precision=precision)
    return wdc.Model.load(path, threads=2, precision=precision)


def main() -> int:
    if wdc.Model.load_builtin(precision="auto").info["precision"] != "bf16":
        print("skipped: this CPU has no native bfloat16")
        return 0
    for name, model_path, data in MODELS:
        data = os.path.join(DATA, data)
        if not os.path.exists(data):
            print(f"skipped {name}: {data} is absent")
            continue
        m32, m16 = load(model_path, "fp32"), load(model_path, "bf16")
        maps = wdc.load_npz(data)[0]
        p32, p16 = m32.predict(maps), m16.predict(maps)
        change = np.abs(p32 - p16)
        if m32.info["config"].get("task") == "single_label":
            same = p32.argmax(1) == p16.argmax(1)
        else:
            t = np.asarray(m32.info["thresholds"], np.float32)
            same = ((p32 >= t) == (p16 >= t)).all(1)
        e32, e16 = m32.embed(maps[:2000]), m16.embed(maps[:2000])
        print(f"{name}: {len(p32)} maps, probability change max {change.max():.4f} mean "
              f"{change.mean():.5f}; decisions change on {int((~same).sum())} maps; embedding "
              f"change max {np.abs(e32 - e16).max():.4f}")
        r32, r16 = m32.evaluate(data), m16.evaluate(data)
        keys = [k for k in ("exact_match", "mean_f1", "min_f1", "accuracy", "macro_f1") if k in r32]
        for precision, report in (("fp32", r32), ("bf16", r16)):
            print(f"  {precision}", {k: round(report[k], 5) for k in keys})
    return 0


if __name__ == "__main__":
    sys.exit(main())
