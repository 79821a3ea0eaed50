#!/usr/bin/env bash
# The test command of the README and of CI: installs dependencies, configures, builds
# everything and runs every test suite (C++, C ABI, Python, C#) through CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
build=${WDC_BUILD_DIR:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release ${WDC_CMAKE_ARGS:-}
cmake --build "$build" -j"$(nproc)"
ctest --test-dir "$build" --output-on-failure -j"$(nproc)"
