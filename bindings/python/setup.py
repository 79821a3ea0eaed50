"""Builds the wdc package's extension (wdc._wdc) with the repository's CMake project.

Environment:
  WDC_CMAKE_BUILD_DIR  an existing or new CMake build dir to use (default <repo>/build-pip/cmake);
                       an already configured one is only rebuilt (target _wdc), not reconfigured
  WDC_CMAKE_ARGS       extra configure arguments, e.g. "-DWDC_WITH_CUDA=ON"
  WDC_BUILD_JOBS       parallel compile jobs (default 2)

Every output (CMake build, setuptools' build/ and egg-info) goes under <repo>/build-pip/ unless
WDC_CMAKE_BUILD_DIR says otherwise, so the source tree stays clean.
"""

import glob
import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
OUT = ROOT / "build-pip"


def project_version() -> str:
    text = (ROOT / "CMakeLists.txt").read_text(encoding="utf-8")
    match = re.search(r"project\(\s*wdc\s+VERSION\s+([0-9.]+)", text)
    if not match:
        raise RuntimeError(f"cannot find the wdc version in {ROOT / 'CMakeLists.txt'}")
    return match.group(1)


class CMakeBuild(build_ext):
    def build_extension(self, ext: Extension) -> None:
        build_dir = Path(os.environ.get("WDC_CMAKE_BUILD_DIR") or OUT / "cmake").resolve()
        jobs = os.environ.get("WDC_BUILD_JOBS", "2")
        if not (build_dir / "CMakeCache.txt").exists():
            configure = [
                "cmake", "-S", str(ROOT), "-B", str(build_dir),
                "-DCMAKE_BUILD_TYPE=Release",
                "-DWDC_BUILD_PYTHON=ON", "-DWDC_BUILD_TESTS=OFF", "-DWDC_BUILD_CLI=OFF",
                "-DWDC_BUILD_BENCH=OFF", "-DWDC_BUILD_CSHARP=OFF",
                f"-DPython_EXECUTABLE={sys.executable}",
            ]
            if shutil.which("ninja"):
                configure += ["-G", "Ninja"]
            configure += shlex.split(os.environ.get("WDC_CMAKE_ARGS", ""))
            subprocess.check_call(configure)
        subprocess.check_call(
            ["cmake", "--build", str(build_dir), "--target", "_wdc", "-j", jobs])
        suffix = sysconfig.get_config_var("EXT_SUFFIX")
        built = glob.glob(str(build_dir / "python" / "wdc" / f"_wdc{suffix}"))
        if not built:
            raise RuntimeError(
                f"{build_dir}/python/wdc/_wdc{suffix} was not built; was the build dir "
                f"configured for this Python ({sys.executable})?")
        target = Path(self.get_ext_fullpath(ext.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built[0], target)


OUT.mkdir(exist_ok=True)
setup(
    version=project_version(),
    ext_modules=[Extension("wdc._wdc", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
    options={
        "build": {"build_base": str(OUT / "setuptools")},
        "egg_info": {"egg_base": str(OUT)},
    },
)
