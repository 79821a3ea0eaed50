# The GPU check's two C++ programs (see tools/gpu-check.sh and docs/GPU.md). Included by
# tests/cuda/CMakeLists.txt, i.e. when WDC_WITH_CUDA is ON; include-guarded, so the top level
# may include it as well. Both link wdc_core only and run on the CPU too (--device cpu).
#
#   gpu_train_epoch          times training epochs through wdc::Classifier
#   deform_conv2d_gpu_bench  times wdc::ops::deform_conv2d forward and forward+backward
include_guard(GLOBAL)

foreach(tool gpu_train_epoch deform_conv2d_gpu_bench)
  add_executable(${tool} ${CMAKE_CURRENT_LIST_DIR}/${tool}.cpp)
  target_link_libraries(${tool} PRIVATE wdc_core)
  target_compile_options(${tool} PRIVATE ${TORCH_CXX_FLAGS} -Wall -Wextra)
endforeach()
