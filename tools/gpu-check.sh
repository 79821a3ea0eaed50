#!/bin/bash
# One prepared GPU check of wdc, for a machine with an NVIDIA GPU, PyTorch (CUDA) with
# torchvision, nvcc, CMake, Ninja and a C++ compiler, but no internet and no -dev packages.
# See docs/GPU.md. From the repository root:
#
#   tools/gpu-deps.sh                 # HERE, on the Debian build machine: fills .gpu-deps/
#   tools/gpu-check.sh                # THERE, with .gpu-deps/ carried along (ignored by git)
#
# Steps, each under its own time limit, each logged, none stopping the ones after it:
#   1. configure against PyTorch's LibTorch (torch.utils.cmake_prefix_path) with
#      -DWDC_WITH_CUDA=ON, the CLI, benchmarks and bindings off, .gpu-deps/ standing in for
#      nlohmann-json, libzip, libspng, zlib, googletest and pkg-config;
#   2. build wdc_core, the cuda-labelled tests and the two programs of tools/gpu_tools.cmake
#      (GPU_CHECK_ALL=1: every target);
#   0. and 3. deform_conv2d forward and forward+backward, float32, batch 32:
#      torchvision.ops.deform_conv2d (tools/deform_conv2d_torchvision_bench.py) before the
#      build, ours (deform_conv2d_gpu_bench) after it, on the same idle GPU;
#   4. one training epoch of the seed network on .gpu-deps/data/train.npz (val.npz for the
#      validation pass; without the files: 13,686 synthetic maps, said so in the table);
#   5. ctest -L cuda, with the time left before GPU_CHECK_DEADLINE (default 470 s from start);
#   6. ONE table: ours vs torchvision per shape and pass, the epoch's seconds, the targets.
#
# Environment: GPU_DEPS (default .gpu-deps), BUILD (default /tmp/wdc-gpu-build), JOBS (nproc),
# GPU_CHECK_DEADLINE (seconds; default 470, so the whole script ends within 8 minutes),
# OUT (where logs and table.md go; default $BUILD/logs), TORCH_CMAKE_PREFIX (default: asked from
# python3's torch), GPU_CHECK_ALL=1, TORCH_CUDA_ARCH_LIST (default: the visible GPU's).
# Without a GPU (no nvidia-smi or torch sees none) steps 4 and 5 are skipped; the build and the
# skip path of the tests still run. Exit status: 0 when configure, build and ctest passed.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
DEPS=${GPU_DEPS:-$ROOT/.gpu-deps}
BUILD=${BUILD:-/tmp/wdc-gpu-build}
JOBS=${JOBS:-$(nproc)}
LOGS=${OUT:-$BUILD/logs}
mkdir -p "$LOGS"
START=$(date +%s)
DEADLINE=${GPU_CHECK_DEADLINE:-470}
elapsed() { echo $(( $(date +%s) - START )); }
# Seconds left before the deadline, less a reserve of $1 seconds, at least $2 (default 20).
left() { local l=$(( DEADLINE - $(elapsed) - $1 )); [ $l -lt "${2:-20}" ] && l=${2:-20}; echo $l; }
say() { echo "[gpu-check $(elapsed)s] $*"; }
export PATH="/usr/local/cuda/bin:$PATH"
export PYTHONUNBUFFERED=1

# --- the machine --------------------------------------------------------------------------------
HAVE_GPU=0
{
  echo "== machine"
  uname -m; ldd --version 2>&1 | head -1
  if command -v nvidia-smi >/dev/null 2>&1 &&
     nvidia-smi --query-gpu=name,driver_version,compute_cap,memory.total --format=csv,noheader; then
    HAVE_GPU=1
  fi
  nvcc --version 2>&1 | tail -1; g++ --version 2>&1 | head -1; cmake --version | head -1
  echo "ninja $(ninja --version 2>&1)"
  python3 -c 'import torch, torchvision; print("torch", torch.__version__, "cuda", torch.version.cuda,
"cxx11abi", torch.compiled_with_cxx11_abi(), "torchvision", torchvision.__version__,
"gpu", torch.cuda.is_available())' 2>&1 | tail -1
} > "$LOGS/configure.log" 2>&1
cat "$LOGS/configure.log"

# libzip's own dependencies, carried as a fallback only (gpu-deps.sh, lib/fallback).
for so in libcrypto.so.3 libbz2.so.1.0; do
  if ! ldconfig -p 2>/dev/null | grep -q "$so"; then
    say "$so not on this machine: using the copy in $DEPS/lib/fallback"
    export LD_LIBRARY_PATH="$DEPS/lib/fallback${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    break
  fi
done

if [ -z "${TORCH_CUDA_ARCH_LIST:-}" ] && [ $HAVE_GPU = 1 ]; then
  TORCH_CUDA_ARCH_LIST=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader | head -1 | tr -d ' ')
  export TORCH_CUDA_ARCH_LIST
