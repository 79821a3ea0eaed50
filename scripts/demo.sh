#!/usr/bin/env bash
# The README's main job: builds the `wdc` command, then trains a classifier, evaluates it,
# predicts and draws a class activation map. With no argument it uses generated maps; with
# TRAIN.npz [VAL.npz] (MixedWM38 layout, e.g. Wafer_Map_Datasets.npz) it uses real ones.
#
#   scripts/demo.sh                       # generated maps, small network, a few minutes
#   scripts/demo.sh TRAIN.npz [VAL.npz]   # real maps, the seed recipe (hours on a 2-core CPU)
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
  train=$1
  config=examples/configs/seed.json
  val_args=()
  [ $# -ge 2 ] && val_args=(--val "$2")
  eval_data=${2:-$1}
else
  echo "demo: generating 6000 training maps and 600 test maps" >&2
  "$wdc" synth --out "$out/train.npz" --count 6000 --seed 1
  "$wdc" synth --out "$out/test.npz" --count 600 --seed 2
  train=$out/train.npz
  config=examples/configs/quick.json
  val_args=()
  eval_data=$out/test.npz
fi

"$wdc" train --config "$config" --data "$train" "${val_args[@]}" --out "$out/model.wdcm"
"$wdc" eval --model "$out/model.wdcm" --data "$eval_data"
"$wdc" predict --model "$out/model.wdcm" --data "$eval_data" --limit 10
"$wdc" cam --model "$out/model.wdcm" --data "$eval_data" --index 0 --label Center --out "$out/cam.png"
echo "demo: model in $out/model.wdcm, class activation map in $out/cam.png" >&2
