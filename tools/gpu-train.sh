#!/bin/bash
# Trains MixedWM38 recipes with the real `wdc` command on a CUDA GPU machine that has PyTorch and
# nvcc but no internet (the machine tools/gpu-check.sh runs on; run tools/gpu-deps.sh here first
# and carry .gpu-deps). For each config: `wdc train --device cuda` on train.npz with val.npz for
# validation, then `wdc eval` on val.npz. Models, reports and logs go to $OUT (or ./gpu-train-out).
#
#   tools/gpu-train.sh examples/configs/mixedwm38.json [more configs...]
#
# Stops starting new runs when fewer than GPU_TRAIN_DEADLINE (default 400) seconds are left.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
DEPS=${GPU_DEPS:-$ROOT/.gpu-deps}
BUILD=${BUILD:-/tmp/wdc-gpu-train-build}
OUTDIR=${OUT:-$ROOT/gpu-train-out}
DEADLINE=${GPU_TRAIN_DEADLINE:-400}
START=$(date +%s)
mkdir -p "$OUTDIR"
say() { echo "[gpu-train $(( $(date +%s) - START ))s] $*"; }
export PATH="/usr/local/cuda/bin:$PATH"

for so in libcrypto.so.3 libbz2.so.1.0; do
  ldconfig -p 2>/dev/null | grep -q "$so" ||
    export LD_LIBRARY_PATH="$DEPS/lib/fallback${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
done
export LD_LIBRARY_PATH="$DEPS/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
if [ -z "${TORCH_CUDA_ARCH_LIST:-}" ] && command -v nvidia-smi >/dev/null 2>&1; then
  TORCH_CUDA_ARCH_LIST=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader | head -1 | tr -d ' ')
  export TORCH_CUDA_ARCH_LIST
fi
TORCH_PREFIX=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
say "configure and build wdc_cli against $TORCH_PREFIX"
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DWDC_WITH_CUDA=ON \
  -DWDC_BUILD_TESTS=OFF -DWDC_BUILD_BENCH=OFF -DWDC_BUILD_PYTHON=OFF -DWDC_BUILD_CSHARP=OFF \
  "-DCMAKE_PREFIX_PATH=$TORCH_PREFIX;$DEPS" -DPKG_CONFIG_EXECUTABLE="$DEPS/bin/pkg-config" \
  > "$OUTDIR/build.log" 2>&1 &&
  cmake --build "$BUILD" -j "$(nproc)" --target wdc_cli >> "$OUTDIR/build.log" 2>&1 ||
  { tail -30 "$OUTDIR/build.log"; say "build failed"; exit 1; }
WDC="$BUILD/cli/wdc"
say "built"

for config in "$@"; do
  name=$(basename "$config" .json)
  left=$(( DEADLINE - ($(date +%s) - START) ))
  if [ $left -lt 30 ]; then say "no time left for $name"; continue; fi
  say "train $name (at most ${left}s)"
  timeout $left "$WDC" --device cuda train --config "$config" --data "$DEPS/data/train.npz" \
    --val "$DEPS/data/val.npz" --out "$OUTDIR/$name.wdcm" --json \
    > "$OUTDIR/$name-train.json" 2> "$OUTDIR/$name-train.log"
  say "train $name rc=$?: $(tail -c 300 "$OUTDIR/$name-train.log" | tr '\r' '\n' | tail -2 | head -1)"
  rm -f "$OUTDIR/$name.wdcm.ckpt"
  [ -f "$OUTDIR/$name.wdcm" ] || continue
  "$WDC" --device cuda eval --model "$OUTDIR/$name.wdcm" --data "$DEPS/data/val.npz" \
    > "$OUTDIR/$name-eval.txt" 2>&1
  grep -i -E "exact|mean F1|min F1" "$OUTDIR/$name-eval.txt" | head -4
done
say "done"
