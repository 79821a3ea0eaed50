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
print(f"{'predict 1 map (median)':<22}{w['predict_one_map_ms_median']:>9.2f} ms")
print(f"{'peak RSS training':<22}{w['peak_rss_mib_training']:>7.0f} MiB")
PY