fi

# --- 0. torchvision's deform_conv2d first: it needs no build, so a failed build still leaves
# the baseline; on an idle machine, like ours after the build (see step 3).
: > "$LOGS/bench.log"
if [ $HAVE_GPU = 1 ]; then
  say "benchmark: torchvision"
  timeout 150 python3 tools/deform_conv2d_torchvision_bench.py >> "$LOGS/bench.log" 2>&1 ||
    echo "torchvision benchmark rc=$?" >> "$LOGS/bench.log"
fi

# --- 1. configure -------------------------------------------------------------------------------
TORCH_PREFIX=${TORCH_CMAKE_PREFIX:-$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)' 2>/dev/null)}
say "configure (LibTorch: ${TORCH_PREFIX:-none found}; TORCH_CUDA_ARCH_LIST=${TORCH_CUDA_ARCH_LIST:-unset})"
GEN=(); command -v ninja >/dev/null 2>&1 && GEN=(-G Ninja)
timeout 240 cmake -S "$ROOT" -B "$BUILD" "${GEN[@]}" \
  -DCMAKE_BUILD_TYPE=Release \
  -DWDC_WITH_CUDA=ON -DWDC_BUILD_TESTS=ON \
  -DWDC_BUILD_CLI=OFF -DWDC_BUILD_BENCH=OFF -DWDC_BUILD_PYTHON=OFF -DWDC_BUILD_CSHARP=OFF \
  "-DCMAKE_PREFIX_PATH=$TORCH_PREFIX;$DEPS" \
  -DPKG_CONFIG_EXECUTABLE="$DEPS/bin/pkg-config" \
  -DGTest_DIR="$DEPS/lib/cmake/GTest" -DGTEST_ROOT="$DEPS" \
  >> "$LOGS/configure.log" 2>&1
CONFIGURE_RC=$?
grep -E "wdc:|CUDA|Error|error" "$LOGS/configure.log" | grep -v "^--  *Performing\|Looking for" | head -20
say "configure rc=$CONFIGURE_RC"

