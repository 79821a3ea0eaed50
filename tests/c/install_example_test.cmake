# ctest script: installs the project into a fresh prefix, then builds examples/c against the
# installed package twice, once with find_package(wdc) and once by hand with pkg-config's flags,
# and runs both builds on a model. This proves the installed header, library, CMake package and
# wdc.pc are complete and relocatable.
# usage: cmake -DBUILD_DIR= -DWORK_DIR= -DEXAMPLE_DIR= -DGENERATOR= -DC_COMPILER= -DMODEL=
#              -DPKG_CONFIG= -P install_example_test.cmake
cmake_minimum_required(VERSION 3.18)
foreach(var BUILD_DIR WORK_DIR EXAMPLE_DIR GENERATOR C_COMPILER MODEL)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "install_example_test: ${var} is not set")
  endif()
endforeach()

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " command "${ARGN}")
    message(FATAL_ERROR "install_example_test: `${command}` failed (${rc}):\n${out}\n${err}")
  endif()
  set(run_output "${out}" PARENT_SCOPE)
endfunction()

set(prefix ${WORK_DIR}/prefix)
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

# 1. Install the C ABI's components (the rest of the project installs other components).
foreach(component Runtime Development)
  run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix} --component ${component})
endforeach()
file(GLOB_RECURSE installed RELATIVE ${prefix} ${prefix}/*)
list(SORT installed)
list(JOIN installed "\n  " installed_text)
message(STATUS "installed:\n  ${installed_text}")
foreach(expected include/wdc/wdc.h)
  if(NOT EXISTS ${prefix}/${expected})
    message(FATAL_ERROR "install_example_test: ${expected} was not installed")
  endif()
endforeach()
foreach(pattern "libwdc.so" "libwdc.so.[0-9]*" "cmake/wdc/wdcConfig.cmake"
        "cmake/wdc/wdcConfigVersion.cmake" "cmake/wdc/wdcTargets.cmake" "pkgconfig/wdc.pc")
  file(GLOB_RECURSE found ${prefix}/*/${pattern})
  if(NOT found)
    message(FATAL_ERROR "install_example_test: nothing matching */${pattern} was installed")
  endif()
endforeach()

# 2. find_package(wdc) from the installed prefix.
run(${CMAKE_COMMAND} -S ${EXAMPLE_DIR} -B ${WORK_DIR}/build -G ${GENERATOR}
    -DCMAKE_C_COMPILER=${C_COMPILER} -DCMAKE_BUILD_TYPE=Release
    -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
run(${WORK_DIR}/build/wdc_classify ${MODEL})
message(STATUS "wdc_classify (CMake package):\n${run_output}")
if(NOT run_output MATCHES "Center" OR NOT run_output MATCHES "CAM")
  message(FATAL_ERROR "install_example_test: unexpected output of wdc_classify")
endif()
# Without a model file: the model compiled into the installed library.
run(${WORK_DIR}/build/wdc_classify)
message(STATUS "wdc_classify (built-in model):\n${run_output}")
if(NOT run_output MATCHES "model built-in" OR NOT run_output MATCHES "CAM")
  message(FATAL_ERROR "install_example_test: wdc_classify without a model file failed")
endif()
# 3. pkg-config: compile the example by hand with the flags wdc.pc gives.
if(PKG_CONFIG)
  file(GLOB_RECURSE pc_file ${prefix}/*/pkgconfig/wdc.pc)
  get_filename_component(pc_dir ${pc_file} DIRECTORY)
  set(ENV{PKG_CONFIG_PATH} ${pc_dir})
  set(ENV{PKG_CONFIG_LIBDIR} ${pc_dir})
  run(${PKG_CONFIG} --cflags wdc)
  string(STRIP "${run_output}" cflags)
  run(${PKG_CONFIG} --libs wdc)
  string(STRIP "${run_output}" libs)
  run(${PKG_CONFIG} --variable=libdir wdc)
  string(STRIP "${run_output}" libdir)
  if(NOT EXISTS ${libdir}/libwdc.so)
    message(FATAL_ERROR "install_example_test: wdc.pc's libdir ${libdir} has no libwdc.so")
  endif()
  separate_arguments(cflags UNIX_COMMAND "${cflags}")
  separate_arguments(libs UNIX_COMMAND "${libs}")
  run(${C_COMPILER} -std=c99 -Wall -Wextra -pedantic -Werror ${cflags}
      ${EXAMPLE_DIR}/classify.c -o ${WORK_DIR}/wdc_classify_pc ${libs} -Wl,-rpath,${libdir})
  run(${WORK_DIR}/wdc_classify_pc ${MODEL} --write-demo ${WORK_DIR}/demo.raw)
  run(${WORK_DIR}/wdc_classify_pc ${MODEL} ${WORK_DIR}/demo.raw 52 52)
  message(STATUS "wdc_classify (pkg-config, raw file):\n${run_output}")
  if(NOT run_output MATCHES "map 3")
    message(FATAL_ERROR "install_example_test: wdc_classify did not classify the raw file")
  endif()
else()
  message(STATUS "install_example_test: no pkg-config; skipped the wdc.pc build")
endif()
