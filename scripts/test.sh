#!/usr/bin/env bash
# The test command of the README and of CI: installs dependencies, configures, builds
# everything and runs every test suite (C++, C ABI, Python, C#) through CTest; then builds the
# library with its C, C++, CLI and fuzz-replay suites again under AddressSanitizer, UBSan and
# LeakSanitizer and runs those (WDC_SKIP_SANITIZE=1 skips that second part).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
build=${WDC_BUILD_DIR:-build}
# Where the CUDA toolkit is installed, compile and link the CUDA kernels too (their tests skip
# without a GPU), so they cannot rot on machines that have none.
cuda=()
if command -v nvcc >/dev/null 2>&1 || [ -x /usr/local/cuda/bin/nvcc ]; then
  cuda=(-DWDC_WITH_CUDA=ON)
fi
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release "${cuda[@]}" ${WDC_CMAKE_ARGS:-}
cmake --build "$build" -j"$(nproc)"
# One test at a time: the suites use every core through LibTorch's OpenMP pool, and two of them
# side by side oversubscribe the cores, where OpenMP's spinning threads slow both many-fold.
ctest --test-dir "$build" --output-on-failure

if [ "${WDC_SKIP_SANITIZE:-0}" != 1 ]; then
  sanitize=${WDC_SANITIZE_BUILD_DIR:-build-sanitize}
  cmake -S . -B "$sanitize" -G Ninja -DCMAKE_BUILD_TYPE=Release -DWDC_SANITIZE=ON \
    -DWDC_BUILD_PYTHON=OFF -DWDC_BUILD_CSHARP=OFF -DWDC_BUILD_BENCH=OFF ${WDC_CMAKE_ARGS:-}
  cmake --build "$sanitize" -j"$(nproc)"
  ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir "$sanitize" --output-on-failure -L '^(c|cpp|cli|fuzz)$' \
      -E capi_install_example  # a plain program cannot load a sanitized libwdc.so
fi