# --- 2. build -----------------------------------------------------------------------------------
BUILD_RC=1
if [ $CONFIGURE_RC = 0 ]; then
  TARGETS=(--target wdc_core deform_conv2d_cuda_kernel_test train_step_cuda_test
           gpu_train_epoch deform_conv2d_gpu_bench)
  grep -q "deform_conv2d_cuda_test" "$BUILD"/build.ninja "$BUILD"/Makefile 2>/dev/null &&
    TARGETS+=(deform_conv2d_cuda_test)
  [ "${GPU_CHECK_ALL:-0}" = 1 ] && TARGETS=()
  say "build -j$JOBS ${TARGETS[*]:-all}"
  # -k 0: keep going past a failing file, so every error of this run is in the log.
  KEEP=(); [ ${#GEN[@]} -gt 0 ] && KEEP=(-- -k 0)
  timeout "$(left 90 60)" cmake --build "$BUILD" -j "$JOBS" "${TARGETS[@]}" "${KEEP[@]}" > "$LOGS/build.log" 2>&1
  BUILD_RC=$?
  grep -E "error|FAILED|undefined reference|warning: " "$LOGS/build.log" | head -30
  say "build rc=$BUILD_RC"
fi

# --- 3. deform_conv2d: ours -------------------------------------------------------------------------
if [ $HAVE_GPU = 1 ]; then
  BENCH_BIN=$(find "$BUILD" -name deform_conv2d_gpu_bench -type f -perm -u+x 2>/dev/null | head -1)
  if [ -n "$BENCH_BIN" ]; then
    say "benchmark: wdc"
    timeout "$(left 60 30)" "$BENCH_BIN" --device cuda >> "$LOGS/bench.log" 2>&1 ||
      echo "wdc benchmark rc=$?" >> "$LOGS/bench.log"
  fi
  grep -v "^BENCH" "$LOGS/bench.log" | head -10
fi

# --- 4. one training epoch ----------------------------------------------------------------------
: > "$LOGS/epoch.log"
EPOCH_BIN=$(find "$BUILD" -name gpu_train_epoch -type f -perm -u+x 2>/dev/null | head -1)
if [ $HAVE_GPU = 1 ] && [ -n "$EPOCH_BIN" ]; then
  if [ -f "$DEPS/data/train.npz" ]; then
    DATA=(--data "$DEPS/data/train.npz")
    [ -f "$DEPS/data/val.npz" ] && DATA+=(--val "$DEPS/data/val.npz")
  else
    DATA=(--synthetic 13686)
  fi
  say "one epoch: ${DATA[*]}"
  echo "EPOCH_DATA ${DATA[*]}" > "$LOGS/epoch.log"
  timeout "$(left 30 60)" "$EPOCH_BIN" --device cuda --config examples/configs/seed.json "${DATA[@]}" \
    --epochs 1 >> "$LOGS/epoch.log" 2>&1 || echo "gpu_train_epoch rc=$?" >> "$LOGS/epoch.log"
  cat "$LOGS/epoch.log" | tail -5
fi

# --- 5. ctest -L cuda (last: it gets the time the deadline leaves) -----------------------------
CTEST_RC=1
CTEST_SUMMARY="not run"
if [ -d "$BUILD" ] && [ -x "$BUILD/tests/cuda/deform_conv2d_cuda_kernel_test" ]; then
  LEFT=$(left 15 30)
  say "ctest -L cuda (at most ${LEFT}s)"
  (cd "$BUILD" && timeout $LEFT ctest -L cuda --output-on-failure -j 4 --timeout 240) > "$LOGS/ctest.log" 2>&1
  CTEST_RC=$?
  CTEST_SUMMARY=$(grep -E "tests passed|tests failed" "$LOGS/ctest.log" | tail -1)
  grep -E "tests passed|\(Failed\)|\(Timeout\)|Not Run|SKIPPED|Skipped|\*\*\*Failed|Failure|Expected|Which is" "$LOGS/ctest.log" | head -40
  say "ctest rc=$CTEST_RC: $CTEST_SUMMARY"
fi

# --- 6. the table -------------------------------------------------------------------------------
python3 - "$LOGS" "$CONFIGURE_RC" "$BUILD_RC" "$CTEST_RC" "$CTEST_SUMMARY" "$(elapsed)" <<'PY' | tee "$LOGS/table.md"
import re, sys, os
logs, conf, build, ctest, summary, secs = sys.argv[1:7]
def read(name):
    try:
        return open(os.path.join(logs, name)).read()
    except OSError:
        return ""
gpu = next((l for l in read("configure.log").splitlines() if re.search(r"H100|H200|A100|NVIDIA|GeForce|Tesla", l)), "no GPU")
torch_line = next((l for l in read("configure.log").splitlines() if l.startswith("torch ")), "")
print(f"## wdc GPU check: {gpu.strip()}")
print(f"{torch_line}")
print(f"configure rc={conf}, build rc={build}, ctest -L cuda rc={ctest} ({summary}); script {secs} s\n")
t = {}
for m in re.finditer(r"^BENCH impl=(\S+) pass=(\S+) shape=(\S+) ms=([0-9.]+)", read("bench.log"), re.M):
    t[(m[1], m[2], m[3])] = float(m[4])
shapes = []
for (_, _, s) in t:
    if s not in shapes: shapes.append(s)
print("| shape (batch 32, float32) | pass | wdc ms | torchvision ms | wdc / torchvision | at least as fast |")
print("| --- | --- | ---: | ---: | ---: | --- |")
for s in shapes:
    for p, label in (("fwd", "forward"), ("fwdbwd", "fwd+bwd")):
        a, b = t.get(("wdc", p, s)), t.get(("torchvision", p, s))
        fa = f"{a:.3f}" if a is not None else "n/a"
        fb = f"{b:.3f}" if b is not None else "n/a"
        r = f"{a / b:.2f}" if a and b else "n/a"
        ok = ("yes" if a <= b else "NO") if a and b else "n/a"
        print(f"| {s.replace('_', ' ')} | {label} | {fa} | {fb} | {r} | {ok} |")
if not shapes:
    print("| (no benchmark ran) | | | | | |")
ep = read("epoch.log")
m = re.search(r"^EPOCH device=(\S+) maps=(\d+) steps=(\d+) epoch=1 train_s=([0-9.]+) val_s=([0-9.]+) epoch_s=([0-9.]+) loss=([0-9.]+) val_exact_match=([0-9.]+)", ep, re.M)
src = "13,686 SYNTHETIC maps (no train.npz carried)" if "EPOCH_DATA --synthetic" in ep else "MixedWM38 train.npz"
print()
if m:
    ok = "yes" if float(m[6]) < 10 else "NO"
    print(f"| one epoch, seed network, batch 32 | maps | steps | training s | validation s | epoch s | loss | val exact match | epoch < 10 s |")
    print(f"| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    print(f"| {m[1]}, {src} | {m[2]} | {m[3]} | {m[4]} | {m[5]} | {m[6]} | {m[7]} | {m[8]} | {ok} |")
else:
    print("one epoch: did not run (" + (ep.strip().splitlines()[-1] if ep.strip() else "no GPU or no binary") + ")")
PY

say "done: configure=$CONFIGURE_RC build=$BUILD_RC ctest=$CTEST_RC"
[ $CONFIGURE_RC = 0 ] && [ $BUILD_RC = 0 ] && [ $CTEST_RC = 0 ]
