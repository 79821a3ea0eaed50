# CUDA support of deform_conv2d. Included by lib/CMakeLists.txt, after wdc_core is defined, when
# WDC_WITH_CUDA is ON.
#
#   wdc_cuda_kernels   static, position-independent, torch-free library of the sampling kernels
#                      (deform_conv2d_kernel.cu); always built, so that a machine with nvcc and a
#                      CPU-only LibTorch still compiles and links them. Linked into wdc_core.
#   wdc_core           gets deform_conv2d_cuda.cpp (the at::Tensor wrappers) and the PUBLIC
#                      definition WDC_WITH_CUDA only when the LibTorch found was built with CUDA.
#
# Knobs: CMAKE_CUDA_COMPILER (or $CUDACXX; else nvcc on PATH, $CUDA_HOME/bin, /usr/local/cuda/bin),
# CMAKE_CUDA_ARCHITECTURES (default "80;90": A100 and H100/H200; nvcc 13 has no target below sm_75).
#   A CUDA LibTorch overrides it: its find_package(Torch) sets CMAKE_CUDA_ARCHITECTURES to OFF and
#   puts -gencode flags for TORCH_CUDA_ARCH_LIST (default: the GPUs it sees) into CMAKE_CUDA_FLAGS,
#   so the kernels are built for the same targets as LibTorch; set TORCH_CUDA_ARCH_LIST then.
# WDC_CUDA_STATIC_RUNTIME (link cudart_static instead of libcudart.so; default OFF so that wdc and
# a CUDA LibTorch share one runtime).
include_guard(GLOBAL)

option(WDC_CUDA_STATIC_RUNTIME "Link the CUDA runtime statically (cudart_static)" OFF)

# --- the compiler -------------------------------------------------------------------------------
if(NOT CMAKE_CUDA_COMPILER AND NOT DEFINED ENV{CUDACXX})
  find_program(WDC_NVCC_EXECUTABLE nvcc
    HINTS "$ENV{CUDA_HOME}/bin" "$ENV{CUDA_PATH}/bin"
    PATHS /usr/local/cuda/bin /opt/cuda/bin
    DOC "nvcc used for the deform_conv2d CUDA kernels")
  if(NOT WDC_NVCC_EXECUTABLE)
    message(FATAL_ERROR "WDC_WITH_CUDA=ON but nvcc was not found: put it on PATH, set CUDACXX or "
                        "pass -DCMAKE_CUDA_COMPILER=/path/to/nvcc (or configure with -DWDC_WITH_CUDA=OFF)")
  endif()
  set(CMAKE_CUDA_COMPILER "${WDC_NVCC_EXECUTABLE}" CACHE FILEPATH "CUDA compiler")
endif()

# Must be set before enable_language(CUDA), which would otherwise pick nvcc's own default.
if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES OR CMAKE_CUDA_ARCHITECTURES STREQUAL "")
  set(CMAKE_CUDA_ARCHITECTURES "80;90" CACHE STRING
    "CUDA architectures of the deform_conv2d kernels (e.g. 80;90, native, all-major)" FORCE)
endif()

if(CCACHE_PROGRAM AND NOT CMAKE_CUDA_COMPILER_LAUNCHER)
  set(CMAKE_CUDA_COMPILER_LAUNCHER ${CCACHE_PROGRAM})
endif()

enable_language(CUDA)
find_package(CUDAToolkit REQUIRED)

if(CMAKE_CUDA_COMPILER_VERSION VERSION_LESS 11.0)
  message(FATAL_ERROR "deform_conv2d's CUDA kernels need CUDA 11 or newer "
                      "(found ${CMAKE_CUDA_COMPILER_VERSION})")
endif()

# --- the torch-free kernels ---------------------------------------------------------------------
add_library(wdc_cuda_kernels STATIC ${CMAKE_CURRENT_LIST_DIR}/deform_conv2d_kernel.cu)
set_target_properties(wdc_cuda_kernels PROPERTIES
  POSITION_INDEPENDENT_CODE ON
  CUDA_STANDARD 17
  CUDA_STANDARD_REQUIRED ON
  CUDA_EXTENSIONS OFF
  CUDA_VISIBILITY_PRESET hidden
  # The runtime is linked explicitly below, to consumers too (their linker language is C++).
  CUDA_RUNTIME_LIBRARY None)
# The public header includes "ops/deform_conv2d_geometry.h" (torch-free) and <cuda_runtime_api.h>.
target_include_directories(wdc_cuda_kernels PUBLIC ${PROJECT_SOURCE_DIR}/lib)
target_compile_options(wdc_cuda_kernels PRIVATE
  $<$<COMPILE_LANGUAGE:CUDA>:-lineinfo -Xcompiler=-Wall,-Wextra>)
if(WDC_CUDA_STATIC_RUNTIME)
  target_link_libraries(wdc_cuda_kernels PUBLIC CUDA::cudart_static)
else()
  target_link_libraries(wdc_cuda_kernels PUBLIC CUDA::cudart)
endif()

target_link_libraries(wdc_core PUBLIC wdc_cuda_kernels)

# --- the at::Tensor wrappers, only with a CUDA LibTorch ----------------------------------------
# A CUDA build of LibTorch defines the imported targets c10_cuda and torch_cuda (Caffe2Targets
# .cmake); Debian's CPU-only libtorch-dev defines neither (and TORCH_CUDA_LIBRARIES stays unset).
if(TARGET c10_cuda OR TARGET torch_cuda OR TORCH_CUDA_LIBRARIES)
  set(WDC_TORCH_HAS_CUDA ON)
else()
  set(WDC_TORCH_HAS_CUDA OFF)
endif()
# Global, so that tests/cuda (a sibling directory) can see it.
set_property(GLOBAL PROPERTY WDC_TORCH_HAS_CUDA ${WDC_TORCH_HAS_CUDA})

if(WDC_TORCH_HAS_CUDA)
  target_sources(wdc_core PRIVATE ${CMAKE_CURRENT_LIST_DIR}/deform_conv2d_cuda.cpp)
  target_compile_definitions(wdc_core PUBLIC WDC_WITH_CUDA)
  # The wrappers call c10::cuda directly; TORCH_LIBRARIES may only carry it transitively.
  if(TARGET c10_cuda)
    target_link_libraries(wdc_core PUBLIC c10_cuda)
  endif()
  if(CMAKE_CUDA_ARCHITECTURES)
    set(_wdc_cuda_targets "CMAKE_CUDA_ARCHITECTURES ${CMAKE_CUDA_ARCHITECTURES}")
  else()
    set(_wdc_cuda_targets "targets from LibTorch's TORCH_CUDA_ARCH_LIST: ${CMAKE_CUDA_FLAGS}")
  endif()
  message(STATUS "wdc: deform_conv2d CUDA kernels ON (LibTorch has CUDA; CUDA "
                 "${CMAKE_CUDA_COMPILER_VERSION}; ${_wdc_cuda_targets})")
  unset(_wdc_cuda_targets)
else()
  message(STATUS "wdc: the LibTorch found has no CUDA: building the torch-free kernel library "
                 "wdc_cuda_kernels only; deform_conv2d runs on the CPU")
endif()
