#!/usr/bin/env bash
# The README's main job: builds the `wdc` command, then classifies wafer maps with the model
# built into it (models/mixedwm38-dcn.wdcm, trained on real MixedWM38 maps; used whenever
# --model is left out): evaluates it, predicts, draws a class activation map and writes the HTML
# report. Then it trains a small network of its own on generated maps, to show that path too.
#
#   scripts/demo.sh            # on 600 generated maps (real maps cannot ship with the code)
#   scripts/demo.sh MAPS.npz   # on your maps, e.g. MixedWM38's val.npz (MixedWM38 layout)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/install-deps.sh
build=${WDC_BUILD_DIR:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release ${WDC_CMAKE_ARGS:-} >/dev/null
cmake --build "$build" --target wdc_cli -j"$(nproc)"
wdc="$build/cli/wdc"
out=${WDC_DEMO_OUT:-demo-out}
mkdir -p "$out"

if [ $# -ge 1 ]; then
  maps=$1
else
  echo "demo: generating 600 maps of the 38 MixedWM38 pattern types" >&2
  "$wdc" synth --out "$out/maps.npz" --count 600 --seed 2
  maps=$out/maps.npz
fi

echo "demo: the built-in model" >&2
"$wdc" info
"$wdc" eval --data "$maps"
"$wdc" predict --data "$maps" --limit 10
"$wdc" cam --data "$maps" --index 0 --label Donut --out "$out/cam.png"
"$wdc" report --data "$maps" --out "$out/report"

echo "demo: training a small network on 6000 generated maps" >&2
"$wdc" synth --out "$out/train.npz" --count 6000 --seed 1
"$wdc" train --config examples/configs/quick.json --data "$out/train.npz" --out "$out/quick.wdcm"
"$wdc" eval --model "$out/quick.wdcm" --data "$maps"
echo "demo: class activation map in $out/cam.png, report in $out/report/index.html," \
     "the small model in $out/quick.wdcm" >&2
