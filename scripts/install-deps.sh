#!/usr/bin/env bash
# Installs everything wdc builds, tests and runs with, from Debian 12's packages only.
# Idempotent: does nothing when every package is already installed. Needs root (or sudo).
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libtorch-dev               # LibTorch 1.13 (CPU)
  libgloo-dev                # the headers of c10d's Gloo backend: distributed training
  libopenblas0-pthread       # without it LibTorch's matmul falls back to the reference BLAS
  nlohmann-json3-dev libcli11-dev libzip-dev libspng-dev
  libgtest-dev googletest libbenchmark-dev
  python3-dev pybind11-dev python3-numpy python3-pytest python3-torch python3-torchvision
  swig mono-mcs nunit-console libnunit-cil-dev
  chromium                   # headless: a test renders `wdc report`'s page in it
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "install-deps: installing ${missing[*]}" >&2
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
