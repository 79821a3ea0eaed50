#!/usr/bin/env bash
# The whole CPU speed comparison in one table: the seed network in wdc, the same network with
# plain conv2d (the practical limit), and the torchvision network (Debian's python3-torchvision),
# measured in this one run on this machine.
#
#   bench/compare.sh [BUILD_DIR]        # default: build (run scripts/test.sh or cmake first)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
threads=$(nproc)
cmake --build "$build" --target network_bench >/dev/null
wdc=$("$build/bench/network_bench" --json --threads="$threads")
tv=$(/usr/bin/python3 "$root/bench/torchvision_network.py" --threads "$threads")
/usr/bin/python3 - "$wdc" "$tv" <<'PY'
import json, sys
w, t = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"seed network, {w['threads']} threads, float32 (torch {t['torch']}, torchvision {t['torchvision']})")
print(f"{'wafers/s':<22}{'wdc':>10}{'plain conv':>12}{'torchvision':>13}{'wdc/plain':>11}{'wdc/tv':>9}")
for key, name in (("train", "train (batch 32)"), ("infer", "infer (batch 256)")):
    d, p = w[f"{key}_wafers_per_s"]["deform"], w[f"{key}_wafers_per_s"]["plain"]
    v = t[f"{key}_wafers_per_s"]
    print(f"{name:<22}{d:>10.1f}{p:>12.1f}{v:>13.1f}{d / p:>11.2f}{d / v:>9.1f}")
b = w.get("infer_bf16_wafers_per_s")
if b:  # the "bf16" precision, on a CPU with native bfloat16
    d32, p32 = w["infer_wafers_per_s"]["deform"], w["infer_wafers_per_s"]["plain"]
    print(f"{'infer bf16 (batch 256)':<22}{b['deform']:>10.1f}{b['plain']:>12.1f}{'':>13}"
          f"{b['deform'] / b['plain']:>11.2f}")
    print(f"  wdc bf16 / wdc fp32 {b['deform'] / d32:.2f}, wdc bf16 / plain conv fp32 {b['deform'] / p32:.2f}")
else:
    print("infer bf16: not measured (this CPU has no native bfloat16)")
print(f"{'predict 1 map (median)':<22}{w['predict_one_map_ms_median']:>9.2f} ms")
print(f"{'peak RSS training':<22}{w['peak_rss_mib_training']:>7.0f} MiB")
PY
