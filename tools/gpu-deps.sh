#!/bin/bash
# Gathers what tools/gpu-check.sh needs on a GPU machine that has PyTorch (CUDA), nvcc, CMake and
# a C++ compiler but no internet and none of Debian's -dev packages, into one ignored folder that
# travels with the source tree (the device tool's `carry`). Run it HERE, on the Debian 12 build
# machine, from anywhere:
#
#   tools/gpu-deps.sh [DEST]          # DEST defaults to <repo>/.gpu-deps
#
# What goes in (all from this machine's Debian packages, ~18 MiB with the data):
#   include/    nlohmann/ (nlohmann-json3-dev, header-only), zip.h zipconf.h (libzip-dev),
#               spng.h (libspng-dev), zlib.h zconf.h (zlib1g-dev), gtest/ gmock/ (libgtest-dev)
#   lib/        libzip.so.4 (+ libzip.so), libspng.so.0 (+ libspng.so), libz.so.1 (+ libz.so):
#               real copies, no symlinks; libgtest.a libgtest_main.a libgmock.a libgmock_main.a
#               (static, built by Debian's g++ 12 with the C++11 ABI, as the PyTorch wheels use)
#   lib/fallback/  libcrypto.so.3, libbz2.so.1.0: libzip's own dependencies, put on
#               LD_LIBRARY_PATH by gpu-check.sh only when the machine lacks them
#   lib/pkgconfig/ libzip.pc spng.pc zlib.pc, relocatable (${pcfiledir})
#   share/cmake/nlohmann_json/  the package's CMake config (finds ../../../include)
#   include/CLI/, share/cmake/CLI11/  CLI11 (libcli11-dev, header-only) for the wdc command
#   lib/cmake/GTest/GTestConfig.cmake  written here: GTest::gtest, gtest_main, gmock, gmock_main
#               as imported static libraries of lib/ (Debian's own config hard-codes /usr)
#   bin/pkg-config  Debian's pkgconf + lib/pkgconf/libpkgconf.so.3 behind a wrapper: CMakeLists
#               calls find_package(PkgConfig REQUIRED), and the machine may have no pkg-config
#   data/       train.npz, val.npz of ../shared/data/mixedwm38 (MixedWM38, 13,686 + 5,703 maps;
#               7.2 + 3.0 MB compressed) for the one-epoch timing; left out if absent
#   MANIFEST    every shared object, its DT_NEEDED and the newest GLIBC_ symbol version it needs
#               (Debian 12 builds: at most GLIBC_2.34 here; Ubuntu 24.04 has 2.39)
#
# None of this is needed to build wdc here; it only stands in for -dev packages over there.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEST=${1:-$ROOT/.gpu-deps}
SYS=/usr/lib/x86_64-linux-gnu
rm -rf "$DEST"
mkdir -p "$DEST"/{include,lib/fallback,lib/pkgconf,lib/pkgconfig,share/cmake,bin,data}

need() { [ -e "$1" ] || { echo "gpu-deps: missing $1 (apt-get install $2)" >&2; exit 1; }; }
need /usr/include/nlohmann/json.hpp nlohmann-json3-dev
need /usr/include/zip.h libzip-dev
need /usr/include/spng.h libspng-dev
need /usr/include/zlib.h zlib1g-dev
need $SYS/libgtest.a libgtest-dev
need /usr/bin/pkgconf pkgconf

# Headers.
cp -r /usr/include/nlohmann /usr/include/gtest /usr/include/gmock "$DEST/include/"
cp /usr/include/zip.h /usr/include/zipconf.h /usr/include/spng.h /usr/include/zlib.h \
   /usr/include/zconf.h "$DEST/include/"
cp -r /usr/share/cmake/nlohmann_json "$DEST/share/cmake/"
# CLI11 (header-only; its CMake config is relocatable) for the wdc command, which
# tools/gpu-train.sh uses.
need /usr/include/CLI/CLI.hpp libcli11-dev
cp -r /usr/include/CLI "$DEST/include/"
cp -r /usr/share/cmake/CLI11 "$DEST/share/cmake/"

# Shared libraries: the SONAME file for the loader, the plain .so for the linker (copies).
copy_so() {  # copy_so SONAME-path linker-name
  local real; real=$(readlink -f "$1")
  cp "$real" "$DEST/lib/$(basename "$1")"
  cp "$real" "$DEST/lib/$2"
}
copy_so $SYS/libzip.so.4 libzip.so
copy_so $SYS/libspng.so.0 libspng.so
copy_so /lib/x86_64-linux-gnu/libz.so.1 libz.so
cp "$(readlink -f /lib/x86_64-linux-gnu/libcrypto.so.3)" "$DEST/lib/fallback/libcrypto.so.3"
cp "$(readlink -f /lib/x86_64-linux-gnu/libbz2.so.1.0)" "$DEST/lib/fallback/libbz2.so.1.0"
cp $SYS/libgtest.a $SYS/libgtest_main.a $SYS/libgmock.a $SYS/libgmock_main.a "$DEST/lib/"

# A relocatable GTest package config (gpu-check.sh passes -DGTest_DIR), found the same way here
# and there; FindGTest takes it as its config-mode result.
mkdir -p "$DEST/lib/cmake/GTest"
cat > "$DEST/lib/cmake/GTest/GTestConfig.cmake" <<'GT'
# GoogleTest carried by tools/gpu-deps.sh: Debian's static libraries and headers.
get_filename_component(_wdc_gtest_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
include(CMakeFindDependencyMacro)
find_dependency(Threads)
foreach(_wdc_lib gtest gtest_main gmock gmock_main)
  if(NOT TARGET GTest::${_wdc_lib})
    add_library(GTest::${_wdc_lib} STATIC IMPORTED)
    set_target_properties(GTest::${_wdc_lib} PROPERTIES
      IMPORTED_LOCATION "${_wdc_gtest_prefix}/lib/lib${_wdc_lib}.a"
      IMPORTED_LINK_INTERFACE_LANGUAGES CXX
      INTERFACE_INCLUDE_DIRECTORIES "${_wdc_gtest_prefix}/include")
  endif()
endforeach()
set_property(TARGET GTest::gtest PROPERTY INTERFACE_LINK_LIBRARIES Threads::Threads)
set_property(TARGET GTest::gtest_main PROPERTY INTERFACE_LINK_LIBRARIES GTest::gtest)
set_property(TARGET GTest::gmock PROPERTY INTERFACE_LINK_LIBRARIES GTest::gtest)
set_property(TARGET GTest::gmock_main PROPERTY INTERFACE_LINK_LIBRARIES GTest::gmock)
set(GTest_FOUND TRUE)
unset(_wdc_lib)
unset(_wdc_gtest_prefix)
GT
printf 'set(PACKAGE_VERSION "%s")\nset(PACKAGE_VERSION_COMPATIBLE TRUE)\n' \
  "$(dpkg-query -W -f='${Version}' libgtest-dev 2>/dev/null | cut -d- -f1)" \
  > "$DEST/lib/cmake/GTest/GTestConfigVersion.cmake"

# pkg-config: Debian's pkgconf with its one library, behind a wrapper that finds it.
cp /usr/bin/pkgconf "$DEST/lib/pkgconf/pkgconf"
cp "$(readlink -f /lib/x86_64-linux-gnu/libpkgconf.so.3)" "$DEST/lib/pkgconf/libpkgconf.so.3"
cat > "$DEST/bin/pkg-config" <<'WRAP'
#!/bin/sh
# pkgconf carried from Debian 12 (tools/gpu-deps.sh); searches only this folder's .pc files.
here=$(cd "$(dirname "$0")/.." && pwd)
export PKG_CONFIG_LIBDIR="$here/lib/pkgconfig" PKG_CONFIG_PATH=
LD_LIBRARY_PATH="$here/lib/pkgconf${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
  exec "$here/lib/pkgconf/pkgconf" "$@"
WRAP
chmod +x "$DEST/bin/pkg-config"

# Relocatable .pc files (the Debian ones hard-code /usr). Libs.private is not used by CMake's
# IMPORTED_TARGET for shared libraries; the loader finds libzip's own needs through its DT_NEEDED.
pc() {  # pc name version libs [requires]
  cat > "$DEST/lib/pkgconfig/$1.pc" <<PC
prefix=\${pcfiledir}/../..
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: $1
Description: $1 carried by tools/gpu-deps.sh
Version: $2
Libs: -L\${libdir} $3
Cflags: -I\${includedir}
PC
}
pc libzip "$(pkg-config --modversion libzip)" -lzip
pc spng "$(pkg-config --modversion spng)" -lspng
pc zlib "$(pkg-config --modversion zlib)" -lz

# The training data for the one-epoch timing (not part of the repo: ../shared is beside it).
for f in train val; do
  src="$ROOT/../shared/data/mixedwm38/$f.npz"
  if [ -f "$src" ]; then cp "$src" "$DEST/data/"; else echo "gpu-deps: no $src (the epoch falls back to synthetic maps)" >&2; fi
done

# What each shared object needs, and the newest glibc symbol version it asks for.
{
  echo "# tools/gpu-deps.sh on $(. /etc/os-release; echo "$PRETTY_NAME"), $(ldd --version | head -1)"
  for so in $(find "$DEST/lib" -name '*.so*' | sort) "$DEST/lib/pkgconf/pkgconf"; do
    needed=$(objdump -p "$so" | awk '/NEEDED/ {print $2}' | tr '\n' ' ')
    glibc=$(objdump -T "$so" | grep -o 'GLIBC_[0-9.]*' | sort -Vu | tail -1)
    echo "${so#$DEST/}: needs ${glibc:-no versioned glibc}; DT_NEEDED: $needed"
  done
} > "$DEST/MANIFEST"
cat "$DEST/MANIFEST"
du -sh "$DEST"
